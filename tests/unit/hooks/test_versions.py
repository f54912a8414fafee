"""The version table and its warning: which versions HubSpot is retiring, when, and what a task says about it."""

from __future__ import annotations

from datetime import date

import pytest

from airflow_provider_hubassoc import CONNECTION_EXTRA_FIELDS, UI_FIELD_BEHAVIOUR
from airflow_provider_hubassoc.hooks._versions import (
    API_VERSIONS,
    DEFAULT_API_VERSION,
    api_version_info,
    recommended_version,
    version_warning,
)

TODAY = date(2026, 12, 6)


def test_the_default_is_the_newest_ga_dated_version_and_the_form_says_so() -> None:
    assert DEFAULT_API_VERSION == "2026-09" == recommended_version(TODAY)
    assert CONNECTION_EXTRA_FIELDS["api_version"]["schema"]["default"] == DEFAULT_API_VERSION
    assert UI_FIELD_BEHAVIOUR["placeholders"]["api_version"] == DEFAULT_API_VERSION
    assert "2027-03-30" in CONNECTION_EXTRA_FIELDS["api_version"]["description"]


def test_lifecycle_dates_follow_hubspot_rules() -> None:
    """GA + 6 months Current, + 18 months unsupported (computed); v4 and v3 carry the announced dates."""
    assert API_VERSIONS["2026-03"].current_until == date(2026, 9, 30)
    assert API_VERSIONS["2026-03"].unsupported_from == date(2027, 9, 30)
    assert API_VERSIONS["2026-09"].current_until == date(2027, 3, 8)
    assert API_VERSIONS["2026-09"].unsupported_from == date(2028, 3, 8)
    assert (API_VERSIONS["v4"].unsupported_from, API_VERSIONS["v4"].announced) == (date(2027, 3, 30), True)
    assert API_VERSIONS["v3"].unsupported_from == date(2027, 9, 1)
    assert [API_VERSIONS[v].stage(TODAY) for v in ("v3", "v4", "2025-09", "2026-03", "2026-09")] == [
        "Supported",
        "Supported",
        "Supported",
        "Supported",
        "Current",
    ]
    assert API_VERSIONS["v4"].stage(date(2027, 3, 30)) == "Unsupported"
    # a later dated version the table does not know yet: dates computed from the first of its month
    later = api_version_info("2027-03")
    assert later is not None and (later.current_until, later.unsupported_from) == (date(2027, 9, 1), date(2028, 9, 1))
    assert api_version_info("v5") is None


def test_the_default_needs_no_warning_today() -> None:
    assert version_warning(DEFAULT_API_VERSION, TODAY) is None


@pytest.mark.parametrize(
    ("version", "named"),
    [
        ("v4", "2027-03-30"),
        ("v3", "September 2027"),
        ("2026-03", "2027-09-30"),
        ("2025-09", "2027-03-01"),
        ("2026-09-beta", "2028-02-14"),
    ],
)
def test_a_version_past_current_warns_with_its_date_and_the_version_to_move_to(version: str, named: str) -> None:
    warning = version_warning(version, TODAY)
    assert warning is not None and named in warning and "move to 2026-09" in warning


def test_a_current_version_warns_90_days_before_unsupported_and_says_when_it_is_gone() -> None:
    assert version_warning("2026-09", date(2027, 3, 7)) is None  # Current, 367 days left
    warning = version_warning("2026-09", date(2027, 3, 8))  # past Current
    assert warning is not None and "past HubSpot's Current stage since 2027-03-08" in warning
    # the table knows no newer version then: the advice is to upgrade the provider
    assert "upgrade airflow-provider-hubassoc" in warning
    gone = version_warning("v4", date(2027, 4, 1))
    assert gone is not None and gone.startswith("HubSpot API version v4 is unsupported by HubSpot since 2027-03-30")
