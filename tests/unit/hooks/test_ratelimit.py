"""The shared rate limiter: budget held per window across threads, header feedback, daily budget."""

from __future__ import annotations

import threading
from collections import deque

import pytest
from transport_helpers import FakeClock

from airflow_provider_hubassoc.exceptions import HubSpotDailyLimitError
from airflow_provider_hubassoc.hooks._ratelimit import RateLimiter, reset_shared_limiters, shared_limiter


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
    assert limiter.settle(fast) == 1000.0  # answered at once
    clock.now += 3.0
    assert limiter.settle(slow) == 1003.0  # answered 3 s after it was sent
    assert limiter.latency == pytest.approx(0.6)  # moving average of the 0 s and 3 s round trips
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


def _window(maximum: int, remaining: int, interval_ms: int = 10000) -> dict[str, str]:
    return {
        "X-HubSpot-RateLimit-Max": str(maximum),
        "X-HubSpot-RateLimit-Remaining": str(remaining),
        "X-HubSpot-RateLimit-Interval-Milliseconds": str(interval_ms),
    }


def _send(limiter: RateLimiter, count: int) -> list[float]:
    stamps = []
    for _ in range(count):
        stamp, _ = limiter.acquire_slot()
        limiter.settle(stamp)
        stamps.append(stamp)
    return stamps


def test_alone_in_the_window_the_whole_budget_is_ours() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, window=10.0, margin=0.0, clock=clock, sleep=clock.sleep)
    for count, stamp in enumerate(_send(limiter, 10), 1):
        limiter.observe(_window(10, 10 - count), stamp)  # HubSpot counted only our requests
    assert clock.sleeps == []


def test_others_in_the_window_leave_us_our_share_of_the_room() -> None:
    """HubSpot counts 50 of 100 with 10 of them ours: we claim 10/50 of the free room (less a 5 % reserve)."""
    clock = FakeClock()
    limiter = RateLimiter(100, window=10.0, margin=0.0, clock=clock, sleep=clock.sleep)
    stamps = _send(limiter, 10)
    limiter.observe(_window(100, 50), stamps[-1])
    clock.now += 1.0
    _send(limiter, 9)  # int((100 - 5 - 50) * 10 / 50) = 9 more, no faster than the app's 100 per 10 s
    assert clock.sleeps == [pytest.approx(0.1)] * 8
    _send(limiter, 1)  # the next only when our own first ten age out of the window (the view expires with them)
    assert clock.now == 1010.0


def test_our_aged_out_slots_are_ours_to_reuse_while_others_fill_the_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(100, window=10.0, margin=0.0, clock=clock, sleep=clock.sleep)
    first = _send(limiter, 5)
    clock.now += 5.0
    later = _send(limiter, 5)
    limiter.observe(_window(100, 0), later[-1])  # the app's window is full: 90 of its 100 are others'
    clock.now = first[0] + 10.0  # our first five age out: exactly five may replace them (at the app's pace)
    _send(limiter, 5)
    assert clock.sleeps == [pytest.approx(0.1)] * 4
    limiter.observe(_window(100, 0), clock.now)
    _send(limiter, 1)
    assert clock.now == later[0] + 10.0  # the sixth waits for our next slot to age out


def test_a_view_older_than_the_window_expires() -> None:
    clock = FakeClock()
    limiter = RateLimiter(100, window=10.0, margin=0.0, clock=clock, sleep=clock.sleep)
    stamps = _send(limiter, 1)
    limiter.observe(_window(100, 0), stamps[0])
    clock.now += 10.0
    _send(limiter, 20)  # all HubSpot had counted has aged out; nothing in flight, so no probing needed
    assert clock.sleeps == []


def test_late_answers_of_older_requests_do_not_replace_a_newer_view() -> None:
    clock = FakeClock()
    limiter = RateLimiter(100, window=10.0, margin=0.0, clock=clock, sleep=clock.sleep)
    (old,) = _send(limiter, 1)
    clock.now += 0.1
    (new,) = _send(limiter, 1)
    limiter.observe(_window(100, 0), new)
    limiter.observe(_window(100, 98), old)
    assert limiter._seen == (new, 2) and list(limiter._foreign) == [(new, 98)]  # 100 counted, 2 ours


def test_interval_header_sets_the_window_and_in_flight_target_follows_latency() -> None:
    clock = FakeClock()
    limiter = RateLimiter(100, clock=clock, sleep=clock.sleep)
    assert limiter.in_flight_target(8) == 8  # nothing measured yet: all the concurrency allowed
    limiter.observe(_window(20, 19, interval_ms=2000))
    assert limiter.window == 2.0 and limiter.effective_budget == 20
    stamp, _ = limiter.acquire_slot()
    clock.now += 0.1
    limiter.settle(stamp)
    assert limiter.in_flight_target(8) == 3  # 10 req/s over 0.1 s, twice over, plus one
    assert limiter.in_flight_target(2) == 2


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


def test_others_who_look_fewer_for_a_moment_keep_their_share_until_it_lasts() -> None:
    """Right after HubSpot frees others' slots, before they reuse them, the window looks emptier than it is:
    the count from before that moment still holds, until the smaller count has lasted a little."""
    clock = FakeClock()
    limiter = RateLimiter(100, window=10.0, margin=0.25, clock=clock, sleep=clock.sleep)
    (stamp,) = _send(limiter, 1)
    limiter.observe(_window(100, 10), stamp)  # others hold 89
    clock.now += 10.0
    (stamp,) = _send(limiter, 1)
    limiter.observe(_window(100, 98), stamp)  # their slots freed, not yet reused: others seem to hold 1
    assert limiter._others(clock.now) == 89
    clock.now += 1.1  # the smaller count has lasted over twice the margin plus 5 % of the window
    assert limiter._others(clock.now) == 1


def test_a_fresh_process_waits_for_its_first_answer_before_sending_more() -> None:
    clock = FakeClock()
    limiter = RateLimiter(100, probe_first=True, clock=clock, sleep=clock.sleep)
    first, _ = limiter.acquire_slot()
    waiter = threading.Thread(target=limiter.acquire)
    polls: list[float] = []
    limiter._sleep = lambda seconds: (polls.append(seconds), limiter.settle(first))
    waiter.start()
    waiter.join(timeout=30)
    assert polls == [pytest.approx(0.02)]  # one poll, then the first answer lets it through
    limiter._sleep = clock.sleep
    for _ in range(5):
        limiter.acquire()  # answered once: no more probing, headers or not (a server without rate limits)
    assert polls == [pytest.approx(0.02)]


def test_in_flight_target_follows_our_share_while_others_use_the_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(100, window=10.0, margin=0.0, clock=clock, sleep=clock.sleep)
    stamp, _ = limiter.acquire_slot()
    clock.now += 0.5
    answered = limiter.settle(stamp)
    assert limiter.in_flight_target(16) == 11  # alone: 10 req/s over 0.5 s, twice over, plus one
    limiter.observe(_window(100, 80), answered)  # others hold 19 of the window: our share is 1 + 1
    limiter.acquire()
    assert limiter.in_flight_target(16) == 1  # 2 per 10 s over 0.5 s: one in flight is plenty
