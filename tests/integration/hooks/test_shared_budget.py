"""One app budget shared by several processes that know nothing of each other, against the emulator's window.

Each "process" is a thread with a limiter of its own (as a separate worker would have), configured with the
app's whole budget, as the connection default leaves it. HubSpot's window is shortened to 2 s by the emulator's
``rate_limit_interval_ms`` knob so that several windows pass in seconds. Counts are exact; nothing is timed.
"""

from __future__ import annotations

import threading
import time

import pytest

from airflow_provider_hubassoc.hooks._ratelimit import RateLimiter
from airflow_provider_hubassoc.hooks._settings import HubSpotSettings
from airflow_provider_hubassoc.hooks._transport import HubSpotTransport

LABELS_PATH = "/crm/associations/2026-09/contacts/companies/labels"
MAX, INTERVAL_MS = 20, 2000


class StampedLimiter(RateLimiter):
    """A process's own limiter, recording when each of its requests was let through."""

    def __init__(self, budget: int) -> None:
        super().__init__(budget, probe_first=True)  # as every transport's process-wide limiter is
        self.granted: list[float] = []

    def acquire_slot(self) -> tuple[float, float]:
        slot = super().acquire_slot()
        self.granted.append(slot[0])
        return slot


def _run_shards(base_url: str, sizes: list[int], concurrency: int) -> tuple[list[StampedLimiter], list[int]]:
    """Run one shard per size, each sending that many requests through its own transport; return the limiters
    and how many 429s each shard's transport saw."""
    limiters = [StampedLimiter(MAX) for _ in sizes]
    refused = [0] * len(sizes)
    answered = [0] * len(sizes)
    lock = threading.Lock()

    def shard(index: int) -> None:
        transport = HubSpotTransport(
            HubSpotSettings(base_url=base_url, access_token="shared-app", max_retries=20, max_retry_seconds=600),
            limiter=limiters[index],
            sleep=time.sleep,
            rng=lambda: 0.0,
        )
        todo = iter(range(sizes[index]))

        def worker() -> None:
            for _ in todo:  # a shared iterator: each request is sent by one worker thread
                transport.request("GET", LABELS_PATH)
                with lock:
                    answered[index] += 1

        workers = [threading.Thread(target=worker) for _ in range(concurrency)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
        refused[index] = transport.stats.responses_by_status.get(429, 0)
        transport.close()

    threads = [threading.Thread(target=shard, args=(i,)) for i in range(len(sizes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answered == sizes  # every request answered
    return limiters, refused


@pytest.fixture
def shared_app(hubspot_emulator):
    hubspot_emulator.add_token("shared-app")
    hubspot_emulator.configure(requests_per_10_seconds=MAX, rate_limit_interval_ms=INTERVAL_MS, daily_limit=None)
    return hubspot_emulator


def test_uneven_shards_share_one_window_and_the_long_one_takes_over_the_rest(shared_app) -> None:
    """4 shards, one much longer: HubSpot's window is never overrun by more than a stray request or two, and
    once the short shards finish the long one sends at (nearly) the app's whole budget per window."""
    sizes = [40, 8, 8, 8]
    limiters, refused = _run_shards(shared_app.base_url, sizes, concurrency=2)
    served = shared_app.counters()["labels.list"]
    assert served.get("200") == sum(sizes)
    assert served.get("429", 0) == sum(refused)  # every refusal seen, and retried to success
    assert sum(refused) <= 2
    short_done = max(max(limiter.granted) for limiter in limiters[1:])
    long_after = sorted(stamp for stamp in limiters[0].granted if stamp > short_done)
    window = INTERVAL_MS / 1000
    busiest = max(sum(1 for s in long_after if start <= s < start + window) for start in long_after)
    # alone, the long shard claims what the finished shards left: far more than its quarter (5) per window
    assert busiest >= MAX * 3 // 4


def test_one_process_alone_uses_the_whole_window_without_a_refusal(shared_app) -> None:
    limiters, refused = _run_shards(shared_app.base_url, [3 * MAX], concurrency=4)
    assert refused == [0]
    stamps = sorted(limiters[0].granted)
    assert sum(1 for s in stamps if s < stamps[0] + INTERVAL_MS / 1000) == MAX  # the first window, full


def test_a_refused_shard_retries_when_its_own_oldest_slot_frees_not_a_window_later(shared_app) -> None:
    """HubSpot (and the emulator) send no Retry-After with a 429: the retry waits until the shard's own oldest
    slot ages out of the window (HubSpot frees it then), where it once waited the window's whole length."""
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(seconds)

    settings = HubSpotSettings(base_url=shared_app.base_url, access_token="shared-app", max_retries=5)
    shard = HubSpotTransport(settings, limiter=StampedLimiter(MAX), sleep=sleep, rng=lambda: 0.0)
    for _ in range(5):
        shard.request("GET", LABELS_PATH)
    time.sleep(0.5)
    # another client of the app, blind to the headers, fills the rest of HubSpot's window
    blind = HubSpotTransport(settings, limiter=RateLimiter(1_000))
    blind.limiter.observe = lambda headers, stamp=None: None  # type: ignore[method-assign]
    for _ in range(MAX - 5):
        blind.request("GET", LABELS_PATH)
    shard.request("GET", LABELS_PATH)  # refused once, then retried into the slot its first request frees
    assert shard.stats.retries_by_reason == {"HTTP 429 TEN_SECONDLY_ROLLING": 1}
    assert shared_app.counters()["labels.list"] == {"200": MAX + 1, "429": 1}
    (waited,) = sleeps
    assert waited < INTERVAL_MS / 1000 - 0.3  # the window is 2 s; its first slot freed ~0.5 s sooner
    shard.close()
    blind.close()
