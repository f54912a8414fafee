"""The plan of a reconcile, in flat memory however many pairs are desired.

The desired pairs are sorted by from-id on disk (an external merge sort, :class:`DuplicateFinder`), then walked
in windows of ``window`` source records: the current associations of a window's records are read (one hook
call, which batches and runs its chunks concurrently), diffed against the window's desired pairs, and the
changes (create, remove labels, archive) appended to spill files. Memory is one window (its desired pairs and
current associations) plus one sort run, not the input; the counts stay exact. The writes then stream from the
spill files. This module plans and never writes to HubSpot.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from typing import IO, Any

from airflow_provider_hubassoc.operators._files import DuplicateFinder, PairSource, SourcePair

#: source records whose desired pairs and current associations are held at once
DEFAULT_WINDOW = 20_000
PHASES = ("created", "labels_removed", "archived")

Key = tuple[Any, Any]  # an association type's (category, type id)


@dataclass
class Phase:
    """The changes of one kind, spilled to a file of ``[row, from_id, to_id, [type ids]]`` lines."""

    name: str
    path: str
    planned: int = 0  #: changes of this kind in the plan
    count: int = 0  #: of them, to send (not failed in an earlier attempt of this task run)

    def pairs(self) -> Iterator[SourcePair]:
        with open(self.path, encoding="utf-8") as handle:
            for line in handle:
                row, from_id, to_id, labels = json.loads(line)
                yield SourcePair(row, from_id, to_id, tuple(labels), None)


@dataclass
class Plan:
    records: int = 0
    desired: int = 0
    unchanged: int = 0
    phases: dict[str, Phase] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            "records": self.records,
            "desired": self.desired,
            "create": self.phases["created"].planned,
            "remove_labels": self.phases["labels_removed"].planned,
            "archive": self.phases["archived"].planned,
            "unchanged": self.unchanged,
        }


def _desired_by_record(
    source: PairSource,
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
) -> Plan:
    """Plan the changes that make HubSpot match ``source``; ``read(ids)`` streams the current associations of
    those records. ``skip``: ``(from_id, to_id, phase)`` changes whose failure an earlier attempt recorded;
    ``window``: records diffed at a time; ``sort_run``: pairs sorted in memory before a run is spilled."""
    with _Spill(directory, skip) as spill:
        records = _records(_desired_by_record(source, keys_of, sort_run), extra_ids)
        while batch := [item for _n, item in zip(range(window), records, strict=False)]:
            wanted = dict(batch)
            spill.plan.records += len(wanted)
            spill.plan.desired += sum(len(targets) for targets in wanted.values())
            _diff(spill, wanted, read(list(wanted)), prune=prune, managed=managed)
    return spill.plan


class _Spill:
    """The plan being built: its counts, and each phase's changes appended to its spill file."""

    def __init__(self, directory: str, skip: set[tuple[int, int, str]]) -> None:
        self.plan = Plan(phases={name: Phase(name, os.path.join(directory, f"{name}.jsonl")) for name in PHASES})
        self.skip = skip
        self.handles: dict[str, IO[str]] = {}

    def __enter__(self) -> _Spill:
        for name, phase in self.plan.phases.items():
            self.handles[name] = open(phase.path, "w", encoding="utf-8")  # closed in __exit__
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self.handles.values():
            handle.close()

    def add(self, name: str, row: int | None, from_id: int, to_id: int, labels: Iterable[Any]) -> None:
        phase = self.plan.phases[name]
        phase.planned += 1
        if (from_id, to_id, name) not in self.skip:
            phase.count += 1
            self.handles[name].write(json.dumps([row, from_id, to_id, list(labels)]) + "\n")


def _diff(
    spill: _Spill,
    wanted: dict[int, dict[int, tuple[int | None, frozenset[Key]]]],
    current: Iterable[Any],
    *,
    prune: bool,
    managed: bool,
) -> None:
    """One window: the ``current`` associations of its records against their desired pairs (``wanted``)."""
    seen: set[tuple[int, int]] = set()
    for row in current:
        target = wanted.get(row.from_id, {}).get(row.to_id)
        if target is None:
            if prune:
                spill.add("archived", None, row.from_id, row.to_id, ())
            continue
        seen.add((row.from_id, row.to_id))
        origin, keys = target
        missing, extra = _label_changes(row, keys, prune=prune and managed)
        if missing:
            spill.add("created", origin, row.from_id, row.to_id, missing)
        if extra:
            spill.add("labels_removed", origin, row.from_id, row.to_id, extra)
        if not missing and not extra:
            spill.plan.unchanged += 1
    for from_id, targets in wanted.items():
        for to_id, (origin, keys) in targets.items():
            if (from_id, to_id) not in seen:
                spill.add("created", origin, from_id, to_id, sorted(k[1] for k in keys if k[1] is not None))


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
