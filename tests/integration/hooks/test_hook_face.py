"""The hook's face after the split by API areas: results returned, never left on the hook; credentials refused
as arguments; the daily budget reset through the hook; the 429 policy read in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from airflow_provider_hubassoc.exceptions import HubSpotDailyLimitError

if TYPE_CHECKING:
    from airflow_provider_hubassoc.hooks.models import BatchResult


def test_a_three_argument_chunk_callback_gets_the_running_result(make_hook, emu) -> None:
    hook = make_hook(max_concurrency=2)
    seen: list[tuple[int, int, int]] = []

    def saved(start: int, end: int, running: BatchResult) -> None:
        seen.append((start, end, running.succeeded))

    result = hook.create_associations(
        "contacts", "companies", [(i, 1) for i in range(1, 7)], chunk_size=2, chunk_callback=saved
    )
    assert seen == [(0, 2, 2), (2, 4, 4), (4, 6, 6)]
    assert result.succeeded == 6
    assert not hasattr(hook, "batch_result") and not hasattr(hook, "batch_in_flight")


def test_a_daily_budget_stop_carries_the_partial_result(make_hook, emu) -> None:
    hook = make_hook()
    emu.configure(daily_limit=2)
    with pytest.raises(HubSpotDailyLimitError) as raised:
        hook.create_associations("contacts", "companies", [(i, 1) for i in range(1, 7)], chunk_size=2)
    assert raised.value.result.succeeded == 4 and raised.value.result.total == 4
    assert raised.value.in_flight is not None and raised.value.in_flight.total == 0
    emu.configure(daily_limit=None)
    hook.daily_budget_reset()
    assert hook.create_associations("contacts", "companies", [(5, 1), (6, 1)]).succeeded == 2
