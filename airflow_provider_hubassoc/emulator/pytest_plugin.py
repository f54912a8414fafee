"""Pytest fixtures for testing DAGs against the emulator.

Installed with the package, pytest loads this plugin by itself (``pytest11`` entry point; pytest comes with
the ``pytest`` extra: ``pip install "airflow-provider-hubassoc[pytest]"``). Naming it in a ``conftest.py`` also
works and does nothing more::

    pytest_plugins = ["airflow_provider_hubassoc.emulator.pytest_plugin"]

``hubspot_emulator``: a running emulator with a fresh account for each test (one server per session,
reset between tests, knobs back to their defaults). ``hubspot_connection``: sets
``AIRFLOW_CONN_HUBSPOT_DEFAULT`` to point at it and returns the connection id.

The module imports without pytest (the fixtures are then simply not defined), so importing every public module
of the package never needs a test dependency.
"""

from __future__ import annotations

from collections.abc import Iterator

from ._config import EmulatorConfig
from ._server import HubSpotEmulator

try:
    import pytest
except ImportError:  # the optional "pytest" extra is not installed
    pytest = None  # type: ignore[assignment]


def restore_defaults(emulator: HubSpotEmulator) -> None:
    """Knobs back to their defaults (what ``hubspot_emulator`` does around each test)."""
    emulator.configure(**EmulatorConfig().as_dict())


if pytest is not None:

    @pytest.fixture(scope="session")
    def _hubspot_emulator_session() -> Iterator[HubSpotEmulator]:
        with HubSpotEmulator(seed=0) as emulator:
            yield emulator

    @pytest.fixture
    def hubspot_emulator(_hubspot_emulator_session: HubSpotEmulator) -> Iterator[HubSpotEmulator]:
        """A running emulator in a fresh state (records, labels, associations, counters, default knobs, no observers)."""
        emulator = _hubspot_emulator_session
        restore_defaults(emulator)
        emulator.reset(seed=0)
        emulator.app.observers.clear()  # a test's request observers never watch the next test
        yield emulator
        emulator.app.observers.clear()
        restore_defaults(emulator)

    @pytest.fixture
    def hubspot_connection(hubspot_emulator: HubSpotEmulator, monkeypatch: pytest.MonkeyPatch) -> str:
        """The Airflow connection id ``hubspot_default``, pointing at ``hubspot_emulator``."""
        for name, value in hubspot_emulator.airflow_connection_env("hubspot_default").items():
            monkeypatch.setenv(name, value)
        return "hubspot_default"
