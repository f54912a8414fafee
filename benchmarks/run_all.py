"""Every benchmark in one command, one after another, then a summary of every ratio they printed.

Run from a clone: ``python3 dev.py bench`` (creates ``.venv`` with the test extra, which brings HubSpot's SDK),
or ``PYTHONPATH=$PWD .venv/bin/python benchmarks/run_all.py [--full] [--only NAME ...]``.

Each part is a script of its own in ``benchmarks/`` (its docstring and ``benchmarks/README.md`` give the
method); this runner only sizes and sequences them. The default sizes prove each point in about 15 to 25
minutes on a 2-core machine; ``--full`` uses the issues' full scale (10M-pair reconcile, 1M-row memory runs,
ten rate windows per part: about two hours). Run it alone: other load on the machine skews the wall-clock
parts (the CPU-time parts less so). Ratios are taken within each run, so they travel between machines better
than absolute times.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Part:
    """One benchmark script with its default and full-scale arguments (issue 13/14 numbering in ``title``)."""

    name: str
    title: str
    script: str
    quick: tuple[str, ...]
    full: tuple[str, ...] = ()


PARTS = (
    Part(
        "link-read",
        "(1) labeled (replace, merge) and unlabeled link ÷ ceiling and ÷ allowed req/s; (2) read ÷ ceiling",
        "link_read_ceiling.py",
        ("--windows", "2"),
        ("--windows", "10"),
    ),
    Part(
        "shared-budget",
        "(3) shards, 4 uneven and 8, ÷ the app's ceiling; (4) concurrency speed-ups 1-16",
        "shared_budget.py",
        ("--windows", "4"),
        ("--windows", "10"),
    ),
    Part(
        "client-cpu",
        "(5) client CPU per 100k links: hook, operator and the official SDK ÷ a bare requests loop",
        "client_cpu.py",
        ("--pairs", "100000", "--rounds", "1"),
        ("--pairs", "100000", "--rounds", "3"),
    ),
    Part(
        "memory",
        "(6) memory: operators and hook, largest ÷ smallest input",
        # the duplicate finder sorts runs of 50,000 keys: below that the peak still grows, so both sizes exceed it
        "operator_memory.py",
        ("--sizes", "100000", "300000"),
        ("--sizes", "100000", "1000000"),
    ),
    Part(
        "hook-memory",
        "(6) memory: the hook's batch calls, largest ÷ smallest input",
        "hook_memory.py",
        ("--sizes", "20000", "200000"),
        ("--sizes", "100000", "1000000"),
    ),
    Part(
        "validation-memory",
        "(6) memory: the validation pass, largest ÷ smallest input",
        # the duplicate finder sorts runs of 50,000 keys: below that the peak still grows, so both sizes exceed it
        "validation_memory.py",
        ("--sizes", "100000", "300000"),
        ("--sizes", "100000", "1000000"),
    ),
    Part(
        "answer-bounds",
        "issue 21: a hook read's peak RSS growth ÷ max_response_bytes against a 512 MiB answer and a gzip bomb",
        "answer_bounds.py",
        ("--size-mib", "512", "--cap-mib", "64"),
        ("--size-mib", "2048", "--cap-mib", "64"),
    ),
    Part(
        "emulator",
        "(7) emulator capacity ÷ the 190/10 s ceiling",
        "emulator_capacity.py",
        ("--rounds", "3"),
        ("--rounds", "5"),
    ),
    Part(
        "sql-reconcile",
        "issue 13: reconcile peak RSS by size (file, SQLite); SQL-source link ÷ file-source link",
        "sql_reconcile.py",
        ("--sizes", "100000", "1000000", "--link-rows", "100000"),
        ("--sizes", "1000000", "10000000", "--link-rows", "200000"),
    ),
    Part(
        "warehouse-keys",
        "issue 22: link by email and external id, requests ÷ (keys/100 + writes) and peak RSS largest ÷ smallest; "
        "the search export past the 10,000-results cap",
        "warehouse_keys.py",
        ("--sizes", "100000", "300000", "--search-records", "12000"),
        ("--sizes", "100000", "1000000", "--search-records", "25000"),
    ),
    Part(
        "celery-backfill",
        "issue 23: 8 SQL shards on 2 Celery workers at 190/10 s, aggregate ÷ ceiling, 429s, input read ÷ rows",
        "celery_backfill.py",
        ("--pairs", "100000", "--chunk", "100"),  # 1,000 requests, as many as the full size's
        ("--pairs", "1000000"),
    ),
    Part(
        "celery-backfill-kill",
        "issue 23: the same with worker 1 SIGKILLed mid-run, aggregate ÷ ceiling and the end state",
        "celery_backfill.py",
        ("--pairs", "100000", "--chunk", "100", "--kill"),
        ("--pairs", "1000000", "--kill"),
    ),
)

#: lines worth repeating in the summary: every ratio, share and speed-up the scripts print
RATIO_LINE = re.compile(r"÷|/ceiling|ratio|speed-up|\d(\.\d+)?x\b|/actual|/ file|/allowed| = \d", re.IGNORECASE)
#: the hook's own progress and summary log lines (timestamped) are not figures
LOG_LINE = re.compile(r"^\s*\d{4}-\d\d-\d\dT")


def run_part(part: Part, full: bool) -> tuple[int, list[str], float]:
    """Run one script, echo its output as it comes, return (exit code, its ratio lines, seconds)."""
    command = [sys.executable, str(HERE / part.script), *(part.full if full else part.quick)]
    print(f"\n=== {part.title}\n=== $ {' '.join(command[1:])}", flush=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE.parent), os.environ.get("PYTHONPATH")]))}
    started = time.monotonic()
    ratios: list[str] = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env) as child:
        assert child.stdout is not None
        for line in child.stdout:
            print(line, end="", flush=True)
            if RATIO_LINE.search(line) and not LOG_LINE.match(line):
                ratios.append(line.rstrip())
    return child.returncode, ratios, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the issues' full scale (about two hours)")
    parser.add_argument("--only", nargs="+", choices=[p.name for p in PARTS], help="run only these parts")
    args = parser.parse_args()
    chosen = [p for p in PARTS if not args.only or p.name in args.only]
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (run alone for clean figures)")
    results = [(part, *run_part(part, args.full)) for part in chosen]
    print("\n" + "=" * 100 + "\nSUMMARY (every ratio printed above; method and targets in benchmarks/README.md)")
    failed = 0
    for part, code, ratios, seconds in results:
        status = "ok" if code == 0 else f"FAILED (exit {code})"
        failed += code != 0
        print(f"\n{part.title} [{part.script}, {seconds:.0f} s, {status}]")
        for line in ratios or ["(no ratio printed)"]:
            print(f"    {line.strip()}")
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
