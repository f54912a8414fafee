"""Backfill: link every contact to its company straight from a warehouse table, fanned out over Airflow workers.

``extract`` stands in for your warehouse's own table: it fills a table of this run's own
(``contact_company_<run id>``, so two runs at once never read each other's rows) in the database behind the
Airflow connection ``warehouse`` (the demo points it at an embedded SQLite file; in production a Postgres,
Snowflake, BigQuery... connection), and ``drop_table`` removes it when the run ends, failed or not (a teardown).
The link task is mapped over ``SHARDS`` disjoint shards of the query's rows (split by contact id,
``contact_id % SHARDS``, so all writes to one pair stay in one shard and in order); the operator wraps the query so
each shard reads only its own rows, validates every row before writing, links in batches of 1,000, and writes
refused rows with HubSpot's reasons to a failures file. ``retries`` lets a shard whose worker died resume from its
checkpoint (keep ``[hubspot] checkpoint_path`` on storage every worker sees). An Airflow pool bounds how many shards run at once; the shards share the app's 10-second window
by themselves, from HubSpot's rate-limit headers, so nobody divides ``requests_per_10_seconds`` by hand.
Create the pool once: ``airflow pools set hubspot_api 4 "HubSpot API calls"``.
Re-running is safe: links are idempotent.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
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


def run_table(run_id: str) -> str:
    """This run's table: ``contact_company_`` and the run id in lowercase letters, digits and ``_`` (a name every
    database takes unquoted), cut to PostgreSQL's 63 characters."""
    return ("contact_company_" + re.sub(r"[^a-z0-9]+", "_", run_id.lower()))[:63]


with DAG(
    dag_id="example_hubspot_backfill",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={"rows": 20_000},
    tags=["hubspot", "example"],
    doc_md=__doc__,
    user_defined_macros={"run_table": run_table},
):

    @task
    def extract(params: dict | None = None, run_id: str | None = None) -> int:
        """Stand-in for the warehouse table: contact i works at company 900000 + i % 250; the last row names
        a company HubSpot does not have, to show how a refused row is reported."""
        rows = int((params or {}).get("rows", 20_000))
        name = run_table(str(run_id))
        warehouse = BaseHook.get_connection(WAREHOUSE).get_hook()
        warehouse.run(  # a retry of this task starts the table afresh
            [f"DROP TABLE IF EXISTS {name}", f"CREATE TABLE {name} (contact_id BIGINT, company_id BIGINT)"],
            autocommit=True,
        )
        pairs = [(contact, 900_000 + contact % 250) for contact in range(1, rows)] + [(rows, 10**13)]
        warehouse.insert_rows(
            name, pairs, target_fields=["contact_id", "company_id"], commit_every=10_000, executemany=True
        )
        return rows

    table = extract()

    link = HubSpotCreateAssociationsOperator.partial(
        task_id="link_contacts_to_companies",
        from_object_type="contacts",
        to_object_type="companies",
        # the operator adds "contact_id % 4 = <shard>" to this query: each shard reads only its rows
        sql="SELECT contact_id, company_id FROM {{ run_table(run_id) }} ORDER BY contact_id",
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
        retries=3,  # a shard whose worker died resumes from its checkpoint on the next try
        retry_delay=timedelta(seconds=30),
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

    @task
    def drop_table(run_id: str | None = None) -> None:
        """This run's table is no longer needed once every shard is done (or has given up)."""
        BaseHook.get_connection(WAREHOUSE).get_hook().run(
            f"DROP TABLE IF EXISTS {run_table(str(run_id))}", autocommit=True
        )

    report(link.output) >> drop_table().as_teardown(setups=table)
