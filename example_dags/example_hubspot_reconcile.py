"""Reconcile: make HubSpot's deal→company associations match a warehouse table, labels included.

``desired_links`` stands in for the warehouse table (one row per deal and company that should be linked, with
an optional label). A dry run logs the plan first (what would be created, relabelled, archived); the sync then
creates missing links, adds missing labels and, with ``prune=True``, archives links of these deals that the
table no longer has. A second run with the same table writes nothing.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pendulum

from airflow.sdk import DAG, task

from airflow_provider_hubassoc.operators.associations import HubSpotSyncAssociationsOperator

DATA_DIR = Path(os.environ.get("HUBASSOC_EXAMPLE_DATA", "/tmp/hubassoc-examples"))

with DAG(
    dag_id="example_hubspot_reconcile",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["hubspot", "example"],
    doc_md=__doc__,
):

    @task
    def desired_links(ds: str | None = None) -> str:
        """Stand-in for the warehouse table: deal d belongs to company 900000 + d % 50, the first 100 deals
        are also linked to a second company as their 'Primary' one."""
        path = DATA_DIR / "reconcile" / str(ds) / "deal_company.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["deal_id", "company_id", "label"])
            for deal in range(1, 1_001):
                writer.writerow([deal, 900_000 + deal % 50, ""])
                if deal <= 100:
                    writer.writerow([deal, 950_000 + deal, "Primary"])
        return str(path)

    table = desired_links()
    common = dict(
        from_object_type="deals",
        to_object_type="companies",
        input_path=table,
        from_id_column="deal_id",
        to_id_column="company_id",
        label_column="label",
        prune=True,
        failures_path=str(DATA_DIR / "reconcile" / "{{ ds }}" / "failures.csv"),
    )
    plan = HubSpotSyncAssociationsOperator(task_id="plan", dry_run=True, **common)
    apply = HubSpotSyncAssociationsOperator(task_id="apply", **common)
    plan >> apply
