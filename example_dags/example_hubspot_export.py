"""Nightly export of associations into the warehouse: every contact's companies, with labels, as a table.

``contact_ids`` stands in for a warehouse query listing the contacts to export. The read operator follows every
paging cursor of every contact (nothing is lost past the first page), streams the rows to a JSON Lines file
per run (any ``ObjectStoragePath`` location: a local path, ``s3://aws_default@bucket/...``) and, once every read
is done, loads them into the table ``crm_contact_company`` of the Airflow connection ``warehouse`` (the demo:
an embedded SQLite file; in production Postgres, Snowflake...) in one transaction, replacing the previous run's
rows. ``load`` reads the table back, as a downstream warehouse model would.

Files are keyed by ``run_id``, which every run has: a run triggered from the CLI, the REST API or the UI of
Airflow 3 has no logical date (``{{ ds }}`` would be undefined there). Schedule: ``@daily`` with
``catchup=False``: unpausing starts one run for the latest complete day at once (no backfill of earlier days);
a manual trigger is a run of its own, written to its own folder. The contact range is a DAG param.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pendulum

try:  # Airflow 3
    from airflow.sdk import DAG, BaseHook, task
except ImportError:  # Airflow 2.10 / 2.11
    from airflow import DAG
    from airflow.decorators import task
    from airflow.hooks.base import BaseHook

from airflow_provider_hubassoc.operators.associations import HubSpotReadAssociationsOperator

DATA_DIR = Path(os.environ.get("HUBASSOC_EXAMPLE_DATA", "/tmp/hubassoc-examples"))
WAREHOUSE = "warehouse"  # an Airflow connection to a common-sql database (the demo: an SQLite file)

with DAG(
    dag_id="example_hubspot_export",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,  # first run: the latest complete day, right after unpausing
    params={"first_contact": 1, "last_contact": 5_000},
    tags=["hubspot", "example"],
    doc_md=__doc__,
):

    @task
    def contact_ids(params: dict | None = None, run_id: str | None = None) -> str:
        params = params or {}
        path = DATA_DIR / "export" / str(run_id).replace(":", "_") / "contacts.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["contact_id"])
            writer.writerows(
                [i] for i in range(int(params.get("first_contact", 1)), int(params.get("last_contact", 5_000)) + 1)
            )
        return str(path)

    export = HubSpotReadAssociationsOperator(
        task_id="export_contact_companies",
        from_object_type="contacts",
        to_object_type="companies",
        input_path=contact_ids(),
        id_column="contact_id",
        output_path=str(DATA_DIR / "export" / "{{ run_id | replace(':', '_') }}" / "contact_company.jsonl"),
        sql_conn_id=WAREHOUSE,
        table="crm_contact_company",
        if_exists="replace",
        create_table=True,
    )

    @task
    def load(summary: dict) -> dict:
        """What a downstream model sees: the rows in the warehouse table, and how many carry labels."""
        warehouse = BaseHook.get_connection(WAREHOUSE).get_hook()
        rows, labeled = warehouse.get_first(
            f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN labels <> '' THEN 1 ELSE 0 END), 0) FROM {summary['table']}"
        )
        print(f"{rows:,} association rows ({labeled:,} with labels) in table {summary['table']}")
        return {"rows": rows, "with_labels": labeled, "table": summary["table"], "path": summary["output_path"]}

    load(export.output)
