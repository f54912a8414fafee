"""HubSpotSyncLabelsOperator (labels as code) against the emulator: execute() directly, and one real DAG run."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest

from airflow_provider_hubassoc._compat import AirflowFailException
from airflow_provider_hubassoc.operators.labels import HubSpotSyncLabelsOperator


def label(name: str, text: str, *, pair: tuple[str, str] = ("contacts", "companies"), **extra: Any) -> dict[str, Any]:
    """One label definition (contacts→companies unless ``pair`` says otherwise)."""
    return {"from_object_type": pair[0], "to_object_type": pair[1], "name": name, "label": text, **extra}


DECIDER = label("decision_maker", "Decision maker")
PARENT = label("parent_contact", "Parent", inverse_label="Child")


def sync(definitions: Any, **kwargs: Any) -> tuple[dict[str, int | None], dict[str, Any]]:
    """Run the operator; returns (return value, the other XComs it pushed by key)."""
    ti = mock.Mock(spec=["xcom_push"])
    returned = HubSpotSyncLabelsOperator(task_id="sync_labels", definitions=definitions, **kwargs).execute({"ti": ti})
    return returned, {call.kwargs["key"]: call.kwargs["value"] for call in ti.xcom_push.call_args_list}


def by_text(emulator: Any, f: str = "contacts", t: str = "companies") -> dict[str | None, int]:
    """User-defined labels of one direction as {text: type id}, read from the emulator itself."""
    return {d["label"]: d["typeId"] for d in emulator.labels(f, t) if d["category"] == "USER_DEFINED"}


def label_writes(emulator: Any) -> dict[str, int]:
    """Answered label writes by kind (create/update/delete)."""
    counts = emulator.counters()
    return {
        kind: counts.get(f"labels.{kind}", {}).get("200", 0) + counts.get(f"labels.{kind}", {}).get("204", 0)
        for kind in ("create", "update", "delete")
    }


def test_creates_single_and_paired_labels_and_returns_the_ids_hubspot_gave(hubspot_connection, hubspot_emulator):
    returned, pushed = sync([DECIDER, PARENT])

    forward, backward = by_text(hubspot_emulator), by_text(hubspot_emulator, "companies", "contacts")
    assert returned == {"decision_maker": forward["Decision maker"], "parent_contact": forward["Parent"]}
    assert pushed["inverse_type_ids"] == {"parent_contact": backward["Child"]}
    assert backward["Child"] != forward["Parent"]  # a paired label has its own id per direction
    assert pushed["plan"] == [
        "create contacts→companies decision_maker: 'Decision maker'",
        "create contacts→companies parent_contact: 'Parent' / inverse 'Child'",
    ]
    assert label_writes(hubspot_emulator) == {"create": 2, "update": 0, "delete": 0}


def test_second_run_writes_nothing_and_returns_the_same_ids(hubspot_connection, hubspot_emulator):
    first, first_xcom = sync([DECIDER, PARENT], prune=True)
    writes = hubspot_emulator.write_requests()

    second, second_xcom = sync([DECIDER, PARENT], prune=True)

    assert hubspot_emulator.write_requests() == writes
    assert second == first and second_xcom["inverse_type_ids"] == first_xcom["inverse_type_ids"]
    assert [step.split(" ")[0] for step in second_xcom["plan"]] == ["keep", "keep"]


def test_definitions_as_json_text_or_an_object_with_a_labels_list(hubspot_connection, hubspot_emulator):
    returned, _ = sync(json.dumps([DECIDER]))
    again, _ = sync(json.dumps({"labels": [DECIDER]}))
    assert returned == again == {"decision_maker": by_text(hubspot_emulator)["Decision maker"]}
    assert label_writes(hubspot_emulator)["create"] == 1


def test_a_rename_through_previous_labels_updates_the_same_type_id(hubspot_connection, hubspot_emulator):
    old_id = hubspot_emulator.create_label("contacts", "companies", "decision_maker", "Decider")[0]["typeId"]

    returned, pushed = sync([{**DECIDER, "previous_labels": ["Old name", "decider"]}])

    assert returned == {"decision_maker": old_id}
    assert by_text(hubspot_emulator) == {"Decision maker": old_id}
    assert pushed["plan"] == [
        f"update contacts→companies decision_maker (type id {old_id}): 'Decider' -> 'Decision maker'"
    ]
    assert label_writes(hubspot_emulator) == {"create": 0, "update": 1, "delete": 0}


def test_a_rename_through_type_id_and_an_unknown_type_id(hubspot_connection, hubspot_emulator):
    old_id = hubspot_emulator.create_label("contacts", "companies", "decision_maker", "Something else")[0]["typeId"]

    returned, _ = sync([{**DECIDER, "type_id": old_id}])
    assert returned == {"decision_maker": old_id} and by_text(hubspot_emulator) == {"Decision maker": old_id}

    writes = hubspot_emulator.write_requests()
    with pytest.raises(
        AirflowFailException,
        match=r"definitions\[0\] \(decision_maker\): no user-defined label "
        r"with type id 999",
    ):
        sync([{**DECIDER, "type_id": 999}])
    assert hubspot_emulator.write_requests() == writes


def test_a_case_only_change_of_the_text_is_an_update(hubspot_connection, hubspot_emulator):
    old_id = hubspot_emulator.create_label("contacts", "companies", "decision_maker", "DECISION MAKER")[0]["typeId"]
    returned, _ = sync([DECIDER])
    assert returned == {"decision_maker": old_id} and by_text(hubspot_emulator) == {"Decision maker": old_id}


def test_a_changed_inverse_text_is_an_update_and_the_inverse_id_is_still_returned(hubspot_connection, hubspot_emulator):
    created = {
        d["label"]: d["typeId"]
        for d in hubspot_emulator.create_label("contacts", "companies", "parent_contact", "Parent", "Kid")
    }

    returned, pushed = sync([PARENT])

    assert returned == {"parent_contact": created["Parent"]}
    assert by_text(hubspot_emulator, "companies", "contacts") == {"Child": created["Kid"]}
    assert pushed["plan"][0].startswith(f"update contacts→companies parent_contact (type id {created['Parent']})")
    assert pushed["inverse_type_ids"] == {"parent_contact": created["Kid"]}
    writes = hubspot_emulator.write_requests()
    assert sync([PARENT])[1]["inverse_type_ids"] == {"parent_contact": created["Kid"]}
    assert hubspot_emulator.write_requests() == writes


def test_prune_false_keeps_labels_that_are_not_defined(hubspot_connection, hubspot_emulator):
    legacy = hubspot_emulator.create_label("contacts", "companies", "legacy", "Legacy")[0]["typeId"]
    _returned, pushed = sync([DECIDER])
    assert by_text(hubspot_emulator)["Legacy"] == legacy
    assert not any(step.startswith("delete") for step in pushed["plan"])
    assert label_writes(hubspot_emulator)["delete"] == 0


def test_prune_deletes_extras_of_the_managed_pairs_only(hubspot_connection, hubspot_emulator):
    legacy = hubspot_emulator.create_label("contacts", "companies", "legacy", "Legacy")[0]["typeId"]
    hubspot_emulator.create_label("deals", "companies", "legacy_deal", "Legacy deal")
    hubspot_emulator.create_label("contacts", "deals", "legacy_contact", "Legacy contact", "Legacy deal side")
    hubspot_defined = [d for d in hubspot_emulator.labels("contacts", "companies") if d["category"] != "USER_DEFINED"]

    returned, pushed = sync([DECIDER, PARENT], prune=True)

    assert by_text(hubspot_emulator) == {
        "Decision maker": returned["decision_maker"],
        "Parent": returned["parent_contact"],
    }
    assert "Child" in by_text(hubspot_emulator, "companies", "contacts")  # the managed label's inverse stays
    assert set(by_text(hubspot_emulator, "deals", "companies")) == {"Legacy deal"}
    assert set(by_text(hubspot_emulator, "contacts", "deals")) == {"Legacy contact"}
    assert [
        d for d in hubspot_emulator.labels("contacts", "companies") if d["category"] != "USER_DEFINED"
    ] == hubspot_defined  # Primary and unlabeled are never touched
    assert (
        f"delete contacts→companies label 'Legacy' (type id {legacy}): not in the definitions (prune=True)"
        in pushed["plan"]
    )
    assert label_writes(hubspot_emulator)["delete"] == 1


def test_a_label_in_use_is_not_deleted_the_task_names_it_and_the_other_steps_apply(
    hubspot_connection, hubspot_emulator
):
    in_use = hubspot_emulator.create_label("contacts", "companies", "in_use", "Still used")[0]["typeId"]
    hubspot_emulator.create_label("contacts", "companies", "unused", "Unused")
    hubspot_emulator.associate("contacts", 7, "companies", 70, types=[("USER_DEFINED", in_use)])

    with pytest.raises(AirflowFailException) as failed:
        sync([DECIDER], prune=True)

    message = str(failed.value)
    assert message.startswith("1 label change(s) failed (the others were applied)")
    assert f"label 'Still used' (type id {in_use})" in message and "in use" in message
    assert set(by_text(hubspot_emulator)) == {"Decision maker", "Still used"}  # created + unused deleted


def test_dry_run_writes_nothing_and_returns_none_for_labels_it_would_create(hubspot_connection, hubspot_emulator):
    existing = hubspot_emulator.create_label("contacts", "companies", "decision_maker", "Decider")[0]["typeId"]
    hubspot_emulator.create_label("contacts", "companies", "legacy", "Legacy")
    before = hubspot_emulator.labels("contacts", "companies")
    writes = hubspot_emulator.write_requests()

    returned, pushed = sync([{**DECIDER, "previous_labels": ["Decider"]}, PARENT], prune=True, dry_run=True)

    assert returned == {"decision_maker": existing, "parent_contact": None}
    assert pushed["inverse_type_ids"] == {"parent_contact": None}
    assert [step.split(" ")[0] for step in pushed["plan"]] == ["update", "create", "delete"]
    assert hubspot_emulator.write_requests() == writes and hubspot_emulator.labels("contacts", "companies") == before


def test_in_a_dag_definitions_from_a_json_file_or_xcom_and_a_link_uses_the_returned_type_id(
    dag_runner, hubspot_emulator, tmp_path
):
    (tmp_path / "labels.json").write_text(json.dumps({"labels": [DECIDER, PARENT]}))
    run = dag_runner.run(
        f"""
        import pendulum
        try:  # Airflow 3
            from airflow.sdk import DAG, task
        except ImportError:  # Airflow 2
            from airflow import DAG
            from airflow.decorators import task
        from airflow_provider_hubassoc.operators.associations import HubSpotCreateAssociationsOperator
        from airflow_provider_hubassoc.operators.labels import HubSpotSyncLabelsOperator

        with DAG("labels_as_code_run", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
                 template_searchpath=[{str(tmp_path)!r}]):
            from_file = HubSpotSyncLabelsOperator(task_id="from_file", definitions="labels.json")

            @task
            def generated():
                return [{{"from_object_type": "deals", "to_object_type": "companies", "name": "reseller",
                         "label": "Reseller"}}]

            from_xcom = HubSpotSyncLabelsOperator(task_id="from_xcom", definitions=generated())
            HubSpotCreateAssociationsOperator(
                task_id="link", from_object_type="contacts", to_object_type="companies",
                pairs=[[1, 101], [2, 102]], labels=from_file.output["decision_maker"])
        """,
        "labels_as_code_run",
    )
    assert str(run.state) == "success", dag_runner.states(run)
    decider = by_text(hubspot_emulator)["Decision maker"]
    assert dag_runner.xcom(run, "from_file") == {
        "decision_maker": decider,
        "parent_contact": by_text(hubspot_emulator)["Parent"],
    }
    assert dag_runner.xcom(run, "from_file", key="inverse_type_ids") == {
        "parent_contact": by_text(hubspot_emulator, "companies", "contacts")["Child"]
    }
    assert len(dag_runner.xcom(run, "from_file", key="plan")) == 2
    assert dag_runner.xcom(run, "from_file", key="decision_maker") == decider  # what output["decision_maker"] reads
    assert dag_runner.xcom(run, "from_xcom") == {
        "reseller": by_text(hubspot_emulator, "deals", "companies")["Reseller"]
    }
    for contact, company in ((1, 101), (2, 102)):
        types = hubspot_emulator.associations("contacts", contact, "companies")[company]
        assert {"category": "USER_DEFINED", "typeId": decider, "label": "Decision maker"} in types
