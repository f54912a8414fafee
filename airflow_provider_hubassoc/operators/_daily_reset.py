"""When a run stopped by HubSpot's spent daily budget tries again: the account's midnight, or, when that
midnight has just passed and HubSpot's reset is late, a minute later.

HubSpot refills the daily budget at midnight in the account's time zone; its clock and ours may differ by
seconds. Without a grace window, a run resumed at the reset that still finds the budget spent would defer to
the *next* midnight and lose a day.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from airflow_provider_hubassoc.hooks._ratelimit import next_daily_reset

#: how long after the account's midnight a budget still spent is taken for a late reset, not a spent new day
RESET_GRACE = timedelta(minutes=15)
#: the step of the short deferrals within :data:`RESET_GRACE`
RESET_STEP = timedelta(minutes=1)


def utcnow() -> datetime:
    """The clock of the daily-budget stop (tests replace it)."""
    return datetime.now(timezone.utc)


def daily_budget_retry_at(time_zone: str, now: datetime | None = None, *, after_reset: bool) -> tuple[datetime, bool]:
    """When to try again with the daily budget spent (``now``: :func:`utcnow`), and whether HubSpot's reset is
    only late.

    The rule: normally the coming midnight in the account's time zone. But a run resumed from a reset deferral
    (``after_reset``) that still finds the budget spent within :data:`RESET_GRACE` of the midnight just passed
    met a late reset (HubSpot's clock, or ours, a few seconds off): it tries again after :data:`RESET_STEP`,
    never past the grace window, instead of losing a whole day. After the window it is a spent day again.
    """
    now = now or utcnow()
    zone = ZoneInfo(time_zone)
    local = now.astimezone(zone)
    last_reset = datetime.combine(local.date(), time(0), tzinfo=zone).astimezone(timezone.utc)
    if after_reset and now - last_reset < RESET_GRACE:
        return min(now + RESET_STEP, last_reset + RESET_GRACE), True
    return next_daily_reset(time_zone, now), False
