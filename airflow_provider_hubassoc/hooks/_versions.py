"""HubSpot API versions: when each was released, when HubSpot stops supporting it, and when to say so.

HubSpot's lifecycle for dated versions (reference §20.2): *Current* for 6 months after GA, *Supported* until
18 months after GA, then *Unsupported* ("developers should not expect ongoing stability"). The legacy
versions carry announced dates instead: v4 is unsupported from 2027-03-30 and v1-v3 from September 2027
(§20.1). HubSpot publishes no end date for a dated version, so those are computed from the 18-month rule and
the warning says so.

One table (:data:`API_VERSIONS`) holds these facts; :func:`version_warning` turns them into the one warning a
task logs when its version is past Current or within :data:`WARN_DAYS_BEFORE_UNSUPPORTED` of unsupported.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

#: The newest GA dated version HubSpot documents: Current until 2027-03-08, Supported until about 2028-03
#: (2026-03 is already past Current and unsupported from about 2027-09). See the README, "HubSpot API versions".
DEFAULT_API_VERSION = "2026-09"
#: a version this close to unsupported is warned about even while it is still Current
WARN_DAYS_BEFORE_UNSUPPORTED = 90
CURRENT_MONTHS = 6
SUPPORTED_MONTHS = 18
#: ``YYYY-MM`` and its ``-beta`` preview (HubSpot publishes e.g. ``2026-09-beta`` before ``2026-09``); ASCII digits
DATED_VERSION = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])(-beta)?$")


def _add_months(day: date, months: int) -> date:
    """``day`` plus whole months, the day of month kept (or the month's last day, where it is shorter)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class ApiVersion:
    """One HubSpot API version and its lifecycle dates.

    :param released: GA date (for a beta: the day it was published); ``None`` for the legacy versions.
    :param current_until: first day it is no longer HubSpot's Current version (legacy versions: never Current).
    :param unsupported_from: first day HubSpot no longer supports it.
    :param announced: ``True`` when HubSpot published ``unsupported_from``; ``False`` when it is computed from the
        18-month rule (HubSpot publishes no end date for dated versions).
    """

    name: str
    released: date | None
    current_until: date | None
    unsupported_from: date
    announced: bool
    beta: bool = False

    def stage(self, today: date) -> str:
        """``Current``, ``Supported`` or ``Unsupported`` on ``today`` (legacy versions are never Current)."""
        if today >= self.unsupported_from:
            return "Unsupported"
        if self.current_until is not None and today < self.current_until:
            return "Current"
        return "Supported"


def _dated(name: str, released: date, *, beta: bool = False, current_until: date | None = None) -> ApiVersion:
    return ApiVersion(
        name=name,
        released=released,
        current_until=current_until or _add_months(released, CURRENT_MONTHS),
        unsupported_from=_add_months(released, SUPPORTED_MONTHS),
        announced=False,
        beta=beta,
    )


#: Every version the provider speaks, with its dates (sources: reference §20.1, §20.2).
API_VERSIONS: dict[str, ApiVersion] = {
    # v1-v3 "unsupported ... with a September 2027 enforcement date" (no day given: the 1st, the earliest)
    "v3": ApiVersion("v3", None, None, date(2027, 9, 1), announced=True),
    # "v4 APIs (e.g., /crm/v4/)" unsupported from 2027-03-30
    "v4": ApiVersion("v4", None, None, date(2027, 3, 30), announced=True),
    # the first date version, a beta (September 2025) replaced by GA 2026-03
    "2025-09": _dated("2025-09", date(2025, 9, 1), beta=True, current_until=date(2026, 3, 30)),
    "2026-03": _dated("2026-03", date(2026, 3, 30)),
    # the beta of 2026-09 (rollout 321895, published 2026-08-14) stops being Current when its GA ships
    "2026-09-beta": _dated("2026-09-beta", date(2026, 8, 14), beta=True, current_until=date(2026, 9, 8)),
    "2026-09": _dated("2026-09", date(2026, 9, 8)),
}


def api_version_info(name: str) -> ApiVersion | None:
    """The table's entry; for a dated version the table does not list (a later release), dates computed
    from the first of its month; ``None`` for a name that is no HubSpot version."""
    known = API_VERSIONS.get(name)
    if known is not None:
        return known
    found = DATED_VERSION.match(name)
    if not found:
        return None
    return _dated(name, date(int(found.group(1)), int(found.group(2)), 1), beta=bool(found.group(3)))


def recommended_version(today: date) -> str:
    """The newest GA dated version of the table (what to move to)."""
    ga = [v for v in API_VERSIONS.values() if v.released is not None and not v.beta and v.released <= today]
    return max(ga, key=lambda v: v.released or date.min).name if ga else DEFAULT_API_VERSION


def today_utc() -> date:
    """Today in UTC (one function, so tests can move the calendar)."""
    return datetime.now(timezone.utc).date()


def version_warning(name: str, today: date | None = None) -> str | None:
    """The warning a task on version ``name`` logs on ``today``, or ``None`` when there is nothing to say.

    Said when the version is past Current (legacy versions always are), or within
    :data:`WARN_DAYS_BEFORE_UNSUPPORTED` days of unsupported; it names the date and the version to move to.
    """
    info = api_version_info(name)
    if info is None:
        return None
    today = today or today_utc()
    stage = info.stage(today)
    days_left = (info.unsupported_from - today).days
    if stage == "Current" and days_left > WARN_DAYS_BEFORE_UNSUPPORTED:
        return None
    target = recommended_version(today)
    when = (
        info.unsupported_from.isoformat()
        if info.announced
        else f"about {info.unsupported_from.isoformat()} (18 months after its release; HubSpot publishes no date)"
    )
    if name == "v3":
        when = "September 2027 (announced; no day given)"
    if stage == "Unsupported":
        status = f"is unsupported by HubSpot since {when}"
    elif info.current_until is None:
        status = f"is a legacy version HubSpot stops supporting on {when}"
    elif stage == "Supported":
        status = f"is past HubSpot's Current stage since {info.current_until.isoformat()} and unsupported from {when}"
    else:
        status = f"becomes unsupported on {when}"
    if target == name:
        advice = "this provider release knows no newer version: upgrade airflow-provider-hubassoc"
    else:
        advice = f"move to {target} (the connection's extra api_version, or the task's api_version argument)"
    return f"HubSpot API version {name} {status}; {advice}."
