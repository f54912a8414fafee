"""Labels as code: keep association label definitions in the DAG's repository and use their type ids downstream.

``HubSpotSyncLabelsOperator`` creates the labels that are missing, updates changed texts (``previous_labels``
turns a rename into an update) and, with ``prune=True``, deletes labels of these object pairs that are not listed.
It logs the plan before writing and a second run writes nothing. It returns ``{name: type id}``, which the next
task reads to link records with one of the labels; labels a pair already has are kept.
"""

from __future__ import annotations

import pendulum

try:  # Airflow 3
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.10 / 2.11
    from airflow import DAG

from airflow_provider_hubassoc.operators.associations import HubSpotCreateAssociationsOperator
from airflow_provider_hubassoc.operators.labels import HubSpotSyncLabelsOperator

LABELS = [
    {
        "from_object_type": "contacts",
        "to_object_type": "companies",
        "name": "decision_maker",
        "label": "Decision maker",
    },
    {
        "from_object_type": "contacts",
        "to_object_type": "companies",
        "name": "billing_owner",
        "label": "Billing owner",
        "previous_labels": ["Billing"],
    },
    {
        "from_object_type": "deals",
        "to_object_type": "contacts",
        "name": "deal_champion",
        "label": "Champion",
        "inverse_label": "Champion of deal",
    },
]

with DAG(
    dag_id="example_hubspot_labels_as_code",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["hubspot", "example"],
    doc_md=__doc__,
):
    sync_labels = HubSpotSyncLabelsOperator(task_id="sync_labels", definitions=LABELS, prune=False)

    tag_decision_makers = HubSpotCreateAssociationsOperator(
        task_id="tag_decision_makers",
        from_object_type="contacts",
        to_object_type="companies",
        pairs=[[1, 900_001], [2, 900_002], [3, 900_003]],
        labels="{{ ti.xcom_pull(task_ids='sync_labels')['decision_maker'] }}",
    )

    sync_labels >> tag_decision_makers
