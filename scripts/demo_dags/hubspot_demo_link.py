"""Demo DAG run by ``python3 dev.py demo``: link a warehouse extract of contact→company pairs in HubSpot.

Three TaskFlow tasks over :class:`HubSpotAssociationsHook` (connection ``hubspot_default``):
make sure the label exists, bulk link every row of the extract with that label (streamed, chunked, rate
limited), then read the links back and count them. The demo points ``hubspot_default`` at the bundled emulator.
"""

from __future__ import annotations

import csv
import os

import pendulum

from airflow.sdk import dag, task

EXTRACT = os.environ.get("HUBASSOC_DEMO_EXTRACT", "/tmp/hubassoc-demo-extract.csv")
LABEL = "Billing contact"


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, tags=["hubspot", "demo"])
def hubspot_demo_link():
    @task
    def ensure_label() -> int:
        from airflow_provider_hubassoc.exceptions import HubSpotInputError
        from airflow_provider_hubassoc.hooks.associations import HubSpotAssociationsHook

        hook = HubSpotAssociationsHook()
        try:
            return hook.get_label("contacts", "companies", LABEL).type_id
        except HubSpotInputError:
            created = hook.create_label("contacts", "companies", name="billing_contact", label=LABEL)
            return next(t.type_id for t in created if t.label == LABEL)

    @task
    def link(type_id: int) -> dict:
        from airflow_provider_hubassoc.hooks.associations import HubSpotAssociationsHook

        with open(EXTRACT, newline="") as handle:
            rows = ((row["contact_id"], row["company_id"]) for row in csv.DictReader(handle))
            result = HubSpotAssociationsHook().create_associations(
                "contacts", "companies", rows, labels=[type_id], on_failure="collect"
            )
        return {k: v for k, v in result.as_dict().items() if k != "failures"} | {
            "failures": [f.as_dict() for f in result.failures[:5]]
        }

    @task
    def verify(summary: dict) -> dict:
        from airflow_provider_hubassoc.hooks.associations import HubSpotAssociationsHook

        with open(EXTRACT, newline="") as handle:
            contact_ids = sorted({int(row["contact_id"]) for row in csv.DictReader(handle)})
        rows = list(HubSpotAssociationsHook().iter_read_associations("contacts", "companies", contact_ids))
        labeled = sum(1 for row in rows if LABEL in row.labels)
        return {"linked": summary, "associations_read_back": len(rows), "with_label": labeled}

    verify(link(ensure_label()))


hubspot_demo_link()
