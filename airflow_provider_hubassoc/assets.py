"""The assets the operators update, for downstream DAGs: ``schedule=[hubspot_associations_asset(...)]``.

URI scheme: ``hubspot://<portal>/associations/<from>/<to>`` (see :mod:`.operators._lineage`).
"""

from __future__ import annotations

from airflow_provider_hubassoc.operators._lineage import associations_uri, hubspot_associations_asset

__all__ = ["associations_uri", "hubspot_associations_asset"]
