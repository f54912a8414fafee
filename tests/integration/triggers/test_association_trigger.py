"""HubSpotAssociationTrigger: serialization, and its run() under asyncio against the emulator over HTTP."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import pytest

from airflow_provider_hubassoc._compat import BaseHook
from airflow_provider_hubassoc.hooks.associations import HubSpotAssociationsHook
from airflow_provider_hubassoc.triggers.associations import HubSpotAssociationTrigger


def make_trigger(**overrides: Any) -> HubSpotAssociationTrigger:
    kwargs: dict[str, Any] = {
        "from_object_type": "deals",
        "record_ids": [101, 102],
        "to_object_type": "companies",
        "poke_interval": 0.1,
    }
    kwargs.update(overrides)
    return HubSpotAssociationTrigger(**kwargs)


async def run_to_event(trigger: HubSpotAssociationTrigger, limit: float = 20) -> dict[str, Any]:
    """The trigger's one event; also checks that run() yields nothing after it."""
    agen = trigger.run()
    try:
        first = await asyncio.wait_for(agen.__anext__(), timeout=limit)
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(agen.__anext__(), timeout=limit)
    finally:
        await agen.aclose()
    return first.payload


@pytest.fixture
def closed_hooks(monkeypatch: pytest.MonkeyPatch) -> list[HubSpotAssociationsHook]:
    """Every hook closed while the test runs (the trigger must close its hook whatever the outcome)."""
    closed: list[HubSpotAssociationsHook] = []
    original = HubSpotAssociationsHook.close

    def close(self: HubSpotAssociationsHook) -> None:
        closed.append(self)
        original(self)

    monkeypatch.setattr(HubSpotAssociationsHook, "close", close)
    return closed


@pytest.mark.asyncio
async def test_already_satisfied_gives_success_after_one_check(
    hubspot_connection, hubspot_emulator, closed_hooks
) -> None:
    for deal, company in ((101, 1), (102, 2), (102, 3)):
        hubspot_emulator.associate("deals", deal, "companies", company)
    payload = await run_to_event(make_trigger(poke_interval=30))
    assert payload["status"] == "success"
    assert payload["counts"] == {"101": 1, "102": 2} and payload["ready"] is True
    assert sum(hubspot_emulator.counters()["batch.read"].values()) == 1
    assert len(closed_hooks) == 1


@pytest.mark.asyncio
async def test_associations_made_while_waiting_end_the_wait_and_the_loop_stays_free(
    hubspot_connection, hubspot_emulator
) -> None:
    hubspot_emulator.associate("deals", 101, "companies", 1)
    loop_turns = 0

    async def other_work_on_the_loop() -> None:
        nonlocal loop_turns
        while True:
            await asyncio.sleep(0.02)
            loop_turns += 1

    async def rep_adds_the_missing_company() -> None:
        await asyncio.sleep(0.5)
        await asyncio.to_thread(hubspot_emulator.associate, "deals", 102, "companies", 2)

    other = asyncio.create_task(other_work_on_the_loop())
    rep = asyncio.create_task(rep_adds_the_missing_company())
    started = time.monotonic()
    payload = await run_to_event(make_trigger())
    waited = time.monotonic() - started
    other.cancel()
    await rep
    assert payload["status"] == "success" and payload["counts"] == {"101": 1, "102": 1}
    assert waited >= 0.5
    assert sum(hubspot_emulator.counters()["batch.read"].values()) >= 3  # polled while it waited
    assert loop_turns >= 0.5 * waited / 0.02  # checks ran in threads: the event loop kept turning


@pytest.mark.asyncio
async def test_deadline_gives_a_timeout_event_on_time_naming_the_short_records(
    hubspot_connection, hubspot_emulator, closed_hooks
) -> None:
    hubspot_emulator.associate("deals", 101, "companies", 1)
    started = time.monotonic()
    payload = await run_to_event(make_trigger(poke_interval=60, deadline=time.time() + 0.8))
    assert 0.7 <= time.monotonic() - started < 5  # at the deadline, not after the 60 s poke interval
    assert payload["status"] == "timeout" and payload["ready"] is False
    assert payload["counts"] == {"101": 1, "102": 0}
    assert "waiting for deals 102 (0 < 1)" in payload["message"]
    assert "101 (" not in payload["message"]
    assert sum(hubspot_emulator.counters()["batch.read"].values()) == 2  # at the start and at the deadline
    assert len(closed_hooks) == 1


@pytest.mark.asyncio
async def test_a_deadline_already_past_checks_once_then_times_out(hubspot_connection, hubspot_emulator) -> None:
    payload = await run_to_event(make_trigger(deadline=time.time() - 10))
    assert payload["status"] == "timeout" and payload["counts"] == {"101": 0, "102": 0}
    hubspot_emulator.associate("deals", 101, "companies", 1)
    hubspot_emulator.associate("deals", 102, "companies", 1)
    late_but_met = await run_to_event(make_trigger(deadline=time.time() - 10))
    assert late_but_met["status"] == "success"  # met is met, even when resumed after the deadline


@pytest.mark.asyncio
async def test_with_a_label_only_labeled_associations_count(hubspot_connection, hubspot_emulator) -> None:
    [decision_maker] = hubspot_emulator.create_label("deals", "companies", "decision_maker", "Decision maker")
    labeled = [("USER_DEFINED", decision_maker["typeId"])]
    hubspot_emulator.associate("deals", 101, "companies", 1)
    hubspot_emulator.associate("deals", 101, "companies", 2)
    hubspot_emulator.associate("deals", 102, "companies", 3, types=labeled)
    payload = await run_to_event(make_trigger(label="decision maker", deadline=time.time() + 0.3))
    assert payload["status"] == "timeout" and payload["counts"] == {"101": 0, "102": 1}
    assert "with label 'decision maker'" in payload["message"]

    hubspot_emulator.associate("deals", 101, "companies", 2, types=labeled)
    by_id = await run_to_event(make_trigger(label=decision_maker["typeId"], deadline=time.time() + 0.3))
    assert by_id["status"] == "success" and by_id["counts"] == {"101": 1, "102": 1}
    two_each = await run_to_event(make_trigger(label="Decision maker", min_count=2, deadline=time.time() + 0.3))
    assert two_each["status"] == "timeout"
    assert "0 of 2 record(s) ready; waiting for deals 101 (1 < 2), 102 (1 < 2)" in two_each["message"]


@pytest.mark.asyncio
async def test_an_unknown_label_is_an_error_event(hubspot_connection, hubspot_emulator, closed_hooks) -> None:
    payload = await run_to_event(make_trigger(label="Champion"))
    assert payload["status"] == "error" and "no association label 'Champion'" in payload["message"]
    assert len(closed_hooks) == 1


@pytest.mark.asyncio
async def test_a_rejected_token_is_an_error_event_that_does_not_show_the_token(
    hubspot_emulator, monkeypatch, closed_hooks
) -> None:
    wrong = "pat-na1-00000000-wrong-token"
    [(name, value)] = hubspot_emulator.airflow_connection_env("hubspot_default").items()
    connection = json.loads(value)
    connection["password"] = wrong
    monkeypatch.setenv(name, json.dumps(connection))
    payload = await run_to_event(make_trigger())
    assert payload == {"status": "error", "message": payload["message"]}
    assert "401" in payload["message"]
    assert wrong not in payload["message"] and "wrong-token" not in json.dumps(payload)
    assert len(closed_hooks) == 1


@pytest.mark.asyncio
async def test_the_connection_is_fetched_without_the_blocking_lookup(
    hubspot_connection, hubspot_emulator, monkeypatch
) -> None:
    loop_thread = threading.get_ident()
    blocking = BaseHook.get_connection

    def lookup(*args: Any, **kwargs: Any) -> Any:  # Airflow 2 has only this call: it must run off the loop
        if threading.get_ident() == loop_thread:
            raise AssertionError("BaseHook.get_connection blocks the triggerer's event loop")
        return blocking(*args, **kwargs)

    monkeypatch.setattr(BaseHook, "get_connection", lookup)
    hubspot_emulator.associate("deals", 101, "companies", 1)
    hubspot_emulator.associate("deals", 102, "companies", 1)
    assert (await run_to_event(make_trigger()))["status"] == "success"
