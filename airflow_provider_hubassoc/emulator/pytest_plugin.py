"""Pytest fixtures for testing DAGs against the emulator.

Enable in a ``conftest.py``::

    pytest_plugins = ["airflow_provider_hubassoc.emulator.pytest_plugin"]

``hubspot_emulator``: a running emulator with a fresh account for each test (one server per session,
reset between tests, knobs back to their defaults). ``hubspot_connection``: sets
``AIRFLOW_CONN_HUBSPOT_DEFAULT`` to point at it and returns the connection id.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._config import EmulatorConfig
from ._server import HubSpotEmulator


@pytest.fixture(scope="session")
def _hubspot_emulator_session() -> Iterator[HubSpotEmulator]:
    with HubSpotEmulator(seed=0) as emulator:
        yield emulator


@pytest.fixture
def hubspot_emulator(_hubspot_emulator_session: HubSpotEmulator) -> Iterator[HubSpotEmulator]:
    """A running emulator in a fresh state (records, labels, associations, counters, default knobs)."""
    emulator = _hubspot_emulator_session
    emulator.configure(**EmulatorConfig().as_dict())
    emulator.reset(seed=0)
    yield emulator
    emulator.configure(**EmulatorConfig().as_dict())


@pytest.fixture
def hubspot_connection(hubspot_emulator: HubSpotEmulator, monkeypatch: pytest.MonkeyPatch) -> str:
    """The Airflow connection id ``hubspot_default``, pointing at ``hubspot_emulator``."""
    for name, value in hubspot_emulator.airflow_connection_env("hubspot_default").items():
        monkeypatch.setenv(name, value)
    return "hubspot_default"
