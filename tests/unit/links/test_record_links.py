"""Links from a task to HubSpot: the URL of each case, and the link of a real DAG run as Airflow's UI gets it."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_hubassoc import get_provider_info
from airflow_provider_hubassoc._compat import AIRFLOW_V_3_0_PLUS
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


def test_providers_manager_knows_the_link_class() -> None:
    from airflow.providers_manager import ProvidersManager

    assert LINK_CLASS in ProvidersManager().extra_links_class_names


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


def test_no_link_without_a_portal_id() -> None:
    unnamed = HubSpotCreateAssociationsOperator(
        task_id="t", from_object_type="contacts", to_object_type="companies", pairs=[[1, 2]]
    )
    assert HubSpotRecordsLink().get_link(unnamed, ti_key=None) == ""


DAG_SOURCE = """
import pendulum
try:  # Airflow 3
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.10 / 2.11
    from airflow import DAG
from airflow_provider_hubassoc.operators.associations import (
    HubSpotCreateAssociationsOperator,
    HubSpotReadAssociationsOperator,
)

with DAG("crm_record_links", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
    link = HubSpotCreateAssociationsOperator(task_id="link", from_object_type="contacts", to_object_type="companies",
                                             pairs=[[1, 10], [2, 20]], portal_id=12345)
    read = HubSpotReadAssociationsOperator(task_id="read", from_object_type="contacts", to_object_type="companies",
                                           record_ids=[2], portal_id="12345")
    anonymous = HubSpotCreateAssociationsOperator(task_id="anonymous", from_object_type="deals",
                                                  to_object_type="companies", pairs=[[3, 30]])
    link >> read
"""


def _links_as_the_ui_sees_them(run: Any, dag_id: str) -> dict[str, str | None]:
    """Each task's link, read the way Airflow's UI reads it: from the serialized DAG, for the run's task instance
    (Airflow 3: the URL the worker stored when the task ended; Airflow 2: the link asked now)."""
    from airflow.models.serialized_dag import SerializedDagModel
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        dag = SerializedDagModel.get_dag(dag_id, session=session)
        tis = session.query(TaskInstance).filter_by(dag_id=dag_id, run_id=run.run_id).all()
        return {ti.task_id: dag.get_task(ti.task_id).get_extra_links(ti, LINK) for ti in tis}


def test_a_dag_run_links_each_task_to_the_records_it_touched(dag_runner, hubspot_emulator) -> None:
    from dag_support import dag_bag

    path = dag_runner.write(DAG_SOURCE, "crm_record_links")
    if not AIRFLOW_V_3_0_PLUS:  # Airflow 2's dag.test() does not store the serialized DAG the UI reads
        dag_bag(path).sync_to_db()
    run = dag_runner.run(path, "crm_record_links")
    assert dag_runner.states(run) == {"link": "success", "read": "success", "anonymous": "success"}
    assert {row["from_id"] for row in dag_runner.xcom(run, "read")["rows"]} == {2}
    links = _links_as_the_ui_sees_them(run, "crm_record_links")
    assert links == {
        "link": "https://app.hubspot.com/contacts/12345/objects/0-1/views/all/list",  # many records: the list
        "read": "https://app.hubspot.com/contacts/12345/record/0-1/2",  # one record: its page
        "anonymous": "",  # no portal id: no link rather than a wrong one
    }
    if AIRFLOW_V_3_0_PLUS:  # the worker kept the URL in XCom when the task ended (stored as is, not as JSON)
        from airflow.models.xcom import XComModel
        from airflow.utils.session import create_session

        with create_session() as session:
            row = session.query(XComModel).filter_by(run_id=run.run_id, task_id="read", key="_link_HubSpotRecordsLink")
            assert links["read"] in str(row.one().value)
