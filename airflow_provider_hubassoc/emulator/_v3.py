"""The v3 associations API (HubSpot SDK: ``crm.associations.v3``): types, batch create, read and archive,
where a type is named (``contact_to_company``) instead of given as a category and id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ._endpoints import (
    MAX_CREATE,
    MAX_OTHER,
    MAX_READ,
    Batch,
    batch_endpoint,
    encode_cursor,
    no_associations,
    object_id,
    object_types,
    ref_id,
    require_ids,
)
from ._http import Request, Response, envelope, item_error, validation_error
from ._state import Definition, StateError
from ._types import COMPANY, PRIMARY_COMPANY_TYPES, object_name

if TYPE_CHECKING:
    from ._app import EmulatorApp


@object_types
def types(app: EmulatorApp, request: Request, body: Any, from_type: str, to_type: str) -> Response:
    return Response(
        200,
        {"results": [{"id": str(d.type_id), "name": d.name} for d in app.state.pair_definitions(from_type, to_type)]},
    )


def _definition(app: EmulatorApp, ftype: str, ttype: str, item: Any) -> Definition:
    """The type an input names (``type``); the whole request's 400 for a name the pair does not have."""
    name = item.get("type") if isinstance(item, dict) else None
    definition = app.state.definition_by_name(ftype, ttype, name) if isinstance(name, str) else None
    if definition is None:
        raise validation_error(
            f"{name} is not a valid association type between {object_name(ftype)} and {object_name(ttype)}",
            {"type": [str(name)]},
        )
    return definition


@batch_endpoint(MAX_CREATE)
def create(app: EmulatorApp, request: Request, batch: Batch) -> Response:
    """Add the named type to each pair; each result is listed in both directions."""
    ftype, ttype = batch.from_type, batch.to_type
    parsed = [(item, _definition(app, ftype, ttype, item)) for item in batch.inputs]
    results, errors = [], []
    for item, definition in parsed:
        from_id, to_id = ref_id(item.get("from")), ref_id(item.get("to"))
        try:
            fid, tid = require_ids(item, ftype, from_id, ttype, to_id)
            app.state.apply_types(ftype, fid, ttype, tid, [definition.spec], replace=False)
        except StateError as exc:
            errors.append(item_error(exc))
            continue
        inverse = app.state.defs[(ttype, ftype)][(definition.category, definition.inverse_id)]
        results.append({"from": {"id": str(from_id)}, "to": {"id": str(to_id)}, "type": definition.name})
        results.append({"from": {"id": str(to_id)}, "to": {"id": str(from_id)}, "type": inverse.name})
    status = 207 if errors else app.config.v3_create_status
    return Response(status, envelope(results, batch.started, errors))


@batch_endpoint(MAX_READ)
def read(app: EmulatorApp, request: Request, batch: Batch) -> Response:
    """Each input record's associated ids, one named type each; towards companies, only the primary one."""
    ftype, ttype = batch.from_type, batch.to_type
    size = app.config.v3_page_size
    pair = app.state.defs.get((ftype, ttype), {})
    results, errors = [], []
    for item in batch.inputs:
        raw_id = item.get("id") if isinstance(item, dict) else None
        from_id = object_id(raw_id)
        entries = _entries(app, ftype, from_id, ttype)
        if not entries:
            errors.append(no_associations(ftype, ttype, raw_id))
            continue
        shown = entries[:size]
        to = [{"id": str(to_id), "type": _name(pair, specs)} for to_id, specs in shown]
        result: dict[str, Any] = {"from": {"id": str(from_id)}, "to": to}
        if len(entries) > size:
            cursor = encode_cursor(ttype, shown[-1][0])
            link = f"{request.base_url}/crm/v3/objects/{ftype}/{from_id}/associations/{ttype}?after={quote(cursor)}"
            result["paging"] = {"next": {"after": cursor, "link": link}}
        results.append(result)
    status = 207 if errors else 200
    return Response(status, envelope(results, batch.started, errors))


def _entries(app: EmulatorApp, ftype: str, from_id: int | None, ttype: str) -> list[tuple[int, set[tuple[str, int]]]]:
    """A record's associations towards a type, by id; v3 inputs take no cursor: HubSpot ignores ``after``
    there (hubspot-api-python#187)."""
    if from_id is None:
        return []
    if ttype == COMPANY and ftype in PRIMARY_COMPANY_TYPES:
        primary = app.state.primary_company(ftype, from_id)
        return [] if primary is None else [(primary, app.state.types_between(ftype, from_id, ttype, primary))]
    targets = app.state.targets(ftype, from_id, ttype)
    return [(i, targets[i]) for i in sorted(targets)]


def _name(pair: dict[tuple[str, int], Definition], specs: set[tuple[str, int]]) -> str:
    """One v3 type per associated record: the primary type's name if set, else the unlabeled type's."""
    defs = [pair[s] for s in specs if s in pair]
    for definition in defs:
        if definition.primary:
            return definition.name
    for definition in defs:
        if definition.unlabeled:
            return definition.name
    return defs[0].name if defs else ""


@batch_endpoint(MAX_OTHER)
def archive(app: EmulatorApp, request: Request, batch: Batch) -> Response:
    """Remove the named type from each pair: 204."""
    ftype, ttype = batch.from_type, batch.to_type
    parsed = [(item, _definition(app, ftype, ttype, item)) for item in batch.inputs]
    for item, definition in parsed:
        from_id, to_id = ref_id(item.get("from")), ref_id(item.get("to"))
        if from_id is not None and to_id is not None:
            app.state.remove_types(ftype, from_id, ttype, to_id, [definition.spec])
    return Response(204)
