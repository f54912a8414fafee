"""The task's button to HubSpot: the records a task touched, in the HubSpot app of the account (portal).

A link needs the portal id (the HubSpot account id: the operator's ``portal_id``); without one, or with one
that is not all digits, the task has no link rather than a wrong one. Where it points:

* the one record the task was about, when its XCom result names exactly one (a sensor watching one record, a
  read of one record's associations into XCom): ``https://app.hubspot.com/contacts/<portal>/record/<type>/<id>``;
* else the list of records of the task's ``from`` object type (a bulk write touches thousands of records, so
  HubSpot's own list view, where a view can filter them, is the honest destination):
  ``https://app.hubspot.com/contacts/<portal>/objects/<type>/views/all/list``.

``<type>`` is the objectTypeId (``0-1``, ``2-123``); a custom object given by its fully-qualified name
(``p123_cars``) has no id known without asking HubSpot, so it gets no link. The labels operator, which may manage
several object pairs, links to the first pair's ``from`` object type.

Airflow 3 asks for the link once, on the worker, when the task ends (the real operator, its arguments rendered)
and keeps the URL in XCom for the UI; Airflow 2 asks each time the UI shows the task, with the operator as the
serialized DAG holds it: no ``portal_id`` there, so the portal comes from the task's ``hubspot://`` asset URIs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from airflow_provider_hubassoc._compat import BaseOperatorLink, XCom
from airflow_provider_hubassoc.assets import SCHEME, HubSpotUri, parse_uri
from airflow_provider_hubassoc.exceptions import HubSpotInputError
from airflow_provider_hubassoc.hooks._object_types import normalize_object_type

log = logging.getLogger(__name__)

#: HubSpot's web app (links to the app, never to the API host of the connection)
HUBSPOT_APP_URL = "https://app.hubspot.com"
_PORTAL_ID = re.compile(r"^[1-9][0-9]{0,19}$")
_RECORD_ID = re.compile(r"^[1-9][0-9]{0,29}$")
_OBJECT_TYPE_ID = re.compile(r"^[02]-[1-9][0-9]{0,19}$")


def _checked(pattern: re.Pattern[str], value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value).strip()
    return text if pattern.match(text) else None


def object_type_id(object_type: Any) -> str | None:
    """The objectTypeId of an object type (``contacts`` -> ``0-1``), or ``None`` when it is not known here."""
    if not isinstance(object_type, str) or "{{" in object_type:
        return None
    try:
        return _checked(_OBJECT_TYPE_ID, normalize_object_type(object_type))
    except HubSpotInputError:
        return None


def record_url(portal_id: Any, object_type: Any, record_id: Any) -> str:
    """The page of one record in HubSpot, or ``""`` when a part is missing or invalid."""
    portal, type_id, record = (
        _checked(_PORTAL_ID, portal_id),
        object_type_id(object_type),
        _checked(_RECORD_ID, record_id),
    )
    if portal is None or type_id is None or record is None:
        return ""
    return f"{HUBSPOT_APP_URL}/contacts/{quote(portal)}/record/{quote(type_id)}/{quote(record)}"


def object_list_url(portal_id: Any, object_type: Any) -> str:
    """The list of all records of an object type in HubSpot, or ``""`` when a part is missing or invalid."""
    portal, type_id = _checked(_PORTAL_ID, portal_id), object_type_id(object_type)
    if portal is None or type_id is None:
        return ""
    return f"{HUBSPOT_APP_URL}/contacts/{quote(portal)}/objects/{quote(type_id)}/views/all/list"


def _hubspot_uris(operator: Any) -> Iterator[HubSpotUri]:
    """The parsed ``hubspot://`` asset URIs of a task: rendered (``lineage_uris``) on the real operator, else the
    inlets and outlets the serialized DAG keeps."""
    uris: list[str] = []
    lineage = getattr(operator, "lineage_uris", None)
    if callable(lineage):
        try:
            inputs, outputs = lineage()
            uris = [*inputs, *outputs]
        except Exception as error:  # a link never fails a task
            log.debug("HubSpot link: no lineage URIs (%s)", error)
    if not uris:
        assets = [*(getattr(operator, "inlets", None) or ()), *(getattr(operator, "outlets", None) or ())]
        uris = [uri for uri in (getattr(asset, "uri", None) for asset in assets) if isinstance(uri, str)]
    for uri in uris:
        if uri.startswith(f"{SCHEME}://"):
            try:
                yield parse_uri(uri)
            except ValueError:
                continue


def task_portal_id(operator: Any) -> str | None:
    """The portal id of a task: its ``portal_id``; on an operator without one (Airflow 2's serialized operator),
    the portal of its ``hubspot://`` URIs when that is an account id, not the connection id put there instead."""
    if getattr(operator, "portal_id", None) is not None:
        return _checked(_PORTAL_ID, operator.portal_id)
    conn_id = getattr(operator, "hubspot_conn_id", None)
    for uri in _hubspot_uris(operator):
        if uri.portal != conn_id and _checked(_PORTAL_ID, uri.portal):
            return uri.portal
    return None


def task_object_type(operator: Any) -> str | None:
    """The ``from`` object type of a task: from its first ``hubspot://`` URI, else its ``from_object_type``."""
    for uri in _hubspot_uris(operator):
        return uri.from_object_type
    value = getattr(operator, "from_object_type", None)
    return value if isinstance(value, str) else None


def single_record(result: Any) -> str | None:
    """The one record id a task's XCom result names: a sensor's ``counts`` with one record, or exported
    ``rows`` that all start from one record. ``None`` when it names several, or none."""
    if not isinstance(result, Mapping):
        return None
    counts = result.get("counts")
    if isinstance(counts, Mapping) and len(counts) == 1:
        return _checked(_RECORD_ID, next(iter(counts)))
    rows = result.get("rows")
    if isinstance(rows, list) and rows:
        ids = {row.get("from_id") for row in rows if isinstance(row, Mapping)}
        if len(ids) == 1:
            return _checked(_RECORD_ID, ids.pop())
    return None


class HubSpotRecordsLink(BaseOperatorLink):
    """The records a HubSpot task touched, in the HubSpot app (see the module docstring for where it points)."""

    name: ClassVar[str] = "HubSpot records"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        portal = task_portal_id(operator)
        object_type = task_object_type(operator)
        if portal is None or object_type is None:
            return ""
        try:
            result = XCom.get_value(ti_key=ti_key, key="return_value")
        except Exception as error:  # the list view is still right
            log.debug("HubSpot link: no XCom result (%s)", error)
            result = None
        record = single_record(result)
        if record is not None:
            return record_url(portal, object_type, record)
        return object_list_url(portal, object_type)


__all__ = ["HUBSPOT_APP_URL", "HubSpotRecordsLink", "object_list_url", "record_url"]
