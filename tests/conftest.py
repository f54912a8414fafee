"""Test session set-up shared by every test.

Airflow reads its configuration when first imported, so the environment is set here, before any test module
imports Airflow: a private ``AIRFLOW_HOME`` (so no test touches a user's Airflow), no example DAGs, and unit
tests that need no metadata DB (connections come from ``AIRFLOW_CONN_*`` variables).
"""

from __future__ import annotations

import os
import tempfile
from importlib.metadata import version
from pathlib import Path

_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="hubassoc-airflow-home-"))
os.environ["AIRFLOW_HOME"] = str(_AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"
if int(version("apache-airflow").split(".")[0]) < 3:  # read without importing Airflow (config not loaded yet)
    # Airflow 2's unit-test config picks LocalExecutor, which refuses SQLite; dag.test() needs no parallelism
    os.environ.setdefault("AIRFLOW__CORE__EXECUTOR", "SequentialExecutor")
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(_AIRFLOW_HOME / "dags"))
(_AIRFLOW_HOME / "dags").mkdir(exist_ok=True)

# The emulator's fixtures (``hubspot_emulator``, ``hubspot_connection``) for every test directory.
pytest_plugins = ["airflow_provider_hubassoc.emulator.pytest_plugin", "dag_support", "sql_support"]
