"""The plan of a reconcile, in flat memory however many pairs are desired.

The desired pairs are sorted by from-id on disk (an external merge sort, :class:`DuplicateFinder`), then walked
in windows of ``window`` source records: the current associations of a window's records are read (one hook
call, which batches and runs its chunks concurrently), diffed against the window's desired pairs, and the
changes (create, remove labels, archive) appended to spill files. Memory is one window (its desired pairs and
current associations) plus one sort run, not the input; the counts stay exact. The writes then stream from the
spill files. Desired pairs naming merged-away ids are planned under the surviving records (:mod:`._merged`).
This module plans and never writes to HubSpot.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import groupby
from typing import IO, Any

from airflow_provider_hubassoc.operators._files import DuplicateFinder, PairSource, SourcePair
from airflow_provider_hubassoc.transfers._merged import MergeMap, to_candidates

#: source records whose desired pairs and current associations are held at once
DEFAULT_WINDOW = 20_000
PHASES = ("created", "labels_removed", "archived")

Key = tuple[Any, Any]  # an association type's (category, type id)


@dataclass
class Phase:
    """The changes of one kind, spilled to a file of ``[row, from_id, to_id, [type ids], send]`` lines (``send``
    false: failed in an earlier attempt of this task run, not sent again)."""

    name: str
    path: str
    planned: int = 0  #: changes of this kind in the plan
    count: int = 0  #: of them, to send (not failed in an earlier attempt of this task run)

    def pairs(self) -> Iterator[SourcePair]:
        with open(self.path, encoding="utf-8") as handle:
            for line in handle:
                row, from_id, to_id, labels, send = json.loads(line)
                if send:
                    yield SourcePair(row, from_id, to_id, tuple(labels), None)


@dataclass
class Plan:
    records: int = 0
    desired: int = 0
    unchanged: int = 0
    phases: dict[str, Phase] = field(default_factory=dict)
    merged_remapped: int = 0  #: input rows naming a merged-away id, planned under the surviving record

    def counts(self) -> dict[str, int]:
        """The plan's counts; ``merged_remapped`` only when a merged-away id was met."""
        merged = {"merged_remapped": self.merged_remapped} if self.merged_remapped else {}
        return {
            "records": self.records,
            "desired": self.desired,
            "create": self.phases["created"].planned,
            "remove_labels": self.phases["labels_removed"].planned,
            "archive": self.phases["archived"].planned,
            "unchanged": self.unchanged,
            **merged,
        }


def _desired_by_record(
    source: Iterable[SourcePair],
    keys_of: Callable[[SourcePair], frozenset[Key]],
    sort_run: int,
) -> Iterator[tuple[int, dict[int, tuple[int | None, frozenset[Key]]]]]:
    """``(from_id, {to_id: (first row, label keys)})`` of every source record, by ascending from-id; a pair on
    several rows is one pair with the union of their labels."""
    sets: dict[frozenset[Key], int] = {}
    by_index: list[frozenset[Key]] = []
    sorter = DuplicateFinder(run_size=sort_run)
    for pair in source:
        keys = keys_of(pair)
        index = sets.get(keys)
        if index is None:
            index = sets[keys] = len(by_index)
            by_index.append(keys)
        sorter.add((pair.from_id, pair.to_id, index), pair.row or 0)
    for from_id, entries in groupby(sorter.entries(), key=lambda entry: entry[0]):
        targets: dict[int, tuple[int | None, frozenset[Key]]] = {}
        for _f, to_id, index, row in entries:
            first, keys = targets.get(to_id, (row, frozenset()))
            targets[to_id] = (min(first or row, row), keys | by_index[index])
        yield from_id, targets


def _records(
    desired: Iterator[tuple[int, dict[int, Any]]],
    extra_ids: Iterable[int],
) -> Iterator[tuple[int, dict[int, Any]]]:
    """The desired records merged with ``extra_ids`` (records whose associations should all go), by id."""
    extra = iter(sorted(set(extra_ids)))
    pending = next(extra, None)
    for from_id, targets in desired:
        while pending is not None and pending < from_id:
            yield pending, {}
            pending = next(extra, None)
        if pending == from_id:
            pending = next(extra, None)
        yield from_id, targets
    while pending is not None:
        yield pending, {}
        pending = next(extra, None)


def plan_reconcile(
    read: Callable[[list[int]], Iterable[Any]],
    source: PairSource,
    keys_of: Callable[[SourcePair], frozenset[Key]],
    *,
    extra_ids: Iterable[int],
    prune: bool,
    managed: bool,
    skip: set[tuple[int, int, str]],
    directory: str,
    window: int = DEFAULT_WINDOW,
    sort_run: int = 50_000,
    merges: MergeMap | None = None,
) -> Plan:
    """Plan the changes that make HubSpot match ``source``; ``read(ids)`` streams the current associations of
    those records (a merged-away id answered under its survivor: rows with ``asked_from_id``). ``skip``:
    ``(from_id, to_id, phase)`` changes whose failure an earlier attempt recorded; ``window``: records diffed at
    a time; ``sort_run``: pairs sorted in memory before a run is spilled; ``merges``: where merged-away ids are
    found and kept (:mod:`._merged`).

    Merged records take a second pass: the surviving records are planned once every window was read, with the
    desired pairs of every id merged into them (the input read again, only their pairs kept), so a survivor's
    pair named under an old id is neither created twice nor pruned. A survivor planned in an earlier window
    before its merge showed (object types that keep the primary's id) has that plan dropped first."""
    merges = merges if merges is not None else MergeMap()
    extra = sorted(set(extra_ids))
    with _Spill(directory, skip) as spill:
        deferred: set[int] = set()  # survivors, planned in the second pass
        late: set[int] = set()  # of them, ids below a window where their merge showed: maybe planned before
        records = _records(_desired_by_record(source, keys_of, sort_run), extra)
        while batch := [item for _n, item in zip(range(window), records, strict=False)]:
            wanted = dict(batch)
            rows = list(read(list(wanted)))
            for row in rows:
                if row.asked_from_id is not None:
                    merges.saw(row.asked_from_id, row.from_id)
            if merges.check_all:  # a survivor without associations answers as one: ask for records read empty
                answered = {row.from_id for row in rows}
                merges.check("from", [i for i, targets in wanted.items() if targets and i not in answered])
            survivors = {merges.survivor("from", i) for i in merges.from_ids}
            late |= {i for i in survivors - deferred if i < batch[0][0]}
            deferred |= survivors
            plain = {i: t for i, t in wanted.items() if i not in merges.from_ids and i not in deferred}
            _plan_window(spill, plain, [row for row in rows if row.from_id in plain], prune, managed, merges)
        if deferred:
            spill.drop(late)
            _plan_survivors(read, source, keys_of, extra, deferred, spill, prune, managed, merges, window, sort_run)
            merges.count((pair.from_id, pair.to_id) for pair in source)
        elif merges.to_ids:
            merges.count((pair.from_id, pair.to_id) for pair in source)
    spill.plan.merged_remapped = merges.remapped
    return spill.plan


def _plan_survivors(
    read: Callable[[list[int]], Iterable[Any]],
    source: PairSource,
    keys_of: Callable[[SourcePair], frozenset[Key]],
    extra: list[int],
    survivors: set[int],
    spill: _Spill,
    prune: bool,
    managed: bool,
    merges: MergeMap,
    window: int,
    sort_run: int,
) -> None:
    """The second pass: the surviving records with the desired pairs of every id merged into them."""

    def theirs(i: int) -> bool:
        return i in merges.from_ids or i in survivors

    mapped = (replace(pair, from_id=merges.survivor("from", pair.from_id)) for pair in source if theirs(pair.from_id))
    extras = [merges.survivor("from", i) for i in extra if theirs(i)]
    records = _records(_desired_by_record(mapped, keys_of, sort_run), extras)
    while batch := [item for _n, item in zip(range(window), records, strict=False)]:
        wanted = dict(batch)
        rows = [row for row in read(list(wanted)) if row.from_id in wanted]  # merges of merges: not followed
        _plan_window(spill, wanted, rows, prune, managed, merges)


def _plan_window(
    spill: _Spill,
    wanted: dict[int, dict[int, tuple[int | None, frozenset[Key]]]],
    rows: Iterable[Any],
    prune: bool,
    managed: bool,
    merges: MergeMap,
) -> None:
    """One window's records: merged-away to ids found (:func:`._merged.to_candidates`) and mapped, then the
    diff. A record's desired pairs and current associations are all in its window, so the check needs no more."""
    current: dict[int, dict[int, Any]] = {}
    for row in rows:
        current.setdefault(row.from_id, {})[row.to_id] = row
    merges.check("to", to_candidates(wanted, current, merges))
    if merges.to_ids:
        wanted = {from_id: _to_survivors(targets, merges) for from_id, targets in wanted.items()}
    _diff(spill, wanted, current, prune=prune, managed=managed)


def _to_survivors(
    targets: dict[int, tuple[int | None, frozenset[Key]]], merges: MergeMap
) -> dict[int, tuple[int | None, frozenset[Key]]]:
    """A record's desired pairs under the surviving to ids; two ids of one survivor: one pair, labels joined."""
    mapped: dict[int, tuple[int | None, frozenset[Key]]] = {}
    for to_id, (row, keys) in targets.items():
        survivor = merges.survivor("to", to_id)
        first, joined = mapped.get(survivor, (row, frozenset()))
        rows = [r for r in (first, row) if r is not None]
        mapped[survivor] = (min(rows) if rows else None, joined | keys)
    return mapped


class _Spill:
    """The plan being built: its counts, and each phase's changes appended to its spill file (with the changes
    not sent again, flagged, and a line per record planned, so a record's plan can be dropped exactly)."""

    def __init__(self, directory: str, skip: set[tuple[int, int, str]]) -> None:
        self.plan = Plan(phases={name: Phase(name, os.path.join(directory, f"{name}.jsonl")) for name in PHASES})
        self.records_path = os.path.join(directory, "records.jsonl")
        self.skip = skip
        self.handles: dict[str, IO[str]] = {}

    def __enter__(self) -> _Spill:
        self._open("w")
        return self

    def _open(self, mode: str) -> None:
        for name, phase in self.plan.phases.items():
            self.handles[name] = open(phase.path, mode, encoding="utf-8")  # noqa: SIM115 - closed in __exit__
        self.handles[""] = open(self.records_path, mode, encoding="utf-8")  # noqa: SIM115 - closed in __exit__

    def __exit__(self, *exc: object) -> None:
        for handle in self.handles.values():
            handle.close()

    def add(self, name: str, row: int | None, from_id: int, to_id: int, labels: Iterable[Any]) -> None:
        phase = self.plan.phases[name]
        phase.planned += 1
        send = (from_id, to_id, name) not in self.skip
        phase.count += send
        self.handles[name].write(json.dumps([row, from_id, to_id, list(labels), send]) + "\n")

    def record(self, from_id: int, desired: int, unchanged: int) -> None:
        self.plan.records += 1
        self.plan.desired += desired
        self.plan.unchanged += unchanged
        self.handles[""].write(json.dumps([from_id, desired, unchanged]) + "\n")

    def drop(self, from_ids: set[int]) -> None:
        """Take the plan of these records out (rare: survivors planned before their merge showed)."""
        if not from_ids:
            return
        self.__exit__()
        for phase in self.plan.phases.values():
            for line in _without(phase.path, from_ids, 1):
                phase.planned -= 1
                phase.count -= bool(line[4])
        for _from_id, desired, unchanged in _without(self.records_path, from_ids, 0):
            self.plan.records -= 1
            self.plan.desired -= desired
            self.plan.unchanged -= unchanged
        self._open("a")


def _without(path: str, ids: set[int], column: int) -> list[list[Any]]:
    """Rewrite a spill file without the lines whose ``column`` is in ``ids``; returns the lines taken out."""
    kept: list[str] = []
    dropped: list[str] = []
    with open(path, encoding="utf-8") as handle:
        for text in handle:
            (dropped if json.loads(text)[column] in ids else kept).append(text)
    with open(path, "w", encoding="utf-8") as handle:
        handle.writelines(kept)
    return [json.loads(text) for text in dropped]


def _diff(
    spill: _Spill,
    wanted: dict[int, dict[int, tuple[int | None, frozenset[Key]]]],
    current: dict[int, dict[int, Any]],
    *,
    prune: bool,
    managed: bool,
) -> None:
    """One window: the ``current`` associations of its records against their desired pairs (``wanted``)."""
    for from_id, targets in wanted.items():
        have = current.get(from_id, {})
        unchanged = 0
        for to_id, row in have.items():
            target = targets.get(to_id)
            if target is None:
                if prune:
                    spill.add("archived", None, from_id, to_id, ())
                continue
            origin, keys = target
            missing, extra = _label_changes(row, keys, prune=prune and managed)
            if missing:
                spill.add("created", origin, from_id, to_id, missing)
            if extra:
                spill.add("labels_removed", origin, from_id, to_id, extra)
            unchanged += not missing and not extra
        for to_id, (origin, keys) in targets.items():
            if to_id not in have:
                spill.add("created", origin, from_id, to_id, sorted(k[1] for k in keys if k[1] is not None))
        spill.record(from_id, len(targets), unchanged)


def _label_changes(row: Any, keys: frozenset[Key], *, prune: bool) -> tuple[list[int], list[int]]:
    """``(missing, extra)`` type ids of a current pair: the desired labels it lacks and, when pruning managed
    labels, the user-defined ones it has but should not (HubSpot-defined types are never removed)."""
    current = {x.key for x in row.types}
    missing = sorted(key[1] for key in keys - current if key[1] is not None)
    extra = [
        x.type_id
        for x in row.types
        if prune and x.category == "USER_DEFINED" and x.key not in keys and x.type_id is not None
    ]
    return missing, extra


def spill_base() -> str:
    """Where the plan's spill files go: the local temporary directory (``TMPDIR``, see :mod:`tempfile`)."""
    return tempfile.gettempdir()


def plan_directory() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="hubassoc-plan-", dir=spill_base())
