"""The definition configurations API (HubSpot SDK: ``crm.associations.v4.schema.definition_configurations_api``):
the account's association limits (``userEnforcedMaxToObjectIds``): list all, list a pair's, batch create,
update and purge.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._endpoints import MAX_OTHER, Batch, archive_response, batch_endpoint, object_types
from ._http import Request, Response, envelope, item_error, validation_error
from ._state import CATEGORIES, Definition, StateError
from ._versions import codes

if TYPE_CHECKING:
    from ._app import EmulatorApp


def _limit_item(definition: Definition, maximum: int, *, with_label: bool = True) -> dict[str, Any]:
    item: dict[str, Any] = {"category": definition.category, "typeId": definition.type_id}
    if with_label:
        item["label"] = definition.label
    item["userEnforcedMaxToObjectIds"] = maximum
    return item


def _limit_rows(app: EmulatorApp, only: tuple[str, str] | None = None) -> list[dict[str, Any]]:
    rows = []
    for (ftype, ttype, category, type_id), maximum in sorted(app.state.limits.items()):
        if only is not None and (ftype, ttype) != only:
            continue
        rows.append(_limit_item(app.state.definition(ftype, ttype, (category, type_id)), maximum))
    return rows


def list_all(app: EmulatorApp, request: Request, body: Any, version: str | None = None) -> Response:
    return Response(200, {"results": _limit_rows(app)})


@object_types
def list_pair(
    app: EmulatorApp, request: Request, body: Any, from_type: str, to_type: str, version: str | None = None
) -> Response:
    return Response(200, {"results": _limit_rows(app, (from_type, to_type))})


def _write(app: EmulatorApp, batch: Batch, *, create: bool) -> Response:
    """Set each input's limit; a type without one (update) or with one already (create) is a per-input error."""
    results, errors = [], []
    for item in batch.inputs:
        if not isinstance(item, dict):
            raise validation_error("Invalid input JSON: inputs must be objects")
        category, type_id, maximum = item.get("category"), item.get("typeId"), item.get("maxToObjectIds")
        if category not in CATEGORIES or not isinstance(type_id, int) or not isinstance(maximum, int):
            raise validation_error("Invalid input JSON: inputs need category, typeId and maxToObjectIds")
        try:
            definition = app.state.set_limit(
                batch.from_type, batch.to_type, (category, type_id), maximum, create=create
            )
        except StateError as exc:
            errors.append(item_error(exc))
            continue
        results.append(_limit_item(definition, maximum, with_label=create))
    version_codes = codes(batch.version)
    status = version_codes.limits_partial if errors else version_codes.limits_create if create else 200
    return Response(status, envelope(results, batch.started, errors))


@batch_endpoint(MAX_OTHER)
def create(app: EmulatorApp, request: Request, batch: Batch) -> Response:
    return _write(app, batch, create=True)


@batch_endpoint(MAX_OTHER)
def update(app: EmulatorApp, request: Request, batch: Batch) -> Response:
    return _write(app, batch, create=False)


@batch_endpoint(MAX_OTHER)
def purge(app: EmulatorApp, request: Request, batch: Batch) -> Response:
    """Remove the limits of the given types (none set is no error)."""
    for item in batch.inputs:
        valid = isinstance(item, dict) and item.get("category") in CATEGORIES and isinstance(item.get("typeId"), int)
        if not valid:
            raise validation_error("Invalid input JSON: inputs need category and typeId")
        app.state.purge_limit(batch.from_type, batch.to_type, (item["category"], item["typeId"]))
    return archive_response(batch.version, batch.started)
