"""The CRM search request: its filters, sorts and limits, checked as HubSpot does and evaluated on records.

HubSpot's limits (reference §20.8; HubSpot's search guide "Limitations", quoted by activepieces PR #10160 and
AWS Glue's HubSpot connector notes): 200 records a page, 10,000 results per query (paging past them is a 400),
five search requests per second per account; five filter groups, ten filters in a group, 25 in all (HubSpot
changelog "Expanded Filtering Capabilities", 2024-08-26).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ._http import validation_error

if TYPE_CHECKING:
    from ._records import Record

MAX_SEARCH_LIMIT = 200
MAX_SEARCH_RESULTS = 10_000
MAX_FILTER_GROUPS = 5
MAX_FILTERS_PER_GROUP = 10
MAX_FILTERS = 25
OPERATORS = frozenset(
    {
        "EQ",
        "NEQ",
        "LT",
        "LTE",
        "GT",
        "GTE",
        "BETWEEN",
        "IN",
        "NOT_IN",
        "HAS_PROPERTY",
        "NOT_HAS_PROPERTY",
        "CONTAINS_TOKEN",
        "NOT_CONTAINS_TOKEN",
    }
)

#: one filter as a predicate on a record's value of its property (``Record.raw``; None: the record has none)
Predicate = Callable[[Any], bool]


@dataclass(frozen=True)
class SearchRequest:
    """A checked search body."""

    #: OR of groups, each an AND of ``(property, predicate)``
    groups: list[list[tuple[str, Predicate]]]
    #: ``(property, descending)``; ``hs_object_id`` ascending when none is asked
    sorts: list[tuple[str, bool]]
    limit: int
    offset: int
    properties: list[str] | None


def parse_search(body: Any, cap: int = MAX_SEARCH_RESULTS) -> SearchRequest:
    """The search body as a :class:`SearchRequest`; HubSpot's 400 ``VALIDATION_ERROR`` for what it refuses
    (``cap``: the results a query reaches, the ``search_results_cap`` knob)."""
    body = body if body is not None else {}
    if not isinstance(body, dict):
        raise validation_error("Invalid input JSON on line 1, column 1: expected a search request object")
    limit = body.get("limit", 10)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= MAX_SEARCH_LIMIT:
        raise validation_error(f"limit must be between 0 and {MAX_SEARCH_LIMIT}, got {limit}", {"limit": [str(limit)]})
    after = str(body.get("after") or "0")
    if not after.isdigit():
        raise validation_error(f"Invalid paging cursor: {after}", {"after": [after]})
    offset = int(after)
    if offset >= cap:
        # HubSpot: "Attempting to page beyond 10,000 will result in a 400 error" (search guide, see module)
        raise validation_error(
            f"Search results are limited to {cap} records; after={offset} pages beyond them. "
            "Narrow the query (filters) instead.",
            {"after": [after]},
        )
    groups = _groups(body.get("filterGroups") or [])
    properties = body.get("properties")
    if properties is not None and not (isinstance(properties, list) and all(isinstance(p, str) for p in properties)):
        raise validation_error("properties must be an array of property names")
    return SearchRequest(groups, _sorts(body.get("sorts") or []), limit, offset, properties)


def _groups(raw: Any) -> list[list[tuple[str, Predicate]]]:
    if not isinstance(raw, list) or not all(isinstance(g, dict) for g in raw):
        raise validation_error("filterGroups must be an array of objects with 'filters'")
    if len(raw) > MAX_FILTER_GROUPS:
        raise validation_error(f"Too many filter groups: {len(raw)} (at most {MAX_FILTER_GROUPS})")
    total = 0
    groups = []
    for group in raw:
        filters = group.get("filters") or []
        if not isinstance(filters, list) or len(filters) > MAX_FILTERS_PER_GROUP:
            raise validation_error(f"A filter group holds at most {MAX_FILTERS_PER_GROUP} filters")
        total += len(filters)
        groups.append([_filter(f) for f in filters])
    if total > MAX_FILTERS:
        raise validation_error(f"Too many filters: {total} (at most {MAX_FILTERS})")
    return groups


def _filter(raw: Any) -> tuple[str, Predicate]:
    """One filter as ``(property, predicate)``."""
    if not isinstance(raw, dict) or not isinstance(raw.get("propertyName"), str):
        raise validation_error("Each filter needs a propertyName")
    name, operator = raw["propertyName"], raw.get("operator", "EQ")
    if operator not in OPERATORS:
        raise validation_error(f"Unknown filter operator: {operator}", {"operator": [str(operator)]})
    if operator == "HAS_PROPERTY":
        return name, lambda v: v not in (None, "")
    if operator == "NOT_HAS_PROPERTY":
        return name, lambda v: v in (None, "")
    if operator in ("IN", "NOT_IN"):
        values = raw.get("values")
        if not isinstance(values, list):
            raise validation_error(f"{operator} needs 'values'", {"propertyName": [name]})
        wanted = {comparable(v) for v in values}
        inside = operator == "IN"
        return name, lambda v: v not in (None, "") and (comparable(v) in wanted) == inside
    if "value" not in raw:
        raise validation_error(f"{operator} needs 'value'", {"propertyName": [name]})
    value = comparable(raw["value"])
    if operator == "BETWEEN":
        high = comparable(raw.get("highValue"))
        return name, lambda v: v not in (None, "") and _ordered(value, comparable(v), high)
    if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        token = str(raw["value"]).lower().strip("*")
        contains = operator == "CONTAINS_TOKEN"
        return name, lambda v: (v is not None and token in str(v).lower()) == contains
    return name, _comparison(operator, value)


def _comparison(operator: str, value: tuple[int, Any]) -> Predicate:
    tests: dict[str, Callable[[tuple[int, Any]], bool]] = {
        "EQ": lambda k: k == value,
        "NEQ": lambda k: k != value,
        "LT": lambda k: k[0] == value[0] and k < value,
        "LTE": lambda k: k[0] == value[0] and k <= value,
        "GT": lambda k: k[0] == value[0] and k > value,
        "GTE": lambda k: k[0] == value[0] and k >= value,
    }
    test = tests[operator]
    if operator == "NEQ":
        return lambda v: v in (None, "") or test(comparable(v))
    return lambda v: v not in (None, "") and test(comparable(v))


def _ordered(low: tuple[int, Any], key: tuple[int, Any], high: tuple[int, Any]) -> bool:
    return low[0] == key[0] == high[0] and low <= key <= high


def comparable(value: Any) -> tuple[int, Any]:
    """A comparable form: numbers (and epoch milliseconds) as numbers, ISO datetimes as epoch milliseconds,
    other text case-insensitively (HubSpot compares strings case-insensitively; unconfirmed for IN)."""
    if isinstance(value, bool):
        return (1, str(value).lower())
    if isinstance(value, (int, float)):
        return (0, float(value))
    text = str(value)
    try:
        return (0, float(text))
    except ValueError:
        pass
    if len(text) >= 10 and text[4:5] == "-" and text[7:8] == "-":
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            if moment.tzinfo is None:  # a date alone: midnight UTC, as HubSpot's date properties
                moment = datetime.fromisoformat(text + "T00:00:00+00:00") if len(text) == 10 else moment
            return (0, moment.timestamp() * 1000.0)
    return (1, text.lower())


def _sorts(raw: Any) -> list[tuple[str, bool]]:
    """``["-createdate"]`` (the SDK's strings) or ``[{"propertyName", "direction"}]`` (HubSpot's guide)."""
    if not isinstance(raw, list):
        raise validation_error("sorts must be an array")
    sorts = []
    for item in raw:
        if isinstance(item, str):
            sorts.append((item.lstrip("-"), item.startswith("-")))
        elif isinstance(item, dict) and isinstance(item.get("propertyName"), str):
            direction = item.get("direction", "ASCENDING")
            if direction not in ("ASCENDING", "DESCENDING"):
                raise validation_error(f"Unknown sort direction: {direction}")
            sorts.append((item["propertyName"], direction == "DESCENDING"))
        else:
            raise validation_error("Each sort needs a propertyName")
    return sorts


def matches(request: SearchRequest, object_type: str, record: Record) -> bool:
    """Whether a record meets any filter group (no groups: every record)."""
    if not request.groups:
        return True
    return any(all(test(record.raw(object_type, name)) for name, test in group) for group in request.groups)


def ordered(request: SearchRequest, object_type: str, records: list[Record]) -> list[Record]:
    """Records in the request's sort order, ties (and no sorts) by id ascending; missing values last."""
    result = sorted(records, key=lambda r: r.id)
    for name, descending in reversed(request.sorts):
        if name == "hs_object_id":  # the usual windowing sort: ids are already in order
            result = result[::-1] if descending else result
            continue
        present = [r for r in result if r.raw(object_type, name) not in (None, "")]
        absent = [r for r in result if r.raw(object_type, name) in (None, "")]
        present.sort(key=lambda r: comparable(r.raw(object_type, name)), reverse=descending)
        result = present + absent
    return result
