"""The hook's face after the split by API areas: results returned, never left on the hook; credentials refused
as arguments; the daily budget reset through the hook; the 429 policy read in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from airflow_provider_hubassoc.exceptions import HubSpotConnectionSettingsError, HubSpotDailyLimitError
from airflow_provider_hubassoc.hooks._retry import DEFAULT_WINDOW_SECONDS, rate_limit, retry_after_seconds
from airflow_provider_hubassoc.hooks._settings import task_overrides
from airflow_provider_hubassoc.hooks.associations import HubSpotAssociationsHook

if TYPE_CHECKING:
    from airflow_provider_hubassoc.hooks.models import BatchResult


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


def test_a_three_argument_chunk_callback_gets_the_running_result(make_hook, emu) -> None:
    hook = make_hook(max_concurrency=2)
    seen: list[tuple[int, int, int]] = []

    def saved(start: int, end: int, running: BatchResult) -> None:
        seen.append((start, end, running.succeeded))

    result = hook.create_associations(
        "contacts", "companies", [(i, 1) for i in range(1, 7)], chunk_size=2, chunk_callback=saved
    )
    assert seen == [(0, 2, 2), (2, 4, 4), (4, 6, 6)]
    assert result.succeeded == 6
    assert not hasattr(hook, "batch_result") and not hasattr(hook, "batch_in_flight")


def test_a_daily_budget_stop_carries_the_partial_result(make_hook, emu) -> None:
    hook = make_hook()
    emu.configure(daily_limit=2)
    with pytest.raises(HubSpotDailyLimitError) as raised:
        hook.create_associations("contacts", "companies", [(i, 1) for i in range(1, 7)], chunk_size=2)
    assert raised.value.result.succeeded == 4 and raised.value.result.total == 4
    assert raised.value.in_flight is not None and raised.value.in_flight.total == 0
    emu.configure(daily_limit=None)
    hook.daily_budget_reset()
    assert hook.create_associations("contacts", "companies", [(5, 1), (6, 1)]).succeeded == 2


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
