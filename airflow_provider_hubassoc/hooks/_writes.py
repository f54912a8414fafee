"""Sending a batch write safely: payloads, per-input failures, and what happens when a write's answer is lost.

**What happens when a write's answer is lost.** A write is *ambiguous* when it was sent and no usable answer
came back (a dropped connection, a read timeout, a 5xx: :func:`~._retry.is_ambiguous`). HubSpot may or may
not have applied it. Each write the hook sends falls in one of two kinds:

* **Replay cannot change state: plain retries** (the transport re-sends the same request):

  - ``batch/associate/default`` and ``PUT .../associations/default/...``: add the unlabeled type, never remove
    one; a second send finds it there.
  - ``batch/archive``, ``DELETE .../associations/...``, v3 ``batch/archive``: remove pairs; a second send
    removes nothing more (our inputs name only pairs we mean to remove).
  - ``batch/labels/archive``: removes the named types only; a second send finds them gone.
  - v3 ``batch/create``: adds one named type to the pair and removes none (the reference documents replace
    semantics for v4 PUT and batch create only; the emulator adds); 200 or 201 both mean done.
  - label update (``PUT .../labels``): sets a text; a second send sets the same text.
  - limits (``configurations/.../batch/create|update|purge``): set or remove a number, never an association.
    A replayed *create* whose first send was applied is refused ("already configured"); the hook raises that
    error as is (not adopted: a limit set by someone else must not pass silently).

* **Replay could change state: re-derived** (:func:`send_rederived`), under the connection's
  ``label_write_semantics="replace"`` (the default). A labeled ``batch/create`` and a labeled
  ``PUT .../associations/{t}/{id}`` may *replace* a pair's labels with what is sent (HubSpot's v4 guide). The
  payload is the union of the pair's current types and the wanted ones. If that write was applied and its
  answer lost, HubSpot has meanwhile set types of its own (``Primary`` on a new contact->company pair):
  re-sending the old union would strip them. So the transport is asked not to replay it
  (``retry_ambiguous=False``; it still retries 429/423 and failures before the request was sent), and this
  module re-reads the affected pairs' current types, re-derives the payload and sends again, bounded by the
  connection's ``max_retries`` / ``max_retry_seconds`` with the same back-off
  (:meth:`~._transport.HubSpotTransport.retrying`). So HubSpot-defined types are never lost by a write of
  ours, however often it reaches HubSpot.

  *Reads correctness needs, and no more.* Each from-id of a chunk is read once (every page, until each
  wanted to-id was seen); a pair this call itself wrote earlier is not read again: :class:`WrittenPairs`
  keeps, for the last :data:`WRITTEN_PAIRS_KEPT` pairs, the types HubSpot's answer says they now hold (sent
  types plus the labels the answer lists, e.g. an automatic ``Primary``). Only a confirmed answer is
  remembered: a pair whose answer was lost, failed or named a label we cannot map is forgotten, and a replay
  always re-reads, never trusts memory. A write that sets ``Primary`` (one per record: HubSpot takes it off
  the record's other pair) empties the memory when it starts and when it ends. Cost of the memory: a label
  someone else adds to such a pair between our two writes of it is not seen (with reads the same window is
  a read's length).

  Limit: the re-read sees a lost write only once HubSpot has applied it. HubSpot applies a request before
  answering; a request still queued inside HubSpot when we re-read (an answer lost to a *client* timeout while
  HubSpot is still working) could in theory land after our re-derived write. Nothing a client can do closes
  that window; a longer ``read_timeout`` narrows it.

* **Labeled creates under ``label_write_semantics="merge"``: plain retries.** The payload is the wanted
  types only, no read. On an account that keeps a pair's other labels on create, a replay adds what is
  already there: whatever HubSpot set in between (``Primary``) stays, so blind replay cannot change state and
  the transport re-sends as for the default endpoint. Two things stay true in both modes: a wanted
  ``Primary`` re-sent moves the primary back to this pair (it was the wanted state), and two pairs of one
  record in concurrent chunks land in whatever order HubSpot applies them, lost answers or not. The danger is
  choosing ``merge`` on a *replace* account: every create then strips the labels it does not name (lost
  answer or not). Hence replace is the default, and
  :meth:`~.associations.HubSpotAssociationsHook.detect_label_write_semantics` tells which one an account has.
  Single-pair ``PUT`` (``associate``) always reads first: one read per call, and detection tests batch create.

* **Label definitions** (``POST``/``DELETE .../labels``, in the hook): a create replayed after a lost answer
  gets 409 for the label it created; the hook adopts that label (matched by text, both directions of a paired
  label) and returns its type ids. A delete replayed gets 404 for a label already gone: done.

**Failures mapped to inputs.** A 207 keeps its successes; each error is matched to the inputs it names
(:func:`match_error`); errors naming none fail the inputs missing from ``results``. A 400 naming some inputs
fails those and re-sends the rest (HubSpot refuses a whole batch for one bad id); one naming none fails all.
Writes refused by the 2026-09 write rules (a user permission, a validation rule; reference §20.4) are mapped the
same way; a 403 refusing the whole request is raised (:class:`~airflow_provider_hubassoc.exceptions.HubSpotAuthError`
with HubSpot's message), never a row failure or a success.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_hubassoc.exceptions import HubSpotAnswerLostError, HubSpotInputError, HubSpotValidationError
from airflow_provider_hubassoc.hooks._json import batch_inputs, dumps, loads, may_name_errors
from airflow_provider_hubassoc.hooks._object_types import normalize_object_type
from airflow_provider_hubassoc.hooks.models import AssociationRow, AssociationType, InputFailure

if TYPE_CHECKING:
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
    errors_only: bool = False,
) -> tuple[int, Any]:
    """One request; returns ``(status, parsed body or None)``. Any 2xx is success (reference §16).

    :param errors_only: the caller reads only the answer's ``errors`` (a batch write): an answer that cannot
        hold any is not decoded (``None``), see :func:`~._json.may_name_errors`.
    """
    response = transport.request(method, path, json=json, params=params, retry_ambiguous=retry_ambiguous)
    content = response.content
    if not content or (errors_only and not may_name_errors(content)):
        return response.status_code, None
    try:
        return response.status_code, unwrap_created(loads(content))
    except ValueError:
        return response.status_code, None


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
    errors_only: bool = False,
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
            return send(transport, method, path, json=build(), retry_ambiguous=False, errors_only=errors_only)
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
) -> None:
    """Send one batch write and map its failures to inputs (see the module docstring).

    :param current: for writes that may replace labels: reads the pairs' current types. Each send then carries
        the union of those and each pair's wanted ``types``, and a lost answer re-reads before re-sending.
    :param written: with ``current``: pairs this call wrote before are taken from it instead of read, and
        what this write's answer confirms is added to it.
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

    if current is not None and remaining:
        load()
    try:
        while remaining:
            try:
                if current is None:
                    status, body = send(transport, method, path, json=build(), errors_only=written is None)
                else:
                    status, body = send_rederived(transport, method, path, build, refresh, errors_only=written is None)
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


# -- failures mapped to inputs --------------------------------------------------------------------------------


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
