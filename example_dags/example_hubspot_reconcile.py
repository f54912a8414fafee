"""Reconcile: make HubSpot's deal→company associations match a warehouse table, labels included.

``desired_links`` stands in for the warehouse table ``deal_company`` (one row per deal and company that should be
linked, with an optional label) in the database of the Airflow connection ``warehouse`` (the demo: an embedded
SQLite file). Each task runs the query once; a dry run logs the plan first (what would be created, relabelled,
archived); the sync then creates missing links, adds missing labels and, with ``prune=True``, archives links of
these deals that the table no longer has. A second run with the same table writes nothing.

Files are keyed by ``run_id`` (every run has one; Airflow 3 runs triggered from the CLI, API or UI have no
logical date). Schedule: ``@daily`` with ``catchup=False``: unpausing starts one run for the latest complete day
at once, and never a backfill of earlier days; that is safe because a reconcile run is idempotent. The table's
size is a DAG param.
"""

from __future__ import annotations

import os
from pathlib import Path

import pendulum

try:  # Airflow 3
    from airflow.sdk import DAG, BaseHook, task
except ImportError:  # Airflow 2.10 / 2.11
    from airflow import DAG
    from airflow.decorators import task
    from airflow.hooks.base import BaseHook

from airflow_provider_hubassoc.operators.associations import HubSpotSyncAssociationsOperator

DATA_DIR = Path(os.environ.get("HUBASSOC_EXAMPLE_DATA", "/tmp/hubassoc-examples"))
WAREHOUSE = "warehouse"  # an Airflow connection to a common-sql database (the demo: an SQLite file)

with DAG(
    dag_id="example_hubspot_reconcile",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,  # first run: the latest complete day, right after unpausing
    params={"deals": 1_000, "second_company_deals": 100},
    tags=["hubspot", "example"],
    doc_md=__doc__,
):

    @task
    def desired_links(params: dict | None = None) -> int:
        """Stand-in for the warehouse table: deal d belongs to company 900000 + d % 50, the first 100 deals
        are also linked to a second company as their 'Primary' one."""
        params = params or {}
        deals, second = int(params.get("deals", 1_000)), int(params.get("second_company_deals", 100))
        rows = [(deal, 900_000 + deal % 50, "") for deal in range(1, deals + 1)]
        rows += [(deal, 950_000 + deal, "Primary") for deal in range(1, second + 1)]
        warehouse = BaseHook.get_connection(WAREHOUSE).get_hook()
        warehouse.run(
            [
                "DROP TABLE IF EXISTS deal_company",
                "CREATE TABLE deal_company (deal_id BIGINT, company_id BIGINT, label VARCHAR(100))",
            ],
            autocommit=True,
        )
        warehouse.insert_rows("deal_company", rows, target_fields=["deal_id", "company_id", "label"], executemany=True)
        return len(rows)

    table = desired_links()
    common = {
        "from_object_type": "deals",
        "to_object_type": "companies",
        "sql": "SELECT deal_id, company_id, label FROM deal_company",
        "sql_conn_id": WAREHOUSE,
        "from_id_column": "deal_id",
        "to_id_column": "company_id",
        "label_column": "label",
        "prune": True,
        "failures_path": str(DATA_DIR / "reconcile" / "{{ run_id | replace(':', '_') }}" / "failures.csv"),
    }
    plan = HubSpotSyncAssociationsOperator(task_id="plan", dry_run=True, **common)
    apply = HubSpotSyncAssociationsOperator(task_id="apply", **common)
    table >> plan >> apply
