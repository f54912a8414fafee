"""HubSpotAssociationTrigger under asyncio against the emulator over HTTP."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from airflow_provider_hubassoc.triggers.associations import HubSpotAssociationTrigger


def trigger(**kwargs) -> HubSpotAssociationTrigger:
    args = {"from_object_type": "deals", "record_ids": [1, 2], "to_object_type": "companies", "poke_interval": 0.2}
    return HubSpotAssociationTrigger(**{**args, **kwargs})


def test_serialize_round_trip_is_json_and_names_the_class() -> None:
    original = trigger(label="Champion", min_count=2, deadline=123.5, api_version="2026-03")
    classpath, kwargs = original.serialize()
    assert classpath == "airflow_provider_hubassoc.triggers.associations.HubSpotAssociationTrigger"
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert kwargs["record_ids"] == [1, 2] and kwargs["label"] == "Champion" and kwargs["deadline"] == 123.5
    again = HubSpotAssociationTrigger(**kwargs)
    assert again.serialize() == (classpath, kwargs)


async def first_event(t: HubSpotAssociationTrigger) -> dict:
    events = t.run()
    try:
        event = await asyncio.wait_for(events.__anext__(), timeout=30)
    finally:
        await events.aclose()
    return event.payload


@pytest.mark.asyncio
async def test_already_satisfied_yields_success_at_once(hubspot_connection, hubspot_emulator) -> None:
    hubspot_emulator.associate("deals", 1, "companies", 11)
    hubspot_emulator.associate("deals", 2, "companies", 12)
    event = await first_event(trigger())
    assert event["status"] == "success" and event["counts"] == {"1": 1, "2": 1} and event["ready"]


@pytest.mark.asyncio
async def test_waits_until_associations_appear_without_blocking_the_loop(hubspot_connection, hubspot_emulator) -> None:
    hubspot_emulator.associate("deals", 1, "companies", 11)
    ticks = 0

    async def heartbeat() -> None:  # keeps running while the trigger waits: the loop is never blocked
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.05)

    async def crm_user() -> None:
        await asyncio.sleep(0.7)
        hubspot_emulator.associate("deals", 2, "companies", 12)

    beat, user = asyncio.create_task(heartbeat()), asyncio.create_task(crm_user())
    started = time.monotonic()
    event = await first_event(trigger())
    beat.cancel()
    await user
    assert event["status"] == "success" and event["counts"] == {"1": 1, "2": 1}
    assert time.monotonic() - started >= 0.7
    assert ticks >= 10


@pytest.mark.asyncio
async def test_label_filter_and_min_count(hubspot_connection, hubspot_emulator) -> None:
    champion = hubspot_emulator.create_label("deals", "companies", "champion", "Champion")[0]["typeId"]
    hubspot_emulator.associate("deals", 1, "companies", 11)  # unlabeled: does not count
    hubspot_emulator.associate("deals", 1, "companies", 12, types=[("USER_DEFINED", champion)])
    hubspot_emulator.associate("deals", 1, "companies", 13, types=[("USER_DEFINED", champion)])
    event = await first_event(trigger(record_ids=[1], label="Champion", min_count=2))
    assert event["status"] == "success" and event["counts"] == {"1": 2}
    event = await first_event(trigger(record_ids=[1], label="Champion", min_count=3, deadline=time.time() + 0.5))
    assert event["status"] == "timeout" and event["counts"] == {"1": 2}
    assert "waiting for deals 1 (2 < 3)" in event["message"]


@pytest.mark.asyncio
async def test_deadline_gives_a_timeout_event_naming_the_records(hubspot_connection, hubspot_emulator) -> None:
    hubspot_emulator.associate("deals", 1, "companies", 11)
    started = time.monotonic()
    event = await first_event(trigger(deadline=time.time() + 0.6, poke_interval=5))
    assert event["status"] == "timeout" and not event["ready"]
    assert time.monotonic() - started < 3  # the deadline, not the 5 s poke interval
    assert "1 of 2 record(s) ready; waiting for deals 2 (0 < 1)" in event["message"]


@pytest.mark.asyncio
async def test_an_auth_error_is_an_error_event_without_the_token(hubspot_emulator, monkeypatch) -> None:
    env = hubspot_emulator.airflow_connection_env("hubspot_default")
    value = json.loads(env["AIRFLOW_CONN_HUBSPOT_DEFAULT"])
    value["password"] = "pat-wrong-token-0123456789"
    monkeypatch.setenv("AIRFLOW_CONN_HUBSPOT_DEFAULT", json.dumps(value))
    event = await first_event(trigger())
    assert event["status"] == "error" and "401" in event["message"]
    assert "pat-wrong-token-0123456789" not in json.dumps(event)
