"""Read, bulk link and bulk unlink operators against the emulator over HTTP (execute() directly, and real DAG runs)."""

from __future__ import annotations

import csv
import gzip
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from operator_support import FakeTaskInstance as FakeTI, write_csv

from airflow_provider_hubassoc._compat import AirflowException, AirflowFailException
from airflow_provider_hubassoc.operators.associations import (
    HubSpotArchiveAssociationsOperator,
    HubSpotCreateAssociationsOperator,
    HubSpotReadAssociationsOperator,
)

MISSING = 10**13  # a company id the emulator does not have: HubSpot refuses that row


def link(**kwargs: Any) -> HubSpotCreateAssociationsOperator:
    return HubSpotCreateAssociationsOperator(
        task_id="link", from_object_type="contacts", to_object_type="companies", **kwargs
    )


def type_ids(emulator: Any, contact: int, company: int) -> set[int]:
    return {t["typeId"] for t in emulator.associations("contacts", contact, "companies").get(company, [])}


# -- bulk link -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("semantics", ["replace", "merge"])
def test_link_with_a_label_keeps_the_labels_a_pair_already_has(hubspot_connection, hubspot_emulator, semantics):
    hubspot_emulator.configure(label_write_semantics=semantics)
    billing = hubspot_emulator.create_label("contacts", "companies", "billing", "Billing")[0]["typeId"]
    owner = hubspot_emulator.create_label("contacts", "companies", "owner", "Owner")[0]["typeId"]
    hubspot_emulator.associate("contacts", 1, "companies", 501, types=[("USER_DEFINED", billing)])

    summary = link(pairs=[[1, 501], [2, 502]], labels="Owner").execute({})

    assert summary["succeeded"] == 2 and summary["failed"] == 0
    assert {billing, owner} <= type_ids(hubspot_emulator, 1, 501)
    assert owner in type_ids(hubspot_emulator, 2, 502)


def test_link_from_csv_with_per_row_labels_by_text_name_and_type_id(hubspot_connection, hubspot_emulator, tmp_path):
    billing = hubspot_emulator.create_label("contacts", "companies", "billing", "Billing")[0]["typeId"]
    owner = hubspot_emulator.create_label("contacts", "companies", "owner", "Owner")[0]["typeId"]
    src = write_csv(
        tmp_path / "in.csv", ["c", "co", "label"], [[1, 501, "Billing"], [2, 502, f"Billing;{owner}"], [3, 503, ""]]
    )

    summary = link(input_path=str(src), from_id_column="c", to_id_column="co", label_column="label").execute({})

    assert summary["total"] == 3 and summary["succeeded"] == 3
    assert billing in type_ids(hubspot_emulator, 1, 501)
    assert {billing, owner} <= type_ids(hubspot_emulator, 2, 502)
    assert type_ids(hubspot_emulator, 3, 503) & {billing, owner} == set()
    assert type_ids(hubspot_emulator, 3, 503)  # default association


def test_link_from_gzipped_jsonl_and_from_xcom_json_text(hubspot_connection, hubspot_emulator, tmp_path):
    src = tmp_path / "pairs.jsonl.gz"
    with gzip.open(src, "wt") as handle:
        for i in range(1, 6):
            handle.write(json.dumps({"from_id": i, "to_id": str(600 + i)}) + "\n")
    assert link(input_path=str(src)).execute({})["succeeded"] == 5
    assert link(pairs=json.dumps([{"from_id": 9, "to_id": 909}])).execute({})["succeeded"] == 1
    assert type_ids(hubspot_emulator, 5, 605) and type_ids(hubspot_emulator, 9, 909)


def test_a_bad_row_fails_before_anything_is_written_naming_row_and_column(
    hubspot_connection, hubspot_emulator, tmp_path
):
    rows = [[i, 500 + i] for i in range(1, 3000)] + [[3000, "acme"]]
    src = write_csv(tmp_path / "in.csv", ["contact_id", "company_id"], rows)

    with pytest.raises(AirflowFailException, match=r"row 3000: field 'company_id': expected a positive integer"):
        link(input_path=str(src), from_id_column="contact_id", to_id_column="company_id").execute({})
    assert hubspot_emulator.write_requests() == 0


def test_a_missing_column_or_unknown_label_fails_before_writing(hubspot_connection, hubspot_emulator, tmp_path):
    src = write_csv(tmp_path / "in.csv", ["contact", "company_id"], [[1, 501]])
    with pytest.raises(AirflowFailException, match=r"in.csv: no column 'contact_id' in the header"):
        link(input_path=str(src), from_id_column="contact_id", to_id_column="company_id").execute({})
    with pytest.raises(AirflowFailException, match=r"no association label 'Nope'"):
        link(pairs=[[1, 501]], labels="Nope").execute({})
    assert hubspot_emulator.write_requests() == 0


def test_dry_run_validates_and_resolves_but_writes_nothing(hubspot_connection, hubspot_emulator):
    hubspot_emulator.create_label("contacts", "companies", "billing", "Billing")
    summary = link(pairs=[[1, 501], [2, 502]], labels="Billing", dry_run=True).execute({})
    assert summary["dry_run"] and summary["not_sent"] == 2 and summary["labels"][0]["label"] == "Billing"
    assert hubspot_emulator.write_requests() == 0
    with pytest.raises(AirflowFailException, match="row 2"):
        link(pairs=[[1, 501], [2, -5]], dry_run=True).execute({})


def test_refused_rows_go_to_the_failures_file_and_the_policy_decides(hubspot_connection, hubspot_emulator, tmp_path):
    src = write_csv(tmp_path / "in.csv", ["from_id", "to_id"], [[1, 501], [2, MISSING], [3, 503]])
    failures = tmp_path / "out" / "failures.jsonl"
    ti = FakeTI()

    with pytest.raises(AirflowFailException, match=r"1 failed > max_failures=0; first: row 2 2->10000000000000"):
        link(input_path=str(src), failures_path=str(failures)).execute({"ti": ti})
    (row,) = [json.loads(line) for line in failures.read_text().splitlines()]
    assert row["row"] == 2 and row["to_id"] == MISSING and row["category"] == "VALIDATION_ERROR"
    assert ti.pushed["summary"]["succeeded"] == 2 and ti.pushed["summary"]["failed"] == 1
    assert type_ids(hubspot_emulator, 1, 501) and type_ids(hubspot_emulator, 3, 503)  # successes kept

    assert link(input_path=str(src), max_failures=1).execute({})["failed"] == 1
    assert link(input_path=str(src), max_failures=None, max_failure_ratio=0.5).execute({})["failed"] == 1
    with pytest.raises(AirflowFailException, match=r"1/3 failed > max_failure_ratio=0.1"):
        link(input_path=str(src), max_failures=None, max_failure_ratio=0.1).execute({})


def test_exceeding_max_failures_stops_sending_further_batches(hubspot_connection, hubspot_emulator):
    pairs = [[i, MISSING] for i in range(1, 5001)]
    ti = FakeTI()
    with pytest.raises(AirflowFailException, match="max_failures=10"):
        link(pairs=pairs, max_failures=10, chunk_size=500, hook_params={"max_concurrency": 1}).execute({"ti": ti})
    summary = ti.pushed["summary"]
    assert summary["total"] == 500 and summary["not_sent"] == 4500 and summary["requests"] == 1


def test_on_kill_stops_after_the_requests_in_flight(hubspot_connection, hubspot_emulator):
    hubspot_emulator.configure(latency=0.2)
    op = link(pairs=[[i, 500 + i] for i in range(1, 20_001)], chunk_size=100, hook_params={"max_concurrency": 2})
    # execute() runs in the main thread (Airflow 2's executor safeguard allows no other), on_kill() from another
    killer = threading.Timer(1.0, op.on_kill)
    killer.start()
    try:
        with pytest.raises(AirflowException) as raised:
            op.execute({})
    finally:
        killer.join(timeout=30)
    message = str(raised.value)
    assert "cancelled" in message and "the rest was not sent" in message
    sent = hubspot_emulator.write_requests()
    assert 1 <= sent < 200  # 200 chunks in all
    assert f"total={sent * 100}" in message


# -- bulk unlink ---------------------------------------------------------------------------------------------


def test_unlink_whole_pairs_or_only_given_labels(hubspot_connection, hubspot_emulator):
    billing = hubspot_emulator.create_label("contacts", "companies", "billing", "Billing")[0]["typeId"]
    for contact in (1, 2):
        hubspot_emulator.associate("contacts", contact, "companies", 500 + contact, types=[("USER_DEFINED", billing)])

    def unlink(**kwargs: Any) -> dict[str, Any]:
        return HubSpotArchiveAssociationsOperator(
            task_id="unlink", from_object_type="contacts", to_object_type="companies", **kwargs
        ).execute({})

    assert unlink(pairs=[[1, 501]], labels="Billing")["succeeded"] == 1
    assert billing not in type_ids(hubspot_emulator, 1, 501) and type_ids(hubspot_emulator, 1, 501)
    assert unlink(pairs=[[2, 502]])["succeeded"] == 1
    assert hubspot_emulator.associations("contacts", 2, "companies") == {}
    assert unlink(pairs=[[2, 502]])["failed"] == 0  # archiving what is gone is a no-op: re-runs are safe
    writes = hubspot_emulator.write_requests()
    assert unlink(pairs=[[1, 501]], dry_run=True)["not_sent"] == 1
    assert hubspot_emulator.write_requests() == writes


# -- read / export -------------------------------------------------------------------------------------------


def read(**kwargs: Any) -> HubSpotReadAssociationsOperator:
    return HubSpotReadAssociationsOperator(
        task_id="read", from_object_type="contacts", to_object_type="companies", **kwargs
    )


def test_read_to_xcom_is_bounded_and_says_to_use_a_file(hubspot_connection, hubspot_emulator):
    for company in range(1, 31):
        hubspot_emulator.associate("contacts", 1, "companies", 700 + company)
    summary = read(record_ids="1,2", max_xcom_rows=30).execute({})
    assert summary["associations"] == 30 and len(summary["rows"]) == 30 and summary["output_path"] is None
    assert summary["rows"][0]["from_object_type"] == "contacts" and summary["rows"][0]["type_ids"]
    with pytest.raises(AirflowFailException, match=r"more than max_xcom_rows=29.*Set output_path="):
        read(record_ids=[1], max_xcom_rows=29).execute({})


@pytest.mark.parametrize("name", ["out.csv", "out.jsonl", "out.jsonl.gz"])
def test_export_follows_every_page_and_streams_to_a_file(hubspot_connection, hubspot_emulator, tmp_path, name):
    owner = hubspot_emulator.create_label("contacts", "companies", "owner", "Owner")[0]["typeId"]
    for company in range(1, 1_201):  # more than two pages of one record
        hubspot_emulator.associate("contacts", 1, "companies", 800_000 + company)
    hubspot_emulator.associate("contacts", 2, "companies", 9, types=[("USER_DEFINED", owner)])
    ids = write_csv(tmp_path / "ids.csv", ["id"], [[1], [2], [3]])
    out = tmp_path / "exports" / name

    summary = read(input_path=str(ids), output_path=str(out)).execute({})

    assert summary == {**summary, "records": 3, "associations": 1_201, "output_path": str(out), "failed": 0}
    assert not Path(f"{out}.partial").exists()
    if name.endswith(".csv"):
        with open(out) as handle:
            rows = list(csv.DictReader(handle))
        labeled = next(r for r in rows if r["from_id"] == "2")
        assert "Owner" in labeled["labels"].split(";") and str(owner) in labeled["type_ids"].split(";")
    else:
        opener = gzip.open if name.endswith(".gz") else open
        rows = [json.loads(line) for line in opener(out, "rt")]
        labeled = next(r for r in rows if r["from_id"] == 2)
        assert "Owner" in labeled["labels"] and owner in labeled["type_ids"]
    assert len(rows) == 1_201


# -- real DAG runs ---------------------------------------------------------------------------------------------


def test_in_a_dag_templated_paths_render_and_a_refused_row_fails_the_task(dag_runner, hubspot_emulator, tmp_path):
    write_csv(tmp_path / "pairs-2026-01-01.csv", ["from_id", "to_id"], [[1, 501], [2, MISSING]])
    run = dag_runner.run(
        f"""
        import pendulum
        try:  # Airflow 3
            from airflow.sdk import DAG, task
        except ImportError:  # Airflow 2
            from airflow import DAG
            from airflow.decorators import task
        from airflow_provider_hubassoc.operators.associations import HubSpotCreateAssociationsOperator

        with DAG("op_link_policy", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
            link = HubSpotCreateAssociationsOperator(
                task_id="link", from_object_type="contacts", to_object_type="companies",
                input_path="{tmp_path}/pairs-{{{{ params.day }}}}.csv",
                failures_path="{tmp_path}/failures/{{{{ params.day }}}}.csv",
                params={{"day": "2026-01-01"}},
            )

            @task
            def downstream():
                return "ran"

            link >> downstream()
        """,
        "op_link_policy",
    )
    assert dag_runner.states(run) == {"link": "failed", "downstream": "upstream_failed"}
    summary = dag_runner.xcom(run, "link", key="summary")
    assert summary["succeeded"] == 1 and summary["failed"] == 1
    with open(tmp_path / "failures" / "2026-01-01.csv") as handle:
        failures = list(csv.DictReader(handle))
    assert failures[0]["row"] == "2" and failures[0]["to_id"] == str(MISSING)
    assert type_ids(hubspot_emulator, 1, 501)


def test_in_a_dag_a_link_fed_by_xcom_then_read_back(dag_runner, hubspot_emulator):
    run = dag_runner.run(
        """
        import pendulum
        try:  # Airflow 3
            from airflow.sdk import DAG, task
        except ImportError:  # Airflow 2
            from airflow import DAG
            from airflow.decorators import task
        from airflow_provider_hubassoc.operators.associations import (
            HubSpotCreateAssociationsOperator, HubSpotReadAssociationsOperator)

        with DAG("op_link_xcom", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
            @task
            def pairs():
                return [{"from_id": i, "to_id": 4000 + i} for i in range(1, 11)]

            link = HubSpotCreateAssociationsOperator(
                task_id="link", from_object_type="contacts", to_object_type="companies", pairs=pairs())
            read = HubSpotReadAssociationsOperator(
                task_id="read", from_object_type="contacts", to_object_type="companies",
                record_ids=list(range(1, 11)))
            link >> read
        """,
        "op_link_xcom",
    )
    assert str(run.state) == "success", dag_runner.states(run)
    assert dag_runner.xcom(run, "link")["succeeded"] == 10
    rows = dag_runner.xcom(run, "read")["rows"]
    assert sorted((r["from_id"], r["to_id"]) for r in rows) == [(i, 4000 + i) for i in range(1, 11)]


@pytest.mark.parametrize("labels", [True, False])
def test_a_boolean_labels_option_is_named_bad_input_before_writing(hubspot_connection, hubspot_emulator, labels):
    with pytest.raises(AirflowFailException, match=rf"bad label {labels}"):
        link(pairs=[[1, 501]], labels=labels).execute({})
    assert hubspot_emulator.write_requests() == 0
