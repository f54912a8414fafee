"""The reconcile's plan with merged records, by a fake read (no HubSpot): a survivor planned in an earlier window
before its merge showed (object types that keep the primary's id, so the survivor's id sorts first) has that plan
dropped and is planned again with the pairs of the ids merged into it; the counts stay exact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_hubassoc.hooks.models import AssociationRow, AssociationType
from airflow_provider_hubassoc.operators._files import PairSource
from airflow_provider_hubassoc.transfers._merged import MergeMap
from airflow_provider_hubassoc.transfers._reconcile import plan_reconcile

UNLABELED = (AssociationType("HUBSPOT_DEFINED", 3, None),)


def fake_read(current: dict[int, set[int]], merged: dict[int, int]) -> Any:
    """Current associations by record; a merged-away id answers under its survivor (``asked_from_id``)."""

    def read(ids: list[int]) -> list[AssociationRow]:
        return [
            AssociationRow("0-3", merged.get(asked, asked), "0-1", to_id, UNLABELED, asked if asked in merged else None)
            for asked in ids
            for to_id in sorted(current.get(merged.get(asked, asked), ()))
        ]

    return read


def lines(path: Path) -> list[tuple[int, int]]:
    return [tuple(json.loads(text)[1:3]) for text in path.read_text().splitlines()]


@pytest.mark.parametrize("window", [1, 2, 100])
def test_a_survivor_seen_before_its_merge_is_planned_once_with_the_merged_pairs(tmp_path, window):
    # deal 5 survives deal 9 (the primary's id is kept): 5 sorts before 9, so 5's window comes first
    current = {5: {50, 90, 77}}
    desired = [[5, 50], [9, 90], [7, 70]]
    planned = plan_reconcile(
        fake_read(current, {9: 5}),
        PairSource(pairs=desired),
        lambda pair: frozenset(),
        extra_ids=[],
        prune=True,
        managed=False,
        skip=set(),
        directory=str(tmp_path),
        window=window,
        merges=MergeMap(),
    )
    assert planned.counts() == {
        "records": 2,  # 5 (with 9's pairs) and 7
        "desired": 3,
        "create": 1,  # (7, 70)
        "remove_labels": 0,
        "archive": 1,  # (5, 77): desired by no one; (5, 90) is desired under 9 and kept
        "unchanged": 2,
        "merged_remapped": 1,
    }
    assert lines(tmp_path / "archived.jsonl") == [(5, 77)]
    assert lines(tmp_path / "created.jsonl") == [(7, 70)]
