"""The basic API (HubSpot SDK: ``crm.associations.v4.basic_api``): one record's associations, on
``/crm/v4/objects/...`` and the dated ``/crm/objects/{version}/...`` paths: create (PUT), archive (DELETE),
create default, and the paged list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from ._endpoints import MAX_LIST_LIMIT, link, object_types, page, parse_specs, path_id, types_of
from ._http import Request, Response, envelope, now_iso, validation_error

if TYPE_CHECKING:
    from ._app import EmulatorApp
    from ._state import AccountState


@object_types
def put(
    app: EmulatorApp,
    request: Request,
    body: Any,
    from_type: str,
    from_id: str,
    to_type: str,
    to_id: str,
    version: str | None = None,
) -> Response:
    """Add the body's types to one pair: 201 with its labels (wrapped at dated versions if configured)."""
    ftype, fid, ttype, tid = from_type, path_id(from_type, from_id), to_type, path_id(to_type, to_id)
    if body is None:
        raise validation_error("Invalid JSON input: a request body was expected, but none found")
    if not isinstance(body, list):
        raise validation_error(
            "Invalid input JSON on line 1, column 1: Cannot deserialize value of type "
            "java.util.HashSet<AssociationSpec> from Object value"
        )
    specs = parse_specs(body, field_name="body")
    if specs:
        app.state.apply_types(ftype, fid, ttype, tid, specs, replace=app.config.label_write_semantics == "replace")
    body_out = {
        "fromObjectTypeId": ftype,
        "fromObjectId": fid,
        "toObjectTypeId": ttype,
        "toObjectId": tid,
        "labels": app.state.labels_between(ftype, fid, ttype, tid),
    }
    dated = version not in (None, "v4")
    prefix = f"/crm/objects/{version}" if dated else "/crm/v4/objects"
    location = f"{request.base_url}{prefix}/{ftype}/{fid}/associations/{ttype}/{tid}"
    if dated and app.config.wrap_created_resource:  # reference §20.3; the id is our choice (unconfirmed)
        return Response(
            201,
            {"createdResourceId": str(tid), "entity": body_out, "location": location},
            {"Location": location},
        )
    return Response(201, body_out, {"Location": location})


@object_types
def delete(
    app: EmulatorApp,
    request: Request,
    body: Any,
    from_type: str,
    from_id: str,
    to_type: str,
    to_id: str,
    version: str | None = None,
) -> Response:
    """Remove the whole association of one pair (every type): 204, associated or not."""
    fid, tid = path_id(from_type, from_id), path_id(to_type, to_id)
    app.state.remove_pair(from_type, fid, to_type, tid)
    return Response(204)


@object_types
def default(
    app: EmulatorApp,
    request: Request,
    body: Any,
    from_type: str,
    from_id: str,
    to_type: str,
    to_id: str,
    version: str | None = None,
) -> Response:
    """Associate one pair with the unlabeled type: a batch answer with both directions' specs."""
    started = now_iso()
    fid, tid = path_id(from_type, from_id), path_id(to_type, to_id)
    return Response(200, envelope(default_pair(app.state, from_type, fid, to_type, tid), started))


def default_pair(state: AccountState, ftype: str, from_id: int, ttype: str, to_id: int) -> list[dict[str, Any]]:
    state.apply_types(ftype, from_id, ttype, to_id, [], replace=False)
    forward = state.unlabeled_definition(ftype, ttype)
    return [
        {
            "from": {"id": str(from_id)},
            "to": {"id": str(to_id)},
            "associationSpec": {"associationCategory": forward.category, "associationTypeId": forward.type_id},
        },
        {
            "from": {"id": str(to_id)},
            "to": {"id": str(from_id)},
            "associationSpec": {"associationCategory": forward.category, "associationTypeId": forward.inverse_id},
        },
    ]


@object_types
def list_page(
    app: EmulatorApp,
    request: Request,
    body: Any,
    from_type: str,
    from_id: str,
    to_type: str,
    version: str | None = None,
) -> Response:
    """One page (``limit``, at most 500) of a record's associations towards a type, after ``after``."""
    ftype, fid, ttype = from_type, path_id(from_type, from_id), to_type
    query = parse_qs(request.query)
    raw_limit = (query.get("limit") or ["500"])[0]
    try:
        limit = int(raw_limit)
    except ValueError:
        raise validation_error(f"Invalid limit: {raw_limit}", {"limit": [raw_limit]}) from None
    if limit < 1:
        raise validation_error(f"Invalid limit: {raw_limit}", {"limit": [raw_limit]})
    limit = min(limit, MAX_LIST_LIMIT)
    found, cursor = page(app.state, ftype, fid, ttype, query["after"][0] if query.get("after") else None, limit)
    out: dict[str, Any] = {
        "results": [
            {"toObjectId": to_id, "associationTypes": types_of(app.state, ftype, ttype, s)} for to_id, s in found
        ]
    }
    if cursor is not None:
        out["paging"] = {"next": {"after": cursor, "link": link(request, ftype, fid, ttype, cursor, version or "v4")}}
    return Response(200, out)
