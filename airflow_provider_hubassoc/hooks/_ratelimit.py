"""One rate limiter per HubSpot account and credential, shared by everything this process sends.

HubSpot enforces a rolling 10-second window per app and a daily budget per account. Client-side pacing keeps
us under the window (a sliding log of send times), and HubSpot's own ``X-HubSpot-RateLimit-*`` headers tell us
when other clients of the same app are using the budget too, so we slow down before a 429 happens.

Each slot counts from its request's answer (:meth:`RateLimiter.settle`) for a window plus a small margin:
HubSpot counted the request when it arrived, at the latest then, so the slot is never reused early however
slow the upload; it costs the server's part of one latency per slot and window.

One budget for every process: other shards, DAGs and workers of the same app spend the same window, and each
answer says how much of it HubSpot has counted (``Max - Remaining``); the part beyond our own is *others'*.
While others are seen, a process keeps the slots its log holds (reusing each as it ages out) and claims new
room only as its *share* of the window's free room: in proportion to its own part of what HubSpot counted, at
most doubling per answer, rounded at random, with 5 % of Max kept back for answers still on their way. Shares
of all processes add up to the room without any process knowing the others. It sends no faster than the app's
whole rate then, so its slots and answers stay spread over the window. Others' count is believed lower only
once that has lasted a moment (a slot between its age-out and its reuse is not a finished shard); a finished
shard's slots age out of HubSpot's window and the others' shares take the room over. A process blocked on its
share whose newest answer shows others at half or less of what it believes looks again once that answer has
lasted the settle time: one that joined a full window holds a slot or two and hears HubSpot once a window, so
waiting for its own slot idled the room the finished shards left (issue 23's late joiner: 0.82 to 0.90 of the
ceiling in simulation); a smaller dip is a slot in reuse and is not looked at early. A process that has not
had an answer yet sends one request before any other, so it never starts with a blind burst. Shards started at
the same instant: each probe's answer shows the probes that arrived before it, so all but the first to arrive
start under the shares (at most doubling per answer); the first believes itself alone for one round trip and
sends at most its in-flight target before its answers show the others: a few requests, not the window.

After a ``TEN_SECONDLY_ROLLING`` 429 without ``Retry-After`` (HubSpot documents none for 429, reference §12.3)
every sender waits only until the oldest slot of ours ages out (:meth:`RateLimiter.refused`): HubSpot frees it
then, and the 429's own headers (the window full) hold the shard to reusing its slots until answers show more.
Waiting the whole window, as HubSpot's SDKs do, idled the shard while its slots freed and let its share shrink
to what the others left; it then grew back only as they finished (issue 23: 0.59 of the ceiling).

With the connection's ``rate_limit_store`` (:mod:`._rate_store`) the shares give way to one exact count: every
process of the app claims each slot from a Redis window before sending, so none waits for a view. The headers
still govern what the store cannot see: a count beyond the store's (a client of the app that does not use it)
lowers the store's limit by as much. A store that fails is dropped with one warning: the header logic goes on.

Waiting threads sleep outside the lock, so N threads waiting together still reach the budget instead of
queueing behind one sleeper. Clock and sleep are injectable so tests need no real waiting.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime, time as dt_time, timedelta, timezone
from zoneinfo import ZoneInfo

from airflow_provider_hubassoc.exceptions import HubSpotDailyLimitError
from airflow_provider_hubassoc.hooks._rate_store import SharedWindow, resolve_store, store_key

_log = logging.getLogger(__name__)

WINDOW_SECONDS = 10.0
# HubSpot documents one rolling window, 10,000 ms (§12.3 of the reference): a header outside [1 s, 10 s] is
# clamped into it, so a hostile or broken X-HubSpot-RateLimit-Interval-Milliseconds cannot stall senders for days
# (the floor still lets a test emulator shorten the window to a few seconds).
MIN_WINDOW_SECONDS = 1.0
MAX_WINDOW_SECONDS = WINDOW_SECONDS
# While other clients of the app are seen, this share of Max stays free for their answers still on the way.
SHARED_RESERVE_SHARE = 0.05
# A smaller count of others is believed after it lasted twice the margin plus this share of the window.
SHARED_SETTLE_SHARE = 0.05
# A waiter blocked on the shared budget looks again this often: an answer may have freed room meanwhile.
SHARED_POLL_SECONDS = 0.02
# Latency estimate: exponential moving average of request round trips, this weight for each new one.
LATENCY_WEIGHT = 0.2
# A slot counts from its request's answer (HubSpot counted it on arrival, before): this much more covers
# clock granularity between our stamps and HubSpot's.
ARRIVAL_MARGIN_SECONDS = 0.05
# HubSpot resets the daily budget at the account's midnight, whose time zone we do not know: after a
# Daily-Remaining of 0, refuse to send for this long, then let one request find out (long-lived processes).
DAILY_REPROBE_SECONDS = 3600.0
# The local daily_request_limit counts sends over this rolling period.
DAY_SECONDS = 86400.0


def window_seconds(interval_ms: int) -> float:
    """An ``X-HubSpot-RateLimit-Interval-Milliseconds`` value as seconds, clamped to HubSpot's documented window."""
    return min(MAX_WINDOW_SECONDS, max(MIN_WINDOW_SECONDS, interval_ms / 1000.0))


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
    :param probe_first: send one request and wait for its answer before any other, so that a process joining
        an app whose window others fill does not start with a blind burst (costs one round trip at start).
    :param store: the app's shared window count (:mod:`._rate_store`), if the connection names one.
    """

    def __init__(
        self,
        budget: int,
        *,
        window: float = WINDOW_SECONDS,
        margin: float = ARRIVAL_MARGIN_SECONDS,
        daily_limit: int | None = None,
        probe_first: bool = False,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
        store: SharedWindow | None = None,
    ) -> None:
        if budget < 1:
            raise ValueError("a rate budget needs at least one request per window")
        self.budget = budget
        self.window = window
        self.margin = margin
        self.daily_limit = daily_limit
        self.probe_first = probe_first
        self._clock = clock
        self._sleep = sleep
        self._rng = rng
        self._lock = threading.Lock()
        self._sent: deque[float] = deque()
        self._sent_today = 0
        self._day_started = clock()
        self._server_max: int | None = None
        self._paused_until = 0.0
        # the newest answer's view: (our send stamp, how many of ours HubSpot had counted then)
        self._seen: tuple[float, int] | None = None
        # others' requests in HubSpot's window, per answer of the last window: (our send stamp, their count)
        self._foreign: deque[tuple[float, int]] = deque()
        self._foreign_seen_at = float("-inf")
        self._in_flight = 0
        self._answered = False
        self._allowance: int | None = None  # our share of the window while others use it too
        self._last_send = float("-inf")
        self.latency: float | None = None
        self._daily_blocked_until = float("-inf")
        self.throttled_seconds = 0.0
        self.store = store
        self._members: dict[float, list[str]] = {}  # our slots' members in the store, by stamp
        self._store_views: dict[float, int] = {}  # answered stamp -> the store's count then

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
                # the same sum as the wait below: a waiter woken at exactly that moment finds its slot freed
                # (``a <= now - span`` and ``a + span - now <= 0`` can disagree in floating point)
                while self._sent and self._sent[0] + span - now <= 0:
                    self._sent.popleft()
                wait = max(
                    self._paused_until - now,
                    (self._sent[0] + span - now) if len(self._sent) >= self.effective_budget else 0.0,
                    0.0 if self.store else self._shared_wait(now, span),
                )
                member = None
                if wait <= 0 and self.store:
                    member, wait = self._store_reserve(now, span)
                if wait <= 0:
                    if member is not None:
                        self._members.setdefault(now, []).append(member)
                    self._sent.append(now)
                    self._last_send = now
                    self._in_flight += 1
                    self._sent_today += 1
                    return now, waited
            self._sleep(wait)
            waited += wait
            with self._lock:
                self.throttled_seconds += wait

    def _store_reserve(self, now: float, span: float) -> tuple[str | None, float]:
        """Claim the slot in the shared store: ``(member, 0)``, or ``(None, wait)`` while its window is full.

        Its limit is the app's Max less what HubSpot counted beyond the store (clients that do not use it), and
        less the reserve for their answers on the way then. The store failing drops it: ``(None, a nanosecond)``,
        and the caller's next look follows the header logic."""
        assert self.store is not None
        foreign = self._foreign
        while foreign and foreign[0][0] <= now - 2 * span:
            foreign.popleft()
        unknown = self._others(now) if foreign and foreign[-1][0] > now - span else 0
        maximum = self.effective_budget
        limit = maximum - unknown - (max(1, int(maximum * SHARED_RESERVE_SHARE)) if unknown else 0)
        try:
            member, value = self.store.reserve(max(limit, 1), span)
        except Exception as error:  # Redis down, timed out or refusing: never fail a task
            self._drop_store(error)
            return None, 1e-9  # look again, under the header logic
        return (member, 0.0) if member is not None else (None, max(value, SHARED_POLL_SECONDS / 4))

    def _drop_store(self, error: BaseException) -> None:
        """The store failed: one warning, then HubSpot's headers alone share the window (as without a store)."""
        if self.store is None:
            return
        _log.warning(
            "The rate-limit store %s failed (%s): HubSpot's rate-limit headers alone share the app's window from "
            "now on in this process",
            self.store.shown,
            self.store.describe(error),
        )
        self.store = None
        self._members.clear()
        self._store_views.clear()

    def _shared_wait(self, now: float, span: float) -> float:
        """Seconds until this process may claim room in the app's window that others use too (0: now)."""
        if self.probe_first and not self._answered and self._in_flight:
            return SHARED_POLL_SECONDS  # nothing heard yet: the first answer tells whether others share the app
        foreign = self._foreign
        while foreign and foreign[0][0] <= now - 2 * span:
            foreign.popleft()
        if not foreign or foreign[-1][0] <= now - span:
            self._allowance = None
            if now - self._foreign_seen_at < 3 * span and self._in_flight:
                return SHARED_POLL_SECONDS  # others were active lately: one request looks first
            return 0.0
        others = self._others(now)
        if not others:
            self._allowance = None
            return 0.0  # only we were in HubSpot's window lately: our own log is the whole truth
        assert self._seen is not None  # _see_window sets it with every entry of self._foreign
        _stamp, ours = self._seen
        maximum = self.effective_budget
        room = max(0, maximum - max(1, int(maximum * SHARED_RESERVE_SHARE)) - ours - others)
        # our share of the room, in proportion to our use, and at most doubling our use per answer: views of
        # processes that grow together are a round trip old, and their shares must not add up past the room
        # (rounded at random: a small share still grows into room others left, the shares adding up to the room
        # on average, where rounding down would leave it unused and rounding up overrun it by one per process)
        share = room * ours / (ours + others)
        allowance = ours + min(ours, int(share) + (self._rng() < share - int(share)))
        # no faster than the app's whole budget allows: our slots free steadily, each answer a fresh view
        spaced = self._last_send + self.window / maximum - now
        self._allowance = allowance
        first_kept = bisect.bisect_right(self._sent, now - span)
        if len(self._sent) - first_kept < allowance:
            return max(spaced, 0.0)
        if self._in_flight:
            return SHARED_POLL_SECONDS  # an answer on its way may show more room
        next_free = self._sent[first_kept] + span - now if first_kept < len(self._sent) else span
        wake = min(next_free, foreign[-1][0] + span - now)
        if 2 * foreign[-1][1] <= others:
            # the newest answer shows half the others or fewer: shards finished, not a slot in reuse (a dip of a
            # few slots; looking early at those too took 8 simulated runs from 1 to 29 stray 429s). It is believed
            # once it has lasted the settle time, so look again then, not a whole slot's reuse later: a shard
            # holding few slots hears HubSpot once a window, and would idle that long with the room free
            wake = min(wake, foreign[-1][0] + self._settle_seconds() - now + SHARED_POLL_SECONDS)
        return max(wake, 0.0)

    def _settle_seconds(self) -> float:
        """How long a smaller count of others must last before it is believed (see :meth:`_others`)."""
        return 2 * self.margin + SHARED_SETTLE_SHARE * self.window

    def _others(self, now: float) -> int:
        """How many requests of the window other clients hold, as the answers of the last moments saw it.

        Others reuse a slot only a window plus their margin after its send, so for a moment after HubSpot frees
        it their share looks smaller than it is: the view from just before that moment counts too, and a
        smaller count is believed once it has lasted a little (a shard that finished, not a slot in reuse).
        """
        horizon = now - self._settle_seconds()
        level = 0
        before: int | None = None
        for stamp, count in self._foreign:
            if stamp >= horizon:
                level = max(level, count)
            else:
                before = count
        return max(level, before or 0)

    def in_flight_target(self, max_concurrency: int) -> int:
        """Requests worth having in flight: enough to send the allowed rate (our share of the window while
        others use it too) over the observed latency, twice over for jitter, never more than
        ``max_concurrency`` (latency-bound work gets all of it). Fewer in flight, fresher views of the window."""
        latency = self.latency
        if latency is None:
            return max_concurrency
        rate = (self._allowance or self.effective_budget) / self.window
        return max(1, min(max_concurrency, int(2 * rate * latency) + 1))

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

    def settle(self, stamp: float) -> float:
        """The request sent in slot ``stamp`` is answered (or failed): its slot now counts from this moment,
        which is returned (the stamp to :meth:`observe` its answer with); the round trip is learnt.

        HubSpot counts a request when it arrives, at the latest when its answer comes back: counted from then,
        a slot is never reused while HubSpot may still count its request, however slow the upload (a loaded
        worker, a long batch). It costs the server's part of one latency per slot and window, no more.
        """
        with self._lock:
            now = self._clock()
            self._in_flight = max(0, self._in_flight - 1)
            self._answered = True
            took = now - stamp
            self.latency = took if self.latency is None else self.latency + LATENCY_WEIGHT * (took - self.latency)
            with contextlib.suppress(ValueError):  # already aged out: the request took longer than a window
                self._sent.remove(stamp)
            position = bisect.bisect_right(self._sent, now)
            self._sent.insert(position, now)
            members = self._members.get(stamp)
            if members and self.store is not None:
                member = members.pop()
                if not members:
                    del self._members[stamp]
                try:
                    count = self.store.settle(member, self.window + self.margin, took + self.margin)
                except Exception as error:  # as in acquire_slot: the headers go on alone
                    self._drop_store(error)
                else:
                    if len(self._store_views) > 1000:  # answers never observed (a failed send): forget them
                        self._store_views.clear()
                    self._store_views[now] = count
            return now

    def observe(self, headers: Mapping[str, str], stamp: float | None = None) -> None:
        """Learn from a response's rate-limit headers: adopt a smaller Max and HubSpot's window length, and
        (given the ``stamp`` of the request answered) how much of the app's window other clients use.

        Values are HubSpot's to send, so bounded here: a Max below 1 is ignored, Remaining is kept within
        ``[0, Max]``, the window within ``[1 s, 10 s]`` (:func:`window_seconds`)."""
        maximum = _header_int(headers, "X-HubSpot-RateLimit-Max")
        remaining = _header_int(headers, "X-HubSpot-RateLimit-Remaining")
        interval_ms = _header_int(headers, "X-HubSpot-RateLimit-Interval-Milliseconds")
        daily_remaining = _header_int(headers, "X-HubSpot-RateLimit-Daily-Remaining")
        if maximum is not None and maximum < 1:
            maximum = None
        if remaining is not None and maximum:
            remaining = min(max(remaining, 0), maximum)
        with self._lock:
            if maximum:
                self._server_max = maximum
            if interval_ms:
                self.window = window_seconds(interval_ms)
            if remaining is not None and maximum and stamp is not None:
                self._see_window(stamp, maximum - remaining)
            if daily_remaining is not None and daily_remaining <= 0:
                self._daily_blocked_until = self._clock() + DAILY_REPROBE_SECONDS

    def daily_budget_reset(self) -> None:
        """HubSpot's daily reset has passed (a run resuming after it): send again, and restart the local count."""
        with self._lock:
            self._daily_blocked_until = float("-inf")
            self._day_started = self._clock()
            self._sent_today = 0

    def _see_window(self, stamp: float, counted: int) -> None:
        """HubSpot had counted ``counted`` requests of the app when our request sent at ``stamp`` arrived."""
        if self._seen is not None and self._seen[0] > stamp:
            return  # an older request answered late: the newer view stands
        # HubSpot's count holds what arrived within a window before ours; the margin is only our own caution
        first = bisect.bisect_right(self._sent, stamp - self.window)
        # requests of ours sent after it may have overtaken it: only a count beyond all of ours is foreign; with
        # the store, only a count beyond the store's (a client of the app that does not use it)
        store_count = self._store_views.pop(stamp, None)
        others = max(0, counted - (len(self._sent) - first if store_count is None else store_count))
        # ours to keep: every slot our own log still holds then, HubSpot's window or not (we reuse them)
        ours = max(
            1,
            bisect.bisect_right(self._sent, stamp) - bisect.bisect_right(self._sent, stamp - self.window - self.margin),
        )
        if others:
            self._foreign_seen_at = self._clock()
        self._seen = (stamp, ours)
        self._foreign.append((stamp, others))

    def pause(self, seconds: float) -> None:
        """Hold every sender for ``seconds`` (after a TEN_SECONDLY_ROLLING 429) so threads do not stampede."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def refused(self, seconds: float) -> float:
        """A TEN_SECONDLY_ROLLING 429 without ``Retry-After``: hold every sender until the oldest slot of ours
        ages out of HubSpot's window, at most ``seconds``; return that wait (the refused request's, too).

        HubSpot's window was full when the refused request arrived; which of its slots frees first is not known,
        but each of ours frees a window after its answer at the latest (HubSpot counted it on arrival), and that
        room is ours to reuse: the retry takes it then, the limiter's rule for a full window governing the rest.
        A whole window's wait (HubSpot's SDKs wait 10 s) would leave the shard idle while its slots free.
        """
        with self._lock:
            now = self._clock()
            span = self.window + self.margin
            while self._sent and self._sent[0] + span - now <= 0:
                self._sent.popleft()
            wait = min(seconds, self._sent[0] + span - now) if self._sent else seconds
            wait = max(wait, 0.0)
            self._paused_until = max(self._paused_until, now + wait)
            return wait


def next_daily_reset(time_zone: str, now: datetime | None = None) -> datetime:
    """When HubSpot next refills the account's daily budget: the coming midnight in the account's time zone
    (reference §12.2), as an aware UTC datetime."""
    zone = ZoneInfo(time_zone)
    local = (now or datetime.now(timezone.utc)).astimezone(zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), dt_time(0), tzinfo=zone)
    return midnight.astimezone(timezone.utc)


_registry: dict[tuple[str, str], RateLimiter] = {}
_registry_lock = threading.Lock()
_stores_tried: set[tuple[str, str]] = set()


def credential_fingerprint(secret: str) -> str:
    """A short one-way fingerprint: keys the registry without keeping the credential itself."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def shared_limiter(
    base_url: str, credential: str, budget: int, daily_limit: int | None = None, store: str | None = None
) -> RateLimiter:
    """The process-wide limiter for (base URL, credential); the most recently configured budget applies.

    :param store: the connection's ``rate_limit_store`` (a Redis URL or ``celery_broker``): the first
        connection of the app naming one gives the limiter its shared window count (:mod:`._rate_store`)."""
    key = (base_url, credential_fingerprint(credential))
    with _registry_lock:
        limiter = _registry.get(key)
        if limiter is None:
            limiter = _registry[key] = RateLimiter(budget, daily_limit=daily_limit, probe_first=True)
        else:
            limiter.budget = budget
            limiter.daily_limit = daily_limit
        if store and limiter.store is None and key not in _stores_tried:
            _stores_tried.add(key)  # once: a store dropped after a failure is not taken up again by the next hook
            url = resolve_store(store)
            try:
                limiter.store = SharedWindow(url, store_key(*key)) if url else None
            except Exception as error:  # a URL the client refuses: no store, never a failed task
                _log.warning(
                    "The rate-limit store could not be set up (%s): HubSpot's headers alone share the app's window",
                    type(error).__name__,
                )
        return limiter


def reset_shared_limiters() -> None:
    """Forget every shared limiter (tests, or a long-lived process whose budgets changed)."""
    with _registry_lock:
        _registry.clear()
        _stores_tried.clear()
