"""Gate warehouse work on CRM state: wait until the deals of today's load are associated with a company.

``HubSpotAssociationSensor`` with ``deferrable=True`` hands the wait to Airflow's triggerer, so no worker slot is
held while sales reps finish their data entry. When every deal has at least one company association, the
warehouse task runs; if they are still missing at the timeout, ``soft_fail=True`` skips today's refresh instead
of failing the DAG.
"""

from __future__ import annotations

import pendulum

from airflow.sdk import DAG, task

from airflow_provider_hubassoc.sensors.associations import HubSpotAssociationSensor

with DAG(
    dag_id="example_hubspot_sensor_gate",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["hubspot", "example"],
    doc_md=__doc__,
):
    wait_for_companies = HubSpotAssociationSensor(
        task_id="wait_for_deal_companies",
        from_object_type="deals",
        record_ids=[1001, 1002],  # templated: e.g. an XCom of today's deal ids
        to_object_type="companies",
        min_count=1,
        deferrable=True,
        poke_interval=2,
        timeout=600,
        soft_fail=True,
    )

    @task
    def refresh_deal_revenue_model(ready: dict) -> dict:
        """Stand-in for the warehouse job that needs every deal's company (e.g. a dbt run)."""
        print(f"Deals ready with their companies: {ready}")
        return ready

    refresh_deal_revenue_model(wait_for_companies.output)
