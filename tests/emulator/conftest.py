"""Make the emulator's pytest fixtures available to the emulator's own tests.

``pytest_plugins`` is only honoured in the root ``conftest.py`` (owned by the lead), so the fixtures are
imported here; users put ``pytest_plugins = ["airflow_provider_hubassoc.emulator.pytest_plugin"]`` in theirs.
"""

from __future__ import annotations

from airflow_provider_hubassoc.emulator.pytest_plugin import (  # noqa: F401 - fixtures
    _hubspot_emulator_session,
    hubspot_connection,
    hubspot_emulator,
)
