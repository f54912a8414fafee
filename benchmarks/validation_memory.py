"""Memory of the validation pass (every row parsed, duplicates found across the whole input) against input size.

Run: ``.venv/bin/python benchmarks/validation_memory.py [--sizes 100000 1000000]``. For each size a CSV of pairs
with one repeat per 100 rows (in another chunk) is written, then ``PairSource.validate()`` and the send-side
stream (``hook_inputs()``, repeats left out) run under tracemalloc. The duplicate finder sorts runs of 50,000
keys and spills them to a temporary file, so the peak should not grow with the input; a Python set of the pairs
would cost ~70 B a pair (70 MB at 1M rows). Prints the peak per size and the ratio largest/smallest.
"""

from __future__ import annotations

import argparse
import csv
import functools
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from hook_memory import peak_memory  # benchmarks/ is on sys.path when a benchmark runs as a script

if TYPE_CHECKING:
    from airflow_provider_hubassoc.operators._files import PairSource


def _validate_and_stream(source: PairSource) -> None:
    source.validate()
    for position, _ in enumerate(source.hook_inputs()):
        if position % 1000 == 0:  # what the operator's chunk callback does after each chunk
            source.forget_before(position)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    from airflow_provider_hubassoc.operators._files import PairSource

    work = Path(tempfile.mkdtemp(prefix="hubassoc-bench-"))
    peaks = []
    for size in args.sizes:
        path = work / f"pairs-{size}.csv"
        with open(path, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["from_id", "to_id"])
            writer.writerows((i, i + 1) if i % 100 else (i - 50, i - 49) for i in range(1, size + 1))
        source = PairSource(path=str(path))
        peak, seconds = peak_memory(functools.partial(_validate_and_stream, source))
        peaks.append(peak)
        print(
            f"rows={size:>9d} duplicates={source.duplicates:>7d} peak={peak / 1e6:7.2f} MB "
            f"({seconds:5.1f} s under tracemalloc)"
        )
    print(f"peak ratio largest/smallest input ({args.sizes[-1]}/{args.sizes[0]} rows): {peaks[-1] / peaks[0]:.2f}")


if __name__ == "__main__":
    main()
