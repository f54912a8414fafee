"""Assets and OpenLineage: outlets declared, counts on the asset events of a real run, a downstream DAG queued."""

from __future__ import annotations

from airflow_provider_hubassoc.assets import hubspot_associations_asset
from airflow_provider_hubassoc.operators.associations import (
    HubSpotCreateAssociationsOperator,
    HubSpotReadAssociationsOperator,
    HubSpotSyncAssociationsOperator,
)
from airflow_provider_hubassoc.operators.labels import HubSpotSyncLabelsOperator

PAIR_URI = "hubspot://hubspot_default/associations/contacts/companies"


def test_each_writing_operator_declares_the_pair_it_changes_and_the_export_its_output(tmp_path):
    link = HubSpotCreateAssociationsOperator(
        task_id="link", from_object_type="contact", to_object_type="0-2", input_path=str(tmp_path / "pairs.csv")
    )
    assert [a.uri for a in link.outlets] == [PAIR_URI]
    assert [a.uri for a in link.inlets] == [f"file://{tmp_path}/pairs.csv"]
    sync = HubSpotSyncAssociationsOperator(
        task_id="sync", from_object_type="deals", to_object_type="companies", pairs=[[1, 2]], portal_id=12345
    )
    assert [a.uri for a in sync.outlets] == ["hubspot://12345/associations/deals/companies"]
    assert sync.outlets[0] == hubspot_associations_asset("deals", "companies", portal="12345")
    assert (
        HubSpotCreateAssociationsOperator(
            task_id="plan", from_object_type="contacts", dry_run=True, to_object_type="companies", pairs=[[1, 2]]
        ).outlets
        == []
    )
    templated = HubSpotCreateAssociationsOperator(
        task_id="t", from_object_type="{{ params.f }}", to_object_type="companies", pairs=[[1, 2]]
    )
    assert templated.outlets == []  # no URI before the run: the DAG author passes outlets= if needed

    labels = HubSpotSyncLabelsOperator(
        task_id="labels",
        definitions=[
            {"from_object_type": "contacts", "to_object_type": "companies", "name": "billing", "label": "Billing"},
            {"from_object_type": "deals", "to_object_type": "contacts", "name": "signer", "label": "Signer"},
        ],
    )
    assert [a.uri for a in labels.outlets] == [
        "hubspot://hubspot_default/labels/contacts/companies",
        "hubspot://hubspot_default/labels/deals/contacts",
    ]

    export = HubSpotReadAssociationsOperator(
        task_id="export",
        from_object_type="contacts",
        to_object_type="companies",
        record_ids=[1],
        output_path="s3://aws_default@lake/crm/contact_company.jsonl",
        sql_conn_id="warehouse",
        table="crm.contact_company",
    )
    assert [a.uri for a in export.inlets] == [PAIR_URI]
    assert [a.uri for a in export.outlets] == [
        "s3://lake/crm/contact_company.jsonl",
        "sql://warehouse/crm.contact_company",
    ]
