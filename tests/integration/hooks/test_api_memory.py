"""Streaming: 100k inputs from a generator need no more memory than 20k (tracemalloc peaks, loose ratio).

Writes archive absent pairs and reads ask for records without associations, so the in-process emulator's
own state does not grow with the input either; what is measured is the hook's working set.
"""

from __future__ import annotations

import gc
import tracemalloc

import pytest


def _peak(run, count: int) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        run(count)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("concurrency", [1, 4])
def test_batch_writes_from_a_generator_use_flat_memory(make_hook, sent, concurrency):
    hook = make_hook(max_concurrency=concurrency)

    def run(count: int) -> None:
        result = hook.archive_associations("contacts", "companies", ((i, i + 1) for i in range(1, count + 1)))
        assert result.succeeded == count

    run(1000)  # warm-up: label-free path, session, imports
    small, large = _peak(run, 20_000), _peak(run, 100_000)
    assert sent("batch.archive") == 1 + 20 + 100
    assert large < 2 * small, f"peak {large} bytes for 100k inputs vs {small} for 20k"


def test_batch_reads_from_a_generator_use_flat_memory(make_hook, sent):
    hook = make_hook(max_concurrency=2)

    def run(count: int) -> None:
        ids = (str(i) for i in range(1, count + 1))
        rows = sum(1 for _ in hook.iter_read_associations("contacts", "companies", ids))
        assert rows == 0

    run(1000)
    small, large = _peak(run, 20_000), _peak(run, 100_000)
    assert sent("batch.read") == 1 + 20 + 100
    assert large < 2 * small, f"peak {large} bytes for 100k inputs vs {small} for 20k"
