"""Memory of the file-driven operators against input size: tracemalloc peaks while a CSV streams through.

Run: ``.venv/bin/python benchmarks/operator_memory.py [--sizes 20000 100000 300000]``. For each size a CSV of
pairs (or ids) is written, then ``HubSpotArchiveAssociationsOperator`` (validation pass + archive) and
``HubSpotReadAssociationsOperator`` (validation pass + read + export file) run against the in-process emulator.
Archiving absent pairs and reading records without associations keep the emulator's own state from growing, so
the peaks are the operators' working set. Prints the peak per size and the ratio largest/smallest (flat: ~1).
"""

from __future__ import annotations

import argparse
import csv
import functools
import os
import tempfile
from pathlib import Path

from hook_memory import peak_memory  # benchmarks/ is on sys.path when a benchmark runs as a script


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000, 300_000])
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hubassoc-bench-"))
    os.environ.setdefault("AIRFLOW_HOME", str(work / "airflow-home"))
    from airflow_provider_hubassoc.emulator import HubSpotEmulator

    with HubSpotEmulator(requests_per_10_seconds=None, daily_limit=None) as emulator:
        os.environ.update(emulator.airflow_connection_env())
        from airflow_provider_hubassoc.operators.associations import (
            HubSpotArchiveAssociationsOperator,
            HubSpotReadAssociationsOperator,
        )

        params = {"requests_per_10_seconds": 10**7}
        results: dict[str, list[int]] = {"archive": [], "read+export": []}
        for size in args.sizes:
            pairs = work / f"pairs-{size}.csv"
            with open(pairs, "w", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["from_id", "to_id"])
                writer.writerows((i, i + 1) for i in range(1, size + 1))
            archive = HubSpotArchiveAssociationsOperator(
                task_id="archive",
                from_object_type="contacts",
                to_object_type="companies",
                input_path=str(pairs),
                hook_params=params,
            )
            read = HubSpotReadAssociationsOperator(
                task_id="read",
                from_object_type="contacts",
                to_object_type="companies",
                input_path=str(pairs),
                id_column="from_id",
                output_path=str(work / f"out-{size}.jsonl"),
                hook_params=params,
            )
            for name, op in (("archive", archive), ("read+export", read)):
                peak, seconds = peak_memory(functools.partial(op.execute, {}))
                results[name].append(peak)
                print(f"{name:12s} rows={size:>8d} peak={peak / 1e6:7.2f} MB  ({seconds:5.1f} s under tracemalloc)")
        for name, peaks in results.items():
            print(
                f"{name:12s} peak ratio largest/smallest input ({args.sizes[-1]}/{args.sizes[0]} rows): "
                f"{peaks[-1] / peaks[0]:.2f}"
            )


if __name__ == "__main__":
    main()
