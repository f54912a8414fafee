"""HubSpotSyncLabelsOperator (labels as code) and HubSpotSyncAssociationsOperator (reconcile) against the emulator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from operator_support import FakeTaskInstance as FakeTI

from airflow_provider_hubassoc._compat import AirflowFailException
from airflow_provider_hubassoc.operators.associations import HubSpotSyncAssociationsOperator
from airflow_provider_hubassoc.operators.labels import HubSpotSyncLabelsOperator

BILLING = {"from_object_type": "contacts", "to_object_type": "companies", "name": "billing", "label": "Billing"}
MANAGER = {
    "from_object_type": "contacts",
    "to_object_type": "companies",
    "name": "manager",
    "label": "Manager",
    "inverse_label": "Employee",
}


def sync_labels(definitions: Any, **kwargs: Any) -> tuple[dict[str, Any], FakeTI]:
    ti = FakeTI()
    return HubSpotSyncLabelsOperator(task_id="labels", definitions=definitions, **kwargs).execute({"ti": ti}), ti


def user_labels(emulator: Any, f: str = "contacts", t: str = "companies") -> dict[str, int]:
    return {d["label"]: d["typeId"] for d in emulator.labels(f, t) if d["category"] == "USER_DEFINED"}


def test_creates_missing_labels_returns_type_ids_and_second_run_writes_nothing(hubspot_connection, hubspot_emulator):
    type_ids, ti = sync_labels([BILLING, MANAGER])
    forward = user_labels(hubspot_emulator)
    assert type_ids == {"billing": forward["Billing"], "manager": forward["Manager"]}
    assert ti.pushed["inverse_type_ids"] == {
        "manager": user_labels(hubspot_emulator, "companies", "contacts")["Employee"]
    }
    assert any(step.startswith("create contacts→companies manager") for step in ti.pushed["plan"])
    writes = hubspot_emulator.write_requests()
    again, ti = sync_labels(json.dumps([BILLING, MANAGER]))  # JSON text, as a rendered template gives it
    assert again == type_ids and hubspot_emulator.write_requests() == writes
    assert all(step.startswith("keep") for step in ti.pushed["plan"])


def test_renames_by_previous_label_or_type_id_and_updates_the_inverse(hubspot_connection, hubspot_emulator):
    old = hubspot_emulator.create_label("contacts", "companies", "billing", "Invoices")[0]["typeId"]
    type_ids, _ = sync_labels([{**BILLING, "previous_labels": ["Invoices"]}])
    assert type_ids == {"billing": old} and user_labels(hubspot_emulator)["Billing"] == old
    type_ids, _ = sync_labels([{**BILLING, "label": "Billing contact", "type_id": old}])
    assert user_labels(hubspot_emulator)["Billing contact"] == old
    sync_labels([MANAGER])
    sync_labels([{**MANAGER, "inverse_label": "Report"}])
    assert "Report" in user_labels(hubspot_emulator, "companies", "contacts")


def test_prune_deletes_only_extra_user_labels_of_managed_pairs(hubspot_connection, hubspot_emulator):
    hubspot_emulator.create_label("contacts", "companies", "legacy", "Legacy")
    hubspot_emulator.create_label("deals", "companies", "other", "Other pair")
    sync_labels([BILLING])
    assert "Legacy" in user_labels(hubspot_emulator)  # prune=False keeps extras
    writes = hubspot_emulator.write_requests()
    sync_labels([BILLING], prune=True, dry_run=True)
    assert hubspot_emulator.write_requests() == writes and "Legacy" in user_labels(hubspot_emulator)
    _, ti = sync_labels([BILLING], prune=True)
    assert set(user_labels(hubspot_emulator)) == {"Billing"}
    assert "Other pair" in user_labels(hubspot_emulator, "deals", "companies")
    assert any(d["category"] == "HUBSPOT_DEFINED" for d in hubspot_emulator.labels("contacts", "companies"))
    assert any(step.startswith("delete contacts→companies label 'Legacy'") for step in ti.pushed["plan"])


def test_a_label_in_use_cannot_be_pruned_and_the_task_says_which(hubspot_connection, hubspot_emulator):
    legacy = hubspot_emulator.create_label("contacts", "companies", "legacy", "Legacy")[0]["typeId"]
    hubspot_emulator.associate("contacts", 1, "companies", 2, types=[("USER_DEFINED", legacy)])
    with pytest.raises(AirflowFailException, match=r"1 label change.*'Legacy'"):
        sync_labels([BILLING], prune=True)
    assert "Billing" in user_labels(hubspot_emulator)  # the other steps were applied


def test_dry_run_returns_none_for_labels_it_would_create(hubspot_connection, hubspot_emulator):
    type_ids, _ = sync_labels([BILLING], dry_run=True)
    assert type_ids == {"billing": None} and hubspot_emulator.write_requests() == 0


# -- reconcile ---------------------------------------------------------------------------------------------


def reconcile(pairs: list[Any], **kwargs: Any) -> dict[str, Any]:
    return HubSpotSyncAssociationsOperator(
        task_id="sync", from_object_type="contacts", to_object_type="companies", pairs=pairs, **kwargs
    ).execute({})


def companies(emulator: Any, contact: int) -> dict[int, set[str | None]]:
    return {
        to: {t["label"] for t in types} for to, types in emulator.associations("contacts", contact, "companies").items()
    }


def test_reconcile_adds_missing_labels_and_prunes_only_undesired_user_labels(hubspot_connection, hubspot_emulator):
    hubspot_emulator.create_label("contacts", "companies", "billing", "Billing")
    legacy = hubspot_emulator.create_label("contacts", "companies", "legacy", "Legacy")[0]["typeId"]
    hubspot_emulator.associate("contacts", 1, "companies", 10, types=[("USER_DEFINED", legacy)])
    hubspot_emulator.associate("contacts", 1, "companies", 11)
    hubspot_emulator.associate("contacts", 2, "companies", 20)  # contact 2 only via source_ids
    desired = [{"from_id": 1, "to_id": 10, "label": "Billing"}, {"from_id": 1, "to_id": 12, "label": ""}]

    plan = reconcile(desired, label_column="label", prune=True, dry_run=True, source_ids=[2])["plan"]
    assert plan == {"records": 2, "desired": 2, "create": 2, "remove_labels": 1, "archive": 2, "unchanged": 0}
    assert hubspot_emulator.write_requests() == 0

    kept = reconcile(desired, label_column="label")  # prune=False: nothing removed
    assert (
        kept["created"] == 2 and kept["archived"] == 0 and {"Legacy", "Billing"} <= companies(hubspot_emulator, 1)[10]
    )

    done = reconcile(desired, label_column="label", prune=True, source_ids=[2])
    assert done["labels_removed"] == 1 and done["archived"] == 2
    state = companies(hubspot_emulator, 1)
    assert set(state) == {10, 12} and "Billing" in state[10] and "Legacy" not in state[10]
    assert "Primary" in state[10]  # HubSpot-defined: never removed by the sync
    assert companies(hubspot_emulator, 2) == {}
    writes = hubspot_emulator.write_requests()
    again = reconcile(desired, label_column="label", prune=True, source_ids=[2])
    assert again["plan"]["unchanged"] == 2 and hubspot_emulator.write_requests() == writes


def test_reconcile_checks_rows_before_writing_and_reports_refused_pairs(hubspot_connection, hubspot_emulator, tmp_path):
    with pytest.raises(AirflowFailException, match=r"pairs row 2: field 'to_id'"):
        reconcile([[1, 10], [1, "x"]])
    assert hubspot_emulator.write_requests() == 0
    failures = tmp_path / "failures.csv"
    with pytest.raises(AirflowFailException, match="max_failures=0"):
        reconcile([[1, 10], [1, 10**13]], failures_path=str(failures))
    assert "10000000000000" in failures.read_text() and 10 in companies(hubspot_emulator, 1)
