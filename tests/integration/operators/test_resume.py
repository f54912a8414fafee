"""Resumable runs and the daily budget, operator by operator, against the emulator over HTTP.

A run is stopped by a daily budget smaller than the job (HubSpot's ``Daily-Remaining`` reaching 0, then the
emulator's DAILY 429), the budget is refilled (HubSpot's midnight reset, on demand) and the next attempt of the
same task instance resumes from its checkpoint. Each Airflow attempt runs in a new process, so the process-wide
rate limiter is forgotten between attempts here (``reset_shared_limiters``).
"""

from __future__ import annotations

import csv
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from operator_support import FakeTaskInstance, write_csv
from transport_helpers import fresh_limiters  # noqa: F401 - the fixture is used by name

from airflow_provider_hubassoc._compat import AirflowFailException, DateTimeTrigger, TaskDeferred
from airflow_provider_hubassoc.hooks._ratelimit import next_daily_reset, reset_shared_limiters
from airflow_provider_hubassoc.hooks.api import batch as hook_module
from airflow_provider_hubassoc.operators._checkpoint import CheckpointMismatchError, CheckpointStore
from airflow_provider_hubassoc.operators.associations import (
    HubSpotArchiveAssociationsOperator,
    HubSpotCreateAssociationsOperator,
    HubSpotReadAssociationsOperator,
    HubSpotSyncAssociationsOperator,
)

MISSING = 10**13  # beyond the emulator's records: HubSpot refuses the pair
FAST = {"requests_per_10_seconds": 1_000_000, "max_concurrency": 2}


pytestmark = pytest.mark.usefixtures("fresh_limiters")


class TaskInstance(FakeTaskInstance):
    dag_id, task_id, run_id = "backfill", "link", "manual__2026-01-02"


def write_pairs(path: Path, pairs: list[tuple[int, int]]) -> Path:
    return write_csv(path, ["from_id", "to_id"], pairs)


def backfill_pairs(count: int, bad_every: int = 50) -> list[tuple[int, int]]:
    """``count`` pairs; every ``bad_every``-th names a company HubSpot does not have."""
    return [(i, MISSING if i % bad_every == 0 else 100_000 + i) for i in range(1, count + 1)]


def linked(emulator: Any) -> set[tuple[int, int]]:
    return {
        (a["fromObjectId"], a["toObjectId"])
        for a in emulator.dump()["associations"]
        if a["fromObjectTypeId"] == "0-1" and a["toObjectTypeId"] == "0-2"
    }


def failure_rows(path: Path) -> list[int]:
    return [int(row["row"]) for row in csv.DictReader(open(path))]


def link(tmp_path: Path, source: Path, **kwargs: Any) -> HubSpotCreateAssociationsOperator:
    kwargs.setdefault("hook_params", FAST)
    kwargs.setdefault("failures_path", str(tmp_path / "failures.csv"))
    return HubSpotCreateAssociationsOperator(
        task_id="link",
        from_object_type="contacts",
        to_object_type="companies",
        input_path=str(source),
        max_failures=None,
        chunk_size=50,
        checkpoint_path=str(tmp_path / "checkpoints"),
        **kwargs,
    )


def export(tmp_path: Path, output: Path, records: int) -> HubSpotReadAssociationsOperator:
    return HubSpotReadAssociationsOperator(
        task_id="export",
        from_object_type="contacts",
        to_object_type="companies",
        record_ids=list(range(1, records + 1)),
        output_path=str(output),
        chunk_size=20,
        checkpoint_path=str(tmp_path / "checkpoints"),
        hook_params=FAST,
    )


def next_day(emulator: Any) -> None:
    """HubSpot's midnight reset with no daily limit left to hit, then a new attempt (a new process: the rate
    limiter knows nothing of the spent budget)."""
    emulator.configure(daily_limit=None)
    emulator.refill_daily_budget()
    reset_shared_limiters()


def store_of(tmp_path: Path, ti: TaskInstance) -> CheckpointStore:
    return CheckpointStore.for_context(str(tmp_path / "checkpoints"), ti.context())


def stopped_by_budget(operator: Any, ti: TaskInstance) -> AirflowFailException:
    with pytest.raises(AirflowFailException) as caught:
        operator.execute(ti.context())
    return caught.value


# -- daily budget -------------------------------------------------------------------------------------------


def test_a_budget_smaller_than_the_job_stops_cleanly_and_the_next_days_complete_it_exactly(emulator, tmp_path):
    pairs = backfill_pairs(1000)
    source = write_pairs(tmp_path / "pairs.csv", pairs)
    emulator.configure(daily_limit=8)  # 20 chunks of 50: three days' budget
    ti = TaskInstance()

    error = stopped_by_budget(link(tmp_path, source, hook_params={**FAST, "account_time_zone": "Europe/Berlin"}), ti)

    message = str(error)
    reset_at = next_daily_reset("Europe/Berlin")
    assert "daily request budget is spent" in message and reset_at.isoformat() in message
    assert "Europe/Berlin" in message and "resumes where it stopped" in message and "wait_for_daily_reset" in message
    summary = ti.pushed["summary"]
    assert summary["stopped"] == "daily_budget" and summary["daily_reset_at"] == reset_at.isoformat()
    saved = store_of(tmp_path, ti).load()
    assert 0 < saved["position"] < 1000 and saved["position"] % 50 == 0
    assert summary["total"] == saved["position"] and summary["not_sent"] == 1000 - saved["position"]
    assert summary["failed"] == len(saved["failures"]) == saved["position"] // 50
    # the failures file agrees with the checkpoint: the refused rows found so far, each once
    assert failure_rows(tmp_path / "failures.csv") == [row["row"] for row in saved["failures"]]

    positions = [saved["position"]]
    for _day in range(5):
        emulator.refill_daily_budget()
        reset_shared_limiters()
        ti = TaskInstance()
        try:
            summary = link(tmp_path, source).execute(ti.context())
            break
        except AirflowFailException:
            position = store_of(tmp_path, ti).load()["position"]
            assert position > positions[-1]  # every day makes progress
            positions.append(position)
    assert len(positions) >= 2  # it took more than two days' budget
    assert summary["total"] == 1000 and summary["failed"] == 20 and summary["succeeded"] == 980
    assert summary["not_sent"] == 0 and summary["resumed_from"] == positions[-1]
    assert linked(emulator) == {p for p in pairs if p[1] != MISSING}
    assert failure_rows(tmp_path / "failures.csv") == list(range(50, 1001, 50))
    assert store_of(tmp_path, ti).load() is None  # removed on success


def test_wait_for_daily_reset_defers_to_the_accounts_midnight_and_resumes(emulator, tmp_path):
    pairs = backfill_pairs(400)
    source = write_pairs(tmp_path / "pairs.csv", pairs)
    emulator.configure(daily_limit=4)
    ti = TaskInstance()
    operator = link(
        tmp_path, source, wait_for_daily_reset=True, hook_params={**FAST, "account_time_zone": "America/New_York"}
    )

    with pytest.raises(TaskDeferred) as deferred:
        operator.execute(ti.context())

    trigger = deferred.value.trigger
    assert isinstance(trigger, DateTimeTrigger)
    assert trigger.moment == next_daily_reset("America/New_York")  # no worker slot, no retry before the reset
    assert deferred.value.method_name == "execute_after_daily_reset"
    assert ti.pushed["summary"]["stopped"] == "daily_budget"
    position = store_of(tmp_path, ti).load()["position"]
    assert 0 < position < 400

    emulator.refill_daily_budget()
    emulator.configure(daily_limit=None)
    event = {"moment": trigger.moment.isoformat()}  # what the trigger yields at the reset
    summary = operator.execute_after_daily_reset(ti.context(), event)  # same process: the limiter is told

    assert summary["total"] == 400 and summary["failed"] == 8 and summary["resumed_from"] == position
    assert linked(emulator) == {p for p in pairs if p[1] != MISSING}
    assert failure_rows(tmp_path / "failures.csv") == list(range(50, 401, 50))


# -- checkpoint store ------------------------------------------------------------------------------------


def stop_halfway(emulator: Any, tmp_path: Path, source: Path, ti: TaskInstance, **kwargs: Any) -> int:
    emulator.configure(daily_limit=6)
    stopped_by_budget(link(tmp_path, source, **kwargs), ti)
    next_day(emulator)
    return store_of(tmp_path, ti).load()["position"]


def test_a_checkpoint_of_another_input_is_refused_and_resume_false_starts_over(emulator, tmp_path):
    pairs = backfill_pairs(600)
    source = write_pairs(tmp_path / "pairs.csv", pairs)
    ti = TaskInstance()
    position = stop_halfway(emulator, tmp_path, source, ti)
    assert position > 0

    write_pairs(source, pairs[:-1])  # the input changed under the checkpoint
    with pytest.raises(CheckpointMismatchError, match=r"another input or other options.*resume=False"):
        link(tmp_path, source).execute(ti.context())
    with pytest.raises(CheckpointMismatchError):  # options that change what is sent count too
        link(tmp_path, write_pairs(source, pairs), labels=[1]).execute(ti.context())

    write_pairs(source, pairs[:-1])
    summary = link(tmp_path, source, resume=False).execute(ti.context())
    assert summary["resumed_from"] == 0 and summary["total"] == 599  # the whole input, from the start
    assert failure_rows(tmp_path / "failures.csv") == list(range(50, 600, 50))
    assert store_of(tmp_path, ti).load() is None


def test_mapped_shards_keep_a_checkpoint_each(emulator, tmp_path):
    pairs = backfill_pairs(600)
    source = write_pairs(tmp_path / "pairs.csv", pairs)
    shard0, shard1 = TaskInstance(map_index=0), TaskInstance(map_index=1)
    assert str(store_of(tmp_path, shard0)) != str(store_of(tmp_path, shard1))
    emulator.configure(daily_limit=3)
    for ti in (shard0, shard1):
        emulator.refill_daily_budget()
        reset_shared_limiters()
        stopped_by_budget(
            link(
                tmp_path,
                source,
                shard_index=ti.map_index,
                shard_count=2,
                failures_path=str(tmp_path / f"failures-{ti.map_index}.csv"),
            ),
            ti,
        )
    saved = [store_of(tmp_path, ti).load() for ti in (shard0, shard1)]
    assert saved[0]["fingerprint"] != saved[1]["fingerprint"] and all(s["position"] > 0 for s in saved)

    next_day(emulator)
    totals = [
        link(
            tmp_path,
            source,
            shard_index=ti.map_index,
            shard_count=2,
            failures_path=str(tmp_path / f"failures-{ti.map_index}.csv"),
        ).execute(ti.context())["total"]
        for ti in (shard0, shard1)
    ]
    assert sum(totals) == 600
    assert linked(emulator) == {p for p in pairs if p[1] != MISSING}


def test_a_kill_between_chunks_loses_no_failure_and_redoes_no_finished_chunk(emulator, tmp_path):
    """The checkpoint and failures file as a killed attempt leaves them: the failures file (``.partial``) has
    every row the checkpoint records, and the retry sends only the chunks after the checkpoint's position."""
    pairs = backfill_pairs(500)
    source = write_pairs(tmp_path / "pairs.csv", pairs)
    ti = TaskInstance()
    operator = link(tmp_path, source)
    saves: list[dict[str, Any]] = []
    original = CheckpointStore.save

    def save_then_kill(self: CheckpointStore, state: dict[str, Any]) -> None:
        original(self, state)
        saves.append(json.loads(json.dumps(state)))
        if state["position"] >= 250:
            raise KeyboardInterrupt  # the process dies right after this checkpoint

    with mock.patch.object(CheckpointStore, "save", save_then_kill), pytest.raises(KeyboardInterrupt):
        operator.execute(ti.context())
    saved = store_of(tmp_path, ti).load()
    assert saved == saves[-1] and saved["position"] == 250
    # the failures file has exactly the rows the checkpoint records (flushed before each save)
    assert (
        failure_rows(tmp_path / "failures.csv") == [row["row"] for row in saved["failures"]] == [50, 100, 150, 200, 250]
    )

    reset_shared_limiters()
    before = emulator.counters().get("batch.associate_default", {})
    summary = link(tmp_path, source).execute(ti.context())
    sent = sum(emulator.counters()["batch.associate_default"].values()) - sum(before.values())
    assert sent == (500 - 250) // 50  # only the chunks after the checkpoint
    assert summary["total"] == 500 and summary["failed"] == 10 and summary["resumed_from"] == 250
    assert failure_rows(tmp_path / "failures.csv") == list(range(50, 501, 50))
    assert linked(emulator) == {p for p in pairs if p[1] != MISSING}


# -- the other long operators ------------------------------------------------------------------------------


def test_unlink_resumes_after_the_daily_budget(emulator, tmp_path):
    pairs = [(i, 100_000 + i) for i in range(1, 301)]
    for from_id, to_id in pairs:
        emulator.associate("contacts", from_id, "companies", to_id)
    source = write_pairs(tmp_path / "pairs.csv", pairs)
    ti = TaskInstance()

    def unlink() -> HubSpotArchiveAssociationsOperator:
        return HubSpotArchiveAssociationsOperator(
            task_id="unlink",
            from_object_type="contacts",
            to_object_type="companies",
            input_path=str(source),
            chunk_size=50,
            checkpoint_path=str(tmp_path / "checkpoints"),
            hook_params=FAST,
        )

    emulator.configure(daily_limit=3)
    stopped_by_budget(unlink(), ti)
    assert 0 < len(linked(emulator)) < 300
    next_day(emulator)
    summary = unlink().execute(ti.context())
    assert summary["total"] == 300 and summary["succeeded"] == 300 and summary["resumed_from"] > 0
    assert linked(emulator) == set()


@pytest.mark.parametrize("operation", ["link", "unlink"])
def test_link_and_unlink_count_a_chunk_that_overtook_the_budget_stop_once(emulator, tmp_path, operation):
    """Chunk 5 takes the day's last request while chunk 4 meets the spent budget: the checkpoint ends before
    chunk 4, so the resumed run re-sends chunks 4-6 and counts chunk 5 there (replay-safe), once in all."""
    pairs = backfill_pairs(300, bad_every=50 if operation == "link" else 10**9)
    if operation == "unlink":
        for from_id, to_id in pairs:
            emulator.associate("contacts", from_id, "companies", to_id)
    source = write_pairs(tmp_path / "pairs.csv", pairs)
    ti = TaskInstance()

    def run() -> Any:
        if operation == "link":
            return link(tmp_path, source)
        return HubSpotArchiveAssociationsOperator(
            task_id="unlink",
            from_object_type="contacts",
            to_object_type="companies",
            input_path=str(source),
            chunk_size=50,
            max_failures=None,
            failures_path=str(tmp_path / "failures.csv"),
            checkpoint_path=str(tmp_path / "checkpoints"),
            hook_params=FAST,
        )

    emulator.configure(daily_limit=4)  # 4 write chunks, 2 at a time
    with chunk_overtaken(151, by=201):
        stopped_by_budget(run(), ti)
    assert store_of(tmp_path, ti).load()["position"] == 150
    applied = {(201, 100_201), (151, 100_151)} & linked(emulator)
    assert applied == ({(201, 100_201)} if operation == "link" else {(151, 100_151)})  # chunk 5 done, not 4
    next_day(emulator)
    summary = run().execute(ti.context())

    assert summary["resumed_from"] == 150 and summary["total"] == 300
    if operation == "link":
        assert linked(emulator) == {p for p in pairs if p[1] != MISSING}
        assert summary["succeeded"] == 294 and summary["failed"] == 6
        assert failure_rows(tmp_path / "failures.csv") == list(range(50, 301, 50))  # each refused pair once
    else:
        assert linked(emulator) == set() and summary["succeeded"] == 300 and summary["failed"] == 0


def test_export_resumes_its_output_file_after_the_daily_budget(emulator, tmp_path):
    for contact in range(1, 201):
        emulator.associate("contacts", contact, "companies", 100_000 + contact)
        emulator.associate("contacts", contact, "companies", 200_000 + contact)
    output = tmp_path / "out" / "contact_company.jsonl"
    ti = TaskInstance()

    emulator.configure(daily_limit=4)
    stopped_by_budget(export(tmp_path, output, 200), ti)
    saved = store_of(tmp_path, ti).load()
    assert 0 < saved["position"] < 200 and saved["extra"]["output_rows"] == 2 * saved["position"]
    next_day(emulator)
    summary = export(tmp_path, output, 200).execute(ti.context())

    with open(output) as handle:
        rows = [json.loads(line) for line in handle]
    assert summary["associations"] == 400 and summary["resumed_from"] == saved["position"]
    assert sorted((r["from_id"], r["to_id"]) for r in rows) == sorted(
        [(c, 100_000 + c) for c in range(1, 201)] + [(c, 200_000 + c) for c in range(1, 201)]
    )
    assert not os.path.exists(f"{output}.partial") and store_of(tmp_path, ti).load() is None


@contextmanager
def chunk_overtaken(first_id: int, *, by: int) -> Iterator[None]:
    """Hold the write chunk whose first pair is from ``first_id`` until the chunk starting at ``by`` (sent
    concurrently, later in input order) has been answered: the order HubSpot sees them in under load."""
    answered = threading.Event()
    real = hook_module.write_batch

    def write_batch(
        transport: Any, outcome: Any, method: str, path: str, pairs: list[Any], *args: Any, **kwargs: Any
    ) -> None:
        if pairs and pairs[0].from_id == first_id:
            assert answered.wait(timeout=60), f"the chunk from {by} was never sent alongside the one from {first_id}"
        try:
            real(transport, outcome, method, path, pairs, *args, **kwargs)
        finally:
            if pairs and pairs[0].from_id == by:
                answered.set()

    with mock.patch.object(hook_module, "write_batch", write_batch):
        yield


def test_reconcile_resumes_its_writes_and_loses_no_failure(emulator, tmp_path):
    desired = backfill_pairs(300)
    for contact in range(1, 301):
        emulator.associate("contacts", contact, "companies", 900_000 + contact)  # not desired: pruned
    ti = TaskInstance()

    def reconcile() -> HubSpotSyncAssociationsOperator:
        return HubSpotSyncAssociationsOperator(
            task_id="sync",
            from_object_type="contacts",
            to_object_type="companies",
            pairs=desired,
            prune=True,
            chunk_size=50,
            failures_path=str(tmp_path / "failures.csv"),
            max_failures=None,
            checkpoint_path=str(tmp_path / "checkpoints"),
            hook_params=FAST,
        )

    # the plan's reads (every contact moves off its pair: its 295 distinct new to ids are read for merges, 3
    # objects reads), then 5 create chunks (2 at a time)
    emulator.configure(daily_limit=13)
    # The race forced: create chunk 4 (contacts 151-200) waits until chunk 5 (201-250) is answered, so chunk 5
    # takes the day's last request and is applied, then chunk 4 meets the spent budget with chunk 5 in flight.
    with chunk_overtaken(151, by=201):
        stopped_by_budget(reconcile(), ti)
    first = store_of(tmp_path, ti).load()
    assert first["counts"]["created"] == 4 * 49  # chunks 1-3 and the overtaking 5: each less its refused pair
    assert sorted(row["from_id"] for row in first["failures"]) == [50, 100, 150]  # 250's: found again on resume
    assert ti.pushed["summary"]["created"] == 4 * 49
    assert ti.pushed["summary"]["not_sent"] == 50 + 50 + 300  # chunks 4 and 6, and every archive
    next_day(emulator)
    summary = reconcile().execute(ti.context())

    assert linked(emulator) == {p for p in desired if p[1] != MISSING}
    assert summary["created"] == 294 and summary["archived"] == 300 and summary["failed"] == 6
    with open(tmp_path / "failures.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(int(r["from_id"]) for r in rows) == list(range(50, 301, 50))  # each refused pair once


def test_a_retry_before_the_reset_sends_nothing_and_points_to_its_checkpoint(emulator, tmp_path):
    emulator.create_label("contacts", "companies", "billing", "Billing")
    source = write_pairs(tmp_path / "pairs.csv", backfill_pairs(300))
    ti = TaskInstance()
    # the label look-up, then per 50-pair chunk its read, its write and its verify read: chunks done, then a stop
    emulator.configure(daily_limit=8)
    stopped_by_budget(link(tmp_path, source, labels="Billing"), ti)
    assert store_of(tmp_path, ti).load()["position"] >= 100
    saved = store_of(tmp_path, ti).load()
    reset_shared_limiters()  # a new attempt, the same day: HubSpot refuses its first request (the label look-up)
    before = sum(n for counts in emulator.counters().values() for n in counts.values())

    error = stopped_by_budget(link(tmp_path, source, labels="Billing"), ti)

    assert sum(n for counts in emulator.counters().values() for n in counts.values()) == before + 1
    assert str(store_of(tmp_path, ti)) in str(error) and "resumes where it stopped" in str(error)
    assert ti.pushed["summary"]["total"] == saved["position"] and store_of(tmp_path, ti).load() == saved


def test_an_export_whose_partial_output_was_lost_starts_over_exactly(emulator, tmp_path):
    for contact in range(1, 101):
        emulator.associate("contacts", contact, "companies", 100_000 + contact)
    output = tmp_path / "rows.csv"
    ti = TaskInstance()

    emulator.configure(daily_limit=3)
    stopped_by_budget(export(tmp_path, output, 100), ti)
    assert store_of(tmp_path, ti).load()["extra"]["output_rows"] > 0
    for left in tmp_path.glob("rows.csv*"):  # an object store keeps no half-written object
        left.unlink()
    next_day(emulator)
    summary = export(tmp_path, output, 100).execute(ti.context())

    assert summary["resumed_from"] == 0 and summary["associations"] == 100
    with open(output) as handle:
        assert sorted(int(r["from_id"]) for r in csv.DictReader(handle)) == list(range(1, 101))


def test_repeated_rows_are_counted_once_across_attempts(emulator, tmp_path):
    pairs = backfill_pairs(300)
    source = write_pairs(tmp_path / "pairs.csv", pairs + pairs[:30])  # 30 rows repeat earlier ones
    ti = TaskInstance()
    emulator.configure(daily_limit=3)
    stopped = stopped_by_budget(link(tmp_path, source), ti)
    assert "Done so far: total=" in str(stopped)
    next_day(emulator)

    summary = link(tmp_path, source).execute(ti.context())

    assert summary["total"] == 330 and summary["skipped"] == 30 and summary["failed"] == 6
    assert summary["succeeded"] == 294 and summary["not_sent"] == 0 and summary["resumed_from"] > 0
    assert linked(emulator) == {p for p in pairs if p[1] != MISSING}


def requests_served(emulator: Any) -> int:
    return sum(n for by_status in emulator.counters().values() for n in by_status.values())


def test_an_export_to_a_table_without_output_path_resumes_and_a_failed_load_reads_nothing_again(
    emulator, warehouse, tmp_path
):
    """The export stages its rows beside the checkpoint (no ``output_path``): stopped by the budget, it resumes
    where it stopped; a load that fails keeps the checkpoint, so the retry loads without reading HubSpot again.
    The table gets every pair once (append mode, the pair as primary key: a repeat would fail the load)."""
    for contact in range(1, 201):
        emulator.associate("contacts", contact, "companies", 100_000 + contact)
        emulator.associate("contacts", contact, "companies", 200_000 + contact)
    expected = sorted([(c, 100_000 + c) for c in range(1, 201)] + [(c, 200_000 + c) for c in range(1, 201)])
    ti = TaskInstance()
    store = store_of(tmp_path, ti)

    def table_export() -> HubSpotReadAssociationsOperator:
        return HubSpotReadAssociationsOperator(
            task_id="export",
            from_object_type="contacts",
            to_object_type="companies",
            record_ids=list(range(1, 201)),
            chunk_size=20,
            checkpoint_path=str(tmp_path / "checkpoints"),
            hook_params=FAST,
            sql_conn_id=warehouse.conn_id,
            table="contact_company",
            if_exists="append",
            create_table=True,
        )

    emulator.configure(daily_limit=4)
    stopped_by_budget(table_export(), ti)
    saved = store.load()
    assert saved is not None
    assert 0 < saved["position"] < 200 and saved["extra"]["output_rows"] == 2 * saved["position"]
    assert os.path.exists(store.beside("rows.jsonl") + ".partial")  # the staged rows, beside the checkpoint

    next_day(emulator)
    warehouse.run(
        "CREATE TABLE contact_company (from_object_type VARCHAR(100), from_id BIGINT, to_object_type VARCHAR(100), "
        "to_id BIGINT, type_ids VARCHAR(4000), categories VARCHAR(4000), labels VARCHAR(4000), "
        "PRIMARY KEY (from_object_type, from_id, to_object_type, to_id))"
    )
    warehouse.run(
        "INSERT INTO contact_company (from_object_type, from_id, to_object_type, to_id) "
        "VALUES ('contacts', 200, 'companies', 200200)"
    )  # the load of the last row will fail
    served = requests_served(emulator)
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        table_export().execute(ti.context())
    assert requests_served(emulator) - served == (200 - saved["position"]) // 20  # only the chunks not read yet
    assert (store.load() or {}).get("position") == 200  # every read is done and kept

    warehouse.run("DELETE FROM contact_company")
    reset_shared_limiters()
    served = requests_served(emulator)
    summary = table_export().execute(ti.context())
    assert requests_served(emulator) == served  # the retry only loaded the table
    assert summary["table_rows"] == 400 and summary["associations"] == 400
    assert warehouse.records("SELECT from_id, to_id FROM contact_company ORDER BY from_id, to_id") == expected
    assert store.load() is None and not os.path.exists(store.beside("rows.jsonl"))
