"""The CRM objects API: records created, read (by id or a unique property), listed, searched and merged.

Served on ``/crm/v3/objects/{type}/...`` (the paths HubSpot's Python SDK calls) and ``/crm/objects/{V}/{type}/...``
for every dated version the emulator serves; routed in ``_routes.py``. Answers follow reference §20.8 and the
SDK's models (``hubspot.crm.objects``: ``SimplePublicObject`` needs ``id``, ``properties``, ``createdAt``,
``updatedAt``; ``StandardError`` every field). Only records created here are served: the id-range auto records
have no properties and stay association-only.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, unquote

from ._endpoints import parse_inputs
from ._http import ApiError, Request, Response, envelope, error_body, now_iso, rate_limit_body, validation_error
from ._records import CONTACT, MERGED_IDS, Record, RecordStore, iso_millis, modified_property
from ._search import matches, ordered, parse_search
from ._types import COMPANY, object_name

if TYPE_CHECKING:
    from ._app import EmulatorApp

#: batch read and create inputs per request (§20.8: 100 assumed; 50 with property histories)
MAX_OBJECT_BATCH = 100
MAX_HISTORY_BATCH = 50
#: list page size: default 10, at most 100 (§20.8: the SDK's ``PAGE_MAX_SIZE``)
MAX_OBJECT_LIST_LIMIT = 100
#: properties answered when none are asked (contacts: HubSpot's search guide [DOC-SEARCH-2026-03])
DEFAULT_PROPERTIES = {
    CONTACT: ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
    COMPANY: ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
}


# ---------------------------------------------------------------------- shared
def store(app: EmulatorApp) -> RecordStore:
    objects: RecordStore = app.state.objects
    return objects


def unique_properties(app: EmulatorApp, object_type: str) -> set[str]:
    """The type's unique properties: built in, declared, and the ``unique_properties`` knob's (by type name)."""
    configured = {app.object_type(name): props for name, props in app.config.unique_properties.items()}
    return store(app).unique_properties(object_type, configured)


def public_object(object_type: str, record: Record, properties: Iterable[str] | None) -> dict[str, Any]:
    """A record as ``SimplePublicObject``: the asked properties (null when unset), or the type's defaults."""
    names = (
        list(properties)
        if properties
        else DEFAULT_PROPERTIES.get(object_type, ("createdate", modified_property(object_type), "hs_object_id"))
    )
    return {
        "id": str(record.id),
        "properties": {name: record.value(object_type, name) for name in names},
        "createdAt": iso_millis(record.created),
        "updatedAt": iso_millis(record.modified),
        "archived": False,
    }


def query_properties(request: Request) -> list[str] | None:
    """``properties`` of a query string (repeated and/or comma-separated), None when not given."""
    values = parse_qs(request.query).get("properties")
    return [p for v in values for p in v.split(",") if p] if values else None


def query_value(request: Request, name: str) -> str | None:
    values = parse_qs(request.query).get(name)
    return values[-1] if values else None


def _properties_of(item: Any) -> dict[str, str]:
    if not isinstance(item, dict) or not isinstance(item.get("properties"), dict):
        raise validation_error("Invalid input JSON: each input needs a 'properties' object")
    if item.get("associations"):
        raise validation_error(
            "The emulator does not create associations with records: create them through the associations API"
        )
    return {str(k): ("" if v is None else str(v)) for k, v in item["properties"].items()}


def _written(object_type: str, record: Record) -> list[str]:
    """The properties a write answers: the record's own and the maintained ones."""
    return sorted({*record.properties, "hs_object_id", "createdate", modified_property(object_type)})


def _not_found(object_type: str, ids: list[str]) -> dict[str, Any]:
    """The one ``OBJECT_NOT_FOUND`` error of a batch read listing every missed input (§20.8's fixture)."""
    name = object_name(object_type).upper()
    return {
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "message": f"Could not get some {name} objects, they may be deleted or not exist. Check that ids are valid.",
        "context": {"ids": ids},
        "errors": [],
        "links": {},
    }


# ---------------------------------------------------------------------- create
def create(app: EmulatorApp, request: Request, body: Any, object_type: str, version: str | None) -> Response:
    """``POST .../{type}``: one record, 201 ``SimplePublicObject``; 409 ``CONFLICT`` for a held unique value."""
    type_id = app.object_type(object_type)
    (record,) = store(app).create(type_id, [_properties_of(body)], unique_properties(app, type_id))
    return Response(201, public_object(type_id, record, _written(type_id, record)))


def batch_create(app: EmulatorApp, request: Request, body: Any, object_type: str, version: str | None) -> Response:
    """``POST .../{type}/batch/create``: all or nothing (one held unique value refuses the batch with 409, as
    HubSpot/hubspot-api-python#51 shows), 201 ``BatchResponseSimplePublicObject``."""
    started = now_iso()
    type_id = app.object_type(object_type)
    inputs = parse_inputs(body, MAX_OBJECT_BATCH)
    rows = [_properties_of(item) for item in inputs]
    created = store(app).create(type_id, rows, unique_properties(app, type_id))
    results = [public_object(type_id, r, _written(type_id, r)) for r in created]
    return Response(201, envelope(results, started))


# ---------------------------------------------------------------------- read
def _id_property(app: EmulatorApp, type_id: str, id_property: Any) -> str:
    """A checked ``idProperty`` (absent: ``hs_object_id``); 400 for a property that is not unique."""
    if id_property in (None, ""):
        return "hs_object_id"
    if not isinstance(id_property, str) or id_property not in unique_properties(app, type_id):
        raise validation_error(
            f"{id_property} is not a unique-value property of {object_name(type_id)}: "
            "idProperty must name a property whose values are unique for the object",
            {"idProperty": [str(id_property)]},
        )
    return id_property


def read(
    app: EmulatorApp, request: Request, body: Any, object_type: str, object_id: str, version: str | None
) -> Response:
    """``GET .../{type}/{id}[?idProperty=]``: the record (a merged-away id reads as the surviving record)."""
    type_id = app.object_type(object_type)
    id_property = _id_property(app, type_id, query_value(request, "idProperty"))
    record = store(app).find(type_id, id_property, unquote(object_id))
    if record is None:
        raise ApiError(404, error_body("resource not found", "OBJECT_NOT_FOUND", {"id": [object_id]}))
    return Response(200, public_object(type_id, record, query_properties(request)))


def batch_read(app: EmulatorApp, request: Request, body: Any, object_type: str, version: str | None) -> Response:
    """``POST .../{type}/batch/read``: 200, or 207 with one ``OBJECT_NOT_FOUND`` naming every miss (§20.8).

    ``inputs`` and ``properties`` are required (the spec also lists ``propertiesWithHistory``; the emulator
    takes it as optional). A record asked twice (or by two ids merged into one) is answered once.
    """
    started = now_iso()
    type_id = app.object_type(object_type)
    if not isinstance(body, dict) or not isinstance(body.get("properties"), list):
        raise validation_error("Invalid input JSON: 'properties' is required (send [] for the defaults)")
    history = body.get("propertiesWithHistory") or []
    inputs = parse_inputs(body, MAX_HISTORY_BATCH if history else MAX_OBJECT_BATCH)
    id_property = _id_property(app, type_id, body.get("idProperty"))
    found: dict[int, Record] = {}
    missed: list[str] = []
    for item in inputs:
        raw = item.get("id") if isinstance(item, dict) else None
        record = None if raw is None else store(app).find(type_id, id_property, raw)
        if record is None:
            missed.append(str(raw))
        else:
            found.setdefault(record.id, record)
    names = [str(p) for p in body["properties"]] or None
    if names is not None and MERGED_IDS not in names:
        names.append(MERGED_IDS)  # always told, so a client can map merged-away ids (§20.8)
    results = [public_object(type_id, r, names) for r in found.values()]
    errors = [_not_found(type_id, missed)] if missed else []
    return Response(207 if errors else 200, envelope(results, started, errors))


# ---------------------------------------------------------------------- list, search
def list_page(app: EmulatorApp, request: Request, body: Any, object_type: str, version: str | None) -> Response:
    """``GET .../{type}?limit=&after=``: records by id, ``limit`` 10 by default and at most 100."""
    type_id = app.object_type(object_type)
    raw_limit, after = query_value(request, "limit") or "10", query_value(request, "after") or "0"
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_OBJECT_LIST_LIMIT:
        raise validation_error(f"limit must be between 1 and {MAX_OBJECT_LIST_LIMIT}", {"limit": [raw_limit]})
    if not after.isdigit():
        raise validation_error(f"Invalid paging cursor: {after}", {"after": [after]})
    limit, last = int(raw_limit), int(after)
    ids = sorted(i for i in store(app).records(type_id) if i > last)
    chosen = ids[:limit]
    records = store(app).records(type_id)
    results = [public_object(type_id, records[i], query_properties(request)) for i in chosen]
    answer: dict[str, Any] = {"results": results}
    if len(ids) > limit:
        cursor = str(chosen[-1])
        link = f"{request.base_url}{request.path}?limit={limit}&after={quote(cursor)}"
        answer["paging"] = {"next": {"after": cursor, "link": link}}
    return Response(200, answer)


def search(app: EmulatorApp, request: Request, body: Any, object_type: str, version: str | None) -> Response:
    """``POST .../{type}/search``: filters, sorts, ``total``, pages of at most 200 up to the 10,000th result
    (``search_results_cap``; the page after it is a 400), within the account's own per-second search budget
    (429 past it)."""
    _search_budget(app)
    type_id = app.object_type(object_type)
    cap = app.config.search_results_cap
    asked = parse_search(body, cap)
    hits = [r for r in store(app).records(type_id).values() if matches(asked, type_id, r)]
    page = ordered(asked, type_id, hits)[asked.offset : min(asked.offset + asked.limit, cap)]
    answer: dict[str, Any] = {
        "total": len(hits),
        "results": [public_object(type_id, r, asked.properties) for r in page],
    }
    following = min(asked.offset + asked.limit, cap)  # at the cap: a cursor HubSpot then refuses (400)
    if following < len(hits) and asked.limit:
        answer["paging"] = {"next": {"after": str(following)}}
    return Response(200, answer)


def _search_budget(app: EmulatorApp) -> None:
    """HubSpot's per-second search limit (five a second per account, §20.8): a 429 ``SECONDLY`` past it."""
    maximum = app.config.search_requests_per_second
    if maximum is None:
        return
    calls = store(app).search_calls
    now = time.monotonic()
    while calls and calls[0] <= now - 1.0:
        calls.popleft()
    if len(calls) >= maximum:
        body = {**rate_limit_body("SECONDLY"), "message": "You have reached your secondly limit."}
        raise ApiError(429, body, {"Retry-After": "1"})
    calls.append(now)


# ---------------------------------------------------------------------- merge
def merge(app: EmulatorApp, request: Request, body: Any, object_type: str, version: str | None) -> Response:
    """``POST .../{type}/merge`` ``{primaryObjectId, objectIdToMerge}``: 200 with the surviving record."""
    type_id = app.object_type(object_type)
    if not isinstance(body, dict) or "primaryObjectId" not in body or "objectIdToMerge" not in body:
        raise validation_error("Invalid input JSON: 'primaryObjectId' and 'objectIdToMerge' are required")
    survivor = store(app).merge(type_id, body["primaryObjectId"], body["objectIdToMerge"])
    return Response(200, public_object(type_id, survivor, _written(type_id, survivor)))
