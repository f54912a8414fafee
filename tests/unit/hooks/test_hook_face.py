"""The hook's face after the split by API areas: results returned, never left on the hook; credentials refused
as arguments; the daily budget reset through the hook; the 429 policy read in one place."""

from __future__ import annotations

import pytest

from airflow_provider_hubassoc.exceptions import HubSpotConnectionSettingsError
from airflow_provider_hubassoc.hooks._retry import DEFAULT_WINDOW_SECONDS, rate_limit, retry_after_seconds
from airflow_provider_hubassoc.hooks._settings import task_overrides
from airflow_provider_hubassoc.hooks.associations import HubSpotAssociationsHook


@pytest.mark.parametrize("secret", ["access_token", "client_id", "client_secret", "refresh_token", "password"])
def test_the_hook_refuses_credentials_as_arguments(secret) -> None:
    with pytest.raises(HubSpotConnectionSettingsError, match=rf"hook argument '{secret}' is refused") as raised:
        HubSpotAssociationsHook("hubspot_x", **{secret: "s3cret"})  # type: ignore[misc]
    assert raised.value.field == secret and raised.value.conn_id == "hubspot_x"
    assert "s3cret" not in str(raised.value)


def test_one_precedence_rule_for_task_overrides() -> None:
    assert task_overrides({"max_concurrency": 8, "api_version": "v4"}, "2026-03") == {
        "max_concurrency": 8,
        "api_version": "2026-03",
    }
    assert task_overrides({"api_version": "v4"}, None) == {"api_version": "v4"}
    assert task_overrides(None, None) == {}


def test_the_429_policy_is_read_in_the_retry_module() -> None:
    daily = rate_limit({"policyName": "DAILY"}, {}, None)
    assert daily.daily and daily.policy == "DAILY" and daily.retry_after is None
    window = rate_limit(
        {"policyName": "TEN_SECONDLY_ROLLING"}, {"X-HubSpot-RateLimit-Interval-Milliseconds": "2000"}, None
    )
    assert not window.daily and window.retry_after == 2.0
    assert rate_limit({}, {}, None).retry_after == DEFAULT_WINDOW_SECONDS
    assert rate_limit({}, {}, 3.0).retry_after == 3.0
    assert (
        retry_after_seconds("1.5") == 1.5 and retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    )


def _imports(path) -> set[str]:
    import ast

    tree = ast.parse(path.read_text())
    return {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}


def test_the_house_reads_hook_then_api_areas_then_transport() -> None:
    from pathlib import Path

    import airflow_provider_hubassoc

    package = Path(airflow_provider_hubassoc.__file__).parent
    for area in sorted((package / "hooks" / "api").glob("*.py")):
        assert "airflow_provider_hubassoc.hooks.associations" not in _imports(area), area.name
    shared = _imports(package / "_inputs.py")
    assert not any(
        m.startswith(("airflow_provider_hubassoc.hooks", "airflow_provider_hubassoc.operators")) for m in shared
    )
    sensor = _imports(package / "sensors" / "associations.py")
    assert not any(m.startswith("airflow_provider_hubassoc.operators") for m in sensor)
