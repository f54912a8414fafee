"""Sending a batch write safely: payloads, per-input failures, and what happens when a write's answer is lost.

A write is *ambiguous* when it was sent and no usable answer came back (:func:`~._retry.is_ambiguous`).
Writes a replay cannot change (default associations, archives, label archives, v3 creates, label texts,
limits) are retried as they are by the transport. A labeled ``batch/create`` or ``PUT`` under
``label_write_semantics="replace"`` may *replace* a pair's labels, so it is never replayed blindly
(``retry_ambiguous=False``): :func:`send_rederived` re-reads the pairs' current types, rebuilds the payload and
sends again, within the connection's retry budget; :class:`WrittenPairs` spares the re-read of pairs this call
itself wrote and HubSpot confirmed. Limit: a request still queued inside HubSpot when we re-read could land
after our re-derived write (a longer ``read_timeout`` narrows that window).

Failures are mapped to inputs (:func:`~._failures.match_error`): a 207 keeps its successes; a 400 naming some
inputs fails those and re-sends the rest; a 403 refusing the whole request is raised. The full story, with the
table of writes and why each is safe, is in ``docs/design.md`` ("Batch writes").
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from airflow_provider_hubassoc.exceptions import HubSpotAnswerLostError, HubSpotValidationError
from airflow_provider_hubassoc.hooks._answers import Shape, decode
from airflow_provider_hubassoc.hooks._failures import (  # failure mapping: importable from here as before
    as_int,
    failure,
    match_error,
    result_pairs,
    sub_category,
)
from airflow_provider_hubassoc.hooks._json import batch_inputs, dumps
from airflow_provider_hubassoc.hooks._quick import quick_write_answer
from airflow_provider_hubassoc.hooks._shapes import batch_write
from airflow_provider_hubassoc.hooks.models import AssociationRow, AssociationType, InputFailure

if TYPE_CHECKING:
    import requests

    from airflow_provider_hubassoc.hooks._transport import HubSpotTransport

PairTypes = Mapping[tuple[int, int], tuple[AssociationType, ...]]
#: reads the current types of pairs (every page), counting its requests into the outcome
TypesReader = Callable[[list["_Pair"], "_Outcome"], PairTypes]


@dataclass(slots=True)
class _Pair:
    """A validated write input: ids as ints, labels as given, ``types`` resolved for the object pair.

    Not changed once its parser hands it on (a new one is made instead). Not frozen: a frozen dataclass costs
    four times as much to build, and the hook builds one per input.
    """

    position: int
    from_id: int
    to_id: int
    labels: tuple[str | int, ...] = ()
    types: tuple[AssociationType, ...] = ()


@dataclass
class _Outcome:
    """What one chunk did: rows read, successes, failures mapped to positions, requests sent."""

    succeeded: int = 0
    skipped: int = 0
    requests: int = 0
    failures: list[InputFailure] = field(default_factory=list)
    failed_positions: set[int] = field(default_factory=set)
    rows: list[AssociationRow] = field(default_factory=list)
    existing: dict[tuple[int, int], tuple[AssociationType, ...]] = field(default_factory=dict)
    #: labeled pairs sent without reading their current types (merge, or known from this call's writes)
    reads_skipped: int = 0


#: pairs :class:`WrittenPairs` remembers: a few chunks' worth (2,000 each), a few MB whatever the input size
WRITTEN_PAIRS_KEPT = 20_000


class WrittenPairs:
    """The types pairs hold after this call's own labeled creates, as their answers tell (replace semantics).

    A pair written again later in the same call needs no read. Bounded (least recently used go first) and
    thread-safe: chunks run concurrently, though never two chunks holding the same pair.

    A write that sets a HubSpot-defined label (``Primary``: one per record, so setting it on one pair takes it
    off another) makes the whole memory stale: it is emptied when such a write starts and when it ends, and an
    answer whose write started before that (another chunk in flight) is not remembered (``generation``).

    :param label_types: the direction's association types (the hook's cached label listing), read at each
        answer: a label text maps back to its type when exactly one type has it, else the pair is not
        remembered; the unlabeled type, which every association has and answers do not list, is added.
    """

    def __init__(self, label_types: Callable[[], Iterable[AssociationType]], size: int = WRITTEN_PAIRS_KEPT) -> None:
        self._label_types = label_types
        self._size = size
        self._pairs: OrderedDict[tuple[int, int], tuple[AssociationType, ...]] = OrderedDict()
        self._lock = threading.Lock()
        self._generation = 0

    def __len__(self) -> int:
        return len(self._pairs)

    def moving(self, pairs: list[_Pair]) -> int:
        """Call when a write starts and when it ends; returns the generation its answer is recorded under."""
        shapes = {pair.types for pair in pairs}
        with self._lock:
            if any(x.category == "HUBSPOT_DEFINED" and x.label is not None for types in shapes for x in types):
                self._pairs.clear()
                self._generation += 1
            return self._generation

    def known(self, pairs: Iterable[_Pair]) -> dict[tuple[int, int], tuple[AssociationType, ...]]:
        found = {}
        with self._lock:
            for pair in pairs:
                key = (pair.from_id, pair.to_id)
                types = self._pairs.get(key)
                if types is not None:
                    self._pairs.move_to_end(key)
                    found[key] = types
        return found

    def forget(self, pairs: Iterable[_Pair]) -> None:
        with self._lock:
            for pair in pairs:
                self._pairs.pop((pair.from_id, pair.to_id), None)

    def record(self, sent: list[_Pair], body: Any, failed: set[int], generation: int) -> None:
        """Remember each sent pair that succeeded and that the answer lists with labels we can map."""
        if generation != self._generation:
            self.forget(sent)
            return
        listed = _answer_labels(body)
        by_text: dict[str, AssociationType | None] = {}
        unlabeled: list[AssociationType] = []
        for item in self._label_types():
            if item.label is None:
                unlabeled += [item] if item.category == "HUBSPOT_DEFINED" else []
            else:
                by_text[item.label] = None if item.label in by_text else item
        always = tuple(unlabeled) if len(unlabeled) == 1 else ()
        held: dict[tuple[Any, ...], tuple[AssociationType, ...] | None] = {}  # most pairs share labels and types
        with self._lock:
            if generation != self._generation:  # a Primary was set meanwhile
                return
            for pair in sent:
                key = (pair.from_id, pair.to_id)
                labels = listed.get(key)
                shape = (pair.types, *labels) if labels is not None else None
                if shape is not None and shape not in held:
                    types = [by_text.get(text) for text in labels]  # type: ignore[union-attr]
                    held[shape] = None if None in types else union_types(always, pair.types, types)  # type: ignore[arg-type]
                now = held.get(shape) if shape is not None else None
                if now is None or pair.position in failed:
                    self._pairs.pop(key, None)
                    continue
                self._pairs[key] = now
                self._pairs.move_to_end(key)
            while len(self._pairs) > self._size:
                self._pairs.popitem(last=False)


def _answer_labels(body: Any) -> dict[tuple[int, int], list[str]]:
    """``(from, to) -> label texts`` of a batch/create answer's ``LabelsBetweenObjectPair`` results."""
    results = body.get("results") if isinstance(body, Mapping) else None
    found: dict[tuple[int, int], list[str]] = {}
    for item in results if isinstance(results, list) else []:
        if not isinstance(item, Mapping) or not isinstance(item.get("labels"), list):
            continue
        f, t = as_int(item.get("fromObjectId")), as_int(item.get("toObjectId"))
        if f is not None and t is not None:
            found[(f, t)] = [str(text) for text in item["labels"]]
    return found


# -- sending ------------------------------------------------------------------------------------------------


def send(
    transport: HubSpotTransport,
    method: str,
    path: str,
    *,
    json: Any = None,
    params: Any = None,
    retry_ambiguous: bool = True,
    required: bool = False,
    shape: Shape | None = None,
    quick: Callable[[bytes], Any] | None = None,
) -> tuple[int, Any]:
    """One request; returns ``(status, parsed body or None)``. Any 2xx is success (reference §16) once its answer
    passed the gate (:func:`~._answers.decode`: JSON, and ``shape`` when given); one that does not is retried,
    or for ``retry_ambiguous=False`` raised as :class:`HubSpotAnswerLostError`, never taken as success.

    :param required: the endpoint always answers a body: an empty one is an error.
    :param quick: the raw-bytes check of the common answer (:mod:`._quick`), tried before decoding.
    """
    decoded: list[Any] = []

    def check(response: requests.Response) -> None:
        body = decode(response, method, path, required=required, shape=shape, quick=quick)
        decoded[:] = [body]

    response = transport.request(method, path, json=json, params=params, retry_ambiguous=retry_ambiguous, check=check)
    return response.status_code, unwrap_created(decoded[0]) if decoded else None


def unwrap_created(body: Any) -> Any:
    """The ``entity`` of a ``{createdResourceId, entity, location}`` answer, else the body as it is.

    Date-version spec snapshots wrapped the record-level labels ``PUT`` answer so (reference §20.3); whether
    HubSpot sends it is unconfirmed, so every answer read through :func:`send` is unwrapped where it appears.
    """
    if type(body) is dict and "entity" in body and ("createdResourceId" in body or "location" in body):
        return body["entity"]
    return body


def send_rederived(
    transport: HubSpotTransport,
    method: str,
    path: str,
    build: Callable[[], Any],
    refresh: Callable[[], None],
    *,
    required: bool = False,
    shape: Shape | None = None,
) -> tuple[int, Any]:
    """Send a write whose blind replay could change state: ``build()`` makes the body from the state last read;
    after a lost answer, ``refresh()`` reads the current state again and the write is rebuilt and re-sent.

    Bounded like every retry (the connection's ``max_retries``, ``max_retry_seconds``, back-off); when the
    budget is spent the last :class:`HubSpotAnswerLostError` is raised.
    """
    retrying = transport.retrying(
        f"{method} {path} (re-derived)", retry_on=lambda error: isinstance(error, HubSpotAnswerLostError)
    )
    for attempt in retrying:
        with attempt:
            if attempt.retry_state.attempt_number > 1:
                refresh()
            return send(
                transport,
                method,
                path,
                json=build(),
                retry_ambiguous=False,
                required=required,
                shape=shape,
            )
    raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover


def write_batch(
    transport: HubSpotTransport,
    outcome: _Outcome,
    method: str,
    path: str,
    pairs: list[_Pair],
    payload: Callable[[list[_Pair]], Any],
    f: str | None = None,
    t: str | None = None,
    *,
    current: TypesReader | None = None,
    written: WrittenPairs | None = None,
    answered: Callable[[Any], None] | None = None,
) -> None:
    """Send one batch write and map its failures to inputs (see the module docstring).

    :param current: for writes that may replace labels: reads the pairs' current types. Each send then carries
        the union of those and each pair's wanted ``types``, and a lost answer re-reads before re-sending.
    :param written: with ``current``: pairs this call wrote before are taken from it instead of read, and
        what this write's answer confirms is added to it.
    :param answered: called with each answer's body (the verify pass notes the HubSpot-defined types it lists).

    Longer than our usual 60 lines on purpose: its nested steps (load, send, replay after a lost answer) share
    the state of one write (what was read, what was sent, the memory's generation); apart, they would pass it
    around in every call.
    """
    remaining = pairs
    state: dict[tuple[int, int], tuple[AssociationType, ...]] = {}
    sent: list[_Pair] = []
    generation: list[int] = []  # of ``written`` when this write started

    def load() -> None:  # before the first send: what this call's own writes tell, then a read of the rest
        generation[:] = [written.moving(remaining)] if written is not None else []
        known = written.known(remaining) if written is not None else {}
        outcome.reads_skipped += len(known)
        state.update(known)
        unknown = [p for p in remaining if (p.from_id, p.to_id) not in known]
        if unknown:
            state.update(current(unknown, outcome))  # type: ignore[misc]

    def refresh() -> None:  # after a lost answer: the lost write may have changed any of them; read all
        if written is not None:
            written.forget(remaining)
        state.clear()
        state.update(current(remaining, outcome))  # type: ignore[misc]

    def build() -> Any:
        if current is None:
            return payload(remaining)
        sent.clear()
        for p in remaining:  # a pair without current types (the usual new pair) is sent as it is
            held = state.get((p.from_id, p.to_id))
            sent.append(
                p if held is None else _Pair(p.position, p.from_id, p.to_id, p.labels, union_types(held, p.types))
            )
        return payload(sent)

    # creates always answer a body (§5, 201/200/207); archives may answer 204 without one (§20.3)
    required = not path.endswith("/archive")
    if current is not None and remaining:
        load()
    try:
        while remaining:
            try:
                asked = partial(_keys, remaining)
                shape = batch_write(asked)  # what this answer may name
                if current is None:
                    # the answer's results are read only by the label memory and the verify pass
                    plain = written is None and answered is None
                    quick = quick_write_answer(asked) if plain else None
                    status, body = send(
                        transport,
                        method,
                        path,
                        json=build(),
                        required=required,
                        shape=shape,
                        quick=quick,
                    )
                else:
                    status, body = send_rederived(
                        transport,
                        method,
                        path,
                        build,
                        refresh,
                        required=required,
                        shape=shape,
                    )
            except HubSpotValidationError as error:
                outcome.requests += 1
                before = set(outcome.failed_positions)
                remaining = _fail_refused(outcome, error, remaining, f, t)
                if written is not None:
                    written.forget(p for p in sent if p.position in outcome.failed_positions - before)
                continue
            outcome.requests += 1
            before = set(outcome.failed_positions)
            _map_answer(outcome, status, body, remaining, f, t)
            if answered is not None:
                answered(body)
            if written is not None:
                written.record(sent, body, outcome.failed_positions - before, generation[0])
            remaining = []
    except BaseException:
        if written is not None:  # the pairs' state is unknown now: the next write of them reads
            written.forget(remaining)
        raise
    finally:
        if written is not None:
            written.moving(pairs)


def _keys(pairs: list[_Pair]) -> list[tuple[int, int]]:
    return [(p.from_id, p.to_id) for p in pairs]


def _fail_refused(
    outcome: _Outcome, error: HubSpotValidationError, remaining: list[_Pair], f: str | None, t: str | None
) -> list[_Pair]:
    """A 400 for the whole batch: fail the inputs it names (all when it names none); return the rest to re-send."""
    body_error = {
        "category": error.category,
        "subCategory": error.sub_category,
        "message": error.message,
        "context": error.context,
    }
    matched = match_error(body_error, [(p.position, p.from_id, p.to_id) for p in remaining], f, t)
    if not matched or len(matched) == len(remaining):
        matched = [(p.position, p.from_id, p.to_id) for p in remaining]
        rest: list[_Pair] = []
    else:
        bad = {m[0] for m in matched}
        rest = [p for p in remaining if p.position not in bad]
    for position, fid, tid in matched:
        outcome.failures.append(failure(position, {"from_id": fid, "to_id": tid}, error.status, body_error))
        outcome.failed_positions.add(position)
    return rest


def _map_answer(
    outcome: _Outcome, status: int, body: Any, remaining: list[_Pair], f: str | None, t: str | None
) -> None:
    """A 2xx (a 207 among them): count successes, map each listed error to the inputs it is about."""
    errors = (body or {}).get("errors") or [] if isinstance(body, Mapping) else []
    failed_here: set[int] = set()
    unmatched = []
    for error in errors:
        matched = match_error(error, [(p.position, p.from_id, p.to_id) for p in remaining], f, t)
        if not matched:
            unmatched.append(error)
            continue
        for position, fid, tid in matched:
            if position in failed_here:
                continue
            failed_here.add(position)
            outcome.failures.append(failure(position, {"from_id": fid, "to_id": tid}, status, error))
    if unmatched:
        # Errors naming no input: the inputs missing from ``results`` are the failed ones.
        done = result_pairs(body)
        missing = [
            p
            for p in remaining
            if p.position not in failed_here and done is not None and (p.from_id, p.to_id) not in done
        ]
        if missing and (len(unmatched) == 1 or len(unmatched) == len(missing)):
            for index, pair in enumerate(missing):
                error = unmatched[0] if len(unmatched) == 1 else unmatched[index]
                failed_here.add(pair.position)
                outcome.failures.append(
                    failure(pair.position, {"from_id": pair.from_id, "to_id": pair.to_id}, status, error)
                )
        else:
            outcome.failures.extend(failure(None, None, status, error) for error in unmatched)
    outcome.failed_positions |= failed_here
    outcome.succeeded += len(remaining) - len(failed_here)


# -- payloads -----------------------------------------------------------------------------------------------


# Bodies as JSON text (see ``_json``): ``{"inputs":[{"from":{"id":"1"},"to":{"id":"2"}},...]}``; ids are ints.


def default_payload(pairs: list[_Pair]) -> bytes:
    return batch_inputs(f'{{"from":{{"id":"{p.from_id}"}},"to":{{"id":"{p.to_id}"}}}}' for p in pairs)


def create_payload(pairs: list[_Pair]) -> bytes:
    # A chunk repeats one or two type lists (most inputs share one tuple): encode each list once.
    specs: dict[tuple[AssociationType, ...], str] = {}
    last: tuple[AssociationType, ...] | None = None
    items = []
    for p in pairs:
        if p.types is not last:
            last = p.types
            types = specs.get(last)
            if types is None:
                types = specs[last] = dumps([x.spec() for x in last]).decode()
        items.append(f'{{"from":{{"id":"{p.from_id}"}},"to":{{"id":"{p.to_id}"}},"types":{types}}}')
    return batch_inputs(items)


def archive_payload(pairs: list[_Pair]) -> bytes:
    grouped: dict[int, list[str]] = {}
    for pair in pairs:
        grouped.setdefault(pair.from_id, []).append(f'{{"id":"{pair.to_id}"}}')
    return batch_inputs(f'{{"from":{{"id":"{f}"}},"to":[{",".join(tos)}]}}' for f, tos in grouped.items())


def collapse(pairs: list[_Pair]) -> tuple[list[_Pair], int]:
    """Collapse duplicate pairs within one chunk (labels merged into the first); returns (unique, skipped)."""
    if len({(p.from_id, p.to_id) for p in pairs}) == len(pairs):  # the usual case, at C speed
        return list(pairs), 0
    unique: dict[tuple[int, int], _Pair] = {}
    for pair in pairs:
        key = (pair.from_id, pair.to_id)
        first = unique.get(key)
        if first is None:
            unique[key] = pair
        else:
            unique[key] = _Pair(
                first.position,
                first.from_id,
                first.to_id,
                first.labels + pair.labels,
                union_types(first.types, pair.types),
            )
    return list(unique.values()), len(pairs) - len(unique)


def split(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def union_types(*groups: Iterable[AssociationType]) -> tuple[AssociationType, ...]:
    merged: dict[tuple[str | None, int | None], AssociationType] = {}
    for group in groups:
        for item in group:
            merged.setdefault(item.key, item)
    return tuple(merged.values())


__all__ = [
    "PairTypes",
    "TypesReader",
    "WrittenPairs",
    "archive_payload",
    "as_int",
    "collapse",
    "create_payload",
    "default_payload",
    "failure",
    "match_error",
    "result_pairs",
    "send",
    "send_rederived",
    "split",
    "sub_category",
    "union_types",
    "unwrap_created",
    "write_batch",
]
