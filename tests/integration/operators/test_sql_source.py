"""SQL as a source: link, unlink and reconcile read their pairs from a query (SQLite and a real PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_provider_hubassoc._compat import AirflowFailException
from airflow_provider_hubassoc.operators._files import shard_of
from airflow_provider_hubassoc.operators.associations import (
    HubSpotArchiveAssociationsOperator,
    HubSpotCreateAssociationsOperator,
    HubSpotSyncAssociationsOperator,
)

FAST = {"latency": 0.0, "jitter": 0.0, "requests_per_10_seconds": 100_000}


def pairs_in_emulator(emulator: Any) -> set[tuple[int, int]]:
    """Every contact→company pair the emulator holds."""
    return {
        (a["fromObjectId"], a["toObjectId"])
        for a in emulator.dump()["associations"]
        if a["fromObjectTypeId"] == "0-1" and a["toObjectTypeId"] == "0-2"
    }


def company_of(contact: int) -> int:
    return 1_000_000 + contact % 5_000


def test_link_from_a_query_of_100k_rows(hubspot_connection, hubspot_emulator, warehouse):
    hubspot_emulator.configure(**FAST)
    query = f"SELECT i AS contact_id, 1000000 + i % 5000 AS company_id FROM ({warehouse.series(100_000)}) s"

    summary = HubSpotCreateAssociationsOperator(
        task_id="link",
        from_object_type="contacts",
        to_object_type="companies",
        sql=query,
        sql_conn_id=warehouse.conn_id,
        from_id_column="contact_id",
        to_id_column="company_id",
        chunk_size=2_000,
        sql_page_size=7_000,
    ).execute({})

    assert (summary["total"], summary["succeeded"], summary["failed"], summary["skipped"]) == (100_000, 100_000, 0, 0)
    assert pairs_in_emulator(hubspot_emulator) == {(i, company_of(i)) for i in range(1, 100_001)}


def test_a_bad_row_is_named_with_its_values_before_any_write(hubspot_connection, hubspot_emulator, warehouse):
    warehouse.run("CREATE TABLE desired (contact_id VARCHAR(40), company_id BIGINT, note VARCHAR(20))")
    rows = [(str(i), 100 + i, "ok") for i in range(1, 50)]
    rows[36] = ("12x", 137, "typo")  # query row 37
    warehouse.load("desired", ("contact_id", "company_id", "note"), rows)

    with pytest.raises(AirflowFailException) as failure:
        HubSpotCreateAssociationsOperator(
            task_id="link",
            from_object_type="contacts",
            to_object_type="companies",
            sql="SELECT contact_id, company_id, note FROM desired ORDER BY company_id",
            sql_conn_id=warehouse.conn_id,
            from_id_column="contact_id",
            to_id_column="company_id",
            sql_page_size=10,  # row 37 is in page 4: validated while the query is still being spooled
        ).execute({})

    message = str(failure.value)
    assert "query on 'warehouse' row 37: field 'contact_id'" in message
    assert "'12x'" in message and "'note': 'typo'" in message and "'company_id': 137" in message
    assert hubspot_emulator.write_requests() == 0


def test_ids_of_a_numeric_column_are_validated_as_they_are_written(hubspot_connection, hubspot_emulator, warehouse):
    """PostgreSQL gives NUMERIC cells as ``Decimal``: the rows are validated as the spool holds them (ids as
    digits), the same values the write pass reads."""
    summary = HubSpotCreateAssociationsOperator(
        task_id="link",
        from_object_type="contacts",
        to_object_type="companies",
        sql="SELECT CAST(7 AS NUMERIC(20, 0)) AS from_id, CAST(77 AS NUMERIC(20, 0)) AS to_id",
        sql_conn_id=warehouse.conn_id,
    ).execute({})
    assert summary["succeeded"] == 1 and pairs_in_emulator(hubspot_emulator) == {(7, 77)}


def test_a_query_without_the_named_column_fails_naming_the_columns(hubspot_connection, warehouse):
    with pytest.raises(AirflowFailException, match=r"no column 'to_id' \(columns: \['from_id', 'company'\]\)"):
        HubSpotCreateAssociationsOperator(
            task_id="link",
            from_object_type="contacts",
            to_object_type="companies",
            sql="SELECT 1 AS from_id, 2 AS company",
            sql_conn_id=warehouse.conn_id,
        ).execute({})


def test_unlink_from_a_query_in_shards(hubspot_connection, hubspot_emulator, warehouse):
    hubspot_emulator.configure(**FAST)
    for contact in range(1, 41):
        hubspot_emulator.associate("contacts", contact, "companies", 500 + contact)
    warehouse.run("CREATE TABLE gone (from_id BIGINT, to_id BIGINT)")
    warehouse.load("gone", ("from_id", "to_id"), [(c, 500 + c) for c in range(1, 41)])

    totals = 0
    for shard in range(3):
        result = HubSpotArchiveAssociationsOperator(
            task_id="unlink",
            from_object_type="contacts",
            to_object_type="companies",
            sql="SELECT from_id, to_id FROM gone WHERE from_id <= 30",
            sql_conn_id=warehouse.conn_id,
            shard_index=shard,
            shard_count=3,
        ).execute({})
        assert result["total"] == sum(1 for c in range(1, 31) if shard_of(c, 3) == shard)
        totals += result["succeeded"]
    assert totals == 30
    assert pairs_in_emulator(hubspot_emulator) == {(c, 500 + c) for c in range(31, 41)}


def test_sql_from_a_template_file(hubspot_connection, hubspot_emulator, warehouse, tmp_path: Path):
    (tmp_path / "desired.sql").write_text("SELECT 7 AS from_id, {{ params.company }} AS to_id")
    try:  # Airflow 3
        from airflow.sdk import DAG
    except ImportError:  # Airflow 2.10 / 2.11
        from airflow import DAG

    with DAG("sql_file", schedule=None, template_searchpath=[str(tmp_path)]):
        operator = HubSpotCreateAssociationsOperator(
            task_id="link",
            from_object_type="contacts",
            to_object_type="companies",
            sql="desired.sql",
            sql_conn_id=warehouse.conn_id,
        )
    operator.resolve_template_files()  # what Airflow does with template_ext before rendering
    assert operator.sql.startswith("SELECT 7")
    operator.render_template_fields({"params": {"company": 77}})  # type: ignore[arg-type]
    assert operator.execute({})["succeeded"] == 1
    assert pairs_in_emulator(hubspot_emulator) == {(7, 77)}


def test_reconcile_from_a_table_with_prune(hubspot_connection, hubspot_emulator, warehouse):
    hubspot_emulator.configure(**FAST)
    for contact, company in ((1, 10), (1, 12), (2, 20), (3, 30), (3, 31)):
        hubspot_emulator.associate("contacts", contact, "companies", company)
    warehouse.run("CREATE TABLE crm_links (contact_id BIGINT, company_id BIGINT)")
    warehouse.load("crm_links", ("contact_id", "company_id"), [(1, 10), (1, 11), (2, 20), (3, 31), (4, 40)])

    def reconcile() -> dict[str, Any]:
        return HubSpotSyncAssociationsOperator(
            task_id="reconcile",
            from_object_type="contacts",
            to_object_type="companies",
            prune=True,
            sql="SELECT contact_id, company_id FROM crm_links",
            sql_conn_id=warehouse.conn_id,
            from_id_column="contact_id",
            to_id_column="company_id",
        ).execute({})

    first = reconcile()
    assert first["plan"] == {"records": 4, "desired": 5, "create": 2, "remove_labels": 0, "archive": 2, "unchanged": 3}
    assert (first["created"], first["archived"], first["failed"]) == (2, 2, 0)
    assert pairs_in_emulator(hubspot_emulator) == {(1, 10), (1, 11), (2, 20), (3, 31), (4, 40)}
    writes = hubspot_emulator.write_requests()

    second = reconcile()
    assert second["plan"] == {"records": 4, "desired": 5, "create": 0, "remove_labels": 0, "archive": 0, "unchanged": 5}
    assert hubspot_emulator.write_requests() == writes


def test_a_connection_that_is_not_a_database_is_refused(hubspot_connection):
    with pytest.raises(AirflowFailException, match="not a common-sql DbApiHook"):
        HubSpotCreateAssociationsOperator(
            task_id="link",
            from_object_type="contacts",
            to_object_type="companies",
            sql="SELECT 1",
            sql_conn_id=hubspot_connection,
        ).execute({})
