"""Reconcile in flat memory: the plan from a disk-sorted, windowed merge is exact whatever the window and
sort-run sizes, and planning memory does not grow with the number of desired pairs."""

from __future__ import annotations

import tracemalloc
from typing import Any

from airflow_provider_hubassoc.hooks.associations import HubSpotAssociationsHook
from airflow_provider_hubassoc.operators._files import PairSource
from airflow_provider_hubassoc.transfers._reconcile import plan_reconcile

FAST = {"latency": 0.0, "jitter": 0.0, "requests_per_10_seconds": 100_000}


def plan(hook: HubSpotAssociationsHook, pairs: list[Any], tmp_path, **kwargs: Any) -> tuple[dict[str, int], Any]:
    source = PairSource(pairs=pairs)
    source.validate()
    planned = plan_reconcile(
        lambda ids: hook.iter_read_associations("contacts", "companies", ids),
        source,
        lambda pair: frozenset(),
        managed=False,
        skip=set(),
        directory=str(tmp_path),
        **kwargs,
    )
    return planned.counts(), planned


def test_the_plan_is_the_same_for_any_window_and_sort_run(hubspot_connection, hubspot_emulator, tmp_path):
    hubspot_emulator.configure(**FAST)
    for contact, company in ((1, 10), (1, 12), (4, 40), (4, 41), (9, 90), (7, 70)):
        hubspot_emulator.associate("contacts", contact, "companies", company)
    # unsorted, repeated pairs, records spread over windows; 7 is a source_id with nothing desired
    pairs = [[9, 90], [1, 10], [4, 40], [1, 11], [1, 10], [3, 30], [9, 91], [4, 40], [2, 20]]
    hook = HubSpotAssociationsHook()
    expected = {"records": 6, "desired": 7, "create": 4, "remove_labels": 0, "archive": 3, "unchanged": 3}
    for window, sort_run in ((10**6, 50_000), (1, 2), (2, 3), (4, 1)):
        counts, planned = plan(hook, pairs, tmp_path, extra_ids=[7, 4], prune=True, window=window, sort_run=sort_run)
        assert counts == expected, (window, sort_run)
        created = sorted((p.from_id, p.to_id, p.row) for p in planned.phases["created"].pairs())
        assert created == [(1, 11, 4), (2, 20, 9), (3, 30, 6), (9, 91, 7)]  # the first row of each pair
        archived = sorted((p.from_id, p.to_id) for p in planned.phases["archived"].pairs())
        assert archived == [(1, 12), (4, 41), (7, 70)]


def test_planning_memory_does_not_grow_with_the_input(tmp_path):
    """The planner's own working set (one thread, so tracemalloc's peak is deterministic): the records are
    read as HubSpot answers for records without associations (nothing), each window's ids recorded."""
    windows: list[int] = []

    def read(ids: list[int]) -> Any:
        windows.append(len(ids))
        return iter(())

    def peak(n: int) -> int:
        source = PairSource(pairs=[[i, 10**6 + i] for i in range(n, 0, -1)])  # reversed: the sort has work
        source.validate()
        windows.clear()
        tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        planned = plan_reconcile(
            read,
            source,
            lambda pair: frozenset(),
            managed=False,
            skip=set(),
            directory=str(tmp_path),
            extra_ids=[],
            prune=True,
            window=1_000,
            sort_run=1_000,
        )
        used = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
        assert planned.counts()["create"] == n and max(windows) == 1_000 and sum(windows) == n
        return used

    small, large = peak(30_000), peak(90_000)
    # holding the desired pairs (as reconcile did before: a dict of them) would add about 15 MB for 60k more;
    # the sort run and the merge buffers (MERGE_BUFFER) are the same size for both
    assert large < small * 1.15, (small, large)
