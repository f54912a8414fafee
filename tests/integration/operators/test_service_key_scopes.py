"""An operator run with a service key that lacks a scope fails with an error naming the scopes to add."""

from __future__ import annotations

import json

import pytest

from airflow_provider_hubassoc._compat import AirflowFailException
from airflow_provider_hubassoc.exceptions import HubSpotMissingScopesError
from airflow_provider_hubassoc.operators.associations import HubSpotCreateAssociationsOperator
from airflow_provider_hubassoc.operators.labels import HubSpotSyncLabelsOperator

KEY = "svc-operator-key-never-logged"


@pytest.fixture
def read_only_key(hubspot_emulator, monkeypatch) -> str:
    hubspot_emulator.add_token(KEY, scopes=["crm.objects.contacts.read", "crm.objects.companies.read"])
    connection = {"conn_type": "hubspot", "host": hubspot_emulator.base_url, "password": KEY}
    monkeypatch.setenv("AIRFLOW_CONN_HUBSPOT_SVC", json.dumps(connection))
    return "hubspot_svc"


def test_link_operator_names_the_write_scopes_a_read_only_key_lacks(hubspot_emulator, read_only_key, caplog) -> None:
    operator = HubSpotCreateAssociationsOperator(
        task_id="link",
        hubspot_conn_id=read_only_key,
        from_object_type="contacts",
        to_object_type="companies",
        pairs=[[1, 501]],
    )
    with pytest.raises(HubSpotMissingScopesError) as raised:
        operator.execute({})
    assert raised.value.required_scopes == ["crm.objects.contacts.write", "crm.objects.companies.write"]
    assert (
        "the credential lacks scopes crm.objects.contacts.write, crm.objects.companies.write; add them to the "
        "service key" in str(raised.value)
    )
    assert KEY not in str(raised.value) + caplog.text
    assert hubspot_emulator.associations("contacts", 1, "companies") == {}


def test_label_sync_names_the_schema_scopes_a_read_only_key_lacks(hubspot_emulator, read_only_key) -> None:
    operator = HubSpotSyncLabelsOperator(
        task_id="labels",
        hubspot_conn_id=read_only_key,
        definitions=[
            {"from_object_type": "contacts", "to_object_type": "companies", "name": "billing", "label": "Billing"}
        ],
    )
    # each label change is tried and the task fails naming every refusal, scopes included
    with pytest.raises(AirflowFailException) as raised:
        operator.execute({})
    message = str(raised.value)
    assert message.startswith("1 label change(s) failed (the others were applied): create contacts→companies billing")
    assert (
        " -- the credential lacks scopes crm.schemas.contacts.write, crm.schemas.companies.write; add them to the "
        "service key (or private app, or the OAuth app's scopes) and try again"
    ) in message
    assert KEY not in message
    assert [x for x in hubspot_emulator.labels("contacts", "companies") if x["category"] == "USER_DEFINED"] == []
