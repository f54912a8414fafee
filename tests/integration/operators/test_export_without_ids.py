"""Exports without an id list (issue 22, item 2) and merged records in exports (item 3), against the emulator
over HTTP: ``records="all"`` (HubSpot's list), ``records="modified"`` (search over the data interval, the
10,000-results cap split on the id, the per-second search limit), hostile list/search answers, a looping
cursor, a merged record answered under its survivor, and a resumed "all" export.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from operator_support import FakeTaskInstance
from transport_helpers import fresh_limiters  # noqa: F401 - the fixture is used by name

from airflow_provider_hubassoc._compat import AirflowFailException
from airflow_provider_hubassoc.exceptions import HubSpotAnswerError, HubSpotPagingError
from airflow_provider_hubassoc.hooks._ratelimit import reset_shared_limiters
from airflow_provider_hubassoc.hooks.api import object_listing
from airflow_provider_hubassoc.operators._checkpoint import CheckpointStore
from airflow_provider_hubassoc.operators.associations import HubSpotReadAssociationsOperator

FAST = {"requests_per_10_seconds": 1_000_000, "max_concurrency": 2}
JAN_1 = datetime(2026, 1, 1, tzinfo=timezone.utc)
JAN_2 = datetime(2026, 1, 2, tzinfo=timezone.utc)
COMPANY = 700_000  # auto-range company ids (associated with any created contact)


pytestmark = pytest.mark.usefixtures("fresh_limiters")


@pytest.fixture
def emulator(emulator):
    """The operators' emulator (conftest) without its per-second search limit either."""
    emulator.configure(search_requests_per_second=None)
    return emulator


class TaskInstance(FakeTaskInstance):
    dag_id, task_id, run_id = "exports", "export", "manual__2026-01-02"


def seeded(emulator: Any, count: int, modified: Any = JAN_1, *, offset: int = 0) -> list[int]:
    """``count`` contacts, each associated with one company (``COMPANY + index``)."""
    ids = emulator.seed_records("contacts", [{"email": f"u{offset + n}@example.com"} for n in range(count)])
    emulator.stamp_modified("contacts", ids, modified)
    for n, record_id in enumerate(ids):
        emulator.associate("contacts", record_id, "companies", COMPANY + offset + n)
    return ids


def export(tmp_path: Path, **kwargs: Any) -> HubSpotReadAssociationsOperator:
    kwargs.setdefault("output_path", str(tmp_path / "out.jsonl"))
    kwargs.setdefault("hook_params", FAST)
    return HubSpotReadAssociationsOperator(
        task_id="export",
        from_object_type="contacts",
        to_object_type="companies",
        checkpoint_path=str(tmp_path / "checkpoints"),
        **kwargs,
    )


def pairs(path: Path) -> list[tuple[int, int]]:
    return [(row["from_id"], row["to_id"]) for row in map(json.loads, path.read_text().splitlines())]


def served(emulator: Any, endpoint: str, status: str | None = None) -> int:
    by_status = emulator.counters().get(endpoint, {})
    return sum(n for s, n in by_status.items() if status is None or s == status)


# ---------------------------------------------------------------------- every record
def test_all_records_export_every_records_associations_without_ids(emulator, tmp_path):
    ids = seeded(emulator, 250)
    summary = export(tmp_path, records="all", chunk_size=40).execute(TaskInstance().context())
    assert sorted(pairs(tmp_path / "out.jsonl")) == [(r, COMPANY + n) for n, r in enumerate(ids)]
    assert summary["records"] == 250 and summary["associations"] == 250
    assert served(emulator, "objects.list") == 3  # 100 a page
    assert served(emulator, "objects.search") == 0


def test_records_cannot_come_with_an_id_list(tmp_path):
    with pytest.raises(ValueError, match="without record_ids"):
        export(tmp_path, records="all", record_ids=[1])
    with pytest.raises(ValueError, match='records="modified"'):
        export(tmp_path, records="all", modified_since="2026-01-01")
    with pytest.raises(ValueError, match="records must be one of"):
        export(tmp_path, records="some")


# ---------------------------------------------------------------------- modified in the data interval
def test_modified_export_reads_the_data_interval_only(emulator, tmp_path):
    inside = seeded(emulator, 30, JAN_1.replace(hour=12))
    seeded(emulator, 5, datetime(2025, 12, 31, 23, 59, tzinfo=timezone.utc), offset=100)  # before
    seeded(emulator, 5, JAN_2, offset=200)  # at the end: the interval is half-open
    context = TaskInstance().context(data_interval_start=JAN_1, data_interval_end=JAN_2)
    summary = export(tmp_path, records="modified").execute(context)
    assert sorted(pairs(tmp_path / "out.jsonl")) == [(r, COMPANY + n) for n, r in enumerate(inside)]
    assert summary["records"] == 30
    assert served(emulator, "objects.list") == 0 and served(emulator, "objects.search") == 1


def test_modified_export_in_a_dag_run_takes_its_data_interval(dag_runner, hubspot_emulator, tmp_path):
    """Whatever interval the Airflow line gives a manual run of ``logical_date`` (Airflow 3: the day before it),
    the export reads the records modified in it, and only those."""
    hubspot_emulator.configure(search_requests_per_second=None)
    days = [datetime(2025, 12, 30 + n, 12, tzinfo=timezone.utc) for n in range(2)] + [JAN_1.replace(hour=12)]
    by_day = [(day, seeded(hubspot_emulator, 2, day, offset=10 * n)) for n, day in enumerate(days)]
    run = dag_runner.run(
        f"""
        import pendulum
        try:  # Airflow 3
            from airflow.sdk import DAG
        except ImportError:  # Airflow 2
            from airflow import DAG
        from airflow.timetables.interval import CronDataIntervalTimetable
        from airflow_provider_hubassoc.operators.associations import HubSpotReadAssociationsOperator

        daily = CronDataIntervalTimetable("@daily", timezone="UTC")  # the same intervals on Airflow 2 and 3
        with DAG("export_modified", schedule=daily, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
            HubSpotReadAssociationsOperator(
                task_id="export", from_object_type="contacts", to_object_type="companies",
                records="modified", output_path="{tmp_path}/{{{{ ds }}}}.jsonl")
        """,
        "export_modified",
        logical_date=JAN_1,
    )
    assert dag_runner.states(run) == {"export": "success"}
    start, end = run.data_interval_start, run.data_interval_end
    inside = [
        (r, COMPANY + 10 * d + n)
        for d, (day, ids) in enumerate(by_day)
        if start <= day < end
        for n, r in enumerate(ids)
    ]
    assert len(inside) == 2
    assert sorted(pairs(tmp_path / "2026-01-01.jsonl")) == inside


def test_more_records_than_a_search_reaches_with_one_modified_time_are_each_exported_once(
    emulator, tmp_path, monkeypatch
):
    """HubSpot's 10,000 cap, scaled: a cap of 100 and 250 records stamped with one identical modified time."""
    emulator.configure(search_results_cap=100)
    monkeypatch.setattr(object_listing, "SEARCH_RESULTS_CAP", 100)
    ids = seeded(emulator, 250, JAN_1)
    export(tmp_path, records="modified", modified_since=JAN_1.isoformat(), modified_until=JAN_2.isoformat()).execute(
        TaskInstance().context()
    )
    assert sorted(pairs(tmp_path / "out.jsonl")) == [(r, COMPANY + n) for n, r in enumerate(ids)]
    assert served(emulator, "objects.search", "400") == 0  # never paged past the cap
    assert served(emulator, "objects.search") == 3  # three queries, split on hs_object_id


def test_a_search_429_secondly_is_waited_out_and_retried(emulator, tmp_path, monkeypatch):
    emulator.configure(search_requests_per_second=1)
    monkeypatch.setattr(object_listing, "SEARCH_PAGE_SIZE", 20)
    ids = seeded(emulator, 50, JAN_1)
    export(tmp_path, records="modified", modified_since=JAN_1.isoformat(), modified_until=JAN_2.isoformat()).execute(
        TaskInstance().context()
    )
    assert sorted(pairs(tmp_path / "out.jsonl")) == [(r, COMPANY + n) for n, r in enumerate(ids)]
    assert served(emulator, "objects.search", "429") >= 1
    assert served(emulator, "objects.search", "200") == 3


# ---------------------------------------------------------------------- bad answers: nothing exported
def _loop_list_cursor(emulator: Any) -> None:
    def observe(request, response) -> None:
        if response.endpoint == "objects.list" and response.status == 200:
            response.body = {**response.body, "paging": {"next": {"after": "5"}}}

    emulator.app.observers.append(observe)


def test_a_list_cursor_that_loops_is_a_paging_error_and_nothing_is_exported(emulator, tmp_path):
    seeded(emulator, 30)
    _loop_list_cursor(emulator)
    with pytest.raises(HubSpotPagingError, match="a second time"):
        export(tmp_path, records="all").execute(TaskInstance().context())
    assert not (tmp_path / "out.jsonl").exists()
    assert served(emulator, "objects.list") == 2  # the first page, then "5" answering "5" again: not followed
    assert served(emulator, "batch.read") == 0


@pytest.mark.parametrize("kind", ["html", "wrong_shape", "non_int_id", "truncated"])
@pytest.mark.parametrize(("records", "endpoint"), [("all", "objects.list"), ("modified", "objects.search")])
def test_a_hostile_list_or_search_answer_is_a_named_error_and_nothing_is_exported(
    emulator, tmp_path, records, endpoint, kind
):
    seeded(emulator, 30)
    emulator.hostile(kind, endpoint)
    window = {"modified_since": JAN_1.isoformat(), "modified_until": JAN_2.isoformat()} if records == "modified" else {}
    operator = export(tmp_path, records=records, hook_params={**FAST, "max_retries": 1}, **window)
    with pytest.raises(HubSpotAnswerError, match="answer not as documented"):
        operator.execute(TaskInstance().context())
    assert not (tmp_path / "out.jsonl").exists()
    assert served(emulator, "batch.read") == 0


# ---------------------------------------------------------------------- merged records
def test_a_merged_id_is_exported_under_the_survivor_with_the_asked_id_kept(emulator, tmp_path):
    a, b, c = seeded(emulator, 3)
    survivor = emulator.merge("contacts", a, b)
    assert survivor not in (a, b)
    summary = export(tmp_path, record_ids=[a, c], with_asked_id=True).execute(TaskInstance().context())
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    got = sorted((r["from_id"], r["to_id"], r["asked_from_id"]) for r in rows)
    assert got == sorted([(survivor, COMPANY, a), (survivor, COMPANY + 1, a), (c, COMPANY + 2, c)])
    assert summary["failed"] == 0
    assert served(emulator, "objects.batch.read") == 1  # the survivor's hs_merged_object_ids, read once


def test_both_merged_ids_and_the_survivor_asked_together_each_keep_their_rows(emulator, tmp_path):
    a, b = seeded(emulator, 2)
    survivor = emulator.merge("contacts", a, b)
    export(tmp_path, record_ids=[a, b, survivor], with_asked_id=True).execute(TaskInstance().context())
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    got = sorted((r["asked_from_id"], r["from_id"], r["to_id"]) for r in rows)
    assert got == sorted((asked, survivor, to) for asked in (a, b, survivor) for to in (COMPANY, COMPANY + 1))


# ---------------------------------------------------------------------- resume
def test_a_resumed_all_export_exports_each_row_once(emulator, tmp_path):
    ids = seeded(emulator, 250)
    ti = TaskInstance()
    emulator.configure(daily_limit=4)  # the list pages and a few chunks, then HubSpot's DAILY 429
    with pytest.raises(AirflowFailException):
        export(tmp_path, records="all", chunk_size=20).execute(ti.context())
    saved = CheckpointStore.for_context(str(tmp_path / "checkpoints"), ti.context()).load()
    assert saved is not None and 0 < saved["position"] < 250
    assert saved["extra"]["records_after"]["id"] == ids[saved["position"] - 1]

    emulator.configure(daily_limit=None)
    emulator.refill_daily_budget()
    reset_shared_limiters()
    before = served(emulator, "objects.list")
    summary = export(tmp_path, records="all", chunk_size=20).execute(ti.context())
    assert pairs(tmp_path / "out.jsonl") == [(r, COMPANY + n) for n, r in enumerate(ids)]  # once each, in order
    assert summary["records"] == 250 and summary["resumed_from"] == saved["position"]
    assert served(emulator, "objects.list") - before <= 3 - saved["position"] // 100  # from the saved page


def test_a_resumed_modified_export_searches_past_the_last_id_done(emulator, tmp_path, monkeypatch):
    monkeypatch.setattr(object_listing, "SEARCH_PAGE_SIZE", 50)
    ids = seeded(emulator, 200, JAN_1)
    ti = TaskInstance()
    window = {"modified_since": JAN_1.isoformat(), "modified_until": JAN_2.isoformat()}
    searched: list[Any] = []
    emulator.app.observers.append(
        lambda request, response: (
            searched.append(json.loads(request.body)) if response.endpoint == "objects.search" else None
        )
    )
    emulator.configure(daily_limit=5)
    with pytest.raises(AirflowFailException):
        export(tmp_path, records="modified", chunk_size=20, **window).execute(ti.context())
    saved = CheckpointStore.for_context(str(tmp_path / "checkpoints"), ti.context()).load()
    assert saved is not None and 0 < saved["position"] < 200
    last = saved["extra"]["records_after"]["id"]
    assert last == ids[saved["position"] - 1]

    emulator.configure(daily_limit=None)
    emulator.refill_daily_budget()
    reset_shared_limiters()
    searched.clear()
    export(tmp_path, records="modified", chunk_size=20, **window).execute(ti.context())
    assert pairs(tmp_path / "out.jsonl") == [(r, COMPANY + n) for n, r in enumerate(ids)]
    assert searched[0]["filterGroups"][0]["filters"][2] == {
        "propertyName": "hs_object_id",
        "operator": "GT",
        "value": str(last),
    }
