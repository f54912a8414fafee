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


def plan_with_reads(tmp_path: Path, current: dict[int, set[int]], desired: list[list[int]], **options: Any) -> Any:
    """Plan with a fake objects read of to ids (to 100 merged into 300); returns the plan and the ids asked."""
    asked: list[list[int]] = []

    def to_survivors(ids: list[int]) -> dict[int, int]:
        asked.append(ids)
        return {i: 300 if i == 100 else i for i in ids}

    planned = plan_reconcile(
        fake_read(current, {}),
        PairSource(pairs=desired),
        lambda pair: frozenset(),
        extra_ids=[],
        prune=options.pop("prune", True),
        managed=False,
        skip=set(),
        directory=str(tmp_path),
        window=1,
        merges=MergeMap(None, to_survivors, options.pop("check_all", False)),
    )
    return planned, asked


@pytest.mark.parametrize("prune", [True, False])
def test_only_creates_of_records_holding_an_undesired_to_id_are_checked_each_id_once(tmp_path, prune):
    # 1 and 2 hold the survivor 300 and name the old id 100 (in two windows); 3 holds nothing (a first pair);
    # 4 is in sync and adds a pair (nothing held that it does not want); 5 moves from 60 to 61 (an ordinary move)
    current = {1: {300}, 2: {300, 20}, 4: {40}, 5: {60}}
    desired = [[1, 100], [2, 100], [2, 20], [3, 100], [4, 40], [4, 41], [5, 61]]
    planned, asked = plan_with_reads(tmp_path, current, desired, prune=prune)
    assert asked == [[100], [61]]  # 100 once for both windows; 3's and 4's creates never read
    assert lines(tmp_path / "created.jsonl") == [(3, 300), (4, 41), (5, 61)]
    assert lines(tmp_path / "archived.jsonl") == ([(5, 60)] if prune else [])
    assert planned.counts()["merged_remapped"] == 3 and planned.counts()["unchanged"] == 4


def test_check_all_reads_every_planned_create(tmp_path):
    planned, asked = plan_with_reads(tmp_path, {4: {40}}, [[3, 100], [4, 40], [4, 41]], check_all=True)
    assert asked == [[100], [41]]
    assert lines(tmp_path / "created.jsonl") == [(3, 300), (4, 41)]
    assert planned.counts()["merged_remapped"] == 1
