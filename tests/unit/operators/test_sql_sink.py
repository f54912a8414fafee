"""SQL as a sink: the read/export operator writes its rows to a table (SQLite and a real PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_hubassoc.operators.associations import HubSpotReadAssociationsOperator

TABLE = "contact_company"
COLUMNS = "from_object_type, from_id, to_object_type, to_id, type_ids, categories, labels"


def table(warehouse: Any) -> list[tuple[Any, ...]]:
    return warehouse.records(f"SELECT {COLUMNS} FROM {TABLE} ORDER BY from_id, to_id")


def test_table_arguments_are_checked_when_the_dag_is_parsed():
    def make(**kwargs: Any) -> Any:
        return HubSpotReadAssociationsOperator(
            task_id="x", from_object_type="contacts", to_object_type="companies", record_ids=[1], **kwargs
        )

    with pytest.raises(ValueError, match="needs both table= and sql_conn_id="):
        make(table="t")
    with pytest.raises(ValueError, match="if_exists must be one of"):
        make(table="t", sql_conn_id="w", if_exists="merge")
    with pytest.raises(ValueError, match="table must be a table name"):
        make(table="t; DROP TABLE x", sql_conn_id="w")
    with pytest.raises(ValueError, match="key_columns must be exported columns"):
        make(table="t", sql_conn_id="w", if_exists="upsert", key_columns=["id"])
    make(table='crm."Contact Company"', sql_conn_id="w")
