"""Fixtures of the hook tests: the bundled emulator over real HTTP and hooks pointed at it.

The emulator's fixtures (``hubspot_emulator``, ``hubspot_connection``) come from its pytest plugin, enabled in
the root conftest. Its client-side and server-side rate limits are lifted for these tests: they check behaviour,
not pacing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def emu(hubspot_emulator, hubspot_connection):
    """A fresh emulator account without rate limits; ``AIRFLOW_CONN_HUBSPOT_DEFAULT`` points at it."""
    hubspot_emulator.configure(requests_per_10_seconds=None, daily_limit=None)
    return hubspot_emulator


@pytest.fixture
def make_hook(emu) -> Callable[..., Any]:
    """Build hooks on the emulator connection; keyword arguments override connection extras."""
    from airflow_provider_hubassoc.hooks.associations import HubSpotAssociationsHook

    hooks = []

    def make(**overrides: Any) -> HubSpotAssociationsHook:
        overrides.setdefault("requests_per_10_seconds", 1_000_000)
        overrides.setdefault("max_concurrency", 1)
        hook = HubSpotAssociationsHook(**overrides)
        hooks.append(hook)
        return hook

    yield make
    for hook in hooks:
        hook.close()


@pytest.fixture
def hook(make_hook):
    return make_hook()


@pytest.fixture
def sent(emu) -> Callable[[str | None], int]:
    """``sent("batch.create")``: requests the emulator served for one endpoint (any status); ``sent()``: all."""

    def count(endpoint: str | None = None) -> int:
        counters = emu.counters()
        if endpoint is None:
            return sum(sum(by_status.values()) for by_status in counters.values())
        return sum(counters.get(endpoint, {}).values())

    return count
