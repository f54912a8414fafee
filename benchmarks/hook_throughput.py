"""Throughput of the hook against HubSpot's rate-limit ceiling, measured in one run.

Run: ``.venv/bin/python benchmarks/hook_throughput.py [--seconds 30] [--budget 100] [--concurrency 1 4]``.

The emulator runs in its own process with HubSpot's rolling window (``--budget`` requests per 10 s) and some
latency per request; the hook is configured with the same budget. For each concurrency it links pairs with
``create_associations`` (default associations, 1,000 a request) for about ``--seconds`` and prints:

- achieved ÷ ceiling: requests sent ÷ the most HubSpot's rolling window admits in the elapsed time (one
  budget per started 10-second window): how close the shared limiter runs to HubSpot's limit;
- associations/s;
- 429s HubSpot (the emulator) answered: the limiter should keep them at zero.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import tempfile
import time
import urllib.request


def _start_emulator(budget: int, latency: float, *options: str) -> tuple[subprocess.Popen[str], str]:
    """The emulator in its own process (``budget`` 0: no rate limit), token ``bench-token``, no daily limit;
    ``options`` are further CLI options. Every benchmark that runs the emulator apart starts it here."""
    from airflow_provider_hubassoc.emulator import HubSpotEmulator

    limits = ("--requests-per-10-seconds", str(budget), "--daily-limit", "0", "--latency", str(latency))
    emulator = HubSpotEmulator.spawn(*limits, *options, token="bench-token")
    return emulator.process, emulator.base_url


def _counters(base_url: str) -> dict[str, dict[str, int]]:
    with urllib.request.urlopen(f"{base_url}/_emulator/counters") as response:
        return json.load(response)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--budget", type=int, default=100, help="requests per 10 s (HubSpot private app: 100)")
    parser.add_argument("--latency", type=float, default=0.15, help="emulated seconds per request")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()

    os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="hubassoc-bench-"))
    from airflow_provider_hubassoc.hooks import HubSpotAssociationsHook
    from airflow_provider_hubassoc.hooks._ratelimit import reset_shared_limiters

    ceiling = args.budget / 10.0
    chunk = 1000
    for concurrency in args.concurrency:
        process, base_url = _start_emulator(args.budget, args.latency)
        try:
            os.environ["AIRFLOW_CONN_HUBSPOT_DEFAULT"] = json.dumps(
                {"conn_type": "hubspot", "host": base_url, "password": "bench-token"}
            )
            reset_shared_limiters()
            hook = HubSpotAssociationsHook(requests_per_10_seconds=args.budget, max_concurrency=concurrency)
            requests = int(args.seconds * ceiling)
            pairs = ((i, 10**6 + i) for i in range(1, requests * chunk + 1))
            started = time.perf_counter()
            result = hook.create_associations("contacts", "companies", pairs, chunk_size=chunk)
            elapsed = time.perf_counter() - started
            hook.close()
            counters = _counters(base_url)
        finally:
            process.terminate()
            process.wait()
        # A rolling window admits at most one budget per started window: that is the ceiling for this run.
        allowed = args.budget * math.ceil(elapsed / 10.0)
        rate = result.requests / elapsed
        refused = sum(by_status.get("429", 0) for by_status in counters.values())
        print(
            f"concurrency={concurrency}: {result.requests} requests in {elapsed:5.1f} s = {rate:5.2f} req/s, "
            f"{result.succeeded / elapsed:7.0f} associations/s; HubSpot's window allowed {allowed} in that time: "
            f"achieved/ceiling = {result.requests / allowed:.2f}; 429s answered: {refused}"
        )


if __name__ == "__main__":
    main()
