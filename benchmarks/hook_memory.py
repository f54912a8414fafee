"""Memory of the hook's batch calls against input size: tracemalloc peaks for generator inputs.

Run: ``.venv/bin/python benchmarks/hook_memory.py [--sizes 20000 100000 500000]``. Prints, per operation,
the peak traced memory for each input size and the ratio of the largest to the smallest (flat memory: ~1).
Writes archive absent pairs and reads ask for records without associations, so the in-process emulator's
state does not grow with the input and the peaks are the hook's working set.
"""

from __future__ import annotations

import argparse
import functools
import gc
import os
import tempfile
import time
import tracemalloc
from collections.abc import Callable


def peak_memory(run: Callable[[], None]) -> tuple[int, float]:
    """``(peak traced bytes, seconds)`` of one call of ``run`` (also used by operator_memory.py)."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        started = time.perf_counter()
        run()
        return tracemalloc.get_traced_memory()[1], time.perf_counter() - started
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000, 300_000])
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="hubassoc-bench-"))
    from airflow_provider_hubassoc.emulator import HubSpotEmulator

    with HubSpotEmulator(requests_per_10_seconds=None, daily_limit=None) as emulator:
        os.environ.update(emulator.airflow_connection_env())
        from airflow_provider_hubassoc.hooks import HubSpotAssociationsHook

        hook = HubSpotAssociationsHook(requests_per_10_seconds=10**7, max_concurrency=args.concurrency)

        def archive(count: int) -> None:
            hook.archive_associations("contacts", "companies", ((i, i + 1) for i in range(1, count + 1)))

        def read(count: int) -> None:
            for _row in hook.iter_read_associations("contacts", "companies", (i for i in range(1, count + 1))):
                pass

        for name, run in (("archive_associations", archive), ("iter_read_associations", read)):
            run(1000)  # warm-up
            peaks = []
            for size in args.sizes:
                peak, seconds = peak_memory(functools.partial(run, size))
                peaks.append(peak)
                print(f"{name:24s} inputs={size:>8d} peak={peak / 1e6:7.2f} MB  ({seconds:5.1f} s under tracemalloc)")
            print(
                f"{name:24s} peak ratio largest/smallest = {peaks[-1] / peaks[0]:.2f} "
                f"for {args.sizes[-1] / args.sizes[0]:.0f}x the inputs"
            )
        hook.close()


if __name__ == "__main__":
    main()
