"""One rate limiter per HubSpot account and credential, shared by everything this process sends.

HubSpot enforces a rolling 10-second window per app and a daily budget per account. Client-side pacing keeps
us under the window (a sliding log of send times), and HubSpot's own ``X-HubSpot-RateLimit-*`` headers tell us
when other clients of the same app are using the budget too, so we slow down before a 429 happens.

Each slot counts from the request's send until a window after its answer (:meth:`RateLimiter.settle`), the
latest moment HubSpot can have counted it. Waiting threads sleep outside the lock, so N threads waiting together still reach the budget instead of
queueing behind one sleeper. Clock and sleep are injectable so tests need no real waiting.
"""

from __future__ import annotations

import bisect
import hashlib
import threading
import time
from collections import deque
from datetime import datetime, timedelta, timezone
from datetime import time as dt_time
from typing import Callable, Mapping
from zoneinfo import ZoneInfo

from airflow_provider_hubassoc.exceptions import HubSpotDailyLimitError

WINDOW_SECONDS = 10.0
# When HubSpot says this share of the window's budget (or less) is left, pace sends at Max per window.
LOW_REMAINING_SHARE = 0.1
# Our send stamps precede HubSpot's arrival stamps by up to a request's upload time; a slot is reused only
# this long after HubSpot's window would free it, so a request never arrives while its predecessor still counts.
ARRIVAL_MARGIN_SECONDS = 0.25
# HubSpot resets the daily budget at the account's midnight, whose time zone we do not know: after a
# Daily-Remaining of 0, refuse to send for this long, then let one request find out (long-lived processes).
DAILY_REPROBE_SECONDS = 3600.0
# The local daily_request_limit counts sends over this rolling period.
DAY_SECONDS = 86400.0


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class RateLimiter:
    """Sliding-window limiter (``budget`` sends per ``window`` seconds) with HubSpot header feedback.

    :param budget: requests allowed per window on our side (the connection's ``requests_per_10_seconds``).
    :param daily_limit: optional daily budget counted on our side; HubSpot's ``Daily-Remaining`` header is
        honoured too.
    """

    def __init__(
        self,
        budget: int,
        *,
        window: float = WINDOW_SECONDS,
        margin: float = ARRIVAL_MARGIN_SECONDS,
        daily_limit: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if budget < 1:
            raise ValueError("a rate budget needs at least one request per window")
        self.budget = budget
        self.window = window
        self.margin = margin
        self.daily_limit = daily_limit
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._sent: deque[float] = deque()
        self._sent_today = 0
        self._day_started = clock()
        self._server_max: int | None = None
        self._paused_until = 0.0
        self._min_spacing = 0.0
        self._last_send = float("-inf")
        self._daily_blocked_until = float("-inf")
        self.throttled_seconds = 0.0

    @property
    def effective_budget(self) -> int:
        """Our budget, lowered to HubSpot's ``X-HubSpot-RateLimit-Max`` when that is smaller."""
        return min(self.budget, self._server_max) if self._server_max else self.budget

    def acquire(self) -> float:
        """Block until one request may be sent; return the seconds waited. Raises when the daily budget is spent."""
        return self.acquire_slot()[1]

    def acquire_slot(self) -> tuple[float, float]:
        """Like :meth:`acquire`, also returning the slot's stamp for :meth:`settle`: ``(stamp, seconds waited)``."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._check_daily(now)
                span = self.window + self.margin
                while self._sent and self._sent[0] <= now - span:
                    self._sent.popleft()
                wait = max(
                    self._paused_until - now,
                    self._last_send + self._min_spacing - now,
                    (self._sent[0] + span - now) if len(self._sent) >= self.effective_budget else 0.0,
                )
                if wait <= 0:
                    self._sent.append(now)
                    self._last_send = now
                    self._sent_today += 1
                    return now, waited
            self._sleep(wait)
            waited += wait
            with self._lock:
                self.throttled_seconds += wait

    def _check_daily(self, now: float) -> None:
        if now - self._day_started >= DAY_SECONDS:
            self._day_started = now
            self._sent_today = 0
        if now < self._daily_blocked_until:
            raise HubSpotDailyLimitError(
                "HubSpot reported the account's daily request budget as spent (X-HubSpot-RateLimit-Daily-Remaining: 0); "
                "it resets at midnight in the account's time zone",
                status=429,
                category="RATE_LIMIT",
                context={"policyName": "DAILY"},
            )
        if self.daily_limit is not None and self._sent_today >= self.daily_limit:
            raise HubSpotDailyLimitError(
                f"the connection's daily_request_limit of {self.daily_limit} requests is spent",
                status=None,
                category="RATE_LIMIT",
                context={"policyName": "DAILY"},
            )

    def settle(self, stamp: float) -> None:
        """The request sent in slot ``stamp`` is answered: its slot now counts from this moment.

        HubSpot counts a request when it arrives, which is at the latest when its answer comes back. Counting the
        slot from then keeps a slow upload (a 1,000-input batch on a busy machine) from landing in HubSpot's
        window after we believed its slot was free; it costs one request latency per slot.
        """
        with self._lock:
            now = self._clock()
            try:
                self._sent.remove(stamp)
            except ValueError:
                pass  # already aged out of the window: the request took longer than a window
            position = bisect.bisect_right(self._sent, now)
            self._sent.insert(position, now)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Learn from a response's rate-limit headers: adopt a smaller Max, slow down when Remaining runs low."""
        maximum = _header_int(headers, "X-HubSpot-RateLimit-Max")
        remaining = _header_int(headers, "X-HubSpot-RateLimit-Remaining")
        interval_ms = _header_int(headers, "X-HubSpot-RateLimit-Interval-Milliseconds")
        daily_remaining = _header_int(headers, "X-HubSpot-RateLimit-Daily-Remaining")
        with self._lock:
            if maximum:
                self._server_max = maximum
            window = interval_ms / 1000.0 if interval_ms else self.window
            if remaining is not None and maximum:
                if remaining <= max(1, int(maximum * LOW_REMAINING_SHARE)):
                    # Others use the app's window too: the budget is nearly spent, so send no faster than the
                    # sustainable pace (Max per window) while the oldest requests of the window age out.
                    self._min_spacing = window / maximum
                else:
                    self._min_spacing = 0.0
            if daily_remaining is not None and daily_remaining <= 0:
                self._daily_blocked_until = self._clock() + DAILY_REPROBE_SECONDS

    def daily_budget_reset(self) -> None:
        """HubSpot's daily reset has passed (a run resuming after it): send again, and restart the local count."""
        with self._lock:
            self._daily_blocked_until = float("-inf")
            self._day_started = self._clock()
            self._sent_today = 0

    def pause(self, seconds: float) -> None:
        """Hold every sender for ``seconds`` (after a TEN_SECONDLY_ROLLING 429) so threads do not stampede."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)


def next_daily_reset(time_zone: str, now: datetime | None = None) -> datetime:
    """When HubSpot next refills the account's daily budget: the coming midnight in the account's time zone
    (reference §12.2), as an aware UTC datetime."""
    zone = ZoneInfo(time_zone)
    local = (now or datetime.now(timezone.utc)).astimezone(zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), dt_time(0), tzinfo=zone)
    return midnight.astimezone(timezone.utc)


_registry: dict[tuple[str, str], RateLimiter] = {}
_registry_lock = threading.Lock()


def credential_fingerprint(secret: str) -> str:
    """A short one-way fingerprint: keys the registry without keeping the credential itself."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def shared_limiter(base_url: str, credential: str, budget: int, daily_limit: int | None = None) -> RateLimiter:
    """The process-wide limiter for (base URL, credential); the most recently configured budget applies."""
    key = (base_url, credential_fingerprint(credential))
    with _registry_lock:
        limiter = _registry.get(key)
        if limiter is None:
            limiter = _registry[key] = RateLimiter(budget, daily_limit=daily_limit)
        else:
            limiter.budget = budget
            limiter.daily_limit = daily_limit
        return limiter


def reset_shared_limiters() -> None:
    """Forget every shared limiter (tests, or a long-lived process whose budgets changed)."""
    with _registry_lock:
        _registry.clear()
