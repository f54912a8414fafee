"""Every example DAG succeeds when a user triggers it from the CLI of a running Airflow 3 deployment.

Airflow 3 gives a run triggered from the CLI, the REST API or the UI no logical date (``dag.test()`` always sets
one), so this runs the real thing: api-server, scheduler, dag-processor and triggerer processes with
LocalExecutor on SQLite, the bundled emulator, ``airflow dags trigger`` for each example, and the runs' final
states read from the metadata DB. Scheduled runs are switched off (``use_job_schedule``) so only the triggered
runs execute. Airflow 2 always gives runs a logical date; its line is covered by ``test_example_dags.py``.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dag_support import demo_script
from deployment_support import airflow3_env, free_port

from airflow_provider_hubassoc._compat import AIRFLOW_V_3_0_PLUS
from airflow_provider_hubassoc.emulator import HubSpotEmulator

pytestmark = pytest.mark.skipif(not AIRFLOW_V_3_0_PLUS, reason="Airflow 2 gives every run a logical date")

EXAMPLES = Path(__file__).resolve().parents[2] / "example_dags"
DAG_IDS = sorted(path.stem for path in EXAMPLES.glob("example_*.py"))
AIRFLOW = Path(sys.executable).with_name("airflow")
DEADLINE_SECONDS = 600  # a generous bound for a loaded 2-core machine; a healthy run takes about a minute


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    """A running Airflow 3 (4 processes) whose dags folder holds the examples; yields (env, metadata DB path)."""
    dags = tmp_path / "dags"
    dags.mkdir()
    for dag_id in DAG_IDS:
        (dags / f"{dag_id}.py").write_text((EXAMPLES / f"{dag_id}.py").read_text())
    port = free_port()
    env = airflow3_env(
        tmp_path,
        dags,
        port,
        "LocalExecutor",
        AIRFLOW__CORE__PARALLELISM="4",
        HUBASSOC_EXAMPLE_DATA=str(tmp_path / "data"),
        # the examples' warehouse: an embedded SQLite file, as in the demo and test_example_dags.py
        AIRFLOW_CONN_WAREHOUSE=json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "warehouse.db")}),
    )
    with HubSpotEmulator(seed=0) as emulator:
        env.update(emulator.airflow_connection_env("hubspot_default"))
        demo_script().seed_warehouse_keys(emulator)  # the contacts and companies the keys example names
        subprocess.run([str(AIRFLOW), "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
        subprocess.run(
            [str(AIRFLOW), "pools", "set", "hubspot_api", "4", "HubSpot API"],
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
        processes = []
        try:
            for command in (["api-server", "--port", str(port)], ["scheduler"], ["dag-processor"], ["triggerer"]):
                log = open(tmp_path / f"{command[0]}.log", "wb")  # noqa: SIM115 (closed with the process below)
                processes.append(
                    (
                        subprocess.Popen(
                            [str(AIRFLOW), *command],
                            env=env,
                            stdout=log,
                            stderr=subprocess.STDOUT,
                            start_new_session=True,
                        ),
                        log,
                    )
                )
            yield env, tmp_path / "home" / "airflow.db"
        finally:
            for process, _ in processes:
                os.killpg(process.pid, signal.SIGTERM)  # the process group each command was started in
            for process, log in processes:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=30)
                log.close()


def query(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as connection:
        return connection.execute(sql).fetchall()


def wait_for(condition, what: str, started: float) -> None:
    while not condition():
        assert time.monotonic() - started < DEADLINE_SECONDS, f"timed out waiting for {what}"
        time.sleep(1)


def test_every_example_succeeds_when_triggered_from_the_cli(deployment: tuple[dict[str, str], Path]) -> None:
    env, db = deployment
    started = time.monotonic()
    wait_for(
        lambda: {row[0] for row in query(db, "select dag_id from dag")} >= set(DAG_IDS), "the DAGs to parse", started
    )
    airflow = str(AIRFLOW)
    subprocess.run(
        [airflow, "dags", "unpause", "--treat-dag-id-as-regex", "--yes", "^example_hubspot_"],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    for dag_id in DAG_IDS:
        subprocess.run([airflow, "dags", "trigger", dag_id], env=env, check=True, capture_output=True, timeout=300)

    def runs() -> dict[str, tuple[str, str, object]]:
        rows = query(db, "select dag_id, run_type, state, logical_date from dag_run")
        return {dag_id: (run_type, state, logical_date) for dag_id, run_type, state, logical_date in rows}

    wait_for(
        lambda: len(runs()) == len(DAG_IDS) and all(s in ("success", "failed") for _, s, _ in runs().values()),
        "the triggered runs to finish",
        started,
    )
    states = runs()
    assert states == dict.fromkeys(DAG_IDS, ("manual", "success", None)), states
    # the sensor gate ran its deferred wait in the triggerer: nothing linked its deals, so it was skipped
    gate = dict(query(db, "select task_id, state from task_instance where dag_id = 'example_hubspot_sensor_gate'"))
    assert gate == {"wait_for_deal_companies": "skipped", "refresh_deal_revenue_model": "skipped"}
