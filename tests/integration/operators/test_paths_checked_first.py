"""Issue 21: write locations checked before HubSpot is touched, a corrupt checkpoint named, and a late daily
reset waited out in short steps; against the emulator over HTTP (its counters prove what was requested)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from transport_helpers import fresh_limiters  # noqa: F401 - the fixture is used by name

from airflow_provider_hubassoc._compat import DateTimeTrigger, TaskDeferred
from airflow_provider_hubassoc.hooks._ratelimit import next_daily_reset
from airflow_provider_hubassoc.operators import _daily_reset
from airflow_provider_hubassoc.operators._checkpoint import CheckpointCorruptError
from airflow_provider_hubassoc.operators._locations import LocationError
from tests.integration.operators.test_resume import (
    FAST,
    MISSING,
    TaskInstance,
    backfill_pairs,
    export,
    link,
    linked,
    store_of,
    write_pairs,
)

pytestmark = pytest.mark.usefixtures("fresh_limiters")


def requests_made(emulator: Any) -> int:
    return sum(n for by_status in emulator.counters().values() for n in by_status.values())


def test_a_failures_path_that_is_a_directory_fails_before_any_request(emulator, tmp_path):
    source = write_pairs(tmp_path / "pairs.csv", backfill_pairs(100))
    (tmp_path / "failures").mkdir()
    before = requests_made(emulator)
    with pytest.raises(LocationError, match=r"failures_path '.*failures' is a directory"):
        link(tmp_path, source, failures_path=str(tmp_path / "failures")).execute(TaskInstance().context())
    assert requests_made(emulator) == before and linked(emulator) == set()


def test_a_checkpoint_path_that_is_a_file_fails_before_any_request(emulator, tmp_path):
    source = write_pairs(tmp_path / "pairs.csv", backfill_pairs(100))
    (tmp_path / "checkpoints").write_text("not a directory")
    before = requests_made(emulator)
    with pytest.raises(LocationError, match=r"checkpoint_path '.*checkpoints' is a file"):
        link(tmp_path, source).execute(TaskInstance().context())
    assert requests_made(emulator) == before and linked(emulator) == set()


def test_an_output_path_that_is_a_directory_fails_before_any_read(emulator, tmp_path):
    emulator.associate("contacts", 1, "companies", 100_001)
    (tmp_path / "out.csv").mkdir()
    before = requests_made(emulator)
    with pytest.raises(LocationError, match=r"output_path '.*out.csv' is a directory"):
        export(tmp_path, tmp_path / "out.csv", 10).execute(TaskInstance().context())
    assert requests_made(emulator) == before


def test_a_corrupt_checkpoint_is_named_and_nothing_is_written(emulator, tmp_path):
    pairs = backfill_pairs(100)
    source = write_pairs(tmp_path / "pairs.csv", pairs)
    ti = TaskInstance()
    store = store_of(tmp_path, ti)
    store.location.parent.mkdir(parents=True)
    store.location.write_text('{"version": 1, "fingerprint": "ab')  # torn
    with pytest.raises(CheckpointCorruptError, match=r"checkpoint at .*map_index=-1.json is corrupt.*resume=False"):
        link(tmp_path, source).execute(ti.context())
    assert linked(emulator) == set()
    summary = link(tmp_path, source, resume=False).execute(ti.context())  # what the error says to do
    assert summary["total"] == 100 and linked(emulator) == {p for p in pairs if p[1] != MISSING}


def test_a_late_daily_reset_is_waited_out_in_minutes_not_a_day(emulator, tmp_path, monkeypatch):
    source = write_pairs(tmp_path / "pairs.csv", backfill_pairs(400))
    emulator.configure(daily_limit=4)
    ti = TaskInstance()
    params = {**FAST, "account_time_zone": "America/New_York"}
    operator = link(tmp_path, source, wait_for_daily_reset=True, hook_params=params)
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute(ti.context())
    midnight = deferred.value.trigger.moment
    assert midnight == next_daily_reset("America/New_York")
    position = store_of(tmp_path, ti).load()["position"]

    # the trigger fires at midnight, but HubSpot's reset is 5 s late: the budget is still spent
    now = midnight + timedelta(seconds=5)
    monkeypatch.setattr(_daily_reset, "utcnow", lambda: now)
    resumed = link(tmp_path, source, wait_for_daily_reset=True, hook_params=params)
    with pytest.raises(TaskDeferred) as again:
        resumed.execute_after_daily_reset(ti.context(), {"moment": midnight.isoformat()})
    trigger = again.value.trigger
    assert isinstance(trigger, DateTimeTrigger)
    assert trigger.moment == now + _daily_reset.RESET_STEP  # a minute, not a day
    assert again.value.method_name == "execute_after_daily_reset"
    assert store_of(tmp_path, ti).load()["position"] == position  # nothing lost, nothing redone

    # past the grace window the budget is taken as spent for the day
    now = midnight + _daily_reset.RESET_GRACE + timedelta(seconds=1)
    later = link(tmp_path, source, wait_for_daily_reset=True, hook_params=params)
    with pytest.raises(TaskDeferred) as next_day:
        later.execute_after_daily_reset(ti.context(), {"moment": midnight.isoformat()})
    assert next_day.value.trigger.moment == next_daily_reset("America/New_York", now)
    assert next_day.value.trigger.moment - midnight == timedelta(days=1)

    emulator.refill_daily_budget()  # HubSpot's reset, at last
    emulator.configure(daily_limit=None)
    summary = link(tmp_path, source, wait_for_daily_reset=True, hook_params=params).execute_after_daily_reset(
        ti.context(), {"moment": trigger.moment.isoformat()}
    )
    assert summary["total"] == 400 and summary["resumed_from"] == position
