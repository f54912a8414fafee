"""From the warehouse's own keys: product users linked to their companies by email and an external id, then a
nightly export of the contacts modified that day back into the warehouse; no HubSpot record id handled anywhere.

``product_users`` stands in for a table of your product database copied into the warehouse (the Airflow
connection ``warehouse``; the demo: an embedded SQLite file): one row per user with the user's ``email`` and the
``external_company_id`` of the account it belongs to. HubSpot holds the same people as contacts (``email`` is
unique for contacts) and the same accounts as companies, whose custom property ``external_company_id`` is declared
unique (``hasUniqueValue``). The link task resolves each distinct key once (100 a request) before writing anything;
keys HubSpot does not know (a user who was never synced, an account id nobody wrote into HubSpot) are ``NOT_FOUND``
failures in the failures file with their row and key, and the other rows are linked.

``export_modified_contacts`` then reads the companies of the contacts modified in the run's window (HubSpot's
search on the modified time, split on the record id past 10,000 results) into the table
``crm_contact_company_modified``, upserted on the pair. The window is the run's data interval; a run triggered
from the CLI, API or UI of Airflow 3 has none (and ``@daily`` on Airflow 3 gives a scheduled run an empty one),
so ``modified_window`` takes the complete UTC day before the run instead. A "modified" export misses records
whose associations changed while the record itself did not (linking does not touch a contact's modified time):
run a full export (``records="all"``) weekly beside it, or when the table must be complete.

Files are keyed by ``run_id`` (every run has one). Schedule: ``@daily`` with ``catchup=False``: unpausing
starts one run for the latest complete day at once, and never a backfill of earlier days; both tasks are
idempotent. The table's size is a DAG param.
"""

from __future__ import annotations

import csv
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pendulum

try:  # Airflow 3
    from airflow.sdk import DAG, BaseHook, task
except ImportError:  # Airflow 2.10 / 2.11
    from airflow import DAG
    from airflow.decorators import task
    from airflow.hooks.base import BaseHook

from airflow_provider_hubassoc.operators.associations import (
    HubSpotCreateAssociationsOperator,
    HubSpotReadAssociationsOperator,
)

DATA_DIR = Path(os.environ.get("HUBASSOC_EXAMPLE_DATA", "/tmp/hubassoc-examples"))
WAREHOUSE = "warehouse"  # an Airflow connection to a common-sql database (the demo: an SQLite file)

with DAG(
    dag_id="example_hubspot_warehouse_keys",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,  # first run: the latest complete day, right after unpausing
    params={"users": 500, "accounts": 25},
    tags=["hubspot", "example"],
    doc_md=__doc__,
):

    @task
    def product_users(params: dict | None = None) -> int:
        """Stand-in for the product's users: user i (user<i>@example.com) belongs to account acct-<i % accounts>;
        user 7 is also written in capitals (emails match case-insensitively, the key is resolved once), one user
        HubSpot never saw and one account nobody wrote into HubSpot show how unknown keys are reported."""
        params = params or {}
        users, accounts = int(params.get("users", 500)), int(params.get("accounts", 25))
        rows = [(f"user{i}@example.com", f"acct-{i % accounts:03d}") for i in range(1, users + 1)]
        rows += [("USER7@Example.com", "acct-007"), ("never.synced@example.com", "acct-001")]
        rows += [("user1@example.com", "acct-999")]
        warehouse = BaseHook.get_connection(WAREHOUSE).get_hook()
        warehouse.run(
            [
                "DROP TABLE IF EXISTS product_user",
                "CREATE TABLE product_user (email VARCHAR(320), external_company_id VARCHAR(64))",
            ],
            autocommit=True,
        )
        warehouse.insert_rows("product_user", rows, target_fields=["email", "external_company_id"], executemany=True)
        return len(rows)

    link = HubSpotCreateAssociationsOperator(
        task_id="link_users_to_companies",
        from_object_type="contacts",
        to_object_type="companies",
        sql="SELECT email, external_company_id FROM product_user",
        sql_conn_id=WAREHOUSE,
        from_id_column="email",
        to_id_column="external_company_id",
        from_id_property="email",  # the column holds emails: resolved through HubSpot's unique contact email
        to_id_property="external_company_id",  # a company property HubSpot marks unique
        failures_path=str(DATA_DIR / "warehouse_keys" / "{{ run_id | replace(':', '_') }}" / "failures.csv"),
        max_failures=None,
        max_failure_ratio=0.05,  # a few unknown keys are reported, not fatal; more than 5 % fails the task
    )

    @task(multiple_outputs=True)
    def modified_window(data_interval_start=None, data_interval_end=None, dag_run=None) -> dict:
        """The run's data interval, or (none, or an empty one) the complete UTC day before the run."""
        if (
            data_interval_start is not None
            and data_interval_end is not None
            and data_interval_end > data_interval_start
        ):
            return {"since": data_interval_start.isoformat(), "until": data_interval_end.isoformat()}
        run_after = getattr(dag_run, "run_after", None) or datetime.now(timezone.utc)
        until = run_after.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
        return {"since": (until - timedelta(days=1)).isoformat(), "until": until.isoformat()}

    window = modified_window()
    export = HubSpotReadAssociationsOperator(
        task_id="export_modified_contacts",
        from_object_type="contacts",
        to_object_type="companies",
        records="modified",  # contacts modified in [since, until): HubSpot's search, no id list
        modified_since=window["since"],
        modified_until=window["until"],
        sql_conn_id=WAREHOUSE,
        table="crm_contact_company_modified",
        if_exists="upsert",  # a pair exported again replaces its row
        create_table=True,
        allow_empty=True,  # a day without modified contacts is not an error
    )

    @task
    def report(linked: dict, exported: dict, run_id: str | None = None) -> dict:
        """One line for the run: what was linked, what each unknown key was, what the export found."""
        failures = []
        if linked.get("failures_path") and Path(linked["failures_path"]).exists():
            with open(linked["failures_path"], newline="") as handle:
                failures = list(csv.DictReader(handle))
        print(
            f"{linked['rows_read']:,} user rows: {linked['succeeded']:,} linked to their companies by key, "
            f"{linked['failed']} refused; exported {exported['associations']:,} associations of "
            f"{exported['records']:,} modified contacts to {exported['table']}"
        )
        return {"linked": linked, "exported": exported, "failures": failures[:10]}

    product_users() >> link >> window >> export
    report(link.output, export.output)
