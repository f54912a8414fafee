"""Fixtures for the emulator's own tests, and a JSON Schema check of every API response they see.

The root ``conftest.py`` enables the plugin (``pytest_plugins = ["airflow_provider_hubassoc.emulator.pytest_plugin"]``,
as users do in theirs); here its ``hubspot_emulator`` is wrapped with the shape check.

Every response the emulator sends during a test (to ``requests`` or to the official SDK) is validated against
``schemas/responses.schema.json`` (written from the reference, not from the emulator); a mismatch fails the
test that caused it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from emulator_shapes import ShapeChecker

from airflow_provider_hubassoc.emulator.pytest_plugin import (  # noqa: F401 - registers the plugin's fixture
    hubspot_emulator as _plugin_emulator,
)

if TYPE_CHECKING:
    from airflow_provider_hubassoc.emulator import HubSpotEmulator


@pytest.fixture
def shape_checker() -> ShapeChecker:
    return ShapeChecker()


@pytest.fixture
def hubspot_emulator(
    _plugin_emulator: HubSpotEmulator,  # noqa: F811 - the plugin's fixture, imported above under this name
    shape_checker: ShapeChecker,
) -> Iterator[HubSpotEmulator]:
    """The plugin's emulator, with every response of the test checked against the JSON Schemas."""
    checker = shape_checker
    _plugin_emulator.app.observers.append(checker)
    try:
        yield _plugin_emulator
    finally:
        _plugin_emulator.app.observers.remove(checker)
    assert not checker.failures, "responses not matching the reference's shapes:\n" + "\n".join(checker.failures)
