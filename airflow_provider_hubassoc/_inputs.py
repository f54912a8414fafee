"""The input rules shared by the hook, the operators and the sensor: what a record id is, how long a label may be,
which settings are credentials, how a list of ids or object types is given.

One module so every door applies the same rule: a hook caller with a list gets the same error as an operator
reading a CSV, before anything is sent. Nothing here talks to HubSpot.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from airflow_provider_hubassoc.exceptions import HubSpotInputError

#: HubSpot record ids are 64-bit integers (the API's ``hs_object_id``; ids in request bodies are strings of
#: digits): 1 to 2^63 - 1. Anything larger cannot be a record, and would be refused only after earlier rows were
#: written.
MAX_RECORD_ID = 2**63 - 1
_MAX_ID_DIGITS = len(str(MAX_RECORD_ID))
_ASCII_DIGITS = re.compile(r"[0-9]+")

#: HubSpot documents no length limit for association label names or texts; these bounds are ours, chosen so
#: a runaway cell (a whole paragraph, a 200 KB field) fails naming its row instead of reaching HubSpot.
MAX_LABEL_NAME_LENGTH = 100
MAX_LABEL_TEXT_LENGTH = 255
#: C0 controls, DEL and C1 controls: never part of a label a person can read or type
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def shown(value: Any, limit: int = 40) -> str:
    """``repr`` of a bad value, cut short so a 5,000-digit id or a 200 KB cell does not flood the error."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}... ({len(value)} characters)"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"an integer of {value.bit_length()} bits"
    text = repr(value)
    return text if len(text) <= limit + 2 else f"{text[:limit]}... ({len(text)} characters)"


def record_id_problem(value: Any) -> tuple[int | None, str | None]:
    """``(id, None)`` for a valid record id, else ``(None, why)``.

    Accepted: an ``int`` (not ``bool``) or a string of ASCII digits (surrounding whitespace ignored), from 1 to
    2^63 - 1. Refused, whatever they would round to: floats (``12.0``), exponents (``1e3``), signs (``+12``),
    separators (``1_000``, ``1 000``), decimals (``123.0``) and non-ASCII digits (``١٢``).
    """
    if isinstance(value, str) and value.isdigit() and value.isascii() and len(value) <= _MAX_ID_DIGITS:
        number = int(value)  # the usual cell (a CSV's): digits only, the rule below taken quickly
    elif isinstance(value, bool):
        return None, "expected a positive integer id, not a boolean"
    elif isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if not _ASCII_DIGITS.fullmatch(text):
            return None, (
                "expected a positive integer id written with the digits 0-9 only (no sign, decimal "
                "point, exponent, separator or space)"
            )
        if len(text.lstrip("0")) > _MAX_ID_DIGITS:  # before int(): Python refuses to parse > 4,300 digits
            return None, (
                f"expected a positive integer id within HubSpot's id range (1 to 2^63 - 1), not {len(text)} digits"
            )
        number = int(text)
    elif isinstance(value, float):
        return None, "expected a positive integer id, not a float (write 12, not 12.0 or 1e3)"
    else:
        return None, f"expected a positive integer id, not a {type(value).__name__}"
    if number < 1:
        return None, "expected a positive integer id"
    if number > MAX_RECORD_ID:
        return None, "expected a positive integer id within HubSpot's id range (1 to 2^63 - 1)"
    return number, None


def label_text_problem(value: str, *, what: str = "label") -> str | None:
    """Why a label text (``what="label"``) or internal name (``what="name"``) cannot be sent, or ``None``: too
    long, or (a text) holding a control character (C0, DEL or C1: a NUL, a tab, a line break...), which no label
    shown in HubSpot's UI can carry and which would reach its logs, exports and our failures file as they are.
    Names are left to the stricter rule of their callers (letters, digits and underscores)."""
    bound = MAX_LABEL_NAME_LENGTH if what == "name" else MAX_LABEL_TEXT_LENGTH
    if len(value) > bound:
        return f"{what} is {len(value)} characters long; at most {bound} are accepted"
    control = _CONTROL.search(value) if what != "name" else None  # names: the operators' own stricter rule
    if control:
        return (
            f"{what} holds the control character U+{ord(control.group()):04X} at position {control.start()}; "
            "label texts must be printable"
        )
    return None


#: the former name, kept for callers (it checks more than the length since control characters are refused)
label_length_problem = label_text_problem


#: settings that are credentials: only ever read from the Airflow connection, never hook or task arguments
SECRET_SETTINGS = frozenset({"access_token", "client_id", "client_secret", "refresh_token", "password"})


def checked_hook_params(hook_params: dict[str, Any] | None) -> dict[str, Any]:
    """``hook_params`` of an operator or the sensor, checked at DAG parse time: never credentials."""
    secret = sorted(set(hook_params or {}) & SECRET_SETTINGS)
    if secret:
        raise ValueError(
            f"hook_params must not hold credentials ({', '.join(secret)}): task arguments are "
            "visible in the UI and serialized DAGs; keep them in the Airflow connection"
        )
    return dict(hook_params or {})


def check_object_types(from_object_type: Any, to_object_type: Any) -> None:
    """Parse-time check of an operator's or sensor's object types (normalised by the hook when used)."""
    for name, value in (("from_object_type", from_object_type), ("to_object_type", to_object_type)):
        if not isinstance(value, str) or not value.strip() or not value.isascii():
            raise ValueError(
                f"{name} must be an object type such as 'contacts' or '2-123' (ASCII letters and digits 0-9), "
                f"got {value!r}"
            )


def named_error(message: str, *, field: str | None = None, position: int | None = None) -> HubSpotInputError:
    """An input error whose text already names the file, row and field: kept as attributes, not prefixed again."""
    error = HubSpotInputError(message)
    error.field, error.position = field, position
    return error


def parse_id(value: Any, where: str, field_name: str) -> int:
    """A record id (the hook's rule: an int or ASCII digits, 1 to 2^63 - 1); else an error naming row and field."""
    number, problem = record_id_problem(value)
    if number is None:
        raise named_error(f"{where}: field {field_name!r}: {problem}; got {shown(value)}", field=field_name)
    return number


def parse_json_list(value: Any, field_name: str) -> list[Any]:
    """A list argument that may arrive as JSON text (a rendered template) or any sequence (an XCom value)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise HubSpotInputError(
                f"{field_name} must be a list or JSON text of one, got {value[:80]!r}", field=field_name
            ) from None
    if isinstance(value, Mapping) or not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
        raise HubSpotInputError(f"{field_name} must be a list, got {type(value).__name__}", field=field_name)
    return list(value)


def parse_ids(value: Any, field_name: str) -> list[int]:
    """Record ids from one id, a list, ``"1,2,3"`` or JSON text of a list; errors name the position
    (``record_ids[0]`` is the first)."""
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        text = str(value).strip()
        if text.startswith("["):
            value = parse_json_list(text, field_name)
        else:
            value = [part for part in text.split(",") if part.strip()]
    items = parse_json_list(value, field_name)
    return [parse_id(item, f"{field_name}[{position}]", field_name) for position, item in enumerate(items)]


#: the longest record key accepted (ours: HubSpot documents none for a look-up; a runaway cell fails naming its row)
MAX_KEY_LENGTH = 512


def parse_key(value: Any, where: str, field_name: str) -> str:
    """A key cell: a non-empty string (or an integer) without control characters, at most
    :data:`MAX_KEY_LENGTH` characters; the error names the row and field."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise HubSpotInputError(
            f"{where}: field {field_name!r}: expected a key (text), got {shown(value)}", field=field_name
        )
    if len(value) > MAX_KEY_LENGTH:
        raise HubSpotInputError(
            f"{where}: field {field_name!r}: a key of more than {MAX_KEY_LENGTH} characters: {shown(value)}",
            field=field_name,
        )
    if _CONTROL.search(value):
        raise HubSpotInputError(
            f"{where}: field {field_name!r}: a key with a control character: {shown(value)}", field=field_name
        )
    return value


def parse_keys(value: Any, field_name: str) -> list[str]:
    """Record keys (values of a unique property) from one key, a list, ``"a,b"`` or JSON text of a list."""
    if isinstance(value, str):
        text = value.strip()
        value = parse_json_list(text, field_name) if text.startswith("[") else [p for p in text.split(",") if p.strip()]
    items = parse_json_list(value, field_name)
    return [parse_key(item, f"{field_name}[{position}]", field_name) for position, item in enumerate(items)]
