"""The shard function and the shard predicate a sharded query is wrapped in (no database needed)."""

from __future__ import annotations

import pytest

from airflow_provider_hubassoc.operators._files import SHARD_FUNCTION, PairSource, shard_of
from airflow_provider_hubassoc.operators._sql import shard_query
from airflow_provider_hubassoc.operators.associations import HubSpotCreateAssociationsOperator


def test_the_shard_of_a_pair_is_its_from_id_modulo_the_shard_count():
    assert SHARD_FUNCTION == "from_id % shard_count"
    assert [shard_of(i, 4) for i in (1, 2, 3, 4, 2**63 - 1)] == [1, 2, 3, 0, (2**63 - 1) % 4]


@pytest.mark.parametrize(
    ("dialect", "predicate"),
    [
        ("postgresql", "MOD(ABS(hubassoc_q.contact_id), 8) = 3"),
        ("snowflake", "MOD(ABS(hubassoc_q.contact_id), 8) = 3"),
        (None, "MOD(ABS(hubassoc_q.contact_id), 8) = 3"),
        ("sqlite", "ABS(hubassoc_q.contact_id) % 8 = 3"),  # SQLite's mod() is floating point: wrong past 2^53
        ("mssql", "ABS(hubassoc_q.contact_id) % 8 = 3"),
    ],
)
def test_a_sharded_query_is_wrapped_in_the_dialects_remainder(dialect, predicate):
    sql = shard_query("SELECT contact_id, company_id FROM t -- trailing comment\n ;  ", "contact_id", 3, 8, dialect)
    assert sql == (
        "SELECT * FROM (\nSELECT contact_id, company_id FROM t -- trailing comment\n) hubassoc_q "
        "WHERE hubassoc_q.contact_id IS NULL OR " + predicate
    )


def test_a_sharded_query_is_sorted_on_the_pairs_columns():
    sql = shard_query("SELECT a, b FROM t", "a", 1, 4, "postgresql", ("a", 'B "x"'))
    assert sql.endswith('= 1 ORDER BY hubassoc_q.a, hubassoc_q."B ""x"""')


def test_a_column_name_that_needs_quoting_is_quoted():
    sql = shard_query("SELECT 1", 'Contact "Id"', 0, 2, "postgresql")
    assert sql.endswith('WHERE hubassoc_q."Contact ""Id""" IS NULL OR MOD(ABS(hubassoc_q."Contact ""Id"""), 2) = 0')


def test_shard_numbers_are_integers_never_text():
    with pytest.raises(ValueError, match="invalid literal"):
        shard_query("SELECT 1", "from_id", "0; DROP TABLE t", 2, "sqlite")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"not in 0\.\.1"):
        shard_query("SELECT 1", "from_id", 2, 2, "sqlite")


def test_sql_shard_filter_must_be_a_boolean():
    with pytest.raises(ValueError, match="sql_shard_filter must be True or False, got 'no'"):
        HubSpotCreateAssociationsOperator(
            task_id="link",
            from_object_type="contacts",
            to_object_type="companies",
            sql="SELECT 1 AS from_id, 2 AS to_id",
            sql_conn_id="warehouse",
            sql_shard_filter="no",
        )


def test_a_list_or_file_holds_every_shards_rows_and_a_strict_source_refuses_them():
    pairs = [[1, 10], [2, 20], [5, 50]]
    assert [p.from_id for p in PairSource(pairs=pairs, shard_index=1, shard_count=4)] == [1, 5]
    strict = PairSource(pairs=pairs, shard_index=1, shard_count=4, strict_shard=True, name="query on 'w'")
    with pytest.raises(ValueError, match=r"row 2: field 'from_id': from id 2 is in shard 2 of 4") as refused:
        list(strict)
    assert refused.value.position == 2 and "from_id % shard_count (2 % 4 = 2)" in str(refused.value)
