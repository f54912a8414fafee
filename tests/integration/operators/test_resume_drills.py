"""Drills on real Airflow: a backfill killed with SIGKILL mid-run and run again, and a backfill larger than the
account's daily budget, both against the emulator over HTTP.

The killed run is ``dag.test()`` with a fixed logical date in a subprocess, so its run id repeats when it is run
again, as Airflow's retry of the same task instance would. The emulator answers in this process and counts every
write request, so "batches sent twice" is counted, not guessed.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from dag_support import DAGS_FOLDER
from operator_support import write_csv

from airflow_provider_hubassoc.hooks._ratelimit import reset_shared_limiters

MISSING = 10**13  # a company HubSpot does not have: the row is refused
ROWS, CHUNK, CONCURRENCY = 20_000, 100, 4
DAY = datetime(2026, 1, 2, tzinfo=timezone.utc)  # fixed logical date and run_after: the run id repeats
RUN_SCRIPT = """
import sys, pendulum
from airflow_provider_hubassoc._compat import AIRFLOW_V_3_0_PLUS
day = pendulum.datetime(2026, 1, 2, tz="UTC")
if AIRFLOW_V_3_0_PLUS:
    from airflow.dag_processing.dagbag import DagBag
    run = DagBag(dag_folder=sys.argv[1]).get_dag(sys.argv[2]).test(logical_date=day, run_after=day)
else:  # Airflow 2: execution_date, and the DagBag lives in airflow.models
    import airflow.providers.fab.auth_manager.models  # the ab_user table that dag_run_note refers to
    from airflow.models.dagbag import DagBag
    run = DagBag(dag_folder=sys.argv[1], include_examples=False).get_dag(sys.argv[2]).test(execution_date=day)
print("RUN", run.run_id, run.state, flush=True)
"""


def backfill_dag(dag_id: str, source: Path, work: Path, **operator_args: Any) -> Path:
    path = DAGS_FOLDER / f"{dag_id}.py"
    path.write_text(
        textwrap.dedent(f"""
        import pendulum
        try:  # Airflow 3
            from airflow.sdk import DAG
        except ImportError:  # Airflow 2
            from airflow import DAG
        from airflow_provider_hubassoc.operators.associations import HubSpotCreateAssociationsOperator

        with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
            HubSpotCreateAssociationsOperator(
                task_id="link", from_object_type="contacts", to_object_type="companies",
                input_path="{source}", failures_path="{work}/failures.csv", max_failures=None,
                checkpoint_path="{work}/checkpoints", chunk_size={CHUNK}, **{operator_args!r},
            )
    """)
    )
    return path


def write_backfill(path: Path, rows: int) -> list[tuple[int, int]]:
    pairs = [(i, MISSING if i % 500 == 0 else 100_000 + i) for i in range(1, rows + 1)]
    write_csv(path, ["from_id", "to_id"], pairs)
    return pairs


def linked(emulator: Any) -> set[tuple[int, int]]:
    return {
        (a["fromObjectId"], a["toObjectId"])
        for a in emulator.dump()["associations"]
        if a["fromObjectTypeId"] == "0-1" and a["toObjectTypeId"] == "0-2"
    }


def writes_answered(emulator: Any) -> int:
    return sum(emulator.counters().get("batch.associate_default", {}).values())


def checkpoints(work: Path) -> list[Path]:
    return sorted((work / "checkpoints").rglob("*.json"))


def xcom(dag_runner: Any, dag_id: str, run_id: str, key: str) -> Any:
    return dag_runner.xcom(SimpleNamespace(dag_id=dag_id, run_id=run_id), "link", key=key)


def test_a_backfill_killed_with_sigkill_resumes_and_redoes_at_most_the_chunks_in_flight(
    dag_runner, hubspot_emulator, tmp_path
):
    hubspot_emulator.configure(requests_per_10_seconds=None, daily_limit=None, latency=0.01)
    pairs = write_backfill(tmp_path / "pairs.csv", ROWS)
    dag_file = backfill_dag(
        "resume_drill_sigkill",
        tmp_path / "pairs.csv",
        tmp_path,
        hook_params={"max_concurrency": CONCURRENCY, "requests_per_10_seconds": 1_000_000},
    )
    command = [sys.executable, "-c", RUN_SCRIPT, str(dag_file), "resume_drill_sigkill"]
    chunks = ROWS // CHUNK

    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=os.environ.copy())
    try:
        while writes_answered(hubspot_emulator) < chunks // 3 and first.poll() is None:
            time.sleep(0.002)
        first.send_signal(signal.SIGKILL)  # no on_kill, no finally: the worker is simply gone
    finally:
        first.wait(60)
    assert first.returncode == -signal.SIGKILL, first.stdout.read().decode()[-3000:]
    sent_before_kill = writes_answered(hubspot_emulator)
    assert chunks // 3 <= sent_before_kill < chunks
    [saved] = checkpoints(tmp_path)
    assert saved.parent.name.startswith("manual__2026-01-02")
    recorded = [row["row"] for row in json.loads(saved.read_text())["failures"]]
    assert recorded == list(range(500, json.loads(saved.read_text())["position"] + 1, 500)) and recorded
    # the failures file the killed worker left holds (at least) every row its last checkpoint records
    with open(tmp_path / "failures.csv.partial") as handle:
        left = [int(row["row"]) for row in csv.DictReader(handle)]
    assert left[: len(recorded)] == recorded

    second = subprocess.run(command, capture_output=True, text=True, timeout=300, env=os.environ.copy())
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    _, run_id, state = next(line for line in second.stdout.splitlines() if line.startswith("RUN ")).split()
    assert state == "success", second.stdout[-3000:]

    assert linked(hubspot_emulator) == {p for p in pairs if p[1] != MISSING}  # the end state, exactly
    resent = writes_answered(hubspot_emulator) - chunks
    assert 0 <= resent <= CONCURRENCY  # batches sent twice: at most the chunks in flight at the kill
    summary = xcom(dag_runner, "resume_drill_sigkill", run_id, "return_value")
    assert summary["total"] == ROWS and summary["failed"] == ROWS // 500
    assert summary["succeeded"] == ROWS - ROWS // 500 and summary["not_sent"] == 0
    assert 0 < summary["resumed_from"] <= sent_before_kill * CHUNK
    with open(tmp_path / "failures.csv") as handle:
        failed_rows = [int(row["row"]) for row in csv.DictReader(handle)]
    assert failed_rows == list(range(500, ROWS + 1, 500))  # every refused row, once
    assert checkpoints(tmp_path) == [] and not (tmp_path / "failures.csv.partial").exists()


def test_a_backfill_larger_than_the_daily_budget_stops_cleanly_then_completes(dag_runner, hubspot_emulator, tmp_path):
    hubspot_emulator.configure(requests_per_10_seconds=None, daily_limit=15)
    pairs = write_backfill(tmp_path / "pairs.csv", 2_000)
    backfill_dag(
        "resume_drill_budget",
        tmp_path / "pairs.csv",
        tmp_path,
        hook_params={"max_concurrency": 2, "requests_per_10_seconds": 1_000_000},
    )

    first = dag_runner.run(
        DAGS_FOLDER / "resume_drill_budget.py", "resume_drill_budget", logical_date=DAY, run_after=DAY
    )
    assert dag_runner.states(first) == {"link": "failed"}
    stopped = dag_runner.xcom(first, "link", key="summary")
    assert stopped["stopped"] == "daily_budget" and stopped["daily_reset_at"].endswith("T00:00:00+00:00")
    assert 0 < stopped["total"] < 2_000 and stopped["not_sent"] == 2_000 - stopped["total"]
    assert checkpoints(tmp_path)

    hubspot_emulator.configure(daily_limit=None)
    hubspot_emulator.refill_daily_budget()
    reset_shared_limiters()  # the next attempt is a new process: it knows nothing of yesterday's 429
    second = dag_runner.run(
        DAGS_FOLDER / "resume_drill_budget.py", "resume_drill_budget", logical_date=DAY, run_after=DAY
    )
    assert second.run_id == first.run_id and dag_runner.states(second) == {"link": "success"}
    summary = dag_runner.xcom(second, "link")
    assert summary["total"] == 2_000 and summary["failed"] == 4 and summary["resumed_from"] == stopped["total"]
    assert linked(hubspot_emulator) == {p for p in pairs if p[1] != MISSING}
    assert checkpoints(tmp_path) == []
