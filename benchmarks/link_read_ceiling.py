"""Link and read against the account's ceiling: labeled (replace, merge), unlabeled, and batch read.

Run: ``PYTHONPATH=$PWD python benchmarks/link_read_ceiling.py [--part unlabeled replace merge read]
[--windows 2] [--budget 100] [--latency 0.05 --jitter 0.05]``.

Each part starts the emulator in its own process with HubSpot's rolling 10-second window (``--budget``
requests) and 50-100 ms per request (``--latency`` + up to ``--jitter``); the hook in this process is left at
the same budget and the connection's other defaults (``max_concurrency`` 4). The **ceiling** is the
budget's requests/s x the endpoint's batch size: 2,000 for ``batch/create``, 1,000 for
``batch/associate/default`` and ``batch/read``. Every part is sized for about ``--windows`` windows' worth of
requests plus one (``windows x budget + 1``, the last request opening the next window), so that a
perfect client's requests/s is the allowed requests/s:

- ``unlabeled``: ``windows x budget x 1,000 + 1`` new pairs, ``batch/associate/default``;
- ``merge``: ``windows x budget x 2,000 + 1`` new labeled pairs, the emulator and the connection told
  ``label_write_semantics="merge"``: creates only;
- ``replace``: new labeled pairs on a replace emulator with the connection's default ``replace``, every
  from-id distinct (the worst case: two 1,000-id reads of current labels before each 2,000-pair create),
  sized for at least ``windows x budget + 1`` requests of all kinds; one writer, so the connection sets
  ``label_verify_rounds=0`` (the default 2 adds one read per 1,000 from-ids per chunk to guard against other
  writers: docs/guarantees.md, Many writers);
- ``read``: the ``unlabeled`` part's ``windows x budget x 1,000 + 1`` contacts read back to rows with
  ``iter_read_associations`` (same emulator, after a pause of one window).

Printed per part, within the run: pairs (or records)/s ÷ the ceiling, requests/s ÷ the allowed requests/s,
an ideal client's time for the same requests ÷ ours (a whole budget at the start of each window, the last
answer one mean latency later: ``floor((R - 1) / budget) x 10 s + latency``), the 429s the emulator answered,
the requests by endpoint, and the hook's CPU seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
import urllib.request
from typing import TYPE_CHECKING

from hook_throughput import _counters, _start_emulator  # the same emulator process and counters (this folder)

if TYPE_CHECKING:
    from airflow_provider_hubassoc.hooks import HubSpotAssociationsHook

CREATE, DEFAULT, READ = 2000, 1000, 1000
COMPANY = 10**7
Counters = dict[str, dict[str, int]]  # contact i -> company COMPANY + i


def start_emulator(budget: int, latency: float, jitter: float, semantics: str) -> tuple[subprocess.Popen[str], str]:
    """The shared emulator process with jitter, unbounded auto-created records and ``semantics``, plus the label."""
    process, base_url = _start_emulator(
        budget,
        latency,
        "--jitter",
        str(jitter),
        "--auto-record-max",
        str(10**8),
        "--label-write-semantics",
        semantics,
    )
    admin = urllib.request.Request(
        f"{base_url}/_emulator/labels",
        data=json.dumps(
            {"fromObjectType": "contacts", "toObjectType": "companies", "name": "bench", "label": "Bench"}
        ).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(admin).read()  # the admin API is outside the rate window
    return process, base_url


def hook_for(base_url: str, budget: int, semantics: str) -> HubSpotAssociationsHook:
    from airflow_provider_hubassoc.hooks import HubSpotAssociationsHook
    from airflow_provider_hubassoc.hooks._ratelimit import reset_shared_limiters

    os.environ["AIRFLOW_CONN_HUBSPOT_DEFAULT"] = json.dumps(
        {"conn_type": "hubspot", "host": base_url, "password": "bench-token"}
    )
    reset_shared_limiters()
    hook = HubSpotAssociationsHook(
        requests_per_10_seconds=budget, max_retries=20, label_write_semantics=semantics, label_verify_rounds=0
    )
    hook.get_label("contacts", "companies", "Bench")  # one request, then a full window's pause before timing
    time.sleep(10.5)
    return hook


def requests_by_endpoint(before: Counters, after: Counters) -> dict[str, int]:
    out = {}
    for endpoint, by_status in after.items():
        n = sum(by_status.values()) - sum(before.get(endpoint, {}).values())
        if n and endpoint != "admin":
            out[endpoint] = n
    return out


def refused(before: Counters, after: Counters) -> int:
    return sum(by.get("429", 0) for by in after.values()) - sum(by.get("429", 0) for by in before.values())


def report(
    name: str,
    items: int,
    unit: str,
    batch: int,
    took: float,
    cpu: float,
    args: argparse.Namespace,
    before: Counters,
    after: Counters,
) -> None:
    by_endpoint = requests_by_endpoint(before, after)
    requests = sum(by_endpoint.values()) - refused(before, after)
    allowed = args.budget / 10.0
    ideal = (requests - 1) // args.budget * 10.0 + args.latency + args.jitter / 2
    print(
        f"{name}: {items:,} {unit} in {took:.2f} s ({cpu:.1f} hook CPU-s): {items / took:,.0f} {unit}/s / ceiling "
        f"{allowed * batch:,.0f} = {items / took / (allowed * batch):.3f}; {requests} requests "
        f"{requests / took:.2f}/s / allowed {allowed:.1f} = {requests / took / allowed:.3f}; ideal client "
        f"{ideal:.2f} s / ours = {ideal / took:.3f}; 429s {refused(before, after)}; {by_endpoint}",
        flush=True,
    )


def link(
    args: argparse.Namespace, semantics: str, labeled: bool, pairs: int, name: str, keep: bool = False
) -> tuple[subprocess.Popen[str], str, HubSpotAssociationsHook] | None:
    process, base_url = start_emulator(args.budget, args.latency, args.jitter, semantics if labeled else "replace")
    hook = hook_for(base_url, args.budget, semantics)
    before = _counters(base_url)
    cpu, started = time.process_time(), time.perf_counter()
    result = hook.create_associations(
        "contacts",
        "companies",
        ((i, COMPANY + i) for i in range(1, pairs + 1)),
        labels="Bench" if labeled else None,
    )
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    after = _counters(base_url)
    assert (result.succeeded, result.failed) == (pairs, 0), result.as_dict()
    report(name, pairs, "pairs", CREATE if labeled else DEFAULT, took, cpu, args, before, after)
    if labeled:
        print(f"  reads skipped: {result.reads_skipped:,} of {pairs:,} labeled pairs", flush=True)
    if keep:
        return process, base_url, hook
    hook.close()
    process.terminate()
    process.wait()
    return None


def read(args: argparse.Namespace, base_url: str, hook: HubSpotAssociationsHook, records: int) -> None:
    time.sleep(10.5)  # the link's last requests leave the window first
    before = _counters(base_url)
    cpu, started = time.process_time(), time.perf_counter()
    rows = sum(1 for _ in hook.iter_read_associations("contacts", "companies", range(1, records + 1)))
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    after = _counters(base_url)
    assert rows == records, rows
    report("read", records, "records", READ, took, cpu, args, before, after)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parts = ["unlabeled", "replace", "merge", "read"]
    parser.add_argument("--part", nargs="+", default=parts, choices=parts)
    parser.add_argument("--windows", type=int, default=2, help="windows' worth of requests each part sends")
    parser.add_argument("--budget", type=int, default=100, help="requests per 10 s (HubSpot private app: 100)")
    parser.add_argument("--latency", type=float, default=0.05, help="emulated seconds per request")
    parser.add_argument("--jitter", type=float, default=0.05, help="extra emulated seconds, drawn in [0, jitter]")
    args = parser.parse_args()
    os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="hubassoc-bench-"))
    requests = args.windows * args.budget
    print(
        f"budget {args.budget}/10 s, latency {args.latency}-{args.latency + args.jitter} s, "
        f"{requests} + 1 requests a part; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        flush=True,
    )
    if "unlabeled" in args.part or "read" in args.part:
        kept = link(args, "replace", False, requests * DEFAULT + 1, "unlabeled", keep="read" in args.part)
        if kept is not None:
            process, base_url, hook = kept
            try:
                read(args, base_url, hook, requests * READ + 1)
            finally:
                hook.close()
                process.terminate()
                process.wait()
    if "replace" in args.part:
        # three requests a 2,000-pair chunk (two reads of 1,000 from-ids, one create), a last pair alone two:
        # at least ``windows x budget + 1`` requests
        link(args, "replace", True, -(-(requests - 1) // 3) * CREATE + 1, "labeled, replace")
    if "merge" in args.part:
        link(args, "merge", True, requests * CREATE + 1, "labeled, merge")
    print(f"load average after: {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
