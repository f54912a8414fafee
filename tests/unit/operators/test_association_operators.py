"""Bulk link without HubSpot: shards of an input file, and arguments refused at DAG parse time."""

from __future__ import annotations

import pytest
from operator_support import write_csv

from airflow_provider_hubassoc.operators._files import PairSource, shard_of
from airflow_provider_hubassoc.operators.associations import (
    HubSpotCreateAssociationsOperator,
)

# -- bulk link -------------------------------------------------------------------------------------------------


def test_shards_are_disjoint_deterministic_and_cover_every_row(tmp_path):
    src = write_csv(tmp_path / "in.csv", ["from_id", "to_id"], [[i, 7] for i in range(1, 2001)])
    shards = [list(PairSource(path=str(src), shard_index=i, shard_count=3)) for i in range(3)]
    rows = sorted(p.row for shard in shards for p in shard)
    assert rows == list(range(1, 2001))
    assert all(shard_of(p.from_id, 3) == i for i, shard in enumerate(shards) for p in shard)
    assert min(len(s) for s in shards) > 600
    again = [p.row for p in PairSource(path=str(src), shard_index=1, shard_count=3)]
    assert again == [p.row for p in shards[1]]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pairs": [[1, 2]], "input_path": "/x.csv"}, "exactly one of pairs= and input_path="),
        ({}, "exactly one of pairs= and input_path="),
        ({"input_path": "/data/pairs.parquet"}, "cannot tell the format"),
        ({"pairs": [[1, 2]], "max_failure_ratio": 2}, "max_failure_ratio must be"),
        ({"pairs": [[1, 2]], "max_failures": -1}, "max_failures must be"),
        ({"pairs": [[1, 2]], "shard_index": 3, "shard_count": 3}, "shard_index must be"),
        ({"pairs": [[1, 2]], "from_object_type": ""}, "from_object_type must be"),
        ({"pairs": [[1, 2]], "hook_params": {"access_token": "pat-x"}}, "must not hold credentials"),
    ],
)
def test_bad_arguments_fail_at_dag_parse_time(kwargs, message):
    args = {"task_id": "t", "from_object_type": "contacts", "to_object_type": "companies", **kwargs}
    with pytest.raises(ValueError, match=message):
        HubSpotCreateAssociationsOperator(**args)


# -- bulk unlink ---------------------------------------------------------------------------------------------


# -- read / export -------------------------------------------------------------------------------------------


# -- real DAG runs ---------------------------------------------------------------------------------------------
