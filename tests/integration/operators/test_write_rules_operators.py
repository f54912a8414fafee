"""The 2026-09 write rules at the operators (reference §20.4): rows refused for a permission land in the failures
file with HubSpot's category and message while the other rows are linked; a refusal of the whole request fails
the task with HubSpot's message naming the permission. The emulator's ``association_permission_rule`` stands in
for HubSpot's unknown refusal shapes (§20.10 item 5)."""

from __future__ import annotations

import csv
import json
from typing import Any

import pytest
from operator_support import FakeTaskInstance as FakeTI

from airflow_provider_hubassoc._compat import AirflowFailException
from airflow_provider_hubassoc.exceptions import HubSpotAuthError
from airflow_provider_hubassoc.operators.associations import (
    HubSpotArchiveAssociationsOperator,
    HubSpotCreateAssociationsOperator,
)

SUB = "crm.associations.USER_DOES_NOT_HAVE_PERMISSIONS"


def _companies(emulator: Any, contact: int) -> list[int]:
    return sorted(emulator.associations("contacts", contact, "companies"))


def test_link_puts_permission_refused_rows_in_the_failures_file_and_links_the_rest(
    hubspot_connection, hubspot_emulator, tmp_path
):
    hubspot_emulator.configure(association_permission_rule="refuse_inputs", association_permission_from_ids=[2])
    failures = tmp_path / "failures.jsonl"
    link = HubSpotCreateAssociationsOperator(
        task_id="link",
        from_object_type="contacts",
        to_object_type="companies",
        pairs=[[1, 501], [2, 502], [3, 503], [2, 504]],
        labels="Primary",
        failures_path=str(failures),
        max_failures=None,
        api_version="2026-09",
    )
    summary = link.execute({"ti": FakeTI()})
    assert (summary["total"], summary["succeeded"], summary["failed"]) == (4, 2, 2)
    rows = [json.loads(line) for line in failures.read_text().splitlines()]
    assert [(r["row"], r["from_id"], r["to_id"], r["status"], r["category"], r["sub_category"]) for r in rows] == [
        (2, 2, 502, 207, "VALIDATION_ERROR", SUB),
        (4, 2, 504, 207, "VALIDATION_ERROR", SUB),
    ]
    assert rows[0]["message"] == (
        "The user does not have the 'Edit Associations' permission: associations of CONTACT 2 with COMPANY 502 "
        "cannot be changed."
    )
    assert rows[0]["operation"] == rows[1]["operation"] == "create"
    assert (_companies(hubspot_emulator, 1), _companies(hubspot_emulator, 2), _companies(hubspot_emulator, 3)) == (
        [501],
        [],
        [503],
    )


def test_unlink_puts_permission_refused_rows_in_the_failures_file(hubspot_connection, hubspot_emulator, tmp_path):
    for contact, company in ((1, 501), (2, 502)):
        hubspot_emulator.associate("contacts", contact, "companies", company)
    hubspot_emulator.configure(association_permission_rule="refuse_inputs", association_permission_from_ids=[2])
    failures = tmp_path / "failures.jsonl"
    unlink = HubSpotArchiveAssociationsOperator(
        task_id="unlink",
        from_object_type="contacts",
        to_object_type="companies",
        pairs=[[1, 501], [2, 502]],
        failures_path=str(failures),
        max_failures=None,
        api_version="2026-09",
    )
    summary = unlink.execute({"ti": FakeTI()})
    assert (summary["succeeded"], summary["failed"]) == (1, 1)
    (row,) = [json.loads(line) for line in failures.read_text().splitlines()]
    assert (row["row"], row["to_id"], row["status"], row["category"], row["sub_category"]) == (
        2,
        502,
        200,
        "VALIDATION_ERROR",
        SUB,
    )
    assert (_companies(hubspot_emulator, 1), _companies(hubspot_emulator, 2)) == ([], [502])


def test_link_fails_with_hubspots_message_when_the_whole_request_is_refused(hubspot_connection, hubspot_emulator):
    hubspot_emulator.configure(association_permission_rule="refuse_request")
    link = HubSpotCreateAssociationsOperator(
        task_id="link",
        from_object_type="contacts",
        to_object_type="companies",
        pairs=[[1, 501], [2, 502]],
        api_version="2026-09",
    )
    with pytest.raises(HubSpotAuthError) as caught:
        link.execute({"ti": FakeTI()})
    text = str(caught.value)
    assert text.startswith(
        "HubSpot 403 USER_DOES_NOT_HAVE_PERMISSIONS on POST /crm/associations/2026-09/0-1/0-2/batch/associate/default: "
        "This request needs the 'Edit Associations' permission"
    )
    assert f"[correlationId={caught.value.correlation_id}]" in text
    assert hubspot_emulator.counters()["batch.associate_default"] == {"403": 1}
    assert _companies(hubspot_emulator, 1) == [] and _companies(hubspot_emulator, 2) == []


def test_in_a_dag_a_permission_refused_row_fails_the_task_and_lands_in_the_failures_file(
    dag_runner, hubspot_emulator, tmp_path
):
    hubspot_emulator.configure(association_permission_rule="refuse_inputs", association_permission_from_ids=[2])
    run = dag_runner.run(
        f"""
        import pendulum
        try:  # Airflow 3
            from airflow.sdk import DAG
        except ImportError:  # Airflow 2
            from airflow import DAG
        from airflow_provider_hubassoc.operators.associations import HubSpotCreateAssociationsOperator

        with DAG("op_link_permission", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
            HubSpotCreateAssociationsOperator(
                task_id="link", from_object_type="contacts", to_object_type="companies",
                pairs=[[1, 501], [2, 502], [3, 503]], api_version="2026-09",
                failures_path="{tmp_path}/failures.csv",
            )
        """,
        "op_link_permission",
    )
    assert dag_runner.states(run) == {"link": "failed"}  # max_failures=0 by default: one refused row fails it
    assert dag_runner.xcom(run, "link", key="summary")["succeeded"] == 2
    with open(tmp_path / "failures.csv") as handle:
        (row,) = list(csv.DictReader(handle))
    assert (row["row"], row["from_id"], row["to_id"], row["category"], row["sub_category"]) == (
        "2",
        "2",
        "502",
        "VALIDATION_ERROR",
        SUB,
    )
    assert "'Edit Associations' permission" in row["message"]
    assert (_companies(hubspot_emulator, 1), _companies(hubspot_emulator, 3)) == ([501], [503])


def test_the_default_policy_fails_the_task_naming_the_refused_row(hubspot_connection, hubspot_emulator):
    hubspot_emulator.configure(association_permission_rule="refuse_inputs", association_permission_from_ids=[2])
    link = HubSpotCreateAssociationsOperator(
        task_id="link",
        from_object_type="contacts",
        to_object_type="companies",
        pairs=[[1, 501], [2, 502]],
        api_version="2026-09",
    )
    with pytest.raises(AirflowFailException, match=r"first: row 2 2->502: VALIDATION_ERROR The user does not have"):
        link.execute({"ti": FakeTI()})
