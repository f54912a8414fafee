"""Fixtures of the operator tests against the emulator over HTTP.

The emulator's fixtures (``hubspot_emulator``, ``hubspot_connection``) come from its pytest plugin, enabled in
the root conftest. A module that needs more of the account extends ``emulator`` by requesting it in its own
fixture of the same name.
"""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def emulator(hubspot_emulator: Any, hubspot_connection: Any) -> Any:
    """A fresh emulator account without rate limits (these tests check what is written, not pacing);
    ``AIRFLOW_CONN_HUBSPOT_DEFAULT`` points at it."""
    hubspot_emulator.configure(requests_per_10_seconds=None, daily_limit=None)
    return hubspot_emulator
