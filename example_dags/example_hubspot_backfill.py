"""Backfill: link every contact to its company straight from a warehouse table, fanned out over Airflow workers.

``extract`` stands in for your warehouse's own table: it fills ``contact_company`` in the database behind the
Airflow connection ``warehouse`` (the demo points it at an embedded SQLite file; in production a Postgres,
Snowflake, BigQuery... connection). The link task is mapped over ``SHARDS`` disjoint shards of the query's rows
(split by contact id, so all writes to one pair stay in one shard and in order); each shard runs the query once,
validates every row before writing, links in batches of 1,000, and writes refused rows with HubSpot's reasons to
a failures file. An Airflow pool bounds how many shards run at once; the shards share the app's 10-second window
by themselves, from HubSpot's rate-limit headers, so nobody divides ``requests_per_10_seconds`` by hand.
Create the pool once: ``airflow pools set hubspot_api 4 "HubSpot API calls"``.
Re-running is safe: links are idempotent.
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

from airflow_provider_hubassoc.operators.associations import HubSpotCreateAssociationsOperator

DATA_DIR = Path(os.environ.get("HUBASSOC_EXAMPLE_DATA", "/tmp/hubassoc-examples"))
WAREHOUSE = "warehouse"  # an Airflow connection to a common-sql database (the demo: an SQLite file)
SHARDS = 4

with DAG(
    dag_id="example_hubspot_backfill",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={"rows": 20_000},
    tags=["hubspot", "example"],
    doc_md=__doc__,
):

    @task
    def extract(params: dict | None = None) -> int:
        """Stand-in for the warehouse table: contact i works at company 900000 + i % 250; the last row names
        a company HubSpot does not have, to show how a refused row is reported."""
        rows = int((params or {}).get("rows", 20_000))
        warehouse = BaseHook.get_connection(WAREHOUSE).get_hook()
        warehouse.run(
            [
                "DROP TABLE IF EXISTS contact_company",
                "CREATE TABLE contact_company (contact_id BIGINT, company_id BIGINT)",
            ],
            autocommit=True,
        )
        pairs = [(contact, 900_000 + contact % 250) for contact in range(1, rows)] + [(rows, 10**13)]
        warehouse.insert_rows(
            "contact_company", pairs, target_fields=["contact_id", "company_id"], commit_every=10_000, executemany=True
        )
        return rows

    table = extract()

    link = HubSpotCreateAssociationsOperator.partial(
        task_id="link_contacts_to_companies",
        from_object_type="contacts",
        to_object_type="companies",
        sql="SELECT contact_id, company_id FROM contact_company ORDER BY contact_id",
        sql_conn_id=WAREHOUSE,
        from_id_column="contact_id",
        to_id_column="company_id",
        shard_count=SHARDS,
        failures_path=str(
            DATA_DIR / "backfill" / "{{ run_id | replace(':', '_') }}" / "failures" / "shard_{{ ti.map_index }}.csv"
        ),
        max_failures=None,
        max_failure_ratio=0.01,  # a few refused rows are reported, not fatal; more than 1 % fails the shard
        pool="hubspot_api",
        map_index_template="shard {{ task.shard_index }}",
    ).expand(shard_index=list(range(SHARDS)))
    table >> link

    @task
    def report(summaries: list[dict]) -> dict:
        """One line for the whole backfill, summed over the shards."""
        summaries = list(summaries)
        total = {key: sum(s[key] for s in summaries) for key in ("total", "succeeded", "failed", "skipped", "requests")}
        total["shards"] = len(summaries)
        total["failures"] = [f for s in summaries for f in s["failures_sample"]][:10]
        total["failures_files"] = [s["failures_path"] for s in summaries if s["failed"]]
        print(
            f"Backfill: linked {total['succeeded']:,} of {total['total']:,} pairs over {len(summaries)} shards "
            f"in {total['requests']} requests; {total['failed']} refused"
        )
        return total

    report(link.output)
