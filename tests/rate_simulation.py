"""A discrete-event simulation of shards sharing one HubSpot window, in virtual time (no thread, no socket).

Each shard is a limiter of its own (as a process on another worker has) with ``concurrency`` senders; HubSpot
is a rolling window that counts a request when it arrives (half-way through its round trip, jittered) and
answers 429 with its headers when full. Retries of a 429 wait as the transport makes them wait
(:meth:`RateLimiter.refused`). Counts are exact; nothing sleeps. Used by ``tests/unit/hooks/
test_ratelimit_shared.py``, the shared store's tests and ``benchmarks/shared_budget.py --part simulated``.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from transport_helpers import FakeClock

from airflow_provider_hubassoc.hooks._ratelimit import RateLimiter


class WouldWait(Exception):
    """The limiter asked to sleep: the simulation schedules the sender again instead."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


def would_wait(seconds: float) -> None:
    raise WouldWait(seconds)


@dataclass
class Shard:
    limiter: RateLimiter
    todo: int
    size: int
    in_flight: int = 0
    waiting: int = 0
    done: int = 0
    finished: float | None = None
    refused: list[float] = field(default_factory=list)
    sent: list[float] = field(default_factory=list)


@dataclass
class Run:
    served: list[float]
    refused: list[float]
    shards: list[Shard]

    def rate(self, maximum: int, window: float = 10.0) -> float:
        """Requests served per second by all shards together ÷ the app's ceiling."""
        end = max(shard.finished or 0.0 for shard in self.shards)
        return len(self.served) / end / (maximum / window)


def simulate(
    sizes: list[int],
    maximum: int,
    *,
    seed: int,
    starts: list[float] | None = None,
    refuse: tuple[int, float] | None = None,
    latency: float = 0.2,
    concurrency: int = 8,
    window: float = 10.0,
    after: dict[int, int] | None = None,
    store: Callable[[FakeClock], Any] | None = None,
) -> Run:
    """Run shards of ``sizes`` requests against one window of ``maximum``; ``refuse=(shard, t)`` answers that
    shard's first request arriving after ``t`` with a 429 (a shard thrown off its share); ``after={j: i}``
    starts shard ``j`` when shard ``i`` finishes (a retried shard taking a finished one's worker slot);
    ``store(clock)`` gives each shard's limiter the app's shared window count (``rate_limit_store``)."""
    clock = FakeClock()
    clock.now = 0.0
    rng = random.Random(seed)
    counted: deque[float] = deque()
    served: list[float] = []
    refused: list[float] = []
    events: list[tuple[float, int, Callable[[], None]]] = []
    order = itertools.count()
    pending_refusal = list(refuse) if refuse else None

    def at(when: float, action: Callable[[], None]) -> None:
        heapq.heappush(events, (when, next(order), action))

    def arrive(shard: Shard) -> tuple[bool, dict[str, str]]:
        nonlocal pending_refusal
        now = clock.now
        while counted and counted[0] <= now - window:
            counted.popleft()
        forced = pending_refusal is not None and shards[pending_refusal[0]] is shard and now >= pending_refusal[1]
        accepted = len(counted) < maximum and not forced
        if forced:
            pending_refusal = None
        if accepted:
            counted.append(now)
            served.append(now)
        else:
            refused.append(now)
        remaining = 0 if forced else maximum - len(counted)
        return accepted, {
            "X-HubSpot-RateLimit-Max": str(maximum),
            "X-HubSpot-RateLimit-Remaining": str(remaining),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(window * 1000)),
        }

    def send(shard: Shard) -> None:
        shard.waiting -= 1
        if shard.todo <= 0 or shard.in_flight >= shard.limiter.in_flight_target(concurrency):
            return  # an answer wakes a sender again
        try:
            stamp, _ = shard.limiter.acquire_slot()
        except WouldWait as wait:
            shard.waiting += 1
            at(clock.now + wait.seconds, lambda: send(shard))
            return
        shard.todo -= 1
        shard.in_flight += 1
        shard.sent.append(clock.now)
        round_trip = latency * rng.uniform(0.5, 1.5)
        outcome: list[tuple[bool, dict[str, str]]] = []

        def answer() -> None:
            accepted, headers = outcome[0]
            shard.in_flight -= 1
            shard.limiter.observe(headers, shard.limiter.settle(stamp))
            if accepted:
                shard.done += 1
                if shard.done == shard.size:
                    shard.finished = clock.now
                    for later in followers.get(id(shard), []):
                        wake(later)
                wake(shard)
                return
            shard.refused.append(clock.now)
            shard.todo += 1
            at(clock.now + shard.limiter.refused(window + rng.random()), lambda: wake(shard))

        at(clock.now + round_trip * rng.uniform(0.2, 0.8), lambda: outcome.append(arrive(shard)))
        at(clock.now + round_trip, answer)
        wake(shard)

    def wake(shard: Shard) -> None:
        while shard.waiting + shard.in_flight < concurrency and shard.todo > shard.waiting:
            shard.waiting += 1
            at(clock.now, lambda: send(shard))

    shards = [
        Shard(
            RateLimiter(
                maximum,
                window=window,
                probe_first=True,
                clock=clock,
                sleep=would_wait,
                rng=rng.random,
                store=store(clock) if store else None,
            ),
            todo=size,
            size=size,
        )
        for size in sizes
    ]
    followers: dict[int, list[Shard]] = {}
    for later, first in (after or {}).items():
        followers.setdefault(id(shards[first]), []).append(shards[later])
    for index, (shard, start) in enumerate(zip(shards, starts or [rng.uniform(0, 0.05) for _ in sizes], strict=True)):
        if index not in (after or {}):
            at(start, lambda shard=shard: wake(shard))
    while events:
        clock.now, _, action = heapq.heappop(events)
        action()
    assert [shard.done for shard in shards] == sizes  # every request answered
    return Run(served, refused, shards)
