"""The parts of resumable runs that need no HubSpot: the daily reset's moment, the checkpoint store (atomic
writes, one whole object on an object store) and an output left by a killed attempt. The runs themselves, stopped
by the daily budget and resumed, are in ``tests/integration/operators/test_resume.py``.
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timezone
from pathlib import Path
from unittest import mock

import pytest
from transport_helpers import fresh_limiters  # noqa: F401 - the fixture is used by name

from airflow_provider_hubassoc._compat import AIRFLOW_V_3_0_PLUS
from airflow_provider_hubassoc.hooks._ratelimit import next_daily_reset
from airflow_provider_hubassoc.operators._checkpoint import CheckpointStore
from airflow_provider_hubassoc.operators._files import RowWriter

pytestmark = pytest.mark.usefixtures("fresh_limiters")


# -- daily budget -------------------------------------------------------------------------------------------


def test_next_daily_reset_is_midnight_in_the_accounts_time_zone():
    now = datetime(2026, 7, 1, 3, 30, tzinfo=timezone.utc)  # still June 30 in New York
    assert next_daily_reset("America/New_York", now) == datetime(2026, 7, 1, 4, 0, tzinfo=timezone.utc)
    assert next_daily_reset("UTC", now) == datetime(2026, 7, 2, tzinfo=timezone.utc)
    assert next_daily_reset("Asia/Kolkata", now) == datetime(2026, 7, 1, 18, 30, tzinfo=timezone.utc)


# -- checkpoint store ------------------------------------------------------------------------------------


def test_a_checkpoint_write_is_atomic(tmp_path):
    store = CheckpointStore(
        str(tmp_path), dag_id="d", task_id="t", run_id="scheduled__2026-01-02T00:00:00+00:00", map_index=3
    )
    assert store.location.name == "map_index=3.json" and ":" not in str(store.location.parent.name)
    store.save({"position": 100, "failures": []})

    with (
        mock.patch("airflow_provider_hubassoc.operators._checkpoint.os.replace", side_effect=OSError("disk full")),
        pytest.raises(OSError),
    ):
        store.save({"position": 200, "failures": [{"row": 1}] * 1000})
    assert store.load() == {"position": 100, "failures": []}  # the old checkpoint, whole
    assert [p.name for p in Path(store.location.path).parent.iterdir()] == ["map_index=3.json"]  # no temp left
    store.save({"position": 300, "failures": []})
    assert store.load()["position"] == 300
    store.discard()
    assert store.load() is None


# -- the other long operators ------------------------------------------------------------------------------


@pytest.mark.skipif(
    not AIRFLOW_V_3_0_PLUS, reason="Airflow 2's ObjectStoragePath knows only registered filesystems (no memory://)"
)
def test_a_checkpoint_on_an_object_store_is_one_whole_object(tmp_path):
    store = CheckpointStore("memory://hubspot-tests/checkpoints", dag_id="d", task_id="t", run_id="r", map_index=0)
    store.save({"position": 100, "failures": [{"row": 7}]})
    assert store.load() == {"position": 100, "failures": [{"row": 7}]}
    assert [p.name for p in store.location.parent.iterdir()] == ["map_index=0.json"]  # no temporary object
    store.discard()
    assert store.load() is None


def test_a_gzip_output_left_by_a_killed_attempt_is_kept_up_to_the_checkpoint(tmp_path):
    path = str(tmp_path / "rows.jsonl.gz")
    killed = RowWriter(path, ["n"]).__enter__()
    for n in range(10):
        killed.write({"n": n})
    killed.flush()  # what the checkpoint of 10 rows saw
    killed.write({"n": 99})  # written after it, never flushed: lost with the process

    resumed = RowWriter(path, ["n"], keep=10)
    assert resumed.set_aside() == 10
    with resumed:
        resumed.write({"n": 10})
    assert resumed.kept == 10
    with gzip.open(path, "rt") as handle:
        assert [json.loads(line)["n"] for line in handle] == list(range(11))
