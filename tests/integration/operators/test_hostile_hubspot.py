"""Every operator that reads or writes, against a hostile HubSpot over real HTTP (the emulator's ``hostile`` knob,
issue 21): each kind of bad answer ends the task with the named error, and nothing is exported, counted as
written, or archived on a reconcile with ``prune=True``.

The kinds and what each sends: ``docs/emulator.md``, "Hostile answers". The emulator applies a write before its
answer is spoiled (a gateway page after the write landed): that is what makes such an answer ambiguous.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_hubassoc.exceptions import (
    HubSpotAnswerError,
    HubSpotAnswerTooLargeError,
    HubSpotPagingError,
    HubSpotRateLimitError,
)
from airflow_provider_hubassoc.operators.associations import (
    HubSpotArchiveAssociationsOperator,
    HubSpotCreateAssociationsOperator,
    HubSpotReadAssociationsOperator,
    HubSpotSyncAssociationsOperator,
)
from airflow_provider_hubassoc.operators.labels import HubSpotSyncLabelsOperator
from airflow_provider_hubassoc.sensors.associations import HubSpotAssociationSensor
from airflow_provider_hubassoc.triggers.associations import HubSpotAssociationTrigger

#: small bounds, so each hostile answer is cut after a few requests or bytes
HOOK_PARAMS = {"max_retries": 1, "max_pages_per_record": 3, "max_response_bytes": 64 * 1024}
#: hostile answers of 2 MiB: far past ``max_response_bytes``, cheap to send
SIZE = 2 * 1024 * 1024
#: a bad body: the answer gate's error
BAD_BODIES = ("html", "empty", "invalid_json", "truncated", "wrong_shape", "null_ids", "non_int_id")
#: kind -> the error a read ends with
READ_ERRORS: dict[str, type[Exception]] = {
    **dict.fromkeys(BAD_BODIES, HubSpotAnswerError),
    "unasked_record": HubSpotAnswerError,
    "changing_cursor": HubSpotPagingError,
    "repeated_cursor": HubSpotPagingError,
    "oversize": HubSpotAnswerTooLargeError,
    "gzip_bomb": HubSpotAnswerTooLargeError,
    "huge_retry_after": HubSpotRateLimitError,
}
#: kind -> the error a write ends with (a write answer has no paging)
WRITE_ERRORS = {kind: error for kind, error in READ_ERRORS.items() if error is not HubSpotPagingError}
HEADER_ONLY = ("", "from_object_type,from_id,to_object_type,to_id")


def kinds(errors: dict[str, type[Exception]]) -> list[Any]:
    """``(kind, error)`` parameters, named by kind."""
    return [pytest.param(kind, error, id=kind) for kind, error in errors.items()]


@pytest.fixture(autouse=True)
def _short_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("airflow_provider_hubassoc.hooks._retry.BACKOFF_BASE_SECONDS", 0.01)


@pytest.fixture
def hostile(hubspot_emulator: Any, hubspot_connection: str) -> Any:
    """``hostile(kind, endpoint)``: that endpoint answers as ``kind`` (reset after the test by the plugin)."""
    hubspot_emulator.associate("contacts", 1, "companies", 11)
    hubspot_emulator.associate("contacts", 2, "companies", 21)

    def make(kind: str, endpoint: str) -> None:
        hubspot_emulator.hostile(kind, endpoint, size=SIZE)

    return make


def associations(emulator: Any) -> dict[int, list[int]]:
    return {c: sorted(emulator.associations("contacts", c, "companies")) for c in (1, 2, 3)}


def not_written(error: BaseException) -> bool:
    """Nothing counted as written in what the error carries (its partial result, when it has one)."""
    result = getattr(error, "result", None)
    return result is None or result.succeeded == 0


# ---------------------------------------------------------------------- read / export
@pytest.mark.parametrize(("kind", "error"), kinds(READ_ERRORS))
def test_an_export_fails_naming_the_answer_and_exports_nothing(hostile, tmp_path: Path, kind, error) -> None:
    hostile(kind, "batch.read")
    out = tmp_path / "out.csv"
    operator = HubSpotReadAssociationsOperator(
        task_id="read",
        from_object_type="contacts",
        to_object_type="companies",
        record_ids=[1, 2],
        output_path=str(out),
        hook_params=HOOK_PARAMS,
    )
    started = time.monotonic()
    with pytest.raises(error):
        operator.execute({})
    assert time.monotonic() - started < 30  # no wait of Retry-After's 11 days, nor 24 h
    assert not out.exists() or out.read_text().strip() in HEADER_ONLY


def test_an_export_under_a_huge_rate_window_is_read_without_stalling(hubspot_emulator, hostile, tmp_path) -> None:
    """``X-HubSpot-RateLimit-Interval-Milliseconds: 999999999`` is clamped to HubSpot's 10 s: every row exported."""
    hostile("huge_rate_window", "batch.read")
    out = tmp_path / "out.csv"
    started = time.monotonic()
    HubSpotReadAssociationsOperator(
        task_id="read", from_object_type="contacts", to_object_type="companies", record_ids=[1, 2], output_path=str(out)
    ).execute({})
    assert time.monotonic() - started < 10
    assert len(out.read_text().strip().splitlines()) == 3  # header and both rows


def test_an_export_reads_every_row_once_a_bad_answer_clears(hubspot_emulator, hubspot_connection, tmp_path) -> None:
    hubspot_emulator.associate("contacts", 1, "companies", 11)
    hubspot_emulator.hostile("html", "batch.read", times=1)
    out = tmp_path / "out.csv"
    HubSpotReadAssociationsOperator(
        task_id="read", from_object_type="contacts", to_object_type="companies", record_ids=[1], output_path=str(out)
    ).execute({})
    assert len(out.read_text().strip().splitlines()) == 2
    assert hubspot_emulator.counters()["batch.read"] == {"200": 2}


# ---------------------------------------------------------------------- create / link, archive / unlink
@pytest.mark.parametrize(("kind", "error"), kinds(WRITE_ERRORS))
def test_a_link_answered_badly_is_never_counted_as_written(hubspot_emulator, hostile, kind, error) -> None:
    hostile(kind, "batch.associate_default")
    operator = HubSpotCreateAssociationsOperator(
        task_id="link",
        from_object_type="contacts",
        to_object_type="companies",
        pairs=[(3, 31), (3, 32)],
        hook_params=HOOK_PARAMS,
    )
    with pytest.raises(error) as caught:
        operator.execute({})
    assert not_written(caught.value)


#: batch/archive answers 204 without a body: a body that is not HubSpot's cannot be read as success either
ARCHIVE_ERRORS = {k: WRITE_ERRORS[k] for k in ("html", "invalid_json", "truncated", "wrong_shape", "oversize")}
ARCHIVE_ERRORS["huge_retry_after"] = HubSpotRateLimitError


@pytest.mark.parametrize(
    ("kind", "error"),
    kinds(ARCHIVE_ERRORS),
)
def test_an_unlink_answered_badly_is_never_counted_as_written(hubspot_emulator, hostile, kind, error) -> None:
    hostile(kind, "batch.archive")
    operator = HubSpotArchiveAssociationsOperator(
        task_id="unlink",
        from_object_type="contacts",
        to_object_type="companies",
        pairs=[(1, 11)],
        hook_params=HOOK_PARAMS,
    )
    with pytest.raises(error) as caught:
        operator.execute({})
    assert not_written(caught.value)


# ---------------------------------------------------------------------- label sync
LABEL_ERRORS = dict.fromkeys(BAD_BODIES, HubSpotAnswerError)
LABEL_ERRORS.update({"oversize": HubSpotAnswerTooLargeError, "huge_retry_after": HubSpotRateLimitError})


@pytest.mark.parametrize(("kind", "error"), kinds(LABEL_ERRORS))
def test_a_label_sync_on_a_bad_listing_writes_no_label(hubspot_emulator, hostile, kind, error) -> None:
    hubspot_emulator.create_label("contacts", "companies", "old", "Old label")
    before = hubspot_emulator.labels("contacts", "companies")
    hostile(kind, "labels.list")
    definitions = [
        {"from_object_type": "contacts", "to_object_type": "companies", "name": "decider", "label": "Decider"}
    ]
    operator = HubSpotSyncLabelsOperator(task_id="labels", definitions=definitions, prune=True, hook_params=HOOK_PARAMS)
    with pytest.raises(error):
        operator.execute({})
    assert hubspot_emulator.write_requests() == 0
    assert hubspot_emulator.labels("contacts", "companies") == before


# ---------------------------------------------------------------------- reconcile (transfers/)
@pytest.mark.parametrize(("kind", "error"), kinds(READ_ERRORS))
def test_a_reconcile_with_prune_on_a_bad_read_archives_nothing(hubspot_emulator, hostile, kind, error) -> None:
    """Above all ``unasked_record``: the pairs of a record nobody asked for are never pruned."""
    hubspot_emulator.associate("contacts", 1, "companies", 12)
    before = associations(hubspot_emulator)
    hostile(kind, "batch.read")
    operator = HubSpotSyncAssociationsOperator(
        task_id="reconcile",
        from_object_type="contacts",
        to_object_type="companies",
        pairs=[[1, 11], [2, 22], [3, 33]],
        prune=True,
        hook_params=HOOK_PARAMS,
    )
    with pytest.raises(error):
        operator.execute({})
    assert associations(hubspot_emulator) == before
    assert hubspot_emulator.write_requests() == 0


# ---------------------------------------------------------------------- sensor and its trigger
@pytest.mark.parametrize(("kind", "error"), kinds(READ_ERRORS))
def test_a_sensor_poke_on_a_bad_read_fails_naming_it(hostile, kind, error) -> None:
    hostile(kind, "batch.read")
    sensor = HubSpotAssociationSensor(
        task_id="wait",
        from_object_type="contacts",
        record_ids=[1, 2],
        to_object_type="companies",
        hook_params=HOOK_PARAMS,
    )
    with pytest.raises(error):
        sensor.poke({})


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("html", "not JSON"),
        ("unasked_record", "did not ask for"),
        ("changing_cursor", "max_pages_per_record=3"),
        ("oversize", "max_response_bytes=65536"),
    ],
)
def test_the_trigger_on_a_bad_read_ends_with_an_error_event(hostile, kind, said) -> None:
    hostile(kind, "batch.read")
    trigger = HubSpotAssociationTrigger(
        from_object_type="contacts",
        record_ids=[1, 2],
        to_object_type="companies",
        poke_interval=0.1,
        hook_params=HOOK_PARAMS,
    )

    async def first_event() -> dict[str, Any]:
        events = trigger.run()
        try:
            return (await asyncio.wait_for(events.__anext__(), timeout=30)).payload
        finally:
            await events.aclose()

    event = asyncio.run(first_event())
    assert event["status"] == "error" and said in event["message"]
