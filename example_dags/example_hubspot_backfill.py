"""Backfill: link every contact to its company from a warehouse extract, fanned out over Airflow workers.

``extract`` stands in for your warehouse query: it writes the contact→company pairs to a CSV (in production an
``s3://``/``gs://`` location that every worker can read). The link task is mapped over ``SHARDS`` disjoint shards
of that file (split by contact id, so all writes to one pair stay in one shard and in order); each shard validates
its rows before writing, links in batches of 1,000, and writes refused rows with HubSpot's reasons to a failures
file. An Airflow pool bounds how many shards call HubSpot at once, and each shard takes its share of the account's
rate limit (``requests_per_10_seconds``), so all shards together stay under HubSpot's 10-second window.
Create the pool once: ``airflow pools set hubspot_api 4 "HubSpot API calls"``.
Re-running is safe: links are idempotent.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pendulum

try:  # Airflow 3
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2.10 / 2.11
    from airflow import DAG
    from airflow.decorators import task

from airflow_provider_hubassoc.operators.associations import HubSpotCreateAssociationsOperator

DATA_DIR = Path(os.environ.get("HUBASSOC_EXAMPLE_DATA", "/tmp/hubassoc-examples"))
SHARDS = 4
POOL_SLOTS = 4  # the size of the ``hubspot_api`` pool: shards calling HubSpot at once
ACCOUNT_REQUESTS_PER_10_SECONDS = 100  # your HubSpot account's burst limit (100 or 190 for most apps)

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
    def extract(params: dict | None = None, run_id: str | None = None) -> str:
        """Stand-in for the warehouse query: contact i works at company 900000 + i % 250; the last row names
        a company HubSpot does not have, to show how a refused row is reported."""
        rows = int((params or {}).get("rows", 20_000))
        path = DATA_DIR / "backfill" / str(run_id).replace(":", "_") / "contact_company.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["contact_id", "company_id"])
            writer.writerows([contact, 900_000 + contact % 250] for contact in range(1, rows))
            writer.writerow([rows, 10**13])
        return str(path)

    extract_path = extract()

    link = HubSpotCreateAssociationsOperator.partial(
        task_id="link_contacts_to_companies",
        from_object_type="contacts",
        to_object_type="companies",
        input_path=extract_path,
        from_id_column="contact_id",
        to_id_column="company_id",
        shard_count=SHARDS,
        failures_path=str(DATA_DIR / "backfill" / "{{ run_id | replace(':', '_') }}" / "failures"
                          / "shard_{{ ti.map_index }}.csv"),
        max_failures=None,
        max_failure_ratio=0.01,  # a few refused rows are reported, not fatal; more than 1 % fails the shard
        pool="hubspot_api",
        hook_params={"requests_per_10_seconds": ACCOUNT_REQUESTS_PER_10_SECONDS // POOL_SLOTS},
        map_index_template="shard {{ task.shard_index }}",
    ).expand(shard_index=list(range(SHARDS)))

    @task
    def report(summaries: list[dict]) -> dict:
        """One line for the whole backfill, summed over the shards."""
        summaries = list(summaries)
        total = {key: sum(s[key] for s in summaries) for key in ("total", "succeeded", "failed", "skipped", "requests")}
        total["shards"] = len(summaries)
        total["failures"] = [f for s in summaries for f in s["failures_sample"]][:10]
        total["failures_files"] = [s["failures_path"] for s in summaries if s["failed"]]
        print(f"Backfill: linked {total['succeeded']:,} of {total['total']:,} pairs over {len(summaries)} shards "
              f"in {total['requests']} requests; {total['failed']} refused")
        return total

    report(link.output)
