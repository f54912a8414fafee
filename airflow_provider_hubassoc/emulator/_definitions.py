"""The definitions API (HubSpot SDK: ``crm.associations.v4.schema.definitions_api``): a pair's association
types and the user-defined labels among them: list, create, update, delete.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._endpoints import object_types
from ._http import Request, Response, validation_error

if TYPE_CHECKING:
    from ._app import EmulatorApp


@object_types
def list_labels(
    app: EmulatorApp, request: Request, body: Any, from_type: str, to_type: str, version: str | None = None
) -> Response:
    return Response(200, {"results": [d.as_label() for d in app.state.pair_definitions(from_type, to_type)]})


@object_types
def create(
    app: EmulatorApp, request: Request, body: Any, from_type: str, to_type: str, version: str | None = None
) -> Response:
    """A new label (paired when ``inverseLabel`` is given): its definitions, one per direction."""
    if not isinstance(body, dict):
        raise validation_error("Invalid JSON input: a request body was expected, but none found")
    for required in ("name", "label"):
        if not isinstance(body.get(required), str) or not body[required]:
            raise validation_error(f"'{required}' is required", {required: [str(body.get(required))]})
    inverse = body.get("inverseLabel")
    if inverse is not None and not isinstance(inverse, str):
        raise validation_error("'inverseLabel' must be a string", {"inverseLabel": [str(inverse)]})
    created = app.state.create_label(from_type, to_type, body["name"], body["label"], inverse or None)
    return Response(200, {"results": [d.as_label() for d in created]})


@object_types
def update(
    app: EmulatorApp, request: Request, body: Any, from_type: str, to_type: str, version: str | None = None
) -> Response:
    """New text for a user-defined label (and its inverse): 204."""
    if not isinstance(body, dict):
        raise validation_error("Invalid JSON input: a request body was expected, but none found")
    type_id = body.get("associationTypeId")
    if isinstance(type_id, bool) or not isinstance(type_id, int):
        raise validation_error("'associationTypeId' is required", {"associationTypeId": [str(type_id)]})
    label = body.get("label")
    if not isinstance(label, str) or not label:
        raise validation_error("'label' is required", {"label": [str(label)]})
    app.state.update_label(from_type, to_type, type_id, label, body.get("inverseLabel"))
    return Response(204)


@object_types
def delete(
    app: EmulatorApp,
    request: Request,
    body: Any,
    from_type: str,
    to_type: str,
    type_id: str,
    version: str | None = None,
) -> Response:
    """Delete a user-defined label (both directions of a paired one): 204."""
    if not type_id.isdigit():
        raise validation_error(f"Invalid associationTypeId: {type_id}", {"associationTypeId": [type_id]})
    app.state.delete_label(from_type, to_type, int(type_id))
    return Response(204)
