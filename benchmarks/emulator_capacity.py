"""Emulator capacity on one core, as a multiple of one Enterprise app's ceiling (190 requests / 10 s = 19 req/s).

The emulator runs as its own process (``python -m airflow_provider_hubassoc.emulator``, rate limits off); one
keep-alive ``http.client`` connection sends pre-built bodies (the client does no JSON work while measured):
2,000-input labeled ``batch/create`` and 1,000-input ``batch/associate/default``, each in a few rounds.

The figure is the server's own CPU time per request (utime + stime of its process from ``/proc/<pid>/stat``),
so other load on a shared machine inflates it less than wall-clock time: capacity on one core = 1 / CPU-s per
request. The best round is the least-disturbed estimate, the median is shown next to it. Wall-clock requests/s
of the same connection are printed too (client and server share the machine, so they are a lower bound).
Usage::

    python benchmarks/emulator_capacity.py [--rounds 5] [--per-round 12]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from hook_throughput import _start_emulator  # the same emulator process (this folder)

TOKEN = "bench-token"
#: one Enterprise / Professional app: 190 requests per 10 s (reference §12.2)
CEILING_REQUESTS_PER_SECOND = 190 / 10
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


def process_cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process (all its threads, finished ones included); None where /proc is missing."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def labeled_create(n: int) -> bytes:
    """2,000 new contacts, each to one of 50 companies, with the unlabeled type as a labeled write sends it."""
    first = 1 + n * 2000
    inputs = [
        {
            "from": {"id": str(first + i)},
            "to": {"id": str(n % 50 + 1)},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
        }
        for i in range(2000)
    ]
    return json.dumps({"inputs": inputs}).encode()


def default_associate(n: int) -> bytes:
    first = 10**9 + n * 1000
    inputs = [{"from": {"id": str(first + i)}, "to": {"id": str(n % 50 + 1)}} for i in range(1000)]
    return json.dumps({"inputs": inputs}).encode()


def measure(
    base_url: str, pid: int, path: str, make_body: Callable[[int], bytes], rounds: int, per_round: int
) -> tuple[list[float], float]:
    """CPU seconds per request of each round, and wall-clock requests/s over all rounds."""
    parts = urlsplit(base_url)
    bodies = [make_body(n) for n in range(rounds * per_round + 1)]
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)

    def send(body: bytes) -> None:
        connection.request("POST", path, body=body, headers=HEADERS)
        response = connection.getresponse()
        response.read()
        if response.status >= 300:
            raise RuntimeError(f"{path} answered {response.status}")

    send(bodies[-1])  # warm-up: connection, routes, first definitions
    cpu_per_request: list[float] = []
    began = time.perf_counter()
    for index in range(rounds):
        before = process_cpu_seconds(pid)
        for body in bodies[index * per_round : (index + 1) * per_round]:
            send(body)
        after = process_cpu_seconds(pid)
        if before is not None and after is not None:
            cpu_per_request.append((after - before) / per_round)
    elapsed = time.perf_counter() - began
    connection.close()
    return cpu_per_request, rounds * per_round / elapsed


def report(name: str, cpu_per_request: list[float], wall_rate: float) -> None:
    ceiling = CEILING_REQUESTS_PER_SECOND
    if cpu_per_request:
        best, median = min(cpu_per_request), statistics.median(cpu_per_request)
        print(
            f"{name}: server CPU {best * 1000:.1f} ms/request (median {median * 1000:.1f}) -> one core "
            f"{1 / best:.0f} req/s = {1 / best / ceiling:.2f} x the 190/10 s ceiling "
            f"(median {1 / median / ceiling:.2f} x)"
        )
    print(
        f"{name}: wall clock, one connection: {wall_rate:.1f} req/s = {wall_rate / ceiling:.2f} x the ceiling "
        "(client on the same machine; noisy when it is shared)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=12)
    args = parser.parse_args()
    process, base_url = _start_emulator(0, 0.0)  # rate limits off, no latency
    try:
        cases = [
            (
                "batch/create, 2,000 labeled inputs",
                "/crm/v4/associations/contacts/companies/batch/create",
                labeled_create,
            ),
            (
                "batch/associate/default, 1,000 inputs",
                "/crm/v4/associations/contacts/companies/batch/associate/default",
                default_associate,
            ),
        ]
        for name, path, make_body in cases:
            cpu_per_request, wall_rate = measure(base_url, process.pid, path, make_body, args.rounds, args.per_round)
            report(name, cpu_per_request, wall_rate)
    finally:
        process.terminate()
        process.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
