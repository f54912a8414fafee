"""A running Airflow 3 deployment for the tests that start one (scheduler runs, the Celery drill): the environment
its processes share, and free loopback ports for its servers."""

from __future__ import annotations

import os
import socket
from pathlib import Path


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
