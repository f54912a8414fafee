"""The batching engine: lazy chunking, ordered bounded-concurrency execution, pair conflicts, progress."""

from __future__ import annotations

import logging
import random
import threading
import time

import pytest

from airflow_provider_hubassoc.exceptions import HubSpotInputError
from airflow_provider_hubassoc.hooks._batching import (
    CREATE_LIMIT,
    READ_LIMIT,
    Chunk,
    ProgressLogger,
    chunk_size_for,
    iter_chunks,
    known_length,
    run_chunks,
    wait_outside_slot,
)


def test_chunks_are_built_lazily_with_positions():
    pulled = []

    def source():
        for i in range(7):
            pulled.append(i)
            yield i

    chunks = iter_chunks(source(), 3)
    first = next(chunks)
    assert (first.index, first.start, first.end, first.items) == (0, 0, 3, [0, 1, 2])
    assert pulled == [0, 1, 2]
    rest = list(chunks)
    assert [(c.start, c.items) for c in rest] == [(3, [3, 4, 5]), (6, [6])]


def test_chunk_size_defaults_to_the_endpoint_limit_and_may_only_be_lower():
    assert chunk_size_for(READ_LIMIT, None) == 1000
    assert chunk_size_for(CREATE_LIMIT, 10) == 10
    with pytest.raises(HubSpotInputError, match="exceeds"):
        chunk_size_for(READ_LIMIT, 1001)
    for bad in (0, -1, 2.5, True, "10"):
        with pytest.raises(HubSpotInputError):
            chunk_size_for(READ_LIMIT, bad)


def test_known_length():
    assert known_length([1, 2]) == 2
    assert known_length(x for x in [1]) is None


def test_inline_runner_yields_in_order_and_reports_chunks():
    done = []

    def record(chunk, result):
        done.append((chunk.start, chunk.end, result))

    out = list(run_chunks(iter_chunks(range(10), 4), lambda c: sum(c.items), on_chunk_done=record))
    assert [r for _c, r in out] == [6, 22, 17]
    assert done == [(0, 4, 6), (4, 8, 22), (8, 10, 17)]


def test_concurrent_runner_keeps_input_order_and_bounds_concurrency():
    rng = random.Random(7)
    delays = [rng.random() * 0.01 for _ in range(40)]
    lock = threading.Lock()
    running = 0
    peak = 0

    def work(chunk: Chunk[int]) -> list[int]:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(delays[chunk.index])
        with lock:
            running -= 1
        return [x * 2 for x in chunk.items]

    results = [r for _c, r in run_chunks(iter_chunks(range(200), 5), work, max_concurrency=4)]
    assert [x for r in results for x in r] == [x * 2 for x in range(200)]
    assert 1 < peak <= 4


def test_read_ahead_is_bounded_for_flat_memory():
    pulled = 0

    def source():
        nonlocal pulled
        for i in range(10_000):
            pulled += 1
            yield i

    gen = run_chunks(iter_chunks(source(), 10), lambda c: len(c.items), max_concurrency=3, max_in_flight=4)
    next(gen)
    # At most max_in_flight chunks (plus the one being built) were read from the source.
    assert pulled <= 10 * 5
    consumed = 1
    for _ in gen:
        consumed += 1
        assert pulled <= 10 * (consumed + 5)
    assert consumed == 1000


def test_chunks_sharing_a_key_never_run_at_the_same_time():
    lock = threading.Lock()
    active_keys: set[int] = set()
    overlaps = []
    order: dict[int, list[int]] = {}

    def keys(chunk: Chunk[tuple[int, int]]):
        return {key for key, _seq in chunk.items}

    def work(chunk: Chunk[tuple[int, int]]):
        mine = keys(chunk)
        with lock:
            if active_keys & mine:
                overlaps.append(chunk.index)
            active_keys.update(mine)
        time.sleep(0.002)
        with lock:
            active_keys.difference_update(mine)
            for key, seq in chunk.items:
                order.setdefault(key, []).append(seq)
        return

    # Key 0 appears in every other chunk: those chunks must run one after another, in input order.
    items = [(0 if seq % 2 == 0 else 100 + seq, seq) for seq in range(60)]
    list(run_chunks(iter_chunks(items, 1), work, max_concurrency=4, keys=keys))
    assert overlaps == []
    assert order[0] == sorted(order[0])
    assert len(order[0]) == 30


def test_an_error_in_a_chunk_surfaces_in_order_and_stops_dispatch():
    started = []

    def work(chunk: Chunk[int]):
        started.append(chunk.index)
        if chunk.index == 2:
            raise RuntimeError("boom")
        time.sleep(0.001)
        return chunk.index

    seen = []
    with pytest.raises(RuntimeError, match="boom"):
        for _chunk, result in run_chunks(iter_chunks(range(1000), 1), work, max_concurrency=2):
            seen.append(result)
    assert seen == [0, 1]
    assert max(started) < 10


def test_progress_logger_reports_done_total_rate_and_eta(caplog):
    now = [0.0]
    logger = logging.getLogger("test.progress")
    progress = ProgressLogger(logger, "create", 1000, interval=5.0, clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="test.progress"):
        now[0] = 1.0
        progress.update(100)  # too early: no log line
        now[0] = 10.0
        progress.update(500)
    assert len(caplog.records) == 1
    assert caplog.records[0].getMessage() == "create: 500/1000 inputs (50.0%), 50 inputs/s, ETA 10 s"
    unknown = ProgressLogger(None, "read", None, clock=lambda: 4.0)
    unknown.started = 0.0
    unknown.update(40)
    assert unknown.message() == "read: 40 inputs done, 10 inputs/s"


@pytest.mark.parametrize("concurrency", [1, 3])
def test_stop_ends_dispatch_but_yields_every_dispatched_chunk(concurrency):
    pulled = []
    ran = []

    def source():
        for i in range(100):
            pulled.append(i)
            yield i

    def work(chunk: Chunk[int]) -> int:
        ran.append(chunk.index)
        return chunk.index

    yielded = []
    for _chunk, result in run_chunks(
        iter_chunks(source(), 1), work, max_concurrency=concurrency, stop=lambda: bool(yielded)
    ):
        yielded.append(result)
    assert sorted(ran) == yielded  # every chunk that ran was yielded, in order
    assert yielded[0] == 0 and len(yielded) < 10 and len(pulled) < 12


def test_adaptive_concurrency_runs_only_as_many_chunks_as_the_limiter_asks():
    """The in-flight target is asked before each dispatch: 2 while it says 2, up to the bound when it says more."""
    lock = threading.Lock()
    running, peaks = 0, {2: 0, 8: 0}
    target = {"now": 2}

    def work(chunk: Chunk[int]) -> int:
        nonlocal running
        with lock:
            running += 1
            peaks[target["now"]] = max(peaks[target["now"]], running)
        time.sleep(0.005)
        with lock:
            running -= 1
        if chunk.index == 19:
            target["now"] = 8  # the limiter learnt a longer latency: more in flight needed from now on
        return chunk.index

    done = [
        r for _c, r in run_chunks(iter_chunks(range(60), 1), work, max_concurrency=6, concurrency=lambda: target["now"])
    ]
    assert done == list(range(60))
    assert peaks[2] == 2 and 2 < peaks[8] <= 6


def test_chunks_running_when_an_earlier_one_fails_are_drained_and_handed_over():
    """Chunk 1 fails only after chunk 2 (running beside it) finished: chunk 2 reached HubSpot, so its outcome
    goes to ``on_drained`` before the error is raised; it is not yielded (the finished prefix ends at chunk 0)."""
    second_done = threading.Event()

    def work(chunk: Chunk[int]) -> int:
        if chunk.index == 1:
            assert second_done.wait(timeout=30)
            raise RuntimeError("budget spent")
        if chunk.index == 2:
            second_done.set()
        return chunk.index

    yielded, drained = [], []
    with pytest.raises(RuntimeError, match="budget spent"):
        for _chunk, result in run_chunks(
            iter_chunks(range(10), 1),
            work,
            max_concurrency=2,
            max_in_flight=2,
            on_drained=lambda chunk, result: drained.append((chunk.index, result)),
        ):
            yielded.append(result)
    assert yielded == [0]
    assert drained == [(2, 2)]


def test_a_chunk_waiting_outside_its_slot_lets_the_next_chunks_send():
    """``settling``: chunk 0 waits (a verify settle) until chunk 1 has sent; with its slot held that would never
    happen (one slot). Sending never runs more than ``max_concurrency`` chunks at once, and every chunk is
    yielded, in order, only once its wait is over."""
    lock = threading.Lock()
    sending, peak, log = 0, 0, []
    second_sent = threading.Event()

    def work(chunk: Chunk[int]) -> int:
        nonlocal sending, peak
        with lock:
            sending += 1
            peak = max(peak, sending)
            log.append(("send", chunk.index))
            sending -= 1
        if chunk.index == 1:
            second_sent.set()
        if chunk.index == 0:
            wait_outside_slot(1.0, sleep=lambda _s: second_sent.wait(timeout=10))
            assert second_sent.is_set()
        else:
            wait_outside_slot(0)
        with lock:
            log.append(("verify", chunk.index))
        return chunk.index

    done = [r for _c, r in run_chunks(iter_chunks(range(4), 1), work, max_concurrency=1, settling=2)]
    assert done == [0, 1, 2, 3]
    assert log.index(("send", 1)) < log.index(("verify", 0))
    assert peak == 1


def test_without_settling_a_wait_keeps_its_slot():
    """``settling`` 0 (the default): a waiting chunk still holds its thread, so no more chunks run than before."""
    lock = threading.Lock()
    running, peak = 0, 0

    def work(chunk: Chunk[int]) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        wait_outside_slot(0.01)
        with lock:
            running -= 1
        return chunk.index

    done = [r for _c, r in run_chunks(iter_chunks(range(12), 1), work, max_concurrency=2)]
    assert done == list(range(12)) and peak <= 2
