"""Reconcile's peak RSS against input size (from a file and from SQLite), and SQL-source link throughput.

Run: ``.venv/bin/python benchmarks/sql_reconcile.py [--sizes 1000000 10000000] [--sources file sql]
[--link-rows 100000] [--work DIR]``. The 10M run takes about 15-20 minutes a source on a 2-core machine and
about 1.5 GB of disk (the CSV, the SQLite file, the query's spool and the sort's runs); ``--work`` keeps the
generated inputs there for the next run (by default they go to a temporary directory, removed at the end).
``--link-rows 0`` skips part 2.

1. **Reconcile memory.** For each size, one child process per source runs ``HubSpotSyncAssociationsOperator``
   with ``dry_run=True`` (validation, disk sort, windowed reads and the full plan; no writes) over that many
   desired pairs, from a CSV file and from an SQLite table holding the same pairs, against the emulator in the
   same process (records without associations, so the emulator's state stays flat). The child prints its own peak
   RSS (``VmHWM``, ``warehouse_keys.own_peak_rss``: not ``ru_maxrss``, which carries the parent's peak); the
   parent prints each, the ratio largest/smallest per source and whether the largest run meets issue 13's
   target: at most 256 MB (for 10M pairs), within 10% of the smallest (1M) run.
2. **SQL-source link throughput.** ``HubSpotCreateAssociationsOperator`` links ``--link-rows`` pairs from a CSV
   file and the same pairs from an SQLite query, alternating, ``--link-rounds`` times each (default 3; emulator:
   no latency, no rate limit), each after a dry run of the same input (read and validate only); prints the best
   wall time and CPU time of each and the ratios file time / SQL time (target: at least 0.95), and the same
   ratio for the dry runs (the input side alone, where the two differ). The CPU ratio (the whole process:
   operator, hook and emulator threads) is the steadier one when other work shares the machine. ``--sizes``
   with no value skips part 1.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from warehouse_keys import own_peak_rss  # this folder: VmHWM, the child's own peak

COMPANY = 10**9  # pairs (i, COMPANY + i): records without associations in a fresh emulator
#: issue 13's memory target for the largest run: peak RSS at most 256 MB, within 10% of the smallest run
RSS_LIMIT, RSS_GROWTH = 256 * 10**6, 1.10


def write_inputs(work: Path, size: int) -> tuple[Path, Path]:
    """The same ``size`` pairs as a CSV file and as an SQLite table ``desired(from_id, to_id)``; each written to
    a temporary name and renamed when complete, so an interrupted run never leaves a short input to reuse."""
    path, db = work / f"pairs-{size}.csv", work / f"pairs-{size}.db"
    if not path.exists():
        partial = path.with_suffix(".csv.partial")
        with open(partial, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["from_id", "to_id"])
            writer.writerows((i, COMPANY + i) for i in range(1, size + 1))
        partial.rename(path)
    if not db.exists():
        partial = db.with_suffix(".db.partial")
        partial.unlink(missing_ok=True)
        with sqlite3.connect(partial) as connection:
            connection.execute("CREATE TABLE desired (from_id INTEGER, to_id INTEGER)")
            connection.executemany("INSERT INTO desired VALUES (?, ?)", ((i, COMPANY + i) for i in range(1, size + 1)))
        connection.close()
        partial.rename(db)
    return path, db


def _environment(db: Path) -> None:
    os.environ["AIRFLOW_CONN_WAREHOUSE"] = json.dumps({"conn_type": "sqlite", "host": str(db)})


def one_reconcile(source: str, path: Path, db: Path) -> None:
    """Child: one dry-run reconcile; prints its peak RSS in bytes."""
    from airflow_provider_hubassoc.emulator import HubSpotEmulator

    _environment(db)
    with HubSpotEmulator(requests_per_10_seconds=None, daily_limit=None) as emulator:
        os.environ.update(emulator.airflow_connection_env())
        from airflow_provider_hubassoc.operators.associations import HubSpotSyncAssociationsOperator

        given = (
            {"input_path": str(path)}
            if source == "file"
            else {"sql": "SELECT from_id, to_id FROM desired", "sql_conn_id": "warehouse"}
        )
        summary = HubSpotSyncAssociationsOperator(
            task_id="reconcile",
            from_object_type="contacts",
            to_object_type="companies",
            dry_run=True,
            prune=True,
            hook_params={"requests_per_10_seconds": 10**7},
            **given,
        ).execute({})
    print(json.dumps({"plan": summary["plan"], "rss": own_peak_rss()}))


def link_throughput(work: Path, rows: int, rounds: int) -> None:
    """Part 2: each round links from the file, then from the query; each link is preceded by a dry run of the same
    input (reading and validating it, no writes), which times the input side alone."""
    from airflow_provider_hubassoc.emulator import HubSpotEmulator

    path, db = write_inputs(work, rows)
    _environment(db)
    kinds = ("wall", "cpu", "dry_wall")
    best = {(kind, source): float("inf") for kind in kinds for source in ("file", "sql")}
    with HubSpotEmulator(requests_per_10_seconds=None, daily_limit=None) as emulator:
        os.environ.update(emulator.airflow_connection_env())
        from airflow_provider_hubassoc.operators.associations import HubSpotCreateAssociationsOperator

        def link(source: str, dry_run: bool) -> tuple[float, float]:
            emulator.reset()
            given = (
                {"input_path": str(path)}
                if source == "file"
                else {"sql": "SELECT from_id, to_id FROM desired", "sql_conn_id": "warehouse"}
            )
            started, cpu_started = time.perf_counter(), time.process_time()
            summary = HubSpotCreateAssociationsOperator(
                task_id="link",
                from_object_type="contacts",
                to_object_type="companies",
                hook_params={"requests_per_10_seconds": 10**7},
                dry_run=dry_run,
                **given,
            ).execute({})
            assert summary["not_sent" if dry_run else "succeeded"] == rows, summary
            return time.perf_counter() - started, time.process_time() - cpu_started

        for _round in range(rounds):
            for source in ("file", "sql"):
                dry, _cpu = link(source, dry_run=True)
                seconds, cpu = link(source, dry_run=False)
                for kind, value in zip(kinds, (seconds, cpu, dry), strict=True):
                    best[kind, source] = min(best[kind, source], value)
                print(
                    f"link {rows:,} pairs from {source:4s}: {seconds:6.1f} s wall, {cpu:6.1f} s CPU "
                    f"(dry run: {dry:5.1f} s)",
                    flush=True,
                )

    def ratio(kind: str) -> str:
        return f"{best[kind, 'file'] / best[kind, 'sql']:.3f} (file {best[kind, 'file']:.1f} s, sql {best[kind, 'sql']:.1f} s)"

    print(f"SQL-source link throughput / file-source, best of {rounds}: {ratio('wall')} by wall time")
    print(
        f"  by CPU time of the process (operator, hook and emulator threads; steadier on a shared machine): {ratio('cpu')}"
    )
    print(f"  input side alone (dry run: read and validate, no writes), by wall time: {ratio('dry_wall')}")


def reconcile_memory(work: Path, sizes: list[int], sources: list[str]) -> None:
    peaks: dict[str, list[int]] = {source: [] for source in sources}
    for size in sizes:
        path, db = write_inputs(work, size)
        for source in sources:
            started = time.perf_counter()
            out = subprocess.run(
                [sys.executable, __file__, "--child", source, str(path), str(db)],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "TMPDIR": str(work)},  # the spool and the sort's runs: on the work disk
            ).stdout
            result = json.loads(out.strip().splitlines()[-1])
            peaks[source].append(result["rss"])
            print(
                f"reconcile {size:>11,} pairs from {source:4s}: peak RSS {result['rss'] / 2**20:7.1f} MiB "
                f"({time.perf_counter() - started:6.1f} s) plan {result['plan']}",
                flush=True,
            )
    for source, values in peaks.items():
        growth = values[-1] / values[0]
        verdict = "meets" if values[-1] <= RSS_LIMIT and growth <= RSS_GROWTH else "misses"
        print(
            f"reconcile from {source}: peak RSS largest/smallest ({sizes[-1]:,}/{sizes[0]:,} pairs): {growth:.3f}; "
            f"{verdict} the target (at most {RSS_LIMIT / 10**6:.0f} MB and {RSS_GROWTH:.2f}x the smallest run)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000_000, 10_000_000])
    parser.add_argument("--sources", nargs="+", choices=("file", "sql"), default=["file", "sql"])
    parser.add_argument("--link-rows", type=int, default=100_000)
    parser.add_argument("--link-rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, help="keep the generated inputs here (reused by the next run)")
    parser.add_argument("--child", nargs=3, metavar=("SOURCE", "CSV", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        one_reconcile(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="hubassoc-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("AIRFLOW_HOME", str(work / "airflow-home"))
    try:
        if args.sizes:
            reconcile_memory(work, args.sizes, args.sources)
        if args.link_rows:
            link_throughput(work, args.link_rows, args.link_rounds)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
