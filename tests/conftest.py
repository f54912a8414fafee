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

import re  # noqa: E402 - after the environment above, like every import of this module that may load Airflow

import pytest  # noqa: E402

#: paths of the versions HubSpot is retiring (v4 on 2027-03-30, OAuth v1 on 2027-02-16, v3 in September 2027)
LEGACY_PATH = re.compile(r"^/(crm/v[34]/|crm/associations/v4/|oauth/v1/)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "legacy_api: the test speaks v3, v4 or OAuth v1 on purpose (anything else may not call their paths)",
    )


@pytest.fixture(autouse=True)
def _no_legacy_paths_unless_marked(request: pytest.FixtureRequest):
    """Fail a test that made the shared emulator serve a v3/v4/OAuth v1 path without ``@pytest.mark.legacy_api``:
    the default (``2026-09``) and everything built on it must never fall back to a retiring version."""
    if "hubspot_emulator" not in request.fixturenames or request.node.get_closest_marker("legacy_api"):
        yield
        return
    emulator = request.getfixturevalue("hubspot_emulator")
    seen: list[str] = []

    def observe(req, _response) -> None:
        if LEGACY_PATH.match(req.path):
            seen.append(f"{req.method} {req.path}")

    emulator.app.observers.append(observe)
    yield
    emulator.app.observers.remove(observe)
    if seen:
        pytest.fail(
            f"the test called retiring API paths without @pytest.mark.legacy_api: {sorted(set(seen))[:5]}",
            pytrace=False,
        )
