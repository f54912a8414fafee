"""SQL as a source: link, unlink and reconcile read their pairs from a query (SQLite and a real PostgreSQL)."""

from __future__ import annotations

import pytest

from airflow_provider_hubassoc.operators.associations import (
    HubSpotCreateAssociationsOperator,
)


def test_sql_is_one_source_among_pairs_and_files():
    with pytest.raises(ValueError, match="exactly one of pairs= and input_path= and sql="):
        HubSpotCreateAssociationsOperator(
            task_id="x",
            from_object_type="contacts",
            to_object_type="companies",
            pairs=[[1, 2]],
            sql="SELECT 1",
            sql_conn_id="w",
        )
    with pytest.raises(ValueError, match="needs sql_conn_id"):
        HubSpotCreateAssociationsOperator(
            task_id="x", from_object_type="contacts", to_object_type="companies", sql="SELECT 1"
        )
