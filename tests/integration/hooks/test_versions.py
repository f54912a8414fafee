"""The version table and its warning: which versions HubSpot is retiring, when, and what a task says about it."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from airflow_provider_hubassoc.hooks import _versions
from airflow_provider_hubassoc.hooks._versions import (
    DEFAULT_API_VERSION,
)

TODAY = date(2026, 12, 6)


def _version_warnings(caplog, capsys) -> list[str]:
    """Warning lines from the hook's logger (stdlib on Airflow 2, structlog to stdout on Airflow 3)."""
    out = capsys.readouterr()
    records = [r.getMessage() for r in caplog.records if "HubSpot API version" in r.getMessage()]
    if records:  # Airflow 2: stdlib logging (also echoed to stderr by its handler: count the records only)
        return records
    return [line for line in (out.out + out.err).splitlines() if "HubSpot API version" in line]


@pytest.mark.legacy_api
def test_a_hook_on_v4_logs_one_warning_naming_the_date_however_many_calls(
    make_hook, caplog, capsys, monkeypatch
) -> None:
    monkeypatch.setattr(_versions, "today_utc", lambda: TODAY)
    hook = make_hook(api_version="v4")
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            hook.list_labels("contacts", "companies")
        list(hook.iter_read_associations("contacts", "companies", [1, 2]))
    warnings = _version_warnings(caplog, capsys)
    assert len(warnings) == 1 and "2027-03-30" in warnings[0] and "move to 2026-09" in warnings[0]


def test_a_hook_on_the_default_logs_no_version_warning(make_hook, caplog, capsys, monkeypatch) -> None:
    monkeypatch.setattr(_versions, "today_utc", lambda: TODAY)
    hook = make_hook()
    with caplog.at_level(logging.WARNING):
        hook.list_labels("contacts", "companies")
    assert hook.settings.api_version == DEFAULT_API_VERSION
    assert _version_warnings(caplog, capsys) == []
