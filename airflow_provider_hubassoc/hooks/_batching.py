"""The batching engine: chunk any iterable lazily, run chunks with bounded concurrency, yield in input order.

Memory stays flat however long the input is: at most ``max_in_flight`` chunks are read from the caller's
iterable ahead of the chunk being yielded. Chunks touching the same key (for writes: the same record pair)
never run at the same time, so writes to one pair stay in input order. Every request is still paced by the
transport's process-wide rate limiter; concurrency only hides latency. A chunk that must wait before its next
request (the labeled writes' verify settle) waits in :func:`wait_outside_slot`, giving its slot to another chunk.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from airflow_provider_hubassoc.exceptions import HubSpotInputError

if TYPE_CHECKING:
    from airflow_provider_hubassoc._compat import TaskLogger

T = TypeVar("T")
R = TypeVar("R")

# HubSpot's documented per-request maximums (reference §12.1). Undocumented ones use 1,000 (design note).
READ_LIMIT = 1000
CREATE_LIMIT = 2000
DEFAULT_LIMIT = 1000


@dataclass(frozen=True)
class Chunk(Generic[T]):
    """A run of consecutive inputs: ``items[0]`` is the caller's input number ``start`` (0-based)."""

    index: int
    start: int
    items: list[T]

    @property
    def end(self) -> int:
        """Position after the last input of this chunk (exclusive)."""
        return self.start + len(self.items)


def chunk_size_for(limit: int, requested: int | None) -> int:
    """The chunk size to use: the endpoint's ``limit`` unless the caller asked for less (never more)."""
    if requested is None:
        return limit
    if isinstance(requested, bool) or not isinstance(requested, int) or requested < 1:
        raise HubSpotInputError(f"chunk_size must be a positive integer, got {requested!r}", field="chunk_size")
    if requested > limit:
        raise HubSpotInputError(
            f"chunk_size {requested} exceeds this endpoint's maximum of {limit}", field="chunk_size"
        )
    return requested


def iter_chunks(items: Iterable[T], size: int) -> Iterator[Chunk[T]]:
    """Split ``items`` into chunks of ``size``, pulling from the iterable only as chunks are requested."""
    if size < 1:
        raise ValueError("chunk size must be at least 1")
    iterator = iter(items)
    index = start = 0
    while True:
        items_ = list(islice(iterator, size))
        if not items_:
            return
        yield Chunk(index, start, items_)
        index += 1
        start += len(items_)


def known_length(items: Iterable[Any]) -> int | None:
    """``len(items)`` for sized inputs (lists, tuples), ``None`` for generators and files."""
    try:
        return len(items)  # type: ignore[arg-type]
    except TypeError:
        return None


class ProgressLogger:
    """Logs done/total, rate and ETA every ``interval`` seconds of a long batch job (never per chunk).

    :param clock: injectable monotonic clock, so tests need no sleeping.
    """

    def __init__(
        self,
        logger: TaskLogger | None,
        operation: str,
        total: int | None,
        *,
        interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.operation = operation
        self.total = total
        self.interval = interval
        self.clock = clock
        self.started = clock()
        self.last_logged = self.started
        self.done = 0

    def update(self, done: int) -> None:
        """Record that ``done`` inputs are finished; log if the interval has passed."""
        self.done = done
        now = self.clock()
        if self.logger is not None and now - self.last_logged >= self.interval:
            self.last_logged = now
            self.logger.info("%s", self.message(now))

    def message(self, now: float | None = None) -> str:
        now = self.clock() if now is None else now
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        if self.total:
            percent = 100.0 * self.done / self.total
            remaining = max(self.total - self.done, 0)
            eta = f"{remaining / rate:.0f} s" if rate > 0 else "unknown"
            return f"{self.operation}: {self.done}/{self.total} inputs ({percent:.1f}%), {rate:.0f} inputs/s, ETA {eta}"
        return f"{self.operation}: {self.done} inputs done, {rate:.0f} inputs/s"


class _Slots:
    """The chunks sending requests now: at most ``allowed()``. A chunk waiting out a settle gives its slot back
    and, to take one again, goes ahead of chunks not yet started (``resuming``)."""

    def __init__(self, allowed: Callable[[], int]) -> None:
        self.allowed = allowed
        self.changed = threading.Condition()
        self.active = 0
        self.resuming = 0

    def free(self) -> bool:
        """A new chunk may start (call with ``changed`` held)."""
        return self.active + self.resuming < self.allowed()

    def give(self) -> None:
        with self.changed:
            self.active -= 1
            self.changed.notify_all()

    def take_back(self) -> None:
        with self.changed:
            self.resuming += 1
            while self.active >= self.allowed():
                self.changed.wait()
            self.resuming -= 1
            self.active += 1

    def finished(self, future: Future[Any]) -> None:
        """A chunk's future is done: wake the dispatcher; one cancelled before it ran gives its slot back."""
        with self.changed:
            if future.cancelled():
                self.active -= 1
            self.changed.notify_all()


_worker = threading.local()  # the slots of the run_chunks whose chunk this thread runs


def wait_outside_slot(seconds: float, sleep: Callable[[float], object] = time.sleep) -> None:
    """Sleep ``seconds``; in a :func:`run_chunks` worker, without holding the chunk's slot, so other chunks send
    meanwhile (a chunk run inline just sleeps). Taking the slot back, it goes ahead of chunks not yet started."""
    slots: _Slots | None = getattr(_worker, "slots", None)
    if slots is None:
        sleep(seconds)
        return
    slots.give()
    try:
        sleep(seconds)
    finally:
        slots.take_back()


def run_chunks(
    chunks: Iterable[Chunk[T]],
    work: Callable[[Chunk[T]], R],
    *,
    max_concurrency: int = 1,
    max_in_flight: int | None = None,
    keys: Callable[[Chunk[T]], Iterable[Hashable]] | None = None,
    progress: ProgressLogger | None = None,
    on_chunk_done: Callable[[Chunk[T], R], None] | None = None,
    stop: Callable[[], bool] | None = None,
    concurrency: Callable[[], int] | None = None,
    on_drained: Callable[[Chunk[T], R], object] | None = None,
    settling: int = 0,
) -> Iterator[tuple[Chunk[T], R]]:
    """Run ``work`` on every chunk and yield ``(chunk, result)`` in input order.

    One generator of ~80 lines on purpose: the executor, the keys held, the read-ahead queue and the drain on
    error share state that must be released in its ``finally`` whatever the caller does with the generator.

    :param max_concurrency: chunks running at once (1 runs them inline, in the caller's thread).
    :param max_in_flight: chunks read ahead and not yet yielded (default ``2 * max_concurrency``), plus
        ``settling``; bounds memory, and what a killed run redoes when each yielded chunk is checkpointed.
    :param keys: keys a chunk holds while it runs (write pairs); a chunk is not dispatched while a running
        chunk holds one of its keys, so writes to one key stay in input order.
    :param progress: progress logger updated with the number of inputs finished.
    :param on_chunk_done: called in input order with each finished chunk (its ``start``/``end`` positions)
        and its result: the hook point for checkpoints.
    :param stop: checked before each chunk is dispatched; once it returns true no further chunk is read or
        sent, and chunks already dispatched are still run and yielded (so their outcome is never lost).
    :param concurrency: asked before each dispatch for the chunks worth running at once now (never more than
        ``max_concurrency``): the rate limiter's answer keeps the budget full with as few requests in flight as
        the observed latency needs.
    :param on_drained: called, before the error is raised, with each chunk that was already running when an
        earlier chunk's error came and that then finished without error, in input order. Such a chunk reached
        HubSpot but is not yielded (the finished prefix ends before the failed chunk); a caller that counts
        what was done still must count it.
    :param settling: chunks that may be waiting in :func:`wait_outside_slot` beside the ``max_concurrency`` (or
        ``concurrency()``) sending: that many more threads run, and read-ahead grows by as much.
    :raises: whatever ``work`` raised, when that chunk's turn to be yielded comes; chunks not yet started are
        cancelled, running ones are allowed to finish (and go to ``on_drained``).
    """
    if max_concurrency < 1:
        raise ValueError("max_concurrency must be at least 1")
    done_inputs = 0

    def finished(chunk: Chunk[T], result: R) -> None:
        nonlocal done_inputs
        done_inputs += len(chunk.items)
        if on_chunk_done is not None:
            on_chunk_done(chunk, result)
        if progress is not None:
            progress.update(done_inputs)

    if max_concurrency == 1 and not settling:
        for chunk in chunks:
            if stop is not None and stop():
                return
            result = work(chunk)
            finished(chunk, result)
            yield chunk, result
        return

    limit_in_flight = max(max_in_flight or 2 * max_concurrency, max_concurrency) + settling
    threads = max_concurrency + settling
    pending: deque[tuple[Chunk[T], Future[R], frozenset[Hashable]]] = deque()
    held: dict[Hashable, int] = {}
    released: set[int] = set()  # ids of futures whose keys were released
    slots = _Slots(lambda: max_concurrency if concurrency is None else max(1, min(max_concurrency, concurrency())))

    def release_finished() -> None:
        for _chunk, future, chunk_keys in pending:
            if future.done() and id(future) not in released:
                released.add(id(future))
                for key in chunk_keys:
                    count = held[key] - 1
                    if count:
                        held[key] = count
                    else:
                        del held[key]

    def running() -> int:
        return sum(not future.done() for _c, future, _k in pending)

    def run(chunk: Chunk[T]) -> R:
        _worker.slots = slots
        try:
            return work(chunk)
        finally:
            _worker.slots = None
            slots.give()

    executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="hubspot-batch")
    try:
        for chunk in _until(chunks, stop):
            chunk_keys = frozenset(keys(chunk)) if keys is not None else frozenset()
            with slots.changed:  # every slot given back and every chunk finished notifies it
                while True:
                    release_finished()
                    conflict = bool(chunk_keys) and not held.keys().isdisjoint(chunk_keys)
                    if not conflict and running() < threads and slots.free():
                        slots.active += 1
                        break
                    slots.changed.wait(timeout=1.0)
            future = executor.submit(run, chunk)
            future.add_done_callback(slots.finished)
            for key in chunk_keys:
                held[key] = held.get(key, 0) + 1
            pending.append((chunk, future, chunk_keys))
            # Yield every finished chunk at the head; block on the head when too many are read ahead.
            while pending and (pending[0][1].done() or len(pending) >= limit_in_flight):
                head_chunk, head_future, _keys = pending[0]
                result = _result_or_drain(pending, on_drained)
                release_finished()
                pending.popleft()
                released.discard(id(head_future))
                finished(head_chunk, result)
                yield head_chunk, result
        while pending:
            head_chunk, head_future, _keys = pending[0]
            result = _result_or_drain(pending, on_drained)
            pending.popleft()
            finished(head_chunk, result)
            yield head_chunk, result
    finally:
        for _chunk, future, _keys in pending:
            future.cancel()
        executor.shutdown(wait=True)


def _result_or_drain(
    pending: deque[tuple[Chunk[T], Future[R], frozenset[Hashable]]],
    on_drained: Callable[[Chunk[T], R], object] | None,
) -> R:
    """The head chunk's result; if its work raised, first let the chunks behind it that already started
    finish, hand each that succeeded to ``on_drained`` (it was sent: its outcome must not be lost), then raise."""
    head = pending[0][1]
    try:
        return head.result()
    except BaseException:
        for _chunk, future, _keys in list(pending)[1:]:
            future.cancel()  # not started: never sent
        for chunk, future, _keys in list(pending)[1:]:
            if future.cancelled() or future.exception() is not None:
                continue
            if on_drained is not None:
                on_drained(chunk, future.result())
        raise


def _until(chunks: Iterable[Chunk[T]], stop: Callable[[], bool] | None) -> Iterator[Chunk[T]]:
    """``chunks`` until ``stop()`` is true, checked before the next chunk is read from the input."""
    iterator = iter(chunks)
    while stop is None or not stop():
        chunk = next(iterator, None)
        if chunk is None:  # the input is exhausted
            return
        yield chunk
