"""SQL as a sink: the read/export operator writes its rows to a table (SQLite and a real PostgreSQL)."""

from __future__ import annotations

from contextlib import closing
from typing import Any

import pytest

from airflow_provider_hubassoc.operators.associations import HubSpotReadAssociationsOperator

TABLE = "contact_company"
COLUMNS = "from_object_type, from_id, to_object_type, to_id, type_ids, categories, labels"


def export(warehouse: Any, **kwargs: Any) -> dict[str, Any]:
    return HubSpotReadAssociationsOperator(
        task_id="export",
        from_object_type="contacts",
        to_object_type="companies",
        sql_conn_id=warehouse.conn_id,
        table=TABLE,
        **kwargs,
    ).execute({})


def table(warehouse: Any) -> list[tuple[Any, ...]]:
    return warehouse.records(f"SELECT {COLUMNS} FROM {TABLE} ORDER BY from_id, to_id")


def test_export_to_a_table_then_replace_and_upsert(hubspot_connection, hubspot_emulator, warehouse, tmp_path):
    billing = hubspot_emulator.create_label("contacts", "companies", "billing", "Billing")[0]["typeId"]
    hubspot_emulator.associate("contacts", 1, "companies", 10)
    hubspot_emulator.associate("contacts", 1, "companies", 11, types=[("USER_DEFINED", billing)])
    hubspot_emulator.associate("contacts", 2, "companies", 20)

    first = export(warehouse, record_ids=[1, 2, 3], create_table=True, sql_page_size=2)
    assert (first["associations"], first["table_rows"], first["output_path"]) == (3, 3, None)
    rows = table(warehouse)
    assert [(r[1], r[3]) for r in rows] == [(1, 10), (1, 11), (2, 20)]
    assert rows[0][:4] == ("contacts", 1, "companies", 10)
    assert str(billing) in rows[1][4].split(";") and "USER_DEFINED" in rows[1][5].split(";")
    assert [r[6] for r in rows] == ["Primary", "Billing", "Primary"]  # HubSpot: a contact's first company

    # HubSpot changes: 2-20 goes, 3-30 comes, 1-10 gets the label
    hubspot_emulator.associate("contacts", 3, "companies", 30)
    hubspot_emulator.associate("contacts", 1, "companies", 10, types=[("USER_DEFINED", billing)])

    upserted = export(warehouse, record_ids=[1, 3], if_exists="upsert")
    assert upserted["table_rows"] == 3
    rows = table(warehouse)
    assert [(r[1], r[3], r[6]) for r in rows] == [
        (1, 10, "Primary;Billing"),
        (1, 11, "Billing"),
        (2, 20, "Primary"),
        (3, 30, "Primary"),
    ]

    replaced = export(warehouse, record_ids=[3], if_exists="replace", output_path=str(tmp_path / "out.csv"))
    assert (replaced["table_rows"], replaced["output_path"]) == (1, str(tmp_path / "out.csv"))
    assert [(r[1], r[3]) for r in table(warehouse)] == [(3, 30)]
    assert (tmp_path / "out.csv").read_text().count("\n") == 2  # header + the row: the file and the table agree


def test_a_failed_load_leaves_the_table_as_it_was(hubspot_connection, hubspot_emulator, warehouse):
    hubspot_emulator.associate("contacts", 1, "companies", 10)
    hubspot_emulator.associate("contacts", 1, "companies", 11)
    export(warehouse, record_ids=[1], create_table=True)
    before = table(warehouse)

    hubspot_emulator.associate("contacts", 2, "companies", 20)

    # page 1 (2-20) is new, page 2 (1-10) breaks the primary key: the whole load is rolled back
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        export(warehouse, record_ids=[2, 1], if_exists="append", sql_page_size=1)
    assert table(warehouse) == before


TRICKY = [
    ("contacts", 1, "companies", 10, "1;279", "HUBSPOT_DEFINED;USER_DEFINED", "tab\there"),
    ("contacts", 1, "companies", 11, "", "", None),  # empty text and NULL stay apart
    ("contacts", 2, "companies", 20, "3", "USER_DEFINED", "back\\slash \\N line\nbreak\r\n ünïcödé"),
]


def rows_of(values: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    names = COLUMNS.split(", ")
    return [dict(zip(names, row, strict=True)) for row in values]


def test_load_table_appends_upserts_and_replaces_exactly(warehouse):
    """Every mode on each database's load path (PostgreSQL: COPY, an upsert through a staging table; SQLite:
    executemany), with cells COPY's text format must escape; within one upsert the last row of a key wins."""
    from airflow_provider_hubassoc.operators._sql import copies, load_table

    names = COLUMNS.split(", ")
    with closing(warehouse.hook.get_conn()) as connection:
        assert copies(connection) is (warehouse.kind == "postgres")

    def load(values: list[tuple[Any, ...]], mode: str, **kwargs: Any) -> int:
        return load_table(warehouse.hook, TABLE, names, rows_of(values), if_exists=mode, page_size=2, **kwargs)

    assert load(TRICKY, "append", create=True) == 3
    assert table(warehouse) == TRICKY

    later = ("contacts", 2, "companies", 20, "4", "USER_DEFINED", "last")
    new = ("contacts", 3, "companies", 30, "1", "HUBSPOT_DEFINED", "Primary")
    changed = ("contacts", 1, "companies", 11, "5", "USER_DEFINED", "set")
    upserted = [("contacts", 2, "companies", 20, "9", "X", "first"), new, changed, later]
    assert load(upserted, "upsert") == 4
    assert table(warehouse) == [TRICKY[0], changed, later, new]

    assert load([new, TRICKY[2]], "replace") == 2
    assert table(warehouse) == [TRICKY[2], new]
