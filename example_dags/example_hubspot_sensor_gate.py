"""Gate warehouse work on CRM state: wait until the deals of today's load are associated with a company.

``HubSpotAssociationSensor`` with ``deferrable=True`` hands the wait to Airflow's triggerer, so no worker slot is
held while sales reps finish their data entry. When every deal has at least one company association, the
warehouse task runs; if they are still missing at the timeout, ``soft_fail=True`` skips today's refresh instead
of failing the DAG.

The deals to wait for are a DAG param (``deal_ids``; in production an XCom of today's load). The wait is short
here (``WAIT_SECONDS``, 20 s, polled every 5 s) so the example finishes within a minute even when nothing links
the deals: it is then skipped, not failed. In production set ``timeout`` to your data-entry window (hours) and
``poke_interval`` to minutes: the triggerer, not a worker, holds the wait. Schedule: ``@daily`` with
``catchup=False``: unpausing starts one run for the latest complete day at once, and no backfill.
"""

from __future__ import annotations

import pendulum

try:  # Airflow 3
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2.10 / 2.11
    from airflow import DAG
    from airflow.decorators import task

from airflow_provider_hubassoc.sensors.associations import HubSpotAssociationSensor

WAIT_SECONDS = 20  # production: your data-entry window, e.g. 6 * 3600
POLL_SECONDS = 5  # production: minutes

with DAG(
    dag_id="example_hubspot_sensor_gate",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,  # first run: the latest complete day, right after unpausing
    params={"deal_ids": [1001, 1002]},
    tags=["hubspot", "example"],
    doc_md=__doc__,
):
    wait_for_companies = HubSpotAssociationSensor(
        task_id="wait_for_deal_companies",
        from_object_type="deals",
        record_ids="{{ params.deal_ids }}",  # templated: e.g. an XCom of today's deal ids
        to_object_type="companies",
        min_count=1,
        deferrable=True,
        poke_interval=POLL_SECONDS,
        timeout=WAIT_SECONDS,
        soft_fail=True,  # still unlinked at the timeout: skip today's refresh instead of failing the DAG
    )

    @task
    def refresh_deal_revenue_model(ready: dict) -> dict:
        """Stand-in for the warehouse job that needs every deal's company (e.g. a dbt run)."""
        print(f"Deals ready with their companies: {ready}")
        return ready

    refresh_deal_revenue_model(wait_for_companies.output)
