"""Measure the emulator's own ceiling: requests/s for small reads, associations/s for 2,000-input batch creates.

The emulator runs as its own process (``python -m airflow_provider_hubassoc.emulator``, rate limits off) so
client threads do not share its interpreter lock; N keep-alive ``http.client`` connections hammer it for a
fixed time. Usage::

    python benchmarks/emulator_capacity.py [--clients 32] [--seconds 10]
"""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

TOKEN = "bench-token"


def start_emulator() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "airflow_provider_hubassoc.emulator", "--port", "0", "--token", TOKEN,
         "--requests-per-10-seconds", "0", "--daily-limit", "0"], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    return process, line.rsplit(" ", 1)[1]


def run(base_url: str, clients: int, seconds: float,
        make_request: Callable[[int, int], tuple[str, str, bytes | None]]) -> tuple[int, int, float]:
    """Each client loops ``make_request(client, n)`` on one keep-alive connection; returns (ok, failed, elapsed)."""
    parts = urlsplit(base_url)
    counts = [[0, 0] for _ in range(clients)]
    stop = threading.Event()
    start_barrier = threading.Barrier(clients + 1)

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        start_barrier.wait()
        n = 0
        while not stop.is_set():
            method, path, body = make_request(index, n)
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            counts[index][0 if response.status < 300 else 1] += 1
            n += 1
        connection.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    start_barrier.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return sum(c[0] for c in counts), sum(c[1] for c in counts), elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--batch-clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    process, base_url = start_emulator()
    try:
        # seed: each client reads a contact with 10 companies
        seed = http.client.HTTPConnection(urlsplit(base_url).hostname, urlsplit(base_url).port)
        for contact in range(1, args.clients + 1):
            body = json.dumps({"inputs": [{"from": {"id": str(contact)}, "to": {"id": str(c)}} for c in range(1, 11)]})
            seed.request("POST", "/crm/v4/associations/contacts/companies/batch/associate/default", body=body,
                         headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
            seed.getresponse().read()
        seed.close()

        def small_read(client: int, n: int) -> tuple[str, str, bytes | None]:
            return "GET", f"/crm/v4/objects/contacts/{client + 1}/associations/companies?limit=100", None

        ok, failed, elapsed = run(base_url, args.clients, args.seconds, small_read)
        print(f"small reads   : {args.clients} keep-alive clients, {ok} ok / {failed} failed in {elapsed:.1f} s "
              f"-> {ok / elapsed:,.0f} requests/s")

        def batch_create(client: int, n: int) -> tuple[str, str, bytes | None]:
            first = (client * 1_000_000 + n * 2000) + 1
            inputs = [{"from": {"id": str(first + i)}, "to": {"id": str(client + 1)},
                       "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}]}
                      for i in range(2000)]
            body = json.dumps({"inputs": inputs}).encode()
            return "POST", "/crm/v4/associations/contacts/companies/batch/create", body

        ok, failed, elapsed = run(base_url, args.batch_clients, args.seconds, batch_create)
        print(f"batch creates : {args.batch_clients} keep-alive clients, {ok} x 2000-input requests ({failed} failed) "
              f"in {elapsed:.1f} s -> {ok / elapsed:.1f} requests/s = {ok * 2000 / elapsed:,.0f} associations/s")
    finally:
        process.terminate()
        process.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
