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


#: The versions every API-level hook test runs on: the retiring v4 and both GA dated versions (the default last).
API_VERSIONS_UNDER_TEST = (pytest.param("v4", marks=pytest.mark.legacy_api), "2026-03", "2026-09")
#: the modules of API-level tests (records, batch, labels, limits, the 2026-09 write rules); v3 has its own module
PER_VERSION_MODULES = frozenset(
    {"test_api_records", "test_api_batch", "test_api_labels", "test_api_limits", "test_api_write_rules"}
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test of the API-level modules once per version, unless it chooses its versions itself."""
    if metafunc.module.__name__.rsplit(".", 1)[-1] not in PER_VERSION_MODULES:
        return
    if "api_version" not in metafunc.fixturenames:
        return
    chosen = any("api_version" in str(mark.args[0]) for mark in metafunc.definition.iter_markers("parametrize"))
    if not chosen:
        metafunc.parametrize("api_version", API_VERSIONS_UNDER_TEST)


@pytest.fixture
def api_version() -> str | None:
    """The API version of the test's hooks (``None``: the connection's default); the API-level modules get one
    test per version through ``pytest_generate_tests``."""
    return None


@pytest.fixture
def make_hook(emu, api_version) -> Callable[..., Any]:
    """Build hooks on the emulator connection; keyword arguments override connection extras."""
    from airflow_provider_hubassoc.hooks.associations import HubSpotAssociationsHook

    hooks = []

    def make(**overrides: Any) -> HubSpotAssociationsHook:
        if api_version is not None:
            overrides.setdefault("api_version", api_version)
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
