"""Verify and repair a chunk's labeled writes when other tasks may label the same pairs at once (``replace``).

Why: under ``replace`` a labeled create carries the pair's types as read just before. Two writers whose
read->write windows overlap each send a union missing the other's label, and the later write replaces it; the
writer that read a pair *absent* while the other created it (HubSpot then set ``Primary``, reference §4/§6)
sends no Primary, and its write drops that too. HubSpot offers no compare-and-set, so no single write can
prevent it; measured on the emulator: 300 of 2,000 pairs lost a label and Primary (two writers, 100-pair chunks).

What: after a chunk's labeled writes, each round waits ``settle`` seconds, reads the pairs still unverified
(batch read of their from-ids) and re-sends the union of current and wanted types for each pair missing a type this run asked
for, or a HubSpot-defined labeled type (``Primary``) this run saw on the pair (read before its write, or listed
in its write's answer). Only this run's labels, only the pairs it wrote: a label another task removed on purpose
stays removed unless this run asked for it, and one this run asked for is re-added only within its rounds.

Why it converges: a pair verified at time ``T`` keeps our labels if every other writer's read->write gap is
shorter than ``settle``: a write that could drop them read before our last write ``Tw <= T - settle`` and so
landed before ``T``, where our read saw it; writers that read after ``Tw`` send our labels. Each repair is such a
last write, hence the next round. When it cannot: a writer that never verifies (another tool, an account with
``label_verify_rounds`` 0) writing after our last round, or gaps longer than ``settle``; a pair still missing a
label after the last round is reported as a failure (never a silent loss).

Cost: at most ``rounds + 1`` reads, each one batch read per 1,000 from-ids still unverified (more pages only
for records holding more than a page of associations), and per round one ``batch/create`` per 2,000 pairs to
repair. With no other writer: one read per 1,000 from-ids and one settle wait per chunk.

On by default (``label_verify_rounds`` 2: three writers at the default settle need two rounds on the emulator,
two writers one). The settle is waited out of the chunk's ``max_concurrency`` slot (:func:`settling_chunks`,
``_batching.wait_outside_slot``), so it costs the run little time, not a wait per chunk per slot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from airflow_provider_hubassoc.hooks._batching import wait_outside_slot
from airflow_provider_hubassoc.hooks._failures import failure
from airflow_provider_hubassoc.hooks._writes import PairTypes, _answer_labels, _Outcome, _Pair, union_types

if TYPE_CHECKING:
    from airflow_provider_hubassoc.hooks._settings import HubSpotSettings
    from airflow_provider_hubassoc.hooks.models import AssociationType

#: the error of a pair still missing a label after the last round
LOST_TO_ANOTHER_WRITER = "crm.associations.LABEL_LOST_TO_CONCURRENT_WRITER"


#: chunks that may wait out their settle per ``max_concurrency`` slot, beside the chunks sending
SETTLING_PER_SLOT = 3


def settling_chunks(settings: HubSpotSettings) -> int:
    """Chunks of a create call that may wait to verify while others send: none without a settle to wait out.

    Why: a chunk's settle must not hold one of the ``max_concurrency`` slots (a 1M-pair backfill would wait
    ``settle`` per chunk per slot), yet a chunk is reported done (checkpointed) only after its verify, so the
    chunks in flight, and what a killed run redoes, grow to ``(1 + SETTLING_PER_SLOT) * max_concurrency``."""
    verifies = settings.label_write_semantics == "replace" and settings.label_verify_rounds > 0
    if not verifies or settings.label_verify_settle_seconds <= 0:
        return 0
    return SETTLING_PER_SLOT * settings.max_concurrency


class SeenTypes:
    """HubSpot-defined labeled types (``Primary``) seen on each pair this run wrote: in its reads and answers."""

    def __init__(self, label_types: Callable[[], Iterable[AssociationType]]) -> None:
        self._label_types = label_types
        self.pairs: dict[tuple[int, int], tuple[AssociationType, ...]] = {}

    def read(self, state: PairTypes) -> PairTypes:
        for key, types in state.items():
            self._add(key, [x for x in types if x.category == "HUBSPOT_DEFINED" and x.label is not None])
        return state

    def answered(self, body: Any) -> None:
        by_text = {x.label: x for x in self._label_types() if x.category == "HUBSPOT_DEFINED" and x.label}
        for key, texts in _answer_labels(body).items():
            self._add(key, [by_text[text] for text in texts if text in by_text])

    def _add(self, key: tuple[int, int], found: list[AssociationType]) -> None:
        if found:
            self.pairs[key] = union_types(self.pairs.get(key, ()), found)


def verify_labels(
    outcome: _Outcome,
    pairs: list[_Pair],
    seen: SeenTypes,
    read: Callable[[list[_Pair], _Outcome], PairTypes],
    repair: Callable[[list[_Pair], PairTypes], None],
    *,
    rounds: int,
    settle: float,
    sleep: Callable[[float], object] = wait_outside_slot,
) -> None:
    """Verify ``pairs`` (written, not failed): read, repair what is missing, up to ``rounds`` repairs and a last
    read; fail those still missing a type.

    :param sleep: waits out the settle; by default out of the chunk's ``run_chunks`` slot (others send meanwhile).

    :param repair: re-sends the given pairs (their ``types`` what must be present) over the state just read.
    """
    todo = [
        _Pair(p.position, p.from_id, p.to_id, p.labels, union_types(p.types, seen.pairs.get((p.from_id, p.to_id), ())))
        for p in pairs
        if p.position not in outcome.failed_positions
    ]
    for round_number in range(rounds + 1):  # a read, a repair of what it found missing; a last read checks
        if not todo:
            return
        if settle > 0:
            sleep(settle)
        state = read(todo, outcome)
        todo = [p for p in todo if not _holds(state.get((p.from_id, p.to_id), ()), p.types)]
        if todo and round_number < rounds:
            repair(todo, state)
            todo = [p for p in todo if p.position not in outcome.failed_positions]  # refused: reported already
    for pair in todo:
        outcome.failures.append(
            failure(
                pair.position,
                {"from_id": pair.from_id, "to_id": pair.to_id},
                None,
                {
                    "category": "CONCURRENT_WRITE",
                    "subCategory": LOST_TO_ANOTHER_WRITER,
                    "message": f"a label this run wrote was replaced by another writer and still missing after "
                    f"{rounds} verify round(s); raise label_verify_rounds or label_verify_settle_seconds",
                },
            )
        )
        outcome.failed_positions.add(pair.position)
    outcome.succeeded -= len(todo)


def _holds(current: Iterable[AssociationType], wanted: Iterable[AssociationType]) -> bool:
    keys = {x.key for x in current}
    return all(x.key in keys for x in wanted)
