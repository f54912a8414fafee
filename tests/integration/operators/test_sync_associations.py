"""HubSpotSyncAssociationsOperator (reconcile) against the emulator: execute() directly, and one real DAG run."""

from __future__ import annotations

import csv
import json
import uuid
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from operator_support import write_csv

from airflow_provider_hubassoc._compat import AirflowFailException
from airflow_provider_hubassoc.operators._files import shard_of
from airflow_provider_hubassoc.operators.associations import HubSpotSyncAssociationsOperator

NO_SUCH_COMPANY = 10**13  # beyond the emulator's records: HubSpot answers INVALID_OBJECT_IDS
PRIMARY = ("HUBSPOT_DEFINED", 1)  # contact→company primary, set by HubSpot on a contact's first company
UNLABELED = ("HUBSPOT_DEFINED", 279)


def reconcile(**kwargs: Any) -> dict[str, Any]:
    """Run a contacts→companies sync with execute() (``pairs`` or ``input_path`` and options in kwargs)."""
    kwargs.setdefault("task_id", "reconcile")
    return HubSpotSyncAssociationsOperator(from_object_type="contacts", to_object_type="companies", **kwargs).execute(
        {}
    )


def state(emulator: Any, *contacts: int) -> dict[int, dict[int, set[tuple[str, int]]]]:
    """{contact: {company: {(category, type id)}}} as the emulator holds it."""
    return {
        contact: {
            company: {(t["category"], t["typeId"]) for t in types}
            for company, types in emulator.associations("contacts", contact, "companies").items()
        }
        for contact in contacts
    }


def user_label(emulator: Any, name: str, text: str) -> tuple[str, int]:
    return ("USER_DEFINED", emulator.create_label("contacts", "companies", name, text)[0]["typeId"])


def csv_file(path: Path, rows: list[list[Any]], header: tuple[str, ...] = ("contact", "company", "role")) -> str:
    return str(write_csv(path, list(header), rows))


def test_creates_the_missing_pairs_and_leaves_the_rest_without_prune(hubspot_connection, hubspot_emulator):
    hubspot_emulator.associate("contacts", 1, "companies", 10)
    hubspot_emulator.associate("contacts", 1, "companies", 12)  # not desired: kept, prune is off

    summary = reconcile(pairs=[[1, 10], [1, 11], {"from_id": 2, "to_id": 20}])

    assert summary["plan"] == {
        "records": 2,
        "desired": 3,
        "create": 2,
        "remove_labels": 0,
        "archive": 0,
        "unchanged": 1,
    }
    assert (summary["created"], summary["labels_removed"], summary["archived"], summary["failed"]) == (2, 0, 0, 0)
    now = state(hubspot_emulator, 1, 2)
    assert set(now[1]) == {10, 11, 12} and set(now[2]) == {20}
    assert UNLABELED in now[1][11] and UNLABELED in now[2][20]


def test_prune_archives_extra_pairs_of_the_source_records_only(hubspot_connection, hubspot_emulator):
    for contact, company in ((1, 10), (1, 12), (1, 13), (3, 30)):
        hubspot_emulator.associate("contacts", contact, "companies", company)

    summary = reconcile(pairs=[[1, 10], [2, 20]], prune=True)

    assert summary["plan"]["archive"] == 2 and summary["archived"] == 2
    now = state(hubspot_emulator, 1, 2, 3)
    assert set(now[1]) == {10} and set(now[2]) == {20}
    assert set(now[3]) == {30}  # contact 3 is not in the desired set: untouched


@pytest.mark.parametrize("semantics", ["merge", "replace"])
def test_missing_labels_are_added_and_the_labels_a_pair_has_are_kept(hubspot_connection, hubspot_emulator, semantics):
    hubspot_emulator.configure(label_write_semantics=semantics)
    billing = user_label(hubspot_emulator, "billing", "Billing")
    legacy = user_label(hubspot_emulator, "legacy", "Legacy")
    owner = user_label(hubspot_emulator, "owner", "Owner")
    hubspot_emulator.associate("contacts", 1, "companies", 10, types=[legacy])
    before = state(hubspot_emulator, 1)[1][10]
    assert PRIMARY in before

    desired = [
        {"from_id": 1, "to_id": 10, "role": "Billing"},
        {"from_id": 1, "to_id": 10, "role": "owner"},
        {"from_id": 1, "to_id": 11, "role": f"Billing;{owner[1]}"},
    ]
    summary = reconcile(pairs=desired, label_column="role")

    assert summary["plan"]["create"] == 2 and summary["created"] == 2
    now = state(hubspot_emulator, 1)[1]
    assert now[10] == before | {billing, owner}  # Legacy and Primary stay
    assert {billing, owner, UNLABELED} <= now[11]


@pytest.mark.parametrize("how", ["label_column", "labels"])
def test_with_labels_managed_prune_removes_only_user_labels_not_desired(hubspot_connection, hubspot_emulator, how):
    billing = user_label(hubspot_emulator, "billing", "Billing")
    legacy = user_label(hubspot_emulator, "legacy", "Legacy")
    hubspot_emulator.associate("contacts", 1, "companies", 10, types=[billing, legacy])
    given = (
        {"pairs": [[1, 10, "Billing"]], "label_column": "labels"}
        if how == "label_column"
        else {"pairs": [[1, 10]], "labels": "billing"}
    )

    summary = reconcile(prune=True, **given)

    assert summary["plan"] == {
        "records": 1,
        "desired": 1,
        "create": 0,
        "remove_labels": 1,
        "archive": 0,
        "unchanged": 0,
    }
    assert summary["labels_removed"] == 1
    assert state(hubspot_emulator, 1)[1] == {10: {billing, PRIMARY, UNLABELED}}  # pair kept, primary kept


def test_without_managed_labels_prune_keeps_the_labels_of_desired_pairs(hubspot_connection, hubspot_emulator):
    legacy = user_label(hubspot_emulator, "legacy", "Legacy")
    hubspot_emulator.associate("contacts", 1, "companies", 10, types=[legacy])
    summary = reconcile(pairs=[[1, 10]], prune=True)
    assert summary["plan"]["unchanged"] == 1 and summary["plan"]["remove_labels"] == 0
    assert legacy in state(hubspot_emulator, 1)[1][10]


def test_dry_run_returns_the_plan_and_writes_nothing(hubspot_connection, hubspot_emulator):
    billing = user_label(hubspot_emulator, "billing", "Billing")
    legacy = user_label(hubspot_emulator, "legacy", "Legacy")
    hubspot_emulator.associate("contacts", 1, "companies", 10, types=[legacy])
    hubspot_emulator.associate("contacts", 1, "companies", 12)
    hubspot_emulator.associate("contacts", 5, "companies", 50)
    before = state(hubspot_emulator, 1, 2, 5)

    summary = reconcile(
        pairs=[[1, 10, "Billing"], [2, 20, ""], [1, 11, billing[1]]],
        label_column="labels",
        prune=True,
        source_ids=[5],
        dry_run=True,
    )

    assert summary["dry_run"] is True and "created" not in summary
    assert summary["plan"] == {
        "records": 3,
        "desired": 3,
        "create": 3,
        "remove_labels": 1,
        "archive": 2,
        "unchanged": 0,
    }
    assert hubspot_emulator.write_requests() == 0 and state(hubspot_emulator, 1, 2, 5) == before


def test_a_second_run_with_the_same_input_writes_nothing(hubspot_connection, hubspot_emulator, tmp_path):
    user_label(hubspot_emulator, "billing", "Billing")
    legacy = user_label(hubspot_emulator, "legacy", "Legacy")
    hubspot_emulator.associate("contacts", 1, "companies", 10, types=[legacy])
    hubspot_emulator.associate("contacts", 1, "companies", 19)
    hubspot_emulator.associate("contacts", 9, "companies", 90)
    desired = csv_file(tmp_path / "desired.csv", [[1, 10, "Billing"], [1, 11, ""], [2, 20, "Billing"]])
    options = {
        "input_path": desired,
        "from_id_column": "contact",
        "to_id_column": "company",
        "label_column": "role",
        "prune": True,
        "source_ids": "9",
    }

    first = reconcile(**options)
    assert (first["created"], first["labels_removed"], first["archived"]) == (3, 1, 2)
    writes = hubspot_emulator.write_requests()
    after_first = state(hubspot_emulator, 1, 2, 9)

    second = reconcile(**options)

    assert hubspot_emulator.write_requests() == writes and state(hubspot_emulator, 1, 2, 9) == after_first
    assert second["plan"] == {"records": 3, "desired": 3, "create": 0, "remove_labels": 0, "archive": 0, "unchanged": 3}
    assert (second["created"], second["labels_removed"], second["archived"]) == (0, 0, 0)


@pytest.mark.parametrize("source_ids", [[5, 6], "5,6", "[5, 6]"])
def test_source_ids_absent_from_the_desired_set_lose_every_association_with_prune(
    hubspot_connection, hubspot_emulator, source_ids
):
    for contact, company in ((5, 50), (5, 51), (7, 70)):
        hubspot_emulator.associate("contacts", contact, "companies", company)

    kept = reconcile(pairs=[[1, 10]], source_ids=source_ids)  # prune=False: read, nothing archived
    assert (
        kept["plan"]["records"] == 3 and kept["plan"]["archive"] == 0 and set(state(hubspot_emulator, 5)[5]) == {50, 51}
    )

    pruned = reconcile(pairs=[[1, 10]], source_ids=source_ids, prune=True)
    assert pruned["archived"] == 2
    assert state(hubspot_emulator, 1, 5, 6, 7) == {
        1: {10: {PRIMARY, UNLABELED}},
        5: {},
        6: {},
        7: {70: {PRIMARY, UNLABELED}},
    }


def test_bad_source_ids_fail_before_any_write(hubspot_connection, hubspot_emulator):
    with pytest.raises(AirflowFailException, match=r"source_ids\[1\]: field 'source_ids'"):
        reconcile(pairs=[[1, 10]], source_ids=[5, "x"], prune=True)
    assert hubspot_emulator.write_requests() == 0


def test_a_bad_row_fails_before_any_write_naming_the_row_and_column(hubspot_connection, hubspot_emulator, tmp_path):
    hubspot_emulator.associate("contacts", 1, "companies", 99)
    desired = csv_file(tmp_path / "desired.csv", [[1, 10, ""], [2, 20, ""], [3, "ACME", ""]])

    with pytest.raises(
        AirflowFailException,
        match=rf"{desired} row 3: field 'company': expected a positive "
        r"integer id written with the digits 0-9 only .*; got 'ACME'",
    ):
        reconcile(input_path=desired, from_id_column="contact", to_id_column="company", prune=True)
    with pytest.raises(AirflowFailException, match=r"pairs row 2: field 'from_id'.*got -4"):
        reconcile(pairs=[[1, 10], [-4, 20]], prune=True)
    with pytest.raises(AirflowFailException, match=r"no association label 'Nope' from contacts to companies"):
        reconcile(pairs=[[1, 10, "Nope"]], label_column="labels", prune=True)

    assert hubspot_emulator.write_requests() == 0 and set(state(hubspot_emulator, 1)[1]) == {99}


def test_refused_pairs_go_to_the_failures_file_with_hubspots_reason(hubspot_connection, hubspot_emulator, tmp_path):
    hubspot_emulator.associate("contacts", 1, "companies", 12)  # extra: archived only while the policy holds
    failures = tmp_path / "out" / "failures.csv"
    desired = [[1, 10], [1, NO_SUCH_COMPANY], [2, 20], [2, NO_SUCH_COMPANY]]
    ti = mock.Mock(
        spec=["xcom_push", "dag_id", "task_id", "run_id", "map_index"],
        dag_id="tests",
        task_id="sync",
        run_id=f"run-{uuid.uuid4()}",
        map_index=-1,
    )
    operator = HubSpotSyncAssociationsOperator(
        task_id="reconcile",
        from_object_type="contacts",
        to_object_type="companies",
        pairs=desired,
        failures_path=str(failures),
        max_failures=1,
        prune=True,
    )

    with pytest.raises(AirflowFailException, match=r"2 failed > max_failures=1.*first: row 2 1->10000000000000"):
        operator.execute({"ti": ti})

    with open(failures) as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["row"], r["from_id"], r["to_id"]) for r in rows] == [
        ("2", "1", str(NO_SUCH_COMPANY)),
        ("4", "2", str(NO_SUCH_COMPANY)),
    ]
    assert {(r["status"], r["category"], r["sub_category"], r["message"], r["operation"]) for r in rows} == {
        (
            "207",
            "VALIDATION_ERROR",
            "crm.associations.INVALID_OBJECT_IDS",
            "One or more associations are invalid",
            "created",
        )
    }
    ti.xcom_push.assert_called_once()
    assert ti.xcom_push.call_args.kwargs["value"]["failed"] == 2
    assert set(state(hubspot_emulator, 1)[1]) == {
        10,
        12,
    }  # exceeded: the archive was not sent and set(state(hubspot_emulator, 2)[2]) == {20}

    tolerant = reconcile(pairs=desired, failures_path=str(tmp_path / "again.jsonl"), max_failures=2, prune=True)
    assert tolerant["failed"] == 2 and tolerant["plan"]["create"] == 2 and tolerant["plan"]["unchanged"] == 2
    assert tolerant["archived"] == 1 and set(state(hubspot_emulator, 1)[1]) == {10}
    with open(tmp_path / "again.jsonl") as handle:
        assert [json.loads(line)["row"] for line in handle] == [2, 4]


def test_a_sync_stopped_by_max_failures_reports_every_write_phase(hubspot_connection, hubspot_emulator):
    hubspot_emulator.associate("contacts", 1, "companies", 12)
    ti = mock.Mock(
        spec=["xcom_push", "dag_id", "task_id", "run_id", "map_index"],
        dag_id="tests",
        task_id="sync",
        run_id=f"run-{uuid.uuid4()}",
        map_index=-1,
    )
    operator = HubSpotSyncAssociationsOperator(
        task_id="reconcile",
        from_object_type="contacts",
        to_object_type="companies",
        pairs=[[1, NO_SUCH_COMPANY]],
        prune=True,
    )
    with pytest.raises(AirflowFailException, match="1 failed > max_failures=0"):
        operator.execute({"ti": ti})
    pushed = ti.xcom_push.call_args.kwargs["value"]
    assert (pushed["created"], pushed["labels_removed"], pushed["archived"]) == (0, 0, 0)
    assert pushed["not_sent"] == 1  # the archive of (1, 12) was never sent


def test_a_shard_prunes_only_the_source_ids_of_its_own_shard(hubspot_connection, hubspot_emulator):
    mine, other = 4, 1
    assert (shard_of(mine, 2), shard_of(other, 2)) == (0, 1)
    hubspot_emulator.associate("contacts", other, "companies", 10)
    hubspot_emulator.associate("contacts", mine, "companies", 99)
    desired = [[mine, 40], [other, 10]]  # the warehouse table: each shard sees its own rows

    summary = reconcile(pairs=desired, source_ids=[mine, other], prune=True, shard_index=0, shard_count=2)

    assert set(state(hubspot_emulator, other)[other]) == {10}  # desired, and shard 1's business
    assert summary["plan"]["records"] == 1 and set(state(hubspot_emulator, mine)[mine]) == {40}


def test_in_a_dag_a_csv_is_reconciled_after_a_dry_run(dag_runner, hubspot_emulator, tmp_path):
    billing = user_label(hubspot_emulator, "billing", "Billing")
    hubspot_emulator.associate("contacts", 1, "companies", 19)
    csv_file(tmp_path / "links-2026-01-01.csv", [[1, 10, "Billing"], [1, 11, ""], [2, 20, "billing"]])
    run = dag_runner.run(
        f"""
        import pendulum
        try:  # Airflow 3
            from airflow.sdk import DAG
        except ImportError:  # Airflow 2
            from airflow import DAG
        from airflow_provider_hubassoc.operators.associations import HubSpotSyncAssociationsOperator

        with DAG("reconcile_csv_run", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
                 params={{"day": "2026-01-01"}}):
            common = dict(from_object_type="contacts", to_object_type="companies",
                          input_path="{tmp_path}/links-{{{{ params.day }}}}.csv", from_id_column="contact",
                          to_id_column="company", label_column="role", prune=True,
                          failures_path="{tmp_path}/failures-{{{{ params.day }}}}.csv")
            HubSpotSyncAssociationsOperator(task_id="plan", dry_run=True, **common) >> \\
                HubSpotSyncAssociationsOperator(task_id="apply", **common)
        """,
        "reconcile_csv_run",
    )
    assert dag_runner.states(run) == {"plan": "success", "apply": "success"}
    expected_plan = {"records": 2, "desired": 3, "create": 3, "remove_labels": 0, "archive": 1, "unchanged": 0}
    assert dag_runner.xcom(run, "plan")["plan"] == expected_plan
    applied = dag_runner.xcom(run, "apply")
    assert applied["plan"] == expected_plan and (applied["created"], applied["archived"], applied["failed"]) == (
        3,
        1,
        0,
    )
    assert (tmp_path / "failures-2026-01-01.csv").read_text().startswith("row,from_id,to_id")
    now = state(hubspot_emulator, 1, 2)
    assert set(now[1]) == {10, 11} and billing in now[1][10] and billing in now[2][20]

    writes = hubspot_emulator.write_requests()
    again = reconcile(
        input_path=str(tmp_path / "links-2026-01-01.csv"),
        from_id_column="contact",
        to_id_column="company",
        label_column="role",
        prune=True,
    )
    assert again["plan"]["unchanged"] == 3 and hubspot_emulator.write_requests() == writes
