"""The inputs of the hook's calls, checked before anything is sent: pairs, record ids, labels, ``on_failure``.

The rules themselves (what a record id is, how long a label may be) are the package's shared ones, in
:mod:`airflow_provider_hubassoc._inputs`; this module applies them to the hook's arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_hubassoc._inputs import MAX_RECORD_ID, label_length_problem, record_id_problem, shown
from airflow_provider_hubassoc.exceptions import HubSpotInputError
from airflow_provider_hubassoc.hooks._writes import _Pair
from airflow_provider_hubassoc.hooks.models import AssociationInput

ON_FAILURE = ("raise", "collect")


@dataclass(slots=True)
class ReadInput:
    """A validated batch-read input: the record id and its position in the caller's input."""

    position: int
    id: int


def check_on_failure(on_failure: str) -> None:
    if on_failure not in ON_FAILURE:
        raise HubSpotInputError(f"on_failure must be 'raise' or 'collect', got {on_failure!r}", field="on_failure")


def check_label_texts(**texts: Any) -> None:
    """A label definition's texts (``name``, ``label``, ``inverse_label``) before they are sent: non-empty
    strings within the length bounds; ``inverse_label`` may be ``None``."""
    for field_name, value in texts.items():
        if value is None and field_name == "inverse_label":
            continue
        if not isinstance(value, str) or not value.strip():
            raise HubSpotInputError(f"{field_name} must be a non-empty string, got {shown(value)}", field=field_name)
        too_long = label_length_problem(value, what="name" if field_name == "name" else "label")
        if too_long:
            raise HubSpotInputError(f"{too_long}: {shown(value)}", field=field_name)


def positive_int(value: Any, position: int | None, field_name: str) -> int:
    """A record id as HubSpot takes it: an int or a string of digits, 1 to 2^63 - 1 (see ``_inputs``)."""
    number, problem = record_id_problem(value)
    if number is None:
        raise HubSpotInputError(f"{problem}; got {shown(value)}", position=position, field=field_name)
    return number


def read_input(item: Any, position: int) -> ReadInput:
    """One batch-read input (a record id) -> :class:`ReadInput`; errors name the position."""
    return ReadInput(position, positive_int(item, position, "id"))


def label_tuple(labels: Any, position: int | None) -> tuple[str | int, ...]:
    """Labels in any accepted form (one label, a type id or a list of them) -> a tuple, each checked."""
    if labels is None:
        return ()
    if isinstance(labels, (str, int)) and not isinstance(labels, bool):
        return (labels,)
    try:
        values = tuple(labels)
    except TypeError:
        raise HubSpotInputError(
            f"labels must be a label, a type id or a list of them, got {labels!r}", position=position, field="labels"
        ) from None
    for value in values:
        blank = isinstance(value, str) and not value.strip()
        if isinstance(value, bool) or not isinstance(value, (str, int)) or blank:
            raise HubSpotInputError(f"bad label {shown(value)}", position=position, field="labels")
        too_long = label_length_problem(value) if isinstance(value, str) else None
        if too_long:
            raise HubSpotInputError(f"{too_long}: {shown(value)}", position=position, field="labels")
    return values


def parse_pair(item: Any, position: int) -> _Pair:
    """One write input in any accepted form -> :class:`_Pair` (labels unresolved); errors name the position."""
    if type(item) is tuple and 2 <= len(item) <= 3:  # the usual form, valid ids: the rule below, made quick
        from_id, to_id = item[0], item[1]
        if (
            type(from_id) is int
            and type(to_id) is int
            and 0 < from_id <= MAX_RECORD_ID
            and 0 < to_id <= MAX_RECORD_ID
            and (len(item) == 2 or item[2] is None or item[2] == ())
        ):
            return _Pair(position, from_id, to_id)
    labels: Any  # raw, in any accepted form: label_tuple checks it
    if isinstance(item, AssociationInput):
        from_id, to_id, labels = item.from_id, item.to_id, item.labels
    elif isinstance(item, Mapping):
        unknown = set(item) - {"from_id", "to_id", "labels"}
        if unknown:
            raise HubSpotInputError(
                f"unknown field(s) {sorted(unknown)}; expected from_id, to_id, labels",
                position=position,
                field=sorted(unknown)[0],
            )
        if "from_id" not in item or "to_id" not in item:
            missing = "from_id" if "from_id" not in item else "to_id"
            raise HubSpotInputError("missing", position=position, field=missing)
        from_id, to_id, labels = item["from_id"], item["to_id"], item.get("labels")
    elif isinstance(item, (tuple, list)) and len(item) in (2, 3):
        from_id, to_id = item[0], item[1]
        labels = item[2] if len(item) == 3 else None
    else:
        raise HubSpotInputError(
            f"expected (from_id, to_id[, labels]), a dict with from_id/to_id or an AssociationInput, got {item!r}",
            position=position,
        )
    return _Pair(
        position,
        positive_int(from_id, position, "from_id"),
        positive_int(to_id, position, "to_id"),
        label_tuple(labels, position),
    )


def validated(inputs: Iterable[Any], parse: Callable[[Any, int], Any]) -> Iterable[Any]:
    """Validate inputs: a list or tuple entirely before anything is sent; any other iterable (a generator, a
    sized stream of a file) lazily, so each chunk is validated in full before it is sent and memory stays flat."""
    if isinstance(inputs, (str, bytes, Mapping)):
        raise HubSpotInputError("inputs must be an iterable of inputs, not a single string or mapping")
    if isinstance(inputs, (list, tuple)):
        return [parse(item, position) for position, item in enumerate(inputs)]
    return (parse(item, position) for position, item in enumerate(inputs))
