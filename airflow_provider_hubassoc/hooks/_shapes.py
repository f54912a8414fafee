"""The documented shape of each endpoint's 2xx answer, as checks for the gate (:func:`~._answers.decode`).

Each check looks at the fields its caller reads, and no further (HubSpot adds fields; every field we do not
read may change). Shapes are those of the reference (``/work/shared/hubspot-associations-api.md``): §2 (shared
schemas), §3 (v3), §4 (record-level), §5 (batch), §6 (labels), §7 (limits), §8 (high-usage report), §11.1
(``StandardError``), and §20.3 for the dated versions (same schemas; archive and purge may answer 204 without a
body or 200 with a ``BatchResponse``, so those stay optional bodies).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Container, Mapping
from typing import Any

from airflow_provider_hubassoc.hooks._answers import Shape, errors_problem, paging_problem, row_problem
from airflow_provider_hubassoc.hooks._failures import as_int

#: what a check of one ``results`` item returns: what is wrong with it, or ``None``
ItemCheck = Callable[[Any], "str | None"]


def _int(value: Any) -> bool:
    """An id HubSpot may send as a number or a string of digits (§2), never a bool or a float."""
    return not isinstance(value, bool) and as_int(value) is not None and not isinstance(value, float)


def _show(value: Any, width: int = 120) -> str:
    return str(value)[:width]


def results_of(item: ItemCheck | None = None, *, non_empty: bool = False) -> Shape:
    """An object with a ``results`` list of objects, each passing ``item``; ``errors``, when there, a list of
    objects (``StandardError``, §11.1)."""

    def check(body: Any) -> str | None:
        if type(body) is not dict:
            return f"expected an object, got {type(body).__name__}"
        results = body.get("results")
        if type(results) is not list:
            return "field 'results' missing or not a list"
        if non_empty and not results:
            return "field 'results' is empty"
        for entry in results:
            if type(entry) is not dict:
                return f"a 'results' item is not an object: {_show(entry, 80)}"
            problem = item(entry) if item is not None else None
            if problem is not None:
                return problem
        return errors_problem(body)

    return check


def association_type(item: Mapping[str, Any]) -> str | None:
    """``AssociationSpecWithLabel`` (§2, §6): ``typeId`` an integer, ``category`` a string, ``label`` a string
    or null."""
    if not _int(item.get("typeId")):
        return f"field 'typeId' missing or not an integer: {_show(item)}"
    if type(item.get("category")) is not str:
        return f"field 'category' missing or not a string: {_show(item)}"
    if item.get("label") is not None and type(item.get("label")) is not str:
        return f"field 'label' is not a string or null: {_show(item)}"
    return None


#: ``GET .../labels`` (§6): ``{"results": [AssociationSpecWithLabel]}``
labels_listing = results_of(association_type)
#: ``POST .../labels`` (§6): the created type(s), one or two (a paired label); none is no answer at all
label_created = results_of(association_type, non_empty=True)


def _limit(item: Mapping[str, Any]) -> str | None:
    """A limit configuration (§7): ``category``, ``typeId``, ``userEnforcedMaxToObjectIds`` (an integer)."""
    problem = association_type(item)
    if problem is not None:
        return problem
    maximum = item.get("userEnforcedMaxToObjectIds", item.get("maxToObjectIds"))
    if maximum is not None and not _int(maximum):
        return f"field 'userEnforcedMaxToObjectIds' is not an integer: {_show(item)}"
    return None


#: limits listing, and the answers of limits ``batch/create`` / ``batch/update`` (§7; 207 adds ``errors``)
limits = results_of(_limit)


def record_page(body: Any) -> str | None:
    """One page of ``GET .../objects/{type}/{id}/associations/{toType}`` (§4): ``results`` of
    ``MultiAssociatedObjectWithLabel``, and ``paging`` when more pages follow."""
    problem = results_of(row_problem)(body)
    return problem if problem is not None else paging_problem(body)


def _v3_type(item: Mapping[str, Any]) -> str | None:
    if not _int(item.get("id")):
        return f"field 'id' missing or not an integer: {_show(item)}"
    if type(item.get("name")) is not str:
        return f"field 'name' missing or not a string: {_show(item)}"
    return None


#: ``GET /crm/v3/.../types`` (§3): ``{"results": [{"id": "1", "name": "contact_to_company"}]}``
v3_types = results_of(_v3_type)


def v3_batch_read(asked: Container[int]) -> Shape:
    """``POST /crm/v3/.../batch/read`` (§3): records the request asked for, each ``to`` a list of
    ``{id, type}``."""

    def record(item: Mapping[str, Any]) -> str | None:
        source = item.get("from")
        from_id = as_int(source.get("id")) if type(source) is dict else None
        if from_id is None:
            return f"field 'from.id' missing or not an integer: {_show(source, 80)}"
        if from_id not in asked:
            return f"record {from_id} listed, which the request did not ask for"
        rows = item.get("to", [])
        if type(rows) is not list:
            return f"field 'to' of record {from_id} is not a list"
        for row in rows:
            if type(row) is not dict or not _int(row.get("id")):
                return f"a 'to' item of record {from_id} has no integer 'id': {_show(row)}"
            if row.get("type") is not None and type(row.get("type")) is not str:
                return f"field 'type' of record {from_id} is not a string: {_show(row)}"
        return paging_problem(item)

    return results_of(record)


def an_object(body: Any) -> str | None:
    """An answer the caller hands on as it is (the high-usage report, §8): a JSON object."""
    return None if type(body) is dict else f"expected an object, got {type(body).__name__}"


#: context keys naming a record of a batch input (§5, §11.2); other keys (type ids, scopes) are not records
_RECORD_KEYS = {"fromobjectid": "from", "toobjectid": "to", "objectid": "any"}


def _context_records(error: Mapping[str, Any]) -> tuple[list[tuple[str, int]], str | None]:
    """``(side, id)`` of each record an error's ``context`` names, or the problem with one of them."""
    context = error.get("context")
    named: list[tuple[str, int]] = []
    if not isinstance(context, Mapping):
        return named, None
    for key, values in context.items():
        side = _RECORD_KEYS.get(str(key).lower())
        if side is None:
            continue
        for value in values if isinstance(values, list) else [values]:
            number = as_int(str(value).rsplit("=", 1)[-1])
            if number is None:
                return named, f"error context {key!r} names a record id that is not an integer: {_show(value)}"
            named.append((side, number))
    return named, None


def _ends_asked(results: list[Any], either: Container[int]) -> bool:
    """Whether every item is ``{from: {id}, to: {id}}`` with integer ids the request contained: one pass of set
    building (a 1,000-pair answer in ~0.3 ms; the per-item check below takes four times as long and is only
    needed to name what is wrong)."""
    try:
        named = {int(x["from"]["id"]) for x in results} | {int(x["to"]["id"]) for x in results}
    except (KeyError, TypeError, ValueError):
        return False
    return all(type(x) is dict for x in results) and all(n in either for n in named)


def batch_write(pairs: Callable[[], Collection[tuple[int, int]]]) -> Shape:
    """A batch write's answer (§5, §11.1): an object; ``errors`` a list of objects, none naming in its
    ``context`` a record the request did not contain; ``results``, when there, a list whose
    ``LabelsBetweenObjectPair`` items (``fromObjectId``/``toObjectId``, batch/create) name exactly a pair asked
    for, with a ``labels`` list, and whose ``{from, to}`` items (default associations, v3; both directions, §3
    and §4) name only records asked for. An answer naming anything else is not counted: the write is ambiguous.

    :param pairs: returns the request's ``(from, to)`` pairs; called once, for the first answer checked.
    """
    asked: set[tuple[int, int]] = set()
    from_ids: set[int] = set()
    to_ids: set[int] = set()
    either: set[int] = set()

    def result(item: Any) -> str | None:
        if type(item) is not dict:
            return None  # archive answers' results are untyped (§20.3); nothing in them is read
        if "fromObjectId" in item or "toObjectId" in item:
            f, t = item.get("fromObjectId"), item.get("toObjectId")
            pair = (as_int(f), as_int(t))
            if not (_int(f) and _int(t)):
                return f"'fromObjectId'/'toObjectId' missing or not integers: {_show(item)}"
            if pair not in asked:
                return f"pair {pair[0]} -> {pair[1]} listed, which the request did not contain"
            if type(item.get("labels", [])) is not list:
                return f"field 'labels' is not a list: {_show(item)}"
            return None
        ends = [item.get(side) for side in ("from", "to") if side in item]
        for end in ends:
            number = as_int(end.get("id")) if type(end) is dict else None
            if number is None:
                return f"'from'/'to' without an integer 'id': {_show(item)}"
            if number not in either:
                return f"record {number} listed, which the request did not contain"
        return None

    def check(body: Any) -> str | None:
        if type(body) is not dict:
            return f"expected an object, got {type(body).__name__}"
        if not asked:
            asked.update(pairs())
            from_ids.update(f for f, _t in asked)
            to_ids.update(t for _f, t in asked)
            either.update(from_ids | to_ids)
        results = body.get("results")
        if results is not None and type(results) is not list:
            return "field 'results' is not a list"
        if results and _ends_asked(results, either):
            results = None  # the common answer (``{from, to}`` items naming asked records), checked at C speed
        for item in results or []:
            problem = result(item)
            if problem is not None:
                return problem
        problem = errors_problem(body)
        if problem is not None:
            return problem
        for error in body.get("errors") or []:
            named, problem = _context_records(error)
            if problem is not None:
                return problem
            unasked = [n for side, n in named if n not in {"from": from_ids, "to": to_ids}.get(side, either)]
            if unasked:
                return f"an error names record {unasked[0]}, which the request did not contain"
        return None

    return check
