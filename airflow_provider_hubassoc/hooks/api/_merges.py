"""Asked record ids that HubSpot answers under a merge survivor, in a batch read of associations (an export).

A contact or company merge gives a new record with a new id; "fetching any records using the original IDs will
return the new merged record with the new ID" (reference §20.8 [CL-MERGE]). So a batch read of associations may
answer an asked id ``A`` under a ``from.id`` ``S`` nobody asked for, and leave ``A`` with neither a result nor an
error. Either is a legitimate answer only if ``S``'s ``hs_merged_object_ids`` lists ``A`` (read through the
objects API's batch read, only when an answer has such a gap, so an ordinary export makes no extra request);
otherwise the unasked record is refused as the gate refuses it (:func:`~.._answers.batch_read`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_hubassoc.exceptions import HubSpotAnswerError
from airflow_provider_hubassoc.hooks._answers import HEAD_BYTES
from airflow_provider_hubassoc.hooks._failures import match_error

if TYPE_CHECKING:
    from airflow_provider_hubassoc.hooks.models import AssociationRow

#: reads ``{surviving id: ids merged into it}`` of the records these ids read back as
MergedInto = Callable[[set[int]], dict[int, set[int]]]


class Merges:
    """The merges met in one read call: which asked ids each surviving record answers for.

    :param merged_into: the objects API read of ``hs_merged_object_ids`` (``ObjectsApi.merged_into``).
    """

    def __init__(self, merged_into: MergedInto, f: str, t: str) -> None:
        self.merged_into = merged_into
        self.f, self.t = f, t
        #: surviving id -> the asked ids it answers for (itself too, when it was asked)
        self.answers_for: dict[int, set[int]] = {}
        #: ``from.id`` s of the last answer that were not asked (the gate's shape check fills it)
        self.unasked: set[int] = set()

    def check(self, method: str, path: str, status: int, asked: set[int], body: Mapping[str, Any]) -> None:
        """After one answer of a first-page request: map asked ids answered by survivors, or raise
        :class:`HubSpotAnswerError` for a record that was not asked and survives no asked id."""
        answered = {int(item["from"]["id"]) for item in body["results"]}
        candidates: list[tuple[int, int, int | None]] = [(0, i, None) for i in asked]
        named = {m[1] for e in body.get("errors") or [] for m in match_error(e, candidates, self.f, self.t)}
        silent = asked - answered - named
        if not self.unasked and not silent:
            return
        survivors = self.merged_into(silent | self.unasked)
        for survivor, merged in survivors.items():
            mine = merged & silent
            if mine:
                self.answers_for.setdefault(survivor, set()).update(mine | ({survivor} & asked & answered))
        stray = sorted(u for u in self.unasked if u not in self.answers_for)
        if stray:
            raise HubSpotAnswerError(
                f"answer not as documented: record {stray[0]} listed, which the request did not ask for (nor is it "
                "the merged record of an id asked: its hs_merged_object_ids name none)",
                status=status,
                method=method,
                path=path,
                content_type="application/json",
                head=str(body)[:HEAD_BYTES],
            )

    def relabel(self, rows: list[AssociationRow], start: int, from_id: int) -> None:
        """``rows[start:]`` (one record's rows) once per asked id the record answers for, keeping that id."""
        asked = self.answers_for.get(from_id)
        if not asked:
            return
        new = rows[start:]
        rows[start:] = [dataclasses.replace(row, asked_from_id=a) for a in sorted(asked) for row in new]
