"""Every failure says what was done (issue 21, item 4): HubSpot unreachable mid-run, a cancel or a kill ends each
operator with the same summary the daily-budget stop pushes (XCom ``summary``, one log line, the checkpoint a retry
resumes from), the original exception type kept; a retry then finishes exactly, and counts that may miss chunks in
flight say so. Real operators against the emulator over HTTP; "unreachable" is the emulator closing connections
unanswered (after applying the request: the worst case, a write landed and its answer lost).
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from operator_support import FakeTaskInstance

from airflow_provider_hubassoc._compat import AirflowException
from airflow_provider_hubassoc.emulator._routes import WRITE_ENDPOINTS
from airflow_provider_hubassoc.exceptions import HubSpotAnswerError, HubSpotConnectionError, HubSpotServerError
from airflow_provider_hubassoc.hooks._ratelimit import reset_shared_limiters
from airflow_provider_hubassoc.operators._checkpoint import CheckpointStore
from airflow_provider_hubassoc.operators._locations import LocationError
from airflow_provider_hubassoc.operators.associations import (
    HubSpotArchiveAssociationsOperator,
    HubSpotCreateAssociationsOperator,
    HubSpotReadAssociationsOperator,
    HubSpotSyncAssociationsOperator,
)
from airflow_provider_hubassoc.operators.labels import HubSpotSyncLabelsOperator

SERIAL = {"requests_per_10_seconds": 1_000_000, "max_concurrency": 1}
PAIRS = [(i, 100_000 + i) for i in range(1, 301)]


@pytest.fixture(autouse=True)
def _fast(monkeypatch, hubspot_emulator, hubspot_connection):
    monkeypatch.setattr("airflow_provider_hubassoc.hooks._retry.BACKOFF_BASE_SECONDS", 0.001)
    hubspot_emulator.configure(requests_per_10_seconds=None, daily_limit=None)
    reset_shared_limiters()
    yield
    reset_shared_limiters()


class TaskInstance(FakeTaskInstance):
    dag_id, task_id, run_id = "failsum", "task", "manual__2026-01-02"


@pytest.fixture
def outage(hubspot_emulator) -> Iterator[Any]:
    """``outage(after=2, endpoints=...)``: once ``after`` answers of those endpoints went out, every API answer is
    lost (the request applied, its connection closed unanswered) until ``outage.end()``; with ``html=True`` each
    is a proxy's maintenance page instead (a bad answer)."""
    before = list(hubspot_emulator.app.observers)

    class Outage:
        def __call__(self, *, after: int, endpoints: frozenset[str] | set[str], html: bool = False) -> None:
            self.seen, self.down = 0, after <= 0

            def observe(_request: Any, response: Any) -> None:
                if self.down and html:
                    response.payload, response.content_type = b"<html>Down for maintenance</html>", "text/html"
                elif self.down:
                    response.drop = True
                elif response.endpoint in endpoints and 200 <= response.status < 300:
                    self.seen += 1
                    self.down = self.seen >= after

            hubspot_emulator.app.observers.append(observe)

        def end(self) -> None:
            hubspot_emulator.app.observers[:] = before
            reset_shared_limiters()

    yield Outage()
    hubspot_emulator.app.observers[:] = before


def linked(emulator: Any) -> set[tuple[int, int]]:
    return {
        (a["fromObjectId"], a["toObjectId"])
        for a in emulator.dump()["associations"]
        if a["fromObjectTypeId"] == "0-1" and a["toObjectTypeId"] == "0-2"
    }


def failed_with_summary(operator: Any, ti: TaskInstance, logs: Any) -> tuple[BaseException, dict[str, Any]]:
    """The task's exception and its summary; exactly one "Stopped (...)" line was logged (Airflow 3 logs through
    structlog to stdout, Airflow 2 through logging)."""
    with pytest.raises(Exception) as caught:
        operator.execute(ti.context())
    summary = ti.pushed["summary"]
    capsys, caplog = logs
    printed = capsys.readouterr().out
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Stopped (")]
    lines = lines or [line for line in printed.splitlines() if "Stopped (" in line]
    assert len(lines) == 1 and "Done so far:" in lines[0], lines
    assert f"Stopped ({summary['stopped']})" in lines[0]
    return caught.value, summary


def checkpoint_of(tmp_path: Path, ti: TaskInstance) -> str:
    return str(CheckpointStore.for_context(str(tmp_path / "checkpoints"), ti.context()))


def pair_operator(kind: type, tmp_path: Path, **kwargs: Any) -> Any:
    return kind(
        task_id="task",
        from_object_type="contacts",
        to_object_type="companies",
        pairs=[list(p) for p in PAIRS],
        chunk_size=50,
        hook_params=SERIAL,
        failures_path=str(tmp_path / "failures.csv"),
        checkpoint_path=str(tmp_path / "checkpoints"),
        **kwargs,
    )


@pytest.mark.parametrize("kind", [HubSpotCreateAssociationsOperator, HubSpotArchiveAssociationsOperator])
def test_a_link_or_unlink_cut_off_mid_run_says_what_was_done_and_its_retry_finishes_exactly(
    kind, hubspot_emulator, outage, tmp_path, capsys, caplog
):
    unlink = kind is HubSpotArchiveAssociationsOperator
    if unlink:
        for from_id, to_id in PAIRS:
            hubspot_emulator.associate("contacts", from_id, "companies", to_id)
    outage(after=2, endpoints=WRITE_ENDPOINTS)
    ti = TaskInstance()
    error, summary = failed_with_summary(pair_operator(kind, tmp_path), ti, (capsys, caplog))

    assert isinstance(error, HubSpotServerError)  # the hook's own type: Airflow retries it as before
    assert summary["stopped"] == f"error:{type(error).__name__}"
    assert "Done so far:" in "".join(getattr(error, "__notes__", []))
    # two chunks answered and checkpointed; the third was applied, its answer lost: counted as unknown
    assert summary["succeeded"] == 100 and summary["failed"] == 0
    assert summary["counts_exact"] is False and summary["in_flight_unknown"] == 50
    assert summary["not_sent"] == 150
    assert summary["checkpoint"] == checkpoint_of(tmp_path, ti)
    assert summary["failures_path"] == str(tmp_path / "failures.csv")
    assert json.loads(Path(summary["checkpoint"]).read_text())["position"] == 100

    outage.end()
    done = pair_operator(kind, tmp_path).execute(ti.context())
    assert done["resumed_from"] == 100 and done["total"] == 300 and done["failed"] == 0
    assert done["succeeded"] == 300  # the lost chunk is sent again by the retry and counted once
    assert linked(hubspot_emulator) == (set() if unlink else set(PAIRS))
    assert not Path(summary["checkpoint"]).exists()


def test_a_cancelled_link_pushes_the_summary_with_exact_counts(hubspot_emulator, tmp_path, capsys, caplog):
    operator = pair_operator(HubSpotCreateAssociationsOperator, tmp_path)
    seen = []

    def kill_after_two(_request: Any, response: Any) -> None:
        if response.endpoint in WRITE_ENDPOINTS:
            seen.append(response.status)
            if len(seen) == 2:
                operator.on_kill()

    hubspot_emulator.app.observers.append(kill_after_two)
    ti = TaskInstance()
    try:
        error, summary = failed_with_summary(operator, ti, (capsys, caplog))
    finally:
        hubspot_emulator.app.observers.remove(kill_after_two)
    assert type(error) is AirflowException and "cancelled" in str(error)
    assert summary["stopped"] == "cancelled" and summary["counts_exact"] is True
    assert summary["succeeded"] == len(linked(hubspot_emulator)) == 100
    assert summary["not_sent"] == 200 and summary["checkpoint"] == checkpoint_of(tmp_path, ti)


def sync_operator(tmp_path: Path) -> HubSpotSyncAssociationsOperator:
    operator: HubSpotSyncAssociationsOperator = pair_operator(HubSpotSyncAssociationsOperator, tmp_path)
    return operator


def test_a_reconcile_cut_off_mid_write_marks_its_counts_as_lower_bounds_until_it_is_done(
    hubspot_emulator, outage, tmp_path, capsys, caplog
):
    outage(after=2, endpoints=WRITE_ENDPOINTS)
    ti = TaskInstance()
    error, summary = failed_with_summary(sync_operator(tmp_path), ti, (capsys, caplog))
    assert isinstance(error, HubSpotServerError) and summary["stopped"] == f"error:{type(error).__name__}"
    assert summary["plan"]["create"] == 300 and summary["created"] == 100
    assert summary["counts_exact"] is False and summary["in_flight_unknown"] == 50
    assert summary["not_sent"] == 150 and summary["checkpoint"] == checkpoint_of(tmp_path, ti)

    outage.end()
    done = sync_operator(tmp_path).execute(ti.context())
    assert linked(hubspot_emulator) == set(PAIRS)  # HubSpot is exact
    # the lost chunk was applied: the resumed plan finds it done, so nobody counts it; the summary says so
    assert done["plan"]["create"] == 150 and done["created"] == 250
    assert done["counts_exact"] is False and done["in_flight_unknown"] == 50


def test_a_reconcile_killed_without_a_word_resumes_with_counts_marked_unknown(hubspot_emulator, tmp_path, monkeypatch):
    from airflow_provider_hubassoc.operators import _checkpoint

    saves = []
    real_save = _checkpoint.CheckpointStore.save

    def save_then_die(store: Any, state: Any) -> None:
        real_save(store, state)
        saves.append(state["position"])
        if len(saves) == 3:  # the mark that writes started, then two chunks: the worker dies (SIGKILL)
            raise KeyboardInterrupt

    monkeypatch.setattr(_checkpoint.CheckpointStore, "save", save_then_die)
    ti = TaskInstance()
    with pytest.raises(KeyboardInterrupt):
        sync_operator(tmp_path).execute(ti.context())
    assert "summary" not in ti.pushed  # a kill says nothing: the checkpoint still says writes were under way
    monkeypatch.setattr(_checkpoint.CheckpointStore, "save", real_save)
    reset_shared_limiters()

    done = sync_operator(tmp_path).execute(ti.context())
    assert linked(hubspot_emulator) == set(PAIRS)
    assert done["counts_exact"] is False and done["in_flight_unknown"] is None
    assert done["created"] <= 300


@pytest.mark.parametrize("html", [False, True], ids=["unreachable", "bad answer"])
def test_an_export_cut_off_mid_read_says_what_was_saved_and_its_retry_exports_exactly(
    html, hubspot_emulator, outage, tmp_path, capsys, caplog
):
    for record in range(1, 101):
        hubspot_emulator.associate("contacts", record, "companies", 1000 + record)
    output = tmp_path / "out.csv"

    def export() -> HubSpotReadAssociationsOperator:
        return HubSpotReadAssociationsOperator(
            task_id="task",
            from_object_type="contacts",
            to_object_type="companies",
            record_ids=list(range(1, 101)),
            output_path=str(output),
            chunk_size=20,
            hook_params=SERIAL,
            checkpoint_path=str(tmp_path / "checkpoints"),
        )

    outage(after=2, endpoints={"batch.read"}, html=html)
    ti = TaskInstance()
    error, summary = failed_with_summary(export(), ti, (capsys, caplog))
    assert type(error) is (HubSpotAnswerError if html else HubSpotConnectionError)
    assert summary["stopped"] == f"error:{type(error).__name__}"
    assert summary["read"] == 40 and summary["associations"] == 40 and summary["records"] == 100
    assert summary["counts_exact"] is True and summary["checkpoint"] == checkpoint_of(tmp_path, ti)

    outage.end()
    done = export().execute(ti.context())
    with open(output, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert done["associations"] == len(rows) == 100
    assert sorted(int(r["from_id"]) for r in rows) == list(range(1, 101))


def test_a_label_sync_cut_off_pushes_its_summary(hubspot_emulator, outage, capsys, caplog):
    outage(after=0, endpoints=set())  # HubSpot unreachable from the first request
    operator = HubSpotSyncLabelsOperator(
        task_id="task",
        definitions=[{"from_object_type": "contacts", "to_object_type": "companies", "name": "a", "label": "A"}],
    )
    ti = TaskInstance()
    error, summary = failed_with_summary(operator, ti, (capsys, caplog))
    assert isinstance(error, HubSpotServerError)
    assert summary["stopped"] == f"error:{type(error).__name__}" and summary["checkpoint"] is None


def test_a_label_sync_refuses_a_bad_previous_label_before_any_request(hubspot_emulator):
    before = hubspot_emulator.counters()
    operator = HubSpotSyncLabelsOperator(
        task_id="task",
        definitions="{{ params.d }}",  # rendered at run time: checked at execute, not at parse time
    )
    operator.definitions = [
        {
            "from_object_type": "contacts",
            "to_object_type": "companies",
            "name": "a",
            "label": "A",
            "previous_labels": ["old\x00"],
        }
    ]
    with pytest.raises(AirflowException, match=r"definitions\[0\]: field 'previous_labels'\[0\].*U\+0000"):
        operator.execute({})
    assert hubspot_emulator.counters() == before


def test_a_reconcile_checks_its_spill_directory_before_any_request(hubspot_emulator, tmp_path, monkeypatch):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    monkeypatch.setattr(tempfile, "tempdir", str(not_a_dir))
    before = hubspot_emulator.counters()
    with pytest.raises(LocationError, match=r"spill directory \(TMPDIR\)"):
        sync_operator(tmp_path).execute(TaskInstance().context())
    assert hubspot_emulator.counters() == before
