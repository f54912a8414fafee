"""Links from a task to HubSpot: the URL of each case, and the link of a real DAG run as Airflow's UI gets it."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_hubassoc import get_provider_info
from airflow_provider_hubassoc.links.associations import (
    HubSpotRecordsLink,
    object_list_url,
    record_url,
    single_record,
    task_object_type,
    task_portal_id,
)
from airflow_provider_hubassoc.operators.associations import (
    HubSpotArchiveAssociationsOperator,
    HubSpotCreateAssociationsOperator,
    HubSpotReadAssociationsOperator,
    HubSpotSyncAssociationsOperator,
)
from airflow_provider_hubassoc.operators.labels import HubSpotSyncLabelsOperator
from airflow_provider_hubassoc.sensors.associations import HubSpotAssociationSensor

LINK = "HubSpot records"
LINK_CLASS = "airflow_provider_hubassoc.links.associations.HubSpotRecordsLink"


def test_urls_of_a_record_and_of_an_object_list() -> None:
    assert record_url("12345", "contacts", 51) == "https://app.hubspot.com/contacts/12345/record/0-1/51"
    assert record_url(12345, "2-777", "9") == "https://app.hubspot.com/contacts/12345/record/2-777/9"
    assert object_list_url(12345, "company") == "https://app.hubspot.com/contacts/12345/objects/0-2/views/all/list"


@pytest.mark.parametrize(
    "portal", [None, "", "hubspot_default", "12/../34", "12345?x=1", "0", "-1", "1e5", " ", True, 1.5, "١٢٣"]
)
def test_no_url_without_a_portal_id_of_digits(portal: Any) -> None:
    assert object_list_url(portal, "contacts") == ""
    assert record_url(portal, "contacts", 1) == ""


@pytest.mark.parametrize("object_type", ["p123_cars", "bogus", "{{ params.f }}", "", None, "0-1/../x"])
def test_no_url_for_an_object_type_without_a_known_type_id(object_type: Any) -> None:
    assert object_list_url(12345, object_type) == ""


@pytest.mark.parametrize("record", [None, "", "1/2", "abc", "0", True])
def test_no_record_url_for_an_id_that_is_not_a_record_id(record: Any) -> None:
    assert record_url(12345, "contacts", record) == ""


def test_the_one_record_an_xcom_result_names() -> None:
    assert single_record({"counts": {"51": 2}, "ready": True}) == "51"  # a sensor on one record
    assert single_record({"counts": {"51": 2, "52": 0}, "ready": True}) is None
    rows = [{"from_id": "7", "to_id": "1"}, {"from_id": "7", "to_id": "2"}]
    assert single_record({"rows": rows}) == "7"  # a read of one record into XCom
    assert single_record({"rows": [*rows, {"from_id": "8", "to_id": "1"}]}) is None
    assert single_record({"total": 3, "succeeded": 3}) is None  # a bulk write names no record
    assert single_record({"counts": {"../x": 1}}) is None
    assert single_record(None) is None


def test_every_operator_and_the_sensor_carry_the_link_and_the_provider_registers_it() -> None:
    for cls in (
        HubSpotReadAssociationsOperator,
        HubSpotCreateAssociationsOperator,
        HubSpotArchiveAssociationsOperator,
        HubSpotSyncAssociationsOperator,
        HubSpotSyncLabelsOperator,
        HubSpotAssociationSensor,
    ):
        assert [link.name for link in cls.operator_extra_links] == [LINK], cls
    assert get_provider_info()["extra-links"] == [LINK_CLASS]


def test_portal_and_object_type_of_a_task() -> None:
    create = HubSpotCreateAssociationsOperator(
        task_id="link", from_object_type="deal", to_object_type="companies", pairs=[[1, 2]], portal_id=12345
    )
    assert (task_portal_id(create), task_object_type(create)) == ("12345", "deals")
    labels = HubSpotSyncLabelsOperator(
        task_id="labels",
        portal_id="12345",
        definitions=[
            {"from_object_type": "tickets", "to_object_type": "companies", "name": "billing", "label": "Billing"},
            {"from_object_type": "deals", "to_object_type": "contacts", "name": "signer", "label": "Signer"},
        ],
    )
    assert (task_portal_id(labels), task_object_type(labels)) == ("12345", "tickets")  # the first pair
    unnamed = HubSpotCreateAssociationsOperator(
        task_id="t", from_object_type="contacts", to_object_type="companies", pairs=[[1, 2]]
    )
    assert task_portal_id(unnamed) is None  # its asset URIs name the connection, not an account
    numeric_conn = HubSpotCreateAssociationsOperator(
        task_id="n", hubspot_conn_id="4242", from_object_type="contacts", to_object_type="companies", pairs=[[1, 2]]
    )
    assert task_portal_id(numeric_conn) is None  # a connection id of digits is still no portal id
    odd = HubSpotCreateAssociationsOperator(
        task_id="o", from_object_type="contacts", to_object_type="companies", pairs=[[1, 2]], portal_id="12a"
    )
    assert task_portal_id(odd) is None
    sensor = HubSpotAssociationSensor(
        task_id="s", from_object_type="contacts", record_ids=[1], to_object_type="companies"
    )
    assert (task_portal_id(sensor), task_object_type(sensor)) == (None, "contacts")
    watching = HubSpotAssociationSensor(
        task_id="w", from_object_type="deals", record_ids=[7], to_object_type="companies", portal_id=12345
    )
    assert (task_portal_id(watching), task_object_type(watching)) == ("12345", "deals")
    # the sensor's XCom result counts per watched record: one record -> its page in the account
    assert record_url(task_portal_id(watching), "deals", single_record({"counts": {"7": 1}})) == (
        "https://app.hubspot.com/contacts/12345/record/0-3/7"
    )


def test_no_link_without_a_portal_id() -> None:
    unnamed = HubSpotCreateAssociationsOperator(
        task_id="t", from_object_type="contacts", to_object_type="companies", pairs=[[1, 2]]
    )
    assert HubSpotRecordsLink().get_link(unnamed, ti_key=None) == ""
