"""The batch API (HubSpot SDK: ``crm.associations.v4.batch_api``): create, read, archive, labels/archive and
associate/default, on ``/crm/v4/associations/...`` and the dated ``/crm/associations/{version}/...`` paths.

Create and associate/default are the hot paths of bulk loads: they validate each distinct ``types`` list
once and encode their results as JSON text directly (``encoded_envelope``), with the same bytes as the
general path would send.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._endpoints import (
    MAX_CREATE,
    MAX_OTHER,
    MAX_READ,
    Batch,
    archive_response,
    batch_endpoint,
    batch_status,
    id_of,
    invalid_object,
    link,
    no_associations,
    object_id,
    page,
    parse_specs,
    ref_id,
    require_ids,
    spec_key,
    types_of,
)
from ._http import Request, Response, compact, encoded_envelope, envelope, item_error, state_error, validation_error
from ._state import Spec, StateError
from ._versions import codes

if TYPE_CHECKING:
    from ._app import EmulatorApp


@batch_endpoint(MAX_CREATE)
def create(app: EmulatorApp, request: Request, batch: Batch) -> Response:
    """Add the given types to each pair (merge, or replace with ``label_write_semantics="replace"``)."""
    ftype, ttype = batch.from_type, batch.to_type
    parsed = _parsed_create_inputs(app, batch)
    # one writer per distinct ``types`` list: batches repeat one or two of them
    writers: dict[tuple[Spec, ...], Callable[[int, int], frozenset[Spec]]] = {}
    replace = app.config.label_write_semantics == "replace"
    results: list[str] = []
    errors: list[dict[str, Any]] = []
    encoded_labels: dict[frozenset[Spec], str] = {}
    head = f'{{"fromObjectTypeId":{compact(ftype)},"fromObjectId":'
    middle = f',"toObjectTypeId":{compact(ttype)},"toObjectId":'
    for item, specs in parsed:
        from_id, to_id = id_of(item.get("from")), id_of(item.get("to"))
        try:
            if from_id is None or to_id is None:
                require_ids(item, ftype, from_id, ttype, to_id)
            if not specs:  # accepted, creates nothing (reference §5, MJ#2743)
                continue
            write = writers.get(specs)
            if write is None:
                write = writers[specs] = app.state.pair_writer(ftype, ttype, list(specs), replace=replace)
            now = write(from_id, to_id)  # type: ignore[arg-type]
        except StateError as exc:
            errors.append(item_error(exc))
            continue
        labels = encoded_labels.get(now)
        if labels is None:
            labels = encoded_labels[now] = compact(app.state.labels_of(ftype, ttype, now))
        results.append(f'{head}{from_id}{middle}{to_id},"labels":{labels}}}')
    status = batch_status(batch.version, codes(batch.version).create, errors)
    return Response(status, payload=encoded_envelope(results, batch.started, errors))


def _parsed_create_inputs(app: EmulatorApp, batch: Batch) -> list[tuple[Any, tuple[Spec, ...]]]:
    """Each input with its checked types: one validation per distinct ``types`` list; an invalid type id rejects
    the whole request, as HubSpot does (§11.2)."""
    known: dict[tuple[Any, ...], tuple[Spec, ...]] = {}
    parsed = []
    for item in batch.inputs:
        if type(item) is not dict and not isinstance(item, dict):  # the exact type first: the usual case, fast
            raise validation_error("Invalid input JSON: inputs must be objects")
        raw = item.get("types", [])
        if type(raw) is list and len(raw) == 1 and type(raw[0]) is dict:  # the usual one-spec list, inline
            key: tuple[Any, ...] | None = (raw[0].get("associationCategory"), raw[0].get("associationTypeId"))
            if type(key[0]) is not str or type(key[1]) is not int:  # type: ignore[index]
                key = None
        else:
            key = spec_key(raw)
        specs = known.get(key) if key is not None else None
        if specs is None:
            specs = tuple(parse_specs(raw))
            try:
                for spec in specs:
                    app.state.definition(batch.from_type, batch.to_type, spec)
            except StateError as exc:
                raise state_error(exc) from None
            if key is not None:
                known[key] = specs
        parsed.append((item, specs))
    return parsed


@batch_endpoint(MAX_READ)
def read(app: EmulatorApp, request: Request, batch: Batch) -> Response:
    """One page of each input record's associations (``batch_read_page_size``), with a cursor for the rest. A
    merged-away id answers as the surviving record, under its id (reference §20.8: "fetching any records using
    the original IDs will return the new merged record with the new ID"), once however many of its ids are
    asked (as the objects batch read)."""
    ftype, ttype, version = batch.from_type, batch.to_type, batch.version
    size = app.config.batch_read_page_size
    results, errors = [], []
    answered: set[int] = set()
    for item in batch.inputs:
        raw_id = item.get("id") if isinstance(item, dict) else None
        from_id = object_id(raw_id)
        if from_id is not None and not app.state.record_exists(ftype, from_id):
            from_id = app.state.objects.live_id(ftype, from_id)  # a merged-away id reads as the survivor (§20.8)
        if from_id is not None and from_id in answered and not item.get("after"):
            continue  # two ids merged into one record: answered once, as the objects batch read does
        if from_id is not None and not app.state.record_exists(ftype, from_id):
            # HubSpot documents no read error for a missing record; the emulator answers as for a write
            # naming one (INVALID_OBJECT_IDS, reference §11.2), so callers can tell it from "no associations"
            errors.append(item_error(invalid_object(ftype, raw_id)))
            continue
        found, cursor = (
            ([], None) if from_id is None else page(app.state, ftype, from_id, ttype, item.get("after"), size)
        )
        if not found:
            errors.append(no_associations(ftype, ttype, raw_id))
            continue
        to = [
            {"toObjectId": to_id, "associationTypes": types_of(app.state, ftype, ttype, specs)}
            for to_id, specs in found
        ]
        answered.add(from_id)  # type: ignore[arg-type]  # found: from_id is set
        result: dict[str, Any] = {"from": {"id": str(from_id)}, "to": to}
        if cursor is not None:
            next_link = link(request, ftype, from_id, ttype, cursor, version or "v4")  # type: ignore[arg-type]
            result["paging"] = {"next": {"after": cursor, "link": next_link}}
        results.append(result)
    return Response(batch_status(version, 200, errors), envelope(results, batch.started, errors))


@batch_endpoint(MAX_OTHER)
def archive(app: EmulatorApp, request: Request, batch: Batch) -> Response:
    """Remove whole associations (every type) between each ``from`` and its ``to`` records."""
    for item in batch.inputs:
        if not isinstance(item, dict) or not isinstance(item.get("to"), list):
            raise validation_error("Invalid input JSON: batch/archive inputs are {from: {id}, to: [{id}, ...]}")
        from_id = ref_id(item.get("from"))
        for ref in item["to"]:
            to_id = ref_id(ref)
            if from_id is not None and to_id is not None:
                app.state.remove_pair(batch.from_type, from_id, batch.to_type, to_id)
    return archive_response(batch.version, batch.started)


@batch_endpoint(MAX_OTHER)
def labels_archive(app: EmulatorApp, request: Request, batch: Batch) -> Response:
    """Remove the given types from each pair (removing the unlabeled type removes the association)."""
    ftype, ttype = batch.from_type, batch.to_type
    parsed = []
    for item in batch.inputs:
        if not isinstance(item, dict):
            raise validation_error("Invalid input JSON: inputs must be objects")
        specs = parse_specs(item.get("types", []))
        for spec in specs:
            app.state.definition(ftype, ttype, spec)
        parsed.append((ref_id(item.get("from")), ref_id(item.get("to")), specs))
    for from_id, to_id, specs in parsed:
        if from_id is not None and to_id is not None:
            app.state.remove_types(ftype, from_id, ttype, to_id, specs)
    return archive_response(batch.version, batch.started)


@batch_endpoint(MAX_OTHER)
def associate_default(app: EmulatorApp, request: Request, batch: Batch) -> Response:
    """Associate each pair with the unlabeled type; each result lists both directions' specs."""
    ftype, ttype = batch.from_type, batch.to_type
    for item in batch.inputs:
        if not isinstance(item, dict):
            raise validation_error("Invalid input JSON: inputs must be objects")
    write = app.state.pair_writer(ftype, ttype, [], replace=False)
    forward = app.state.unlabeled_definition(ftype, ttype)
    # the two result rows of basic.default_pair, as text: one JSON encoding per pair instead of four dicts
    spec = '"associationSpec":{{"associationCategory":{},"associationTypeId":{}}}}}'
    forward_spec = spec.format(compact(forward.category), forward.type_id)
    inverse_spec = spec.format(compact(forward.category), forward.inverse_id)
    results: list[str] = []
    errors: list[dict[str, Any]] = []
    for item in batch.inputs:
        from_id, to_id = id_of(item.get("from")), id_of(item.get("to"))
        try:
            if from_id is None or to_id is None:
                require_ids(item, ftype, from_id, ttype, to_id)
            write(from_id, to_id)  # type: ignore[arg-type]
        except StateError as exc:
            errors.append(item_error(exc))
            continue
        results.append(
            f'{{"from":{{"id":"{from_id}"}},"to":{{"id":"{to_id}"}},{forward_spec},'
            f'{{"from":{{"id":"{to_id}"}},"to":{{"id":"{from_id}"}},{inverse_spec}'
        )
    status = batch_status(batch.version, 200, errors)
    return Response(status, payload=encoded_envelope(results, batch.started, errors))
