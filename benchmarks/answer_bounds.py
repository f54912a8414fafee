"""Memory of a hook read against a hostile answer: a huge plain answer and a gzip bomb, vs ``max_response_bytes``.

Run: ``.venv/bin/python benchmarks/answer_bounds.py [--size-mib 512] [--cap-mib 64]``. The emulator (in this
process) answers every batch read with its ``hostile`` kinds ``oversize`` (``--size-mib`` of JSON, streamed) and
``gzip_bomb`` (the same inflated, about 1/1000 of it sent). Each read runs in a fresh child process holding only
the hook, whose peak RSS growth (``VmHWM`` after the read minus ``VmRSS`` before it, from ``/proc/self/status``)
is printed with its ratio to the cap: the hook stops at the cap while streaming, so the ratio stays near 1 (the
body read so far, plus one chunk) whatever the answer's size. Before the cap (issue 21), a 512 MiB answer added
2.1 GB and a 0.5 MiB gzip bomb 1.6 GB. Linux only (``/proc``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

MIB = 1024 * 1024
KINDS = ("oversize", "gzip_bomb")


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def child(cap: int) -> None:
    """One read in this (fresh) process; prints ``{"growth", "error", "seconds"}`` as JSON."""
    from airflow_provider_hubassoc.hooks import HubSpotAssociationsHook

    hook = HubSpotAssociationsHook(max_response_bytes=cap, max_retries=0, requests_per_10_seconds=10**6)
    hook.transport  # noqa: B018 - the session and its pool exist before the baseline
    before = _status_kib("VmRSS")
    started = time.perf_counter()
    error = None
    try:
        for _row in hook.iter_read_associations("contacts", "companies", [1]):
            pass
    except Exception as exc:  # the error's name is the result
        error = type(exc).__name__
    seconds = time.perf_counter() - started
    growth = (_status_kib("VmHWM") - before) * 1024
    hook.close()
    print(json.dumps({"growth": growth, "error": error, "seconds": seconds}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=512, help="inflated size of each hostile answer")
    parser.add_argument("--cap-mib", type=int, default=64, help="max_response_bytes (the hook's default: 64)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    cap = args.cap_mib * MIB
    if args.child:
        child(cap)
        return

    os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="hubassoc-bench-"))
    from airflow_provider_hubassoc.emulator import HubSpotEmulator

    with HubSpotEmulator(requests_per_10_seconds=None, daily_limit=None) as emulator:
        emulator.associate("contacts", 1, "companies", 11)
        env = {**os.environ, **emulator.airflow_connection_env()}
        for kind in KINDS:
            emulator.configure(hostile=[{"kind": kind, "endpoints": ["batch.read"], "size": args.size_mib * MIB}])
            command = [sys.executable, __file__, "--child", "--cap-mib", str(args.cap_mib)]
            output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
            result = json.loads(output.strip().splitlines()[-1])
            print(
                f"{kind:10s} answer={args.size_mib} MiB inflated  cap={args.cap_mib} MiB  "
                f"peak RSS growth={result['growth'] / MIB:7.1f} MiB  "
                f"growth ÷ max_response_bytes = {result['growth'] / cap:.2f}  "
                f"({result['error'] or 'no error'}, {result['seconds']:.1f} s)"
            )


if __name__ == "__main__":
    main()
