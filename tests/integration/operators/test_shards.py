"""Shards by ``from_id % shard_count``: a sharded query reads only its rows (SQLite and a real PostgreSQL), a query
that shards itself the other way fails naming the function, files still shard, and a checkpoint written under
the old shard function (CRC-32) is refused rather than resumed against other rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from operator_support import FakeTaskInstance, write_csv as write_rows

from airflow_provider_hubassoc._compat import AirflowFailException
from airflow_provider_hubassoc.operators import _sql
from airflow_provider_hubassoc.operators._checkpoint import (
    VERSION,
    CheckpointMismatchError,
    CheckpointStore,
    input_fingerprint,
)
from airflow_provider_hubassoc.operators.associations import (
    HubSpotCreateAssociationsOperator,
    HubSpotSyncAssociationsOperator,
)

FAST = {"latency": 0.0, "jitter": 0.0, "requests_per_10_seconds": 100_000}
SHARDS = 4
CONTACTS = range(1, 401)


def company_of(contact: int) -> int:
    return 700_000 + contact


def pairs_in_emulator(emulator: Any) -> set[tuple[int, int]]:
    return {
        (a["fromObjectId"], a["toObjectId"])
        for a in emulator.dump()["associations"]
        if a["fromObjectTypeId"] == "0-1" and a["toObjectTypeId"] == "0-2"
    }


@pytest.fixture
def table(warehouse, hubspot_emulator, hubspot_connection) -> Any:
    """400 contact→company pairs in the warehouse table ``desired``."""
    hubspot_emulator.configure(**FAST)
    warehouse.run("CREATE TABLE desired (contact_id BIGINT, company_id BIGINT)")
    warehouse.load("desired", ("contact_id", "company_id"), [(c, company_of(c)) for c in CONTACTS])
    return warehouse


def link_from(warehouse: Any, sql: str, shard: int, **kwargs: Any) -> HubSpotCreateAssociationsOperator:
    return HubSpotCreateAssociationsOperator(
        task_id="link",
        from_object_type="contacts",
        to_object_type="companies",
        sql=sql,
        sql_conn_id=warehouse.conn_id,
        from_id_column="contact_id",
        to_id_column="company_id",
        shard_index=shard,
        shard_count=SHARDS,
        chunk_size=50,
        **kwargs,
    )


def queries_sent() -> Any:
    """A spy on the query each shard runs (the SQL the database was sent)."""
    return mock.patch.object(_sql, "iter_query", wraps=_sql.iter_query)


def test_each_shard_reads_only_its_rows_and_the_union_is_exact(table, hubspot_emulator):
    summaries = []
    for shard in range(SHARDS):
        with queries_sent() as spy:
            summaries.append(link_from(table, "SELECT contact_id, company_id FROM desired;", shard).execute({}))
        (sent,) = [c.args[1] for c in spy.call_args_list]
        remainder = "ABS(hubassoc_q.contact_id) % 4" if table.kind == "sqlite" else "MOD(ABS(hubassoc_q.contact_id), 4)"
        assert remainder in sent
        assert sent.endswith(f"= {shard} ORDER BY hubassoc_q.contact_id, hubassoc_q.company_id")
        own = [c for c in CONTACTS if c % SHARDS == shard]
        summary = summaries[-1]
        assert summary["rows_read"] == summary["total"] == summary["succeeded"] == len(own) == 100
    assert pairs_in_emulator(hubspot_emulator) == {(c, company_of(c)) for c in CONTACTS}


def spooled(warehouse: Any, shard: int) -> bytes:
    """The rows one shard's query stages for validation and writes (what its checkpoint fingerprints)."""
    with _sql.QuerySpool(
        warehouse.conn_id,
        "SELECT contact_id, company_id FROM desired",
        shard=("contact_id", shard, SHARDS),
        order_by=("contact_id", "company_id"),
    ) as spool:
        for _ in spool.records():
            pass
        assert spool.path is not None
        return Path(spool.path).read_bytes()


def test_a_sharded_query_answers_in_one_order_however_the_table_is_stored(table):
    """A retry re-runs the query and resumes its checkpoint by position, fingerprinted by the rows: a table read
    in another order (PostgreSQL's synchronized scans of a big table do) must not make the retry's rows differ.
    Measured before the sort: every retried shard of a 1M-row Celery backfill refused its checkpoint."""
    before = spooled(table, 1)
    table.run("DELETE FROM desired")
    table.load("desired", ("contact_id", "company_id"), [(c, company_of(c)) for c in reversed(CONTACTS)])
    assert spooled(table, 1) == before
    assert before.count(b"\n") == len(CONTACTS) // SHARDS


def test_a_query_that_shards_itself_by_the_same_function_reads_the_same_rows(table, hubspot_emulator):
    """``WHERE contact_id % 4 = shard``, the natural shard query, agrees with the operator: with the operator's
    filter added (the default) or with the query run as written (``sql_shard_filter=False``)."""
    for shard in range(SHARDS):
        own = f"SELECT contact_id, company_id FROM desired WHERE contact_id % {SHARDS} = {shard}"
        wrapped = link_from(table, own, shard).execute({})
        as_written = link_from(table, own, shard, sql_shard_filter=False).execute({})
        assert wrapped["rows_read"] == as_written["rows_read"] == wrapped["total"] == 100
    assert pairs_in_emulator(hubspot_emulator) == {(c, company_of(c)) for c in CONTACTS}


def test_a_query_that_shards_itself_another_way_fails_naming_the_function(table, hubspot_emulator):
    """Rows of another shard in a query that selects its own shard are an error, not a quiet 1/4: the message
    names the row, its shard, this task's shard and the function to use. Nothing is written."""
    other_way = "SELECT contact_id, company_id FROM desired WHERE (contact_id + 1) % 4 = 2 ORDER BY contact_id"
    with pytest.raises(AirflowFailException) as failure:
        link_from(table, other_way, 2, sql_shard_filter=False).execute({})
    message = str(failure.value)
    assert "query on 'warehouse' row 1: field 'contact_id': from id 1 is in shard 1 of 4" in message
    assert "not this task's shard 2" in message and "from_id % shard_count" in message
    assert "contact_id % 4 = 2" in message and "'company_id': 700001" in message
    assert hubspot_emulator.write_requests() == 0


def test_a_row_no_shard_would_hold_is_named_not_dropped(table, hubspot_emulator):
    """A NULL or negative id has no shard by the modulo: it reaches a shard all the same, whose validation
    names it, as a file's bad row is named. The shard's rows come sorted on the pair's columns (the user's
    ``ORDER BY`` no longer decides): a NULL sorts first on SQLite, last (after the shard's 100 rows) on PostgreSQL."""
    table.run("INSERT INTO desired (contact_id, company_id) VALUES (NULL, 5), (-6, 6)")
    null_row = 1 if table.kind == "sqlite" else 101
    for shard, where, row, bad in ((1, "", null_row, "got None"), (2, "WHERE company_id <> 5", 1, "got -6")):
        query = f"SELECT contact_id, company_id FROM desired {where} ORDER BY company_id"
        with pytest.raises(AirflowFailException, match=f"query on 'warehouse' row {row}: field 'contact_id'.*{bad}"):
            link_from(table, query, shard).execute({})
    assert hubspot_emulator.write_requests() == 0


def test_an_empty_shard_of_a_query_is_normal_an_empty_query_is_not(table, hubspot_emulator):
    few = "SELECT contact_id, company_id FROM desired WHERE contact_id IN (4, 8)"  # all in shard 0
    summary = link_from(table, few, 1).execute({})
    assert (summary["rows_read"], summary["total"], summary["succeeded"]) == (0, 0, 0)
    with pytest.raises(AirflowFailException, match=r"query on 'warehouse' \(no rows\) is empty"):
        link_from(table, "SELECT contact_id, company_id FROM desired WHERE contact_id > 1000", 1).execute({})
    assert hubspot_emulator.write_requests() == 0


def test_reconcile_from_a_sharded_query_prunes_only_its_own_records(table, hubspot_emulator):
    for contact in (1, 2, 3, 4):
        hubspot_emulator.associate("contacts", contact, "companies", 1)  # not desired: pruned by its own shard
    for shard in range(SHARDS):
        summary = HubSpotSyncAssociationsOperator(
            task_id="sync",
            from_object_type="contacts",
            to_object_type="companies",
            sql="SELECT contact_id, company_id FROM desired",
            sql_conn_id=table.conn_id,
            from_id_column="contact_id",
            to_id_column="company_id",
            shard_index=shard,
            shard_count=SHARDS,
            prune=True,
        ).execute({})
        assert summary["rows_read"] == 100 and summary["plan"]["archive"] == 1
    assert pairs_in_emulator(hubspot_emulator) == {(c, company_of(c)) for c in CONTACTS}


# -- files ---------------------------------------------------------------------------------------------------


def write_csv(path: Path, contacts: range) -> Path:
    return write_rows(path, ["from_id", "to_id"], ((c, company_of(c)) for c in contacts))


def link_file(path: Path, shard: int, tmp_path: Path) -> HubSpotCreateAssociationsOperator:
    return HubSpotCreateAssociationsOperator(
        task_id="link",
        from_object_type="contacts",
        to_object_type="companies",
        input_path=str(path),
        shard_index=shard,
        shard_count=3,
        chunk_size=20,
        checkpoint_path=str(tmp_path / "checkpoints"),
    )


def test_a_file_holds_every_shards_rows_and_each_shard_keeps_its_own(hubspot_connection, hubspot_emulator, tmp_path):
    hubspot_emulator.configure(**FAST)
    source = write_csv(tmp_path / "pairs.csv", range(1, 301))
    totals = [link_file(source, shard, tmp_path).execute({})["total"] for shard in range(3)]
    assert totals == [100, 100, 100]
    assert pairs_in_emulator(hubspot_emulator) == {(c, company_of(c)) for c in range(1, 301)}


class TaskInstance(FakeTaskInstance):
    dag_id, task_id, run_id, map_index = "backfill", "link", "manual__2026-01-02", 1


def test_a_checkpoint_of_the_old_shard_function_is_refused_not_resumed(hubspot_connection, hubspot_emulator, tmp_path):
    """A checkpoint written before the shard function changed (CRC-32) holds a position in another sequence
    of rows: its fingerprint (options without the function's name) no longer matches, so the run fails saying
    so rather than skipping rows the old shard never held."""
    source = write_csv(tmp_path / "pairs.csv", range(1, 301))
    operator = link_file(source, 1, tmp_path)
    old_options = {**operator._fingerprint_options(), "shard": [1, 3]}  # as written before this change
    context = {"ti": TaskInstance(), "run_id": TaskInstance.run_id}
    store = CheckpointStore.for_context(str(tmp_path / "checkpoints"), context)
    store.save(
        {
            "version": VERSION,
            "fingerprint": input_fingerprint(path=str(source), items=None, options=old_options),
            "position": 60,
            "counts": {"succeeded": 60},
            "failures": [],
            "extra": {},
            "attempts": 1,
        }
    )
    with pytest.raises(CheckpointMismatchError, match=r"another input or other options.*resume=False"):
        operator.execute(context)
    assert hubspot_emulator.write_requests() == 0
