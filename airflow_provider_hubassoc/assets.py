"""The assets the operators update, for downstream DAGs: ``schedule=[hubspot_associations_asset(...)]``.

URI scheme (registered with Airflow under ``asset-uris``, ``dataset-uris`` on Airflow 2):

* ``hubspot://<portal>/associations/<from>/<to>``: the associations of one object pair;
* ``hubspot://<portal>/labels/<from>/<to>``: the label definitions of one object pair.

``<portal>`` is the HubSpot account id (an operator's ``portal_id``), else the operator's ``hubspot_conn_id``;
``<from>`` and ``<to>`` are object types, plural names for HubSpot's own (``contacts``), custom objects by id
(``2-123``) or fully-qualified name (``p123_cars``). See :mod:`.operators._lineage` for where they are emitted.
"""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import SplitResult, urlsplit

from airflow_provider_hubassoc.exceptions import HubSpotInputError
from airflow_provider_hubassoc.hooks._object_types import plural_name
from airflow_provider_hubassoc.operators._lineage import associations_uri, hubspot_associations_asset

SCHEME = "hubspot"
#: what a ``hubspot://`` URI names, after the portal
KINDS = ("associations", "labels")
#: an Airflow connection id (Airflow's own rule) or a portal id
_PORTAL = re.compile(r"^[\w.-]+$")
#: an object type as the operators write it: a name, ``0-1``, ``2-123`` or ``p123_cars``
_OBJECT_TYPE = re.compile(r"^[A-Za-z0-9_-]+$")


class HubSpotUri(NamedTuple):
    """The parts of a ``hubspot://`` asset URI."""

    portal: str
    kind: str
    from_object_type: str
    to_object_type: str


def _object_type(value: str, which: str) -> str:
    if not _OBJECT_TYPE.match(value):
        raise ValueError(
            f"URI format hubspot:// must name the {which} object type (such as 'contacts' or '2-123'), got {value!r}"
        )
    try:
        return plural_name(value)
    except HubSpotInputError:  # a name HubSpot may not know: the task that uses it fails with the hook's message
        return value


def parse_uri(uri: str | SplitResult) -> HubSpotUri:
    """The parts of a ``hubspot://`` URI, object types normalised (``contact`` and ``0-1`` become ``contacts``).

    :raises ValueError: naming what is wrong, as Airflow's own URI handlers do.
    """
    parts = urlsplit(uri) if isinstance(uri, str) else uri
    if parts.scheme.lower() != SCHEME:
        raise ValueError(f"URI format hubspot:// expected, got scheme {parts.scheme!r}")
    if not parts.netloc:
        raise ValueError("URI format hubspot:// must contain a portal (the HubSpot account id or the connection id)")
    if not _PORTAL.match(parts.netloc):
        raise ValueError(
            "URI format hubspot:// must contain only a portal id or a connection id as its host (no user, "
            f"password or port), got {parts.netloc!r}"
        )
    if parts.query:
        raise ValueError(f"URI format hubspot:// takes no query, got {parts.query!r}")
    path = parts.path.strip("/").split("/") if parts.path.strip("/") else []
    if len(path) != 3 or path[0] not in KINDS:
        raise ValueError(
            "URI format hubspot:// must be hubspot://<portal>/associations/<from>/<to> or "
            f"hubspot://<portal>/labels/<from>/<to>, got path {parts.path!r}"
        )
    return HubSpotUri(parts.netloc, path[0], _object_type(path[1], "from"), _object_type(path[2], "to"))


def sanitize_uri(uri: SplitResult) -> SplitResult:
    """Airflow's URI handler for the ``hubspot`` scheme: check a ``hubspot://`` URI and normalise its object
    types, so ``Asset("hubspot://123/associations/contact/0-2")`` is the asset the operators update
    (``hubspot://123/associations/contacts/companies``).

    :raises ValueError: naming what is wrong (Airflow 3 refuses such an asset; Airflow 2 warns).
    """
    parsed = parse_uri(uri)
    path = f"/{parsed.kind}/{parsed.from_object_type}/{parsed.to_object_type}"
    return uri._replace(scheme=SCHEME, path=path, fragment="")


__all__ = ["HubSpotUri", "associations_uri", "hubspot_associations_asset", "parse_uri", "sanitize_uri"]
