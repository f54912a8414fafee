"""The shape of the CRM objects ``batch/read`` answer (reference §20.8), checked by the gate before any key is
taken as resolved: a record nobody asked for, or an asked key neither answered nor named as missing, is a bad
answer (retried like a 5xx), never a key silently resolved or silently dropped."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from airflow_provider_hubassoc.hooks._answers import Shape, errors_problem
from airflow_provider_hubassoc.hooks._failures import as_int

#: the "Merged record IDs" property every object has (§20.8 [KB-MERGE]): ``"12;34"``
MERGED_IDS = "hs_merged_object_ids"
NOT_FOUND = "OBJECT_NOT_FOUND"


def value_key(value: Any, id_property: str | None) -> str:
    """The form a key is compared in: emails case-insensitively (HubSpot stores them lowercased), others as
    they are."""
    text = str(value) if value is not None else ""
    return text.lower() if id_property == "email" else text


def merged_ids(value: Any) -> list[str]:
    """The ids of ``hs_merged_object_ids`` (``"12;34"``), as strings of digits."""
    if not isinstance(value, str):
        return []
    return [part.strip() for part in value.split(";") if part.strip().isdigit()]


def _record_problem(record: dict[str, Any], asked: Collection[str], id_property: str | None) -> str | None:
    record_id = record.get("id")
    if isinstance(record_id, (bool, float)) or as_int(record_id) is None:
        return f"field 'id' missing or not an integer: {str(record)[:120]}"
    properties = record.get("properties")
    if type(properties) is not dict:
        return f"field 'properties' of record {record_id} missing or not an object"
    if id_property:
        value = properties.get(id_property)
        if not isinstance(value, str) or value_key(value, id_property) not in asked:
            return f"record {record_id} has {id_property}={str(value)[:80]!r}, which the request did not ask for"
        return None
    if str(as_int(record_id)) not in asked and not any(old in asked for old in merged_ids(properties.get(MERGED_IDS))):
        return f"record {record_id} listed, which the request did not ask for (nor any id merged into it)"
    return None


def _misses(body: dict[str, Any], asked: Collection[str], id_property: str | None) -> tuple[set[str], str | None]:
    """The keys the answer names as not found, or what is wrong with its ``errors``."""
    missed: set[str] = set()
    for error in body.get("errors") or []:
        if error.get("category") != NOT_FOUND:
            return missed, f"an error HubSpot does not document for a batch read: {str(error)[:160]}"
        ids = (error.get("context") or {}).get("ids") if type(error.get("context")) is dict else None
        if type(ids) is not list:
            return missed, f"an {NOT_FOUND} error without 'context.ids': {str(error)[:160]}"
        for key in ids:
            if value_key(key, id_property) not in asked:
                return missed, f"{NOT_FOUND} names {str(key)[:80]!r}, which the request did not ask for"
            missed.add(value_key(key, id_property))
    return missed, None


def batch_read_shape(keys: Collection[str], id_property: str | None) -> Shape:
    """``BatchResponseSimplePublicObject(WithErrors)``: each result ``{id, properties}`` answering an asked key
    (by its ``id_property`` value, or by id or ``hs_merged_object_ids``); each error an ``OBJECT_NOT_FOUND``
    naming asked keys; every asked key either answered or named as missing."""
    asked = {value_key(key, id_property) for key in keys}

    def check(body: Any) -> str | None:
        if type(body) is not dict:
            return f"expected an object, got {type(body).__name__}"
        results = body.get("results")
        if type(results) is not list or any(type(r) is not dict for r in results):
            return "field 'results' missing or not a list of objects"
        problem = errors_problem(body)
        for record in results:
            problem = problem or _record_problem(record, asked, id_property)
        if problem:
            return problem
        missed, problem = _misses(body, asked, id_property)
        if problem:
            return problem
        answered = set(missed)
        for record in results:
            properties = record["properties"]
            if id_property:
                answered.add(value_key(properties.get(id_property), id_property))
            else:
                answered.update((str(as_int(record["id"])), *merged_ids(properties.get(MERGED_IDS))))
        silent = sorted(asked - answered)
        if silent:
            return f"{len(silent)} asked key(s) neither answered nor named as not found, e.g. {silent[0][:80]!r}"
        return None

    return check
