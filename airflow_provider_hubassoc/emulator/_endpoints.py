"""What the endpoints share: the object-type lookup and the batch prologue as decorators, the input caps,
record ids, association specs and paging cursors.

A handler is called as ``handler(app, request, body, **path_params)`` (see ``_routes.py``); the decorators
here turn the path's object types into type ids and a batch body into its checked ``inputs`` first.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ._http import Request, Response, envelope, now_iso, state_error, validation_error
from ._state import CATEGORIES, HUBSPOT_DEFINED, AccountState, StateError
from ._types import object_name
from ._versions import codes

if TYPE_CHECKING:
    from ._app import EmulatorApp

#: per-request input caps (reference §12.1; the unconfirmed ones follow batch/create's 2,000)
MAX_CREATE = 2000
MAX_READ = 1000
MAX_OTHER = 2000
MAX_LIST_LIMIT = 500

#: an endpoint: ``(app, request, body, **path_params) -> Response``
Handler = Callable[..., Response]


@dataclass(frozen=True)
class Batch:
    """A batch request past its prologue."""

    #: ``startedAt`` of the answer, taken before anything is checked
    started: str
    #: the path's object types as type ids
    from_type: str
    to_type: str
    #: the body's ``inputs``, a list within the endpoint's cap (its items are not checked yet)
    inputs: list[Any]
    #: the path's version; None on ``/crm/v4/`` and ``/crm/v3/`` paths
    version: str | None


def object_types(handler: Handler) -> Handler:
    """The object-type lookup every pair endpoint starts with: the path's ``from_type`` and ``to_type`` (names,
    ids or custom object names) reach the handler as type ids; an unknown one is HubSpot's 400."""

    @wraps(handler)
    def resolved(
        app: EmulatorApp, request: Request, body: Any, from_type: str, to_type: str, **params: Any
    ) -> Response:
        ftype, ttype = app.object_type(from_type), app.object_type(to_type)
        return handler(app, request, body, from_type=ftype, to_type=ttype, **params)

    return resolved


def batch_endpoint(maximum: int) -> Callable[[Callable[[EmulatorApp, Request, Batch], Response]], Handler]:
    """The prologue every batch endpoint shares, in HubSpot's order of refusals: ``startedAt``, the path's
    object types (400 for an unknown one), then the body's ``inputs`` (400 when absent or over ``maximum``)."""

    def decorate(handler: Callable[[EmulatorApp, Request, Batch], Response]) -> Handler:
        @wraps(handler)
        def prologue(
            app: EmulatorApp, request: Request, body: Any, from_type: str, to_type: str, version: str | None = None
        ) -> Response:
            started = now_iso()
            ftype, ttype = app.object_type(from_type), app.object_type(to_type)
            return handler(app, request, Batch(started, ftype, ttype, parse_inputs(body, maximum), version))

        return prologue

    return decorate


def parse_inputs(body: Any, maximum: int) -> list[Any]:
    """The ``inputs`` array of a batch body; 400 when there is none or it holds more than ``maximum``."""
    if body is None:
        raise validation_error("Invalid JSON input: a request body was expected, but none found")
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
        raise validation_error("Invalid input JSON on line 1, column 1: expected an object with an 'inputs' array")
    inputs: list[Any] = body["inputs"]
    if len(inputs) > maximum:
        raise validation_error(
            f"Too many inputs: {len(inputs)}. The maximum number of inputs per request is {maximum}.",
            {"inputs": [str(len(inputs))], "maxInputs": [str(maximum)]},
        )
    return inputs


# ---------------------------------------------------------------------- record ids
def object_id(value: Any) -> int | None:
    """A record id as HubSpot takes it (digit string or number); None when it cannot be one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.isdigit() and int(value) > 0:
        return int(value)
    return None


def id_of(ref: Any) -> int | None:
    """The id of a ``{"id": ...}`` reference as :func:`object_id` reads it (digit strings first: the usual case)."""
    if not isinstance(ref, dict):
        return None
    raw = ref.get("id")
    if type(raw) is str and raw.isascii() and raw.isdigit():
        value = int(raw)
        return value if value > 0 else None
    return object_id(raw)


def ref_id(ref: Any) -> int | None:
    return object_id(ref.get("id")) if isinstance(ref, dict) else None


def invalid_object(object_type: str, value: Any) -> StateError:
    """HubSpot's ``INVALID_OBJECT_IDS`` refusal of an id that cannot be (or is not) a record of the type."""
    text = f"{object_name(object_type).upper()}={value} is not valid"
    return StateError(
        "invalid_object",
        "One or more associations are invalid",
        {"INVALID_OBJECT_IDS": [text], "objectId": [str(value)], "objectType": [object_name(object_type).upper()]},
        sub_category="crm.associations.INVALID_OBJECT_IDS",
    )


def require_ids(
    item: dict[str, Any], ftype: str, from_id: int | None, ttype: str, to_id: int | None
) -> tuple[int, int]:
    """Reject an input whose ``from``/``to`` id cannot be a record id, as HubSpot reports invalid ids."""
    if from_id is None:
        raise invalid_object(ftype, (item.get("from") or {}).get("id"))
    if to_id is None:
        raise invalid_object(ttype, (item.get("to") or {}).get("id"))
    return from_id, to_id


def path_id(object_type: str, value: str) -> int:
    """A record id taken from the path; the whole request's 400 ``INVALID_OBJECT_IDS`` otherwise."""
    parsed = object_id(value)
    if parsed is None:
        raise state_error(invalid_object(object_type, value))
    return parsed


# ---------------------------------------------------------------------- association specs
def parse_specs(raw: Any, *, field_name: str = "types") -> list[tuple[str, int]]:
    """``[{associationCategory, associationTypeId}]`` as ``(category, type id)`` pairs; 400 when malformed."""
    if not isinstance(raw, list):
        raise validation_error(f"Invalid input JSON: '{field_name}' must be an array of association specs")
    specs = []
    for item in raw:
        if not isinstance(item, dict):
            raise validation_error(f"Invalid input JSON: '{field_name}' items must be objects")
        category, type_id = item.get("associationCategory"), item.get("associationTypeId")
        if category not in CATEGORIES:
            raise validation_error(f"Invalid associationCategory: {category}", {"associationCategory": [str(category)]})
        if isinstance(type_id, bool) or not isinstance(type_id, int):
            raise validation_error(f"Invalid associationTypeId: {type_id}", {"associationTypeId": [str(type_id)]})
        specs.append((category, type_id))
    return specs


def spec_key(raw: Any) -> tuple[Any, ...] | None:
    """A hashable key of a well-typed ``types`` list (to validate each distinct list once); None otherwise."""
    if type(raw) is not list:
        return None
    key = []
    for item in raw:
        if type(item) is not dict:
            return None
        category, type_id = item.get("associationCategory"), item.get("associationTypeId")
        if type(category) is not str or type(type_id) is not int:  # bool/float ids must meet parse_specs' checks
            return None
        key.append((category, type_id))
    return tuple(key)


def types_of(state: AccountState, from_type: str, to_type: str, specs: set[tuple[str, int]]) -> list[dict[str, Any]]:
    """The ``associationTypes`` of one associated record: the unlabeled (HubSpot-defined) type first."""
    pair = state.defs.get((from_type, to_type), {})
    ordered = sorted(specs, key=lambda s: (s[0] != HUBSPOT_DEFINED, s[1]))
    return [pair[s].as_label() for s in ordered if s in pair]


# ---------------------------------------------------------------------- answers
def batch_status(version: str | None, ok: int, errors: list[Any]) -> int:
    return codes(version).partial if errors else ok


def archive_response(version: str | None, started: str) -> Response:
    if codes(version).archive == 200:  # dated versions answer 200 with a body (reference §10)
        return Response(200, envelope([], started))
    return Response(204)


def no_associations(ftype: str, ttype: str, raw_id: Any) -> dict[str, Any]:
    """The ``errors[]`` entry of a read input whose record has no associations of the asked type."""
    return {
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
        "message": f"No {object_name(ttype)} is associated with {object_name(ftype)} {raw_id}.",
        "context": {
            "fromObjectId": [str(raw_id)],
            "fromObjectType": [object_name(ftype)],
            "toObjectType": [object_name(ttype)],
        },
        "errors": [],
        "links": {},
    }


# ---------------------------------------------------------------------- paging
def encode_cursor(to_type: str, last_id: int) -> str:
    return base64.urlsafe_b64encode(f"{to_type}-{last_id}".encode()).decode()


def decode_cursor(cursor: Any) -> int:
    try:
        text = base64.urlsafe_b64decode(str(cursor).encode()).decode()
        return int(text.rsplit("-", 1)[1])
    except (ValueError, IndexError, binascii.Error, UnicodeDecodeError):
        raise validation_error(f"Invalid paging cursor: {cursor}", {"after": [str(cursor)]}) from None


def page(
    state: AccountState, from_type: str, from_id: int, to_type: str, after: Any, size: int
) -> tuple[list[tuple[int, set[tuple[str, int]]]], str | None]:
    """One page of a record's associations towards a type, after a cursor; the next cursor if more follow."""
    targets = state.targets(from_type, from_id, to_type)
    ids = sorted(targets)
    if after not in (None, ""):
        last = decode_cursor(after)
        ids = [i for i in ids if i > last]
    chosen = ids[:size]
    cursor = encode_cursor(to_type, chosen[-1]) if len(ids) > size else None
    return [(i, targets[i]) for i in chosen], cursor


def link(request: Request, from_type: str, from_id: int, to_type: str, cursor: str, version: str) -> str:
    return (
        f"{request.base_url}/crm/{version}/objects/{from_type}/{from_id}/associations/{to_type}?after={quote(cursor)}"
    )
