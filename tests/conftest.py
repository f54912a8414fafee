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

#: paths of the versions HubSpot is retiring (v4 on 2027-03-30, OAuth v1 on 2027-02-16, v1-v3 APIs incl. OAuth v3
#: in September 2027)
LEGACY_PATH = re.compile(r"^/(crm/v[34]/|crm/associations/v4/|oauth/v[13]/)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "legacy_api: the test speaks v3, v4 or OAuth v1 on purpose (anything else may not call their paths)",
    )
    config.addinivalue_line(
        "markers",
        "distributed: a real distributed deployment (CeleryExecutor, Redis, PostgreSQL, several workers); in the"
        " default suite, selectable alone with -m distributed",
    )
    config.addinivalue_line(
        "markers",
        "verify_settle: the emulator connection keeps label_verify_settle_seconds at its real default (2 s); "
        "other tests get 0",
    )


#: legacy paths served by any emulator of this process since the current test started
_LEGACY_SEEN: list[str] = []


@pytest.fixture(scope="session", autouse=True)
def _watch_every_emulator():
    """Record every v3/v4/OAuth v1-v3 path any in-process emulator serves (the shared one, and those tests start
    themselves); an emulator in a subprocess is checked by its own test (the demo prints requests by version)."""
    from airflow_provider_hubassoc.emulator._app import EmulatorApp

    handle = EmulatorApp.handle

    def watched(self, request):
        if LEGACY_PATH.match(request.path):
            _LEGACY_SEEN.append(f"{request.method} {request.path}")
        return handle(self, request)

    EmulatorApp.handle = watched
    yield
    EmulatorApp.handle = handle


@pytest.fixture(autouse=True)
def _no_legacy_paths_unless_marked(request: pytest.FixtureRequest):
    """Fail a test that made an emulator serve a v3/v4/OAuth v1 path without ``@pytest.mark.legacy_api``: the
    default (``2026-09``) and everything built on it must never fall back to a version HubSpot is retiring."""
    _LEGACY_SEEN.clear()
    yield
    seen = sorted(set(_LEGACY_SEEN))
    _LEGACY_SEEN.clear()
    if seen and not request.node.get_closest_marker("legacy_api"):
        pytest.fail(f"the test called retiring API paths without @pytest.mark.legacy_api: {seen[:5]}", pytrace=False)


@pytest.fixture
def hubspot_connection(hubspot_connection: str, hubspot_emulator, monkeypatch: pytest.MonkeyPatch, request) -> str:
    """The plugin's emulator connection with ``label_verify_settle_seconds`` 0: a labeled write's verify read
    then follows its write at once (still one read per chunk, so request counts stay honest) instead of 2 s
    later. Tests about the verify pass keep the real default with ``@pytest.mark.verify_settle``."""
    if request.node.get_closest_marker("verify_settle") is None:
        for name, value in hubspot_emulator.airflow_connection_env(
            hubspot_connection, label_verify_settle_seconds=0
        ).items():
            monkeypatch.setenv(name, value)
    return hubspot_connection
