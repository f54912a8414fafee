"""Merged records in a reconcile: desired pairs that name a merged-away id are planned under the surviving record.

A contact or company merge gives a new record with a new id, and both old ids read back as it (reference §20.8
[CL-MERGE]); the associations of both move to it. A warehouse that still names an old id would otherwise make
the reconcile create the pair under the old id and (``prune=True``) archive the survivor's copy, on every run.
The from side needs no option: the reconcile reads the current associations of every desired from id with the
hook's ``follow_merges``, and a merged-away id is answered under its survivor (rows with ``asked_from_id``),
confirmed by the survivor's ``hs_merged_object_ids`` (one objects ``batch/read`` per 100 such ids, only when an
answer shows one, as exports do).

No association answer shows a merged *to* record (the from record simply holds the survivor, as it would after
an ordinary move), but the merge leaves a symptom: the from record holds a to id the warehouse does not want
(the survivor) while a wanted to id (the old one) is absent. So by default the to ids of the planned creates of
such records only are read by id (objects ``batch/read``, 100 a request, each id at most once a run, at most one
partial request a plan window): none when the pairs are in sync, none for a first backfill (nothing held yet),
and one read per 100 moved pairs when records move for real (an ordinary move looks the same until read).
``check_merged_records=True`` reads the to ids of every planned create (a merged to record on a from record that
holds nothing else), and the from ids read back with no association (a survivor without associations answers
as one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

#: reads ``{asked id: surviving id}`` of the merged-away ids among these (ids HubSpot does not know: left out)
Survivors = Callable[[list[int]], dict[int, int]]


@dataclass
class MergeMap:
    """The merged-away ids met while planning, per side, and how many desired pairs were moved onto survivors.

    :param from_survivors: / ``to_survivors``: the objects read of record ids on each side (``None``: no checks).
    :param check_all: check every to id of a planned create, and the from ids read back empty
        (``check_merged_records``), not only the candidates :func:`to_candidates` picks.
    """

    from_survivors: Survivors | None = None
    to_survivors: Survivors | None = None
    check_all: bool = False
    from_ids: dict[int, int] = field(default_factory=dict)  #: merged-away from id -> survivor
    to_ids: dict[int, int] = field(default_factory=dict)  #: merged-away to id -> survivor
    #: to ids read and not merged (a to id recurs across windows; a from id is in one window only, never kept)
    checked: set[int] = field(default_factory=set)
    remapped: int = 0  #: input rows moved onto a survivor (either side)

    def survivor(self, side: str, record_id: int) -> int:
        """The id a record reads back as now (merges of merges followed)."""
        ids = self.from_ids if side == "from" else self.to_ids
        seen = {record_id}
        while record_id in ids and ids[record_id] not in seen:
            record_id = ids[record_id]
            seen.add(record_id)
        return record_id

    def saw(self, asked: int, survivor: int) -> None:
        """An association read answered ``asked`` under ``survivor``."""
        if asked != survivor:
            self.from_ids[asked] = survivor

    def check(self, side: str, ids: Iterable[int]) -> None:
        """Read which of ``ids`` (each at most once a run) were merged away, and remember their survivors."""
        read = self.from_survivors if side == "from" else self.to_survivors
        known = self.from_ids if side == "from" else self.to_ids
        done = self.checked if side == "to" else set()
        fresh = sorted({i for i in ids if i not in known and i not in done})
        if read is None or not fresh:
            return
        if side == "to":
            self.checked.update(fresh)
        known.update((asked, survivor) for asked, survivor in read(fresh).items() if asked != survivor)

    def count(self, pairs: Iterable[tuple[int, int]]) -> None:
        """Count the input rows that name a merged-away id (one pass over the input, only when there are any)."""
        if self.from_ids or self.to_ids:
            self.remapped = sum(1 for f, t in pairs if f in self.from_ids or t in self.to_ids)


def to_candidates(
    wanted: Mapping[int, Mapping[int, object]], current: Mapping[int, Mapping[int, object]], merges: MergeMap
) -> list[int]:
    """The to ids to check for a merge in one window: of the planned creates (desired to ids, under the survivors
    known, that the from record lacks), those of from records that hold a to id nobody desires (every one with
    ``check_all``)."""
    found: list[int] = []
    for from_id, targets in wanted.items():
        have = current.get(from_id, {})
        survivors = {to_id: merges.survivor("to", to_id) for to_id in targets}
        desired = set(survivors.values())
        if merges.check_all or any(to_id not in desired for to_id in have):
            found.extend(to_id for to_id, survivor in survivors.items() if survivor not in have)
    return found
