"""HubSpot's per-input errors of a batch answer mapped back to the inputs they name (207, 400, refusals).

An error names inputs by id in ``context`` (``fromObjectId``/``toObjectId``, or ``objectId`` with its
``objectType``), in its ``message`` or its ``id``; :func:`match_error` finds the inputs of a request it names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from airflow_provider_hubassoc.exceptions import HubSpotInputError
from airflow_provider_hubassoc.hooks._object_types import normalize_object_type
from airflow_provider_hubassoc.hooks.models import InputFailure


def as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def sub_category(error: Mapping[str, Any]) -> str | None:
    sub = error.get("subCategory")
    return str(sub) if sub is not None else None


_DIGITS = re.compile(r"(?<![\w-])(\d+)(?![\w-])")


def _context_side(context: Mapping[str, Any], f: str | None, t: str | None) -> str | None:
    """``"from"``/``"to"`` when the error's ``objectType`` tells which side its ``objectId`` is on."""
    names = context.get("objectType")
    names = names if isinstance(names, (list, tuple)) else [names] if names else []
    if not names or f is None or t is None or f == t:
        return None
    try:
        kind = normalize_object_type(str(names[0]))
    except HubSpotInputError:
        return None
    return "from" if kind == f else "to" if kind == t else None


def _error_ids(
    error: Mapping[str, Any], f: str | None = None, t: str | None = None
) -> tuple[set[int], set[int], set[int]]:
    """Record ids an error names: ``(from ids, to ids, ids of either side)``, from ``context`` when given,
    else from the digits in its message (HubSpot often names ids only there)."""
    from_ids: set[int] = set()
    to_ids: set[int] = set()
    any_ids: set[int] = set()
    context = error.get("context") if isinstance(error.get("context"), Mapping) else {}
    side = _context_side(context or {}, f, t)
    for key, values in (context or {}).items():
        lowered = str(key).lower()
        if "type" in lowered or "id" not in lowered:
            continue
        values = values if isinstance(values, (list, tuple, set)) else [values]
        numbers = {n for n in (as_int(str(v).split("=")[-1]) for v in values) if n is not None}
        if lowered.startswith("from") or (side == "from" and lowered == "objectid"):
            from_ids |= numbers
        elif lowered.startswith("to") or (side == "to" and lowered == "objectid"):
            to_ids |= numbers
        else:
            any_ids |= numbers
    if not (from_ids or to_ids or any_ids):
        for value in (context or {}).get("INVALID_OBJECT_IDS", []) if context else []:
            any_ids |= {int(d) for d in _DIGITS.findall(str(value))}
    if not (from_ids or to_ids or any_ids):
        any_ids = {int(d) for d in _DIGITS.findall(str(error.get("message") or ""))}
        if error.get("id") is not None and as_int(error.get("id")) is not None:
            any_ids.add(int(error["id"]))
    return from_ids, to_ids, any_ids


def match_error(
    error: Mapping[str, Any],
    candidates: list[tuple[int, int, int | None]],
    f: str | None = None,
    t: str | None = None,
) -> list[tuple[int, int, int | None]]:
    """The inputs ``(position, from_id, to_id)`` an error is about; empty when it names none of them.
    ``f``/``t`` (object types of the call) let an ``objectType`` in the context pick the side of its id."""
    from_ids, to_ids, any_ids = _error_ids(error, f, t)
    if not (from_ids or to_ids or any_ids):
        return []
    matched = []
    for position, from_id, to_id in candidates:
        if from_ids and from_id not in from_ids:
            continue
        if to_ids and to_id is not None and to_id not in to_ids:
            continue
        if any_ids and from_id not in any_ids and (to_id is None or to_id not in any_ids):
            continue
        matched.append((position, from_id, to_id))
    return matched


def failure(position: int | None, item: Any, status: int | None, error: Mapping[str, Any]) -> InputFailure:
    context = error.get("context")
    return InputFailure(
        position=position,
        input=item,
        status=status,
        category=error.get("category"),
        sub_category=sub_category(error),
        message=str(error.get("message") or "failed"),
        context=dict(context) if isinstance(context, Mapping) else {},
    )


def result_pairs(body: Any) -> set[tuple[int, int]] | None:
    """``(from, to)`` pairs a batch response lists as done, or ``None`` when its results do not name pairs."""
    if not isinstance(body, Mapping) or not isinstance(body.get("results"), list):
        return None
    pairs: set[tuple[int, int]] = set()
    for item in body["results"]:
        if not isinstance(item, Mapping):
            return None
        if "fromObjectId" in item:
            f, t = as_int(item.get("fromObjectId")), as_int(item.get("toObjectId"))
        else:
            f = as_int((item.get("from") or {}).get("id")) if isinstance(item.get("from"), Mapping) else None
            t = as_int((item.get("to") or {}).get("id")) if isinstance(item.get("to"), Mapping) else None
        if f is None or t is None:
            return None
        pairs.add((f, t))
    return pairs
