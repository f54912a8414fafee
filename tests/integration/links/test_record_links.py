"""Links from a task to HubSpot: the URL of each case, and the link of a real DAG run as Airflow's UI gets it."""

from __future__ import annotations

from typing import Any

from airflow_provider_hubassoc._compat import AIRFLOW_V_3_0_PLUS

LINK = "HubSpot records"
LINK_CLASS = "airflow_provider_hubassoc.links.associations.HubSpotRecordsLink"


def test_providers_manager_knows_the_link_class() -> None:
    from airflow.providers_manager import ProvidersManager

    assert LINK_CLASS in ProvidersManager().extra_links_class_names


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
