"""Several processes' limiters sharing one HubSpot window, in virtual time: no start burst, no starved shard.

The discrete-event simulation (``tests/rate_simulation.py``) replaces threads and sockets: each shard is a
limiter of its own against a rolling window that counts a request on arrival and answers 429 when full.
"""

from __future__ import annotations

import pytest
from rate_simulation import simulate as _simulate
from transport_helpers import FakeClock

from airflow_provider_hubassoc.hooks._ratelimit import RateLimiter


@pytest.mark.parametrize("seed", range(4))
def test_shards_starting_together_do_not_overshoot_the_window(seed: int) -> None:
    """8 shards within 50 ms of each other at 190/10 s: each probes, then claims its share; not one 429."""
    run = _simulate([60] * 8, 190, seed=seed)
    assert run.refused == []
    first_window = sum(1 for t in run.served if t < 10.0)
    assert first_window >= 0.9 * 190  # and the first window is used, not left to the probes


@pytest.mark.parametrize("seed", range(4))
def test_a_refused_shard_takes_its_share_back_at_once(seed: int) -> None:
    """A shard thrown a 429 mid-run retries when its own oldest slot frees, not a window later: the shards
    together stay at ≥ 0.94 of the ceiling (a whole window's pause left 0.85 here), stray 429s under 0.5 %."""
    run = _simulate([238] * 8, 190, seed=seed, refuse=(0, 20.0))
    refused_at = run.shards[0].refused[0]
    assert len(run.refused) - 1 <= 0.005 * len(run.served)
    resumed = min(t for t in run.shards[0].sent if t > refused_at)
    assert resumed - refused_at < 5.0  # its slots free through the window: the first well before 10 s
    assert run.rate(190) >= 0.94


@pytest.mark.parametrize("seed", range(4))
def test_uneven_shards_leave_no_window_idle(seed: int) -> None:
    """One shard twice the others: when they finish it claims the whole window; together ≥ 0.9 of the ceiling."""
    run = _simulate([400, 200, 200, 200], 100, seed=seed)
    assert run.refused == []
    assert run.rate(100) >= 0.9
    alone = max(shard.finished or 0.0 for shard in run.shards[1:]) + 10.0  # the others' slots aged out
    if (run.shards[0].finished or 0.0) >= alone + 10.0:  # a whole window of it alone: a full window served
        assert sum(1 for t in run.served if alone <= t < alone + 10.0) >= 0.9 * 100


def test_refused_waits_for_our_oldest_slot_not_the_window() -> None:
    """After a 429 without Retry-After, every sender is held until the oldest slot of ours ages out of HubSpot's
    window (HubSpot frees it then), at most the wait asked for."""
    clock = FakeClock()
    limiter = RateLimiter(100, window=10.0, margin=0.05, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        stamp, _ = limiter.acquire_slot()
        limiter.settle(stamp)
        clock.now += 2.0
    stamp, _ = limiter.acquire_slot()  # refused at 1006
    limiter.settle(stamp)
    assert limiter.refused(10.0) == pytest.approx(4.05)  # the slot of 1000 frees at 1010.05
    assert limiter.acquire() == pytest.approx(4.05)  # every sender held as long
    assert limiter.refused(1.0) == 1.0  # never longer than asked
    fresh = RateLimiter(100, clock=clock, sleep=clock.sleep)
    assert fresh.refused(10.0) == 10.0  # no slot of ours to wait for: the window


def test_a_waiter_woken_at_the_exact_moment_keeps_the_budget() -> None:
    """Woken when its oldest slot frees, a waiter takes that slot, never one more (2.63 + 10.05 is 12.68 in
    floating point, yet 2.63 <= 12.68 - 10.05 is false)."""
    clock = FakeClock()
    clock.now = 2.63
    limiter = RateLimiter(1, window=10.0, margin=0.05, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    clock.now = 12.68
    limiter.acquire()  # the first slot freed at this very moment
    assert len(limiter._sent) == 1
    assert limiter.acquire() == pytest.approx(10.05)  # the next waits a whole span: the budget is one


@pytest.mark.parametrize("seed", range(4))
def test_a_late_joiner_takes_the_window_once_the_others_finish(seed: int) -> None:
    """A shard joining a full window holds one slot while the others run; when they finish, it looks again as
    soon as HubSpot's smaller count has lasted the settle time, not a whole window of its one slot later: the
    shards together ≥ 0.88 of the ceiling (0.82 to 0.84 when it waited for its slot), not one 429."""
    run = _simulate([400, 400, 400, 400, 200], 190, seed=seed, starts=[0.0, 0.0, 0.0, 0.0, 12.0])
    assert run.refused == []
    assert run.rate(190) >= 0.88


def _seen_then_seen(limiter: RateLimiter, clock: FakeClock, counted: list[int]) -> None:
    """One request per view, each once the last one's slot aged out: HubSpot counted ``counted[i]`` with it."""
    for i, count in enumerate(counted):
        if i:
            clock.now += 10.06  # the last slot aged out
        stamp, _ = limiter.acquire_slot()
        clock.now += 0.1
        limiter.observe(
            {"X-HubSpot-RateLimit-Max": "190", "X-HubSpot-RateLimit-Remaining": str(190 - count)},
            limiter.settle(stamp),
        )


def test_a_shard_holding_one_slot_looks_again_when_the_others_have_left() -> None:
    """The others held 180 of 190; the newest answer shows 60: once that has lasted the settle time (0.6 s) the
    count is believed and the shard claims room, where waiting for its one slot took a whole window."""
    clock = FakeClock()
    limiter = RateLimiter(190, window=10.0, margin=0.05, clock=clock, sleep=clock.sleep, rng=lambda: 0.5)
    _seen_then_seen(limiter, clock, [181, 61])
    assert limiter.acquire() == pytest.approx(0.62)  # settle (2 * 0.05 + 5 % of 10 s) and one poll
    assert limiter._allowance == 2  # its share of the room now free: 1 + min(1, 120 * 1/61)


def test_a_slot_in_reuse_is_not_a_shard_that_left() -> None:
    """A count a little smaller (another shard between a slot's age-out and its reuse) is not looked at early:
    the shard reuses its own slot when it frees, as before, and claims nothing on the strength of the dip."""
    clock = FakeClock()
    limiter = RateLimiter(190, window=10.0, margin=0.05, clock=clock, sleep=clock.sleep, rng=lambda: 0.5)
    _seen_then_seen(limiter, clock, [181, 171])
    assert limiter.acquire() == pytest.approx(10.05)  # its one slot, a window plus the margin after the answer
