"""Link by the warehouse's keys straight from a query (``sql=``): the query runs once, its rows staged, and the
keys collected from the staged rows (a keyed link from a query once ran the query a second time and failed)."""

from __future__ import annotations

import pytest
from operator_support import FakeTaskInstance
from transport_helpers import fresh_limiters  # noqa: F401 - the fixture is used by name

from airflow_provider_hubassoc.operators.associations import HubSpotCreateAssociationsOperator

pytestmark = pytest.mark.usefixtures("fresh_limiters")


class TaskInstance(FakeTaskInstance):
    dag_id, task_id, run_id = "keys_sql", "link", "manual__keys_sql"


def test_link_by_email_and_external_id_from_a_query(hubspot_emulator, hubspot_connection, warehouse, tmp_path):
    hubspot_emulator.configure(requests_per_10_seconds=None, daily_limit=None)
    hubspot_emulator.declare_unique("companies", "external_company_id")
    company = hubspot_emulator.create_record("companies", {"external_company_id": "acct-1"})
    contacts = hubspot_emulator.seed_records("contacts", [{"email": f"u{i}@example.com"} for i in range(3)])
    warehouse.run("CREATE TABLE product_user (email VARCHAR(320), account VARCHAR(64))")
    rows = [(f"u{i}@example.com", "acct-1") for i in range(3)] + [("nobody@example.com", "acct-1")]
    warehouse.load("product_user", ["email", "account"], rows)
    queries = []
    hubspot_emulator.app.observers.append(lambda request, _response: queries.append(request.path))
    summary = HubSpotCreateAssociationsOperator(
        task_id="link",
        from_object_type="contacts",
        to_object_type="companies",
        sql="SELECT email, account FROM product_user",
        sql_conn_id=warehouse.conn_id,
        from_id_column="email",
        to_id_column="account",
        from_id_property="email",
        to_id_property="external_company_id",
        failures_path=str(tmp_path / "failures.csv"),
        max_failures=None,
        hook_params={"requests_per_10_seconds": 1_000_000, "max_concurrency": 1},
    ).execute({"ti": TaskInstance(), "run_id": "manual__keys_sql"})
    assert summary["rows_read"] == 4 and summary["succeeded"] == 3 and summary["failed"] == 1
    assert summary["failures_sample"][0]["category"] == "NOT_FOUND"
    assert "nobody@example.com" in (tmp_path / "failures.csv").read_text()
    for contact in contacts:
        assert list(hubspot_emulator.associations("contacts", contact, "companies")) == [company]
    # two key look-ups (one a side), then one write
    assert sum("/batch/read" in path and "/objects/" in path for path in queries) == 2
