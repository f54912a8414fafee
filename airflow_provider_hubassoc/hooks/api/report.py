"""The high-usage report (HubSpot's *report* API: ``.../associations/usage/high-usage-report/{userId}``)."""

from __future__ import annotations

from typing import Any

from airflow_provider_hubassoc.hooks import _shapes as shapes
from airflow_provider_hubassoc.hooks.api._context import ApiContext, association_path
from airflow_provider_hubassoc.hooks.api._inputs import positive_int


def request_high_usage_report(ctx: ApiContext, user_id: int | str, api_version: str | None) -> dict[str, Any]:
    """``POST``: HubSpot emails ``user_id`` a report of records near their association limits."""
    version = ctx.api_version(api_version)
    uid = positive_int(user_id, None, "user_id")
    path = association_path(version, f"associations/usage/high-usage-report/{uid}")
    _status, body = ctx.send("POST", path, required=True, shape=shapes.an_object)
    return dict(body)
