"""The ``hubspot://`` asset scheme: Airflow takes every URI the operators emit, normalises object types, and
refuses a malformed URI with the handler's message (Airflow 3; Airflow 2 warns)."""

from __future__ import annotations

import warnings
from urllib.parse import urlsplit, urlunsplit

import pytest

from airflow_provider_hubassoc._compat import AIRFLOW_V_3_0_PLUS, Asset
from airflow_provider_hubassoc.assets import hubspot_associations_asset, parse_uri, sanitize_uri
from airflow_provider_hubassoc.operators.associations import (
    HubSpotCreateAssociationsOperator,
    HubSpotReadAssociationsOperator,
)
from airflow_provider_hubassoc.operators.labels import HubSpotSyncLabelsOperator


def _sanitized(uri: str) -> str:
    return urlunsplit(sanitize_uri(urlsplit(uri)))


def test_airflow_takes_every_uri_the_operators_emit_unchanged() -> None:
    emitted = [
        *HubSpotCreateAssociationsOperator(
            task_id="a", from_object_type="contact", to_object_type="0-2", pairs=[[1, 2]]
        ).outlets,
        *HubSpotCreateAssociationsOperator(
            task_id="b", from_object_type="2-123", to_object_type="p123_cars", pairs=[[1, 2]], portal_id=12345
        ).outlets,
        *HubSpotReadAssociationsOperator(
            task_id="c",
            from_object_type="line-items",
            to_object_type="deals",
            record_ids=[1],
            hubspot_conn_id="crm.eu-1",
        ).inlets,
        *HubSpotSyncLabelsOperator(
            task_id="d",
            definitions=[{"from_object_type": "deals", "to_object_type": "contacts", "name": "s", "label": "Signer"}],
        ).outlets,
    ]
    uris = [asset.uri for asset in emitted]
    assert uris == [
        "hubspot://hubspot_default/associations/contacts/companies",
        "hubspot://12345/associations/2-123/p123_cars",
        "hubspot://crm.eu-1/associations/line_items/deals",
        "hubspot://hubspot_default/labels/deals/contacts",
    ]
    for uri in uris:
        assert Asset(uri).uri == uri
        assert _sanitized(uri) == uri


def test_a_hand_written_uri_names_the_same_asset_as_the_operators() -> None:
    assert Asset("hubspot://12345/associations/Contact/0-2/").uri == "hubspot://12345/associations/contacts/companies"
    same = hubspot_associations_asset("contacts", "companies", portal="12345")
    assert Asset("HUBSPOT://12345/associations/contact/companies").uri == same.uri
    assert parse_uri("hubspot://12345/labels/0-3/tickets") == ("12345", "labels", "deals", "tickets")


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("hubspot:///associations/contacts/companies", "must contain a portal"),
        ("hubspot://user@12345/associations/contacts/companies", "no user, password or port"),
        ("hubspot://12345:80/associations/contacts/companies", "no user, password or port"),
        ("hubspot://12345/associations/contacts", "hubspot://<portal>/associations/<from>/<to>"),
        ("hubspot://12345/properties/contacts/companies", "hubspot://<portal>/labels/<from>/<to>"),
        ("hubspot://12345/associations/contacts/companies/9", "got path"),
        ("hubspot://12345/associations/con%20tacts/companies", "the from object type"),
        ("hubspot://12345/associations/contacts/companies?limit=1", "takes no query"),
    ],
)
def test_a_malformed_uri_is_refused_naming_what_is_wrong(uri: str, message: str) -> None:
    with pytest.raises(ValueError, match="URI format hubspot://") as raised:
        _sanitized(uri)
    assert message in str(raised.value)
    if AIRFLOW_V_3_0_PLUS:
        with pytest.raises(ValueError, match="URI format hubspot://"):
            Asset(uri)
    else:  # Airflow 2 only warns (unless [core] strict_dataset_uri_validation)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            Asset(uri)
        # Airflow 2 drops a user name itself (saying so) before the handler sees the URI
        expected = "auth info" if "@" in uri else "URI format hubspot://"
        assert any(expected in str(w.message) for w in caught), [str(w.message) for w in caught]
