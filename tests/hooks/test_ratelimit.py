"""The shared rate limiter: budget held per window across threads, header feedback, daily budget."""

from __future__ import annotations

import threading
from collections import deque

import pytest

from airflow_provider_hubassoc.exceptions import HubSpotDailyLimitError
from airflow_provider_hubassoc.hooks._ratelimit import RateLimiter, reset_shared_limiters, shared_limiter
from transport_helpers import FakeClock


def test_budget_per_window_with_fake_clock() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, window=10.0, margin=0.5, clock=clock, sleep=clock.sleep)
    stamps = []
    for _ in range(7):
        limiter.acquire()
        stamps.append(clock.now)
    # a slot is reused one window plus the arrival margin after it was taken
    assert stamps == [1000.0, 1000.0, 1000.0, 1010.5, 1010.5, 1010.5, 1021.0]
    assert limiter.throttled_seconds == 21.0


def test_a_slot_counts_from_the_answer_of_its_request() -> None:
    """HubSpot may count a slow request as late as its answer: the slot is reused a window after that."""
    clock = FakeClock()
    limiter = RateLimiter(2, window=10.0, margin=0.0, clock=clock, sleep=clock.sleep)
    slow, _ = limiter.acquire_slot()
    fast, _ = limiter.acquire_slot()
    limiter.settle(fast)  # answered at once
    clock.now += 3.0
    limiter.settle(slow)  # answered 3 s after it was sent
    clock.now = 1010.0
    assert limiter.acquire_slot() == (1010.0, 0.0)  # the fast request's slot is free again
    assert limiter.acquire_slot() == (1013.0, 3.0)  # the slow one's only a window after its answer


class RecordingLog(deque):
    """The limiter's own send log, recording every stamp it appends (the exact send times)."""

    def __init__(self) -> None:
        super().__init__()
        self.all: list[float] = []
        self.lock = threading.Lock()

    def append(self, stamp: float) -> None:  # type: ignore[override]
        with self.lock:
            self.all.append(stamp)
        super().append(stamp)


def test_budget_held_across_threads() -> None:
    """8 threads sharing one limiter never put more than the budget into any window."""
    budget, window = 5, 0.4
    limiter = RateLimiter(budget, window=window, margin=0.02)
    log = RecordingLog()
    limiter._sent = log
    threads = [threading.Thread(target=lambda: [limiter.acquire() for _ in range(4)]) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stamps = sorted(log.all)
    assert len(stamps) == 32
    for i, start in enumerate(stamps):
        in_window = [s for s in stamps[i:] if s < start + window]
        assert len(in_window) <= budget


def test_low_remaining_header_spreads_the_rest_of_the_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(100, window=10.0, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    limiter.observe(
        {
            "X-HubSpot-RateLimit-Max": "100",
            "X-HubSpot-RateLimit-Remaining": "4",
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
        }
    )
    limiter.acquire()
    assert clock.sleeps == [pytest.approx(0.1)]  # nearly spent: paced at 100 per 10 s
    limiter.observe({"X-HubSpot-RateLimit-Max": "100", "X-HubSpot-RateLimit-Remaining": "80"})
    before = len(clock.sleeps)
    limiter.acquire()
    assert len(clock.sleeps) == before  # healthy again: no spacing


def test_smaller_server_max_lowers_the_budget() -> None:
    limiter = RateLimiter(100)
    limiter.observe({"X-HubSpot-RateLimit-Max": "10", "X-HubSpot-RateLimit-Remaining": "9"})
    assert limiter.effective_budget == 10


def test_daily_remaining_zero_fails_fast_without_sending() -> None:
    limiter = RateLimiter(10)
    limiter.observe({"X-HubSpot-RateLimit-Daily": "250000", "X-HubSpot-RateLimit-Daily-Remaining": "0"})
    with pytest.raises(HubSpotDailyLimitError, match="daily request budget"):
        limiter.acquire()


def test_spent_daily_budget_is_probed_again_after_an_hour() -> None:
    """The reset is at the account's (unknown) midnight: a long-lived process looks again, one request at a time."""
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock, sleep=clock.sleep)
    limiter.observe({"X-HubSpot-RateLimit-Daily-Remaining": "0"})
    clock.now += 3599
    with pytest.raises(HubSpotDailyLimitError):
        limiter.acquire()
    clock.now += 1
    limiter.acquire()
    limiter.observe({"X-HubSpot-RateLimit-Daily-Remaining": "0"})  # still spent: blocked for another hour
    with pytest.raises(HubSpotDailyLimitError):
        limiter.acquire()


def test_local_daily_limit_over_a_rolling_day() -> None:
    clock = FakeClock()
    limiter = RateLimiter(100, daily_limit=2, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    limiter.acquire()
    with pytest.raises(HubSpotDailyLimitError, match="daily_request_limit of 2"):
        limiter.acquire()
    clock.now += 86400
    limiter.acquire()


def test_waiting_threads_sleep_together_and_share_the_freed_window() -> None:
    """Sleepers hold no lock: N threads wait at once, and all get the budget the window frees at one instant."""
    clock = FakeClock()
    release = threading.Event()
    asleep = threading.Semaphore(0)

    def blocking_sleep(seconds: float) -> None:
        asleep.release()
        release.wait()

    limiter = RateLimiter(3, window=10.0, margin=0.0, clock=clock, sleep=blocking_sleep)
    for _ in range(3):
        limiter.acquire()
    granted: list[float] = []
    waiters = [threading.Thread(target=lambda: (limiter.acquire(), granted.append(clock.now))) for _ in range(3)]
    for waiter in waiters:
        waiter.start()
    for _ in waiters:  # every waiter reaches its sleep; a sleeper holding the lock would block the others here
        assert asleep.acquire(timeout=30)
    limiter.observe({"X-HubSpot-RateLimit-Remaining": "50"})  # the lock is free while they sleep
    clock.now += 10.0
    release.set()
    for waiter in waiters:
        waiter.join()
    assert granted == [1010.0] * 3
    assert limiter.throttled_seconds == 30.0  # each of the three waited the window once


def test_pause_holds_every_sender() -> None:
    clock = FakeClock()
    limiter = RateLimiter(100, clock=clock, sleep=clock.sleep)
    limiter.pause(7.0)
    limiter.acquire()
    assert clock.sleeps == [7.0]


def test_registry_shares_one_limiter_per_account_and_credential() -> None:
    reset_shared_limiters()
    a = shared_limiter("https://api.hubapi.com", "token-a", 100)
    assert shared_limiter("https://api.hubapi.com", "token-a", 50) is a
    assert a.budget == 50  # the latest configuration applies
    assert shared_limiter("https://api.hubapi.com", "token-b", 100) is not a
    assert shared_limiter("http://127.0.0.1:1", "token-a", 100) is not a
    reset_shared_limiters()
