"""The example DAGs import cleanly and run unchanged on real Airflow against the emulator."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from dag_support import demo_script

EXAMPLES = Path(__file__).resolve().parents[2] / "example_dags"
EXAMPLE_IDS = {
    "example_hubspot_backfill.py": "example_hubspot_backfill",
    "example_hubspot_labels_as_code.py": "example_hubspot_labels_as_code",
    "example_hubspot_export.py": "example_hubspot_export",
    "example_hubspot_sensor_gate.py": "example_hubspot_sensor_gate",
    "example_hubspot_reconcile.py": "example_hubspot_reconcile",
    "example_hubspot_warehouse_keys.py": "example_hubspot_warehouse_keys",
}


@pytest.fixture
def example_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HUBASSOC_EXAMPLE_DATA", str(tmp_path))
    # the examples' warehouse: an embedded SQLite file, as in the demo
    monkeypatch.setenv(
        "AIRFLOW_CONN_WAREHOUSE", json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "warehouse.db")})
    )
    return tmp_path


def _run(dag_runner, name: str):
    """Run an example as a user's manual trigger would: on Airflow 3 such a run has no logical date (Airflow 2
    always gives one), so nothing in an example may need ``ds``/``logical_date``."""
    from airflow_provider_hubassoc._compat import AIRFLOW_V_3_0_PLUS

    kwargs = {"logical_date": None} if AIRFLOW_V_3_0_PLUS else {}
    run = dag_runner.run(EXAMPLES / name, EXAMPLE_IDS[name], **kwargs)
    assert str(run.state) == "success", dag_runner.states(run)
    if AIRFLOW_V_3_0_PLUS:
        assert run.logical_date is None
    return run


def test_backfill_example_links_every_shard(dag_runner, hubspot_emulator, example_data) -> None:
    run = _run(dag_runner, "example_hubspot_backfill.py")
    states = dag_runner.states(run)
    assert {k: v for k, v in states.items() if k.startswith("link")} == {
        f"link_contacts_to_companies[{i}]": "success" for i in range(4)
    }
    report = dag_runner.xcom(run, "report")
    assert report["total"] == 20_000 and report["succeeded"] == 19_999 and report["failed"] == 1
    assert (
        report["failures"][0]["row"] == 5_000 and report["failures"][0]["to_id"] == 10**13
    )  # row 5,000 of shard 0's own rows
    shards = [dag_runner.xcom(run, "link_contacts_to_companies", map_index=i) for i in range(4)]
    shard_totals = [shard["total"] for shard in shards]
    assert sum(shard_totals) == 20_000 and min(shard_totals) > 4_000  # disjoint, evenly spread
    assert [shard["rows_read"] for shard in shards] == shard_totals  # each shard's query returned only its rows
    with sqlite3.connect(example_data / "warehouse.db") as warehouse:  # the run's own table, dropped at the end
        assert warehouse.execute("SELECT name FROM sqlite_master WHERE name LIKE 'contact_company%'").fetchall() == []
    assert list(hubspot_emulator.associations("contacts", 7, "companies")) == [900_007]
    (failures_file,) = report["failures_files"]
    assert "10000000000000" in Path(failures_file).read_text()


def test_labels_example_feeds_type_ids_downstream(dag_runner, hubspot_emulator, example_data) -> None:
    run = _run(dag_runner, "example_hubspot_labels_as_code.py")
    type_ids = dag_runner.xcom(run, "sync_labels")
    assert set(type_ids) == {"decision_maker", "billing_owner", "deal_champion"}
    labels = {d["label"]: d["typeId"] for d in hubspot_emulator.labels("contacts", "companies")}
    assert labels["Decision maker"] == type_ids["decision_maker"]
    types = hubspot_emulator.associations("contacts", 1, "companies")[900_001]
    assert type_ids["decision_maker"] in {t["typeId"] for t in types}
    writes = hubspot_emulator.write_requests()
    _run(dag_runner, "example_hubspot_labels_as_code.py")
    # second run: labels unchanged (no label writes); the link task re-sends its 3 idempotent pairs once
    assert hubspot_emulator.write_requests() - writes == 1


def test_export_example_writes_every_association_to_a_file_and_a_table(
    dag_runner, hubspot_emulator, example_data
) -> None:
    for contact in range(1, 101):
        hubspot_emulator.associate("contacts", contact, "companies", 900_000 + contact)
    for company in range(1, 1_201):  # one contact with more associations than a page
        hubspot_emulator.associate("contacts", 5, "companies", 800_000 + company)
    run = _run(dag_runner, "example_hubspot_export.py")
    loaded = dag_runner.xcom(run, "load")
    assert loaded["rows"] == 100 + 1_200
    rows = [json.loads(line) for line in Path(loaded["path"]).read_text().splitlines()]
    assert len({(r["from_id"], r["to_id"]) for r in rows}) == 1_300
    with sqlite3.connect(example_data / "warehouse.db") as warehouse:
        table = warehouse.execute("SELECT from_id, to_id, labels FROM crm_contact_company").fetchall()
    assert {(f, t) for f, t, _labels in table} == {(r["from_id"], r["to_id"]) for r in rows}
    assert len(table) == 1_300 and loaded["with_labels"] == sum(1 for r in rows if r["labels"])
    assert run.run_id.replace(":", "_") in loaded["path"]  # keyed by run_id, which every run has


def test_sensor_example_waits_for_the_deals_then_runs_the_warehouse_task(
    dag_runner, hubspot_emulator, example_data
) -> None:
    def reads() -> int:
        return sum(hubspot_emulator.counters().get("batch.read", {}).values())

    def crm_user() -> None:  # links the second deal only after the sensor's first look
        deadline = time.monotonic() + 60  # a run that fails before reading must not hang the suite
        while reads() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        hubspot_emulator.associate("deals", 1002, "companies", 900_002)

    hubspot_emulator.associate("deals", 1001, "companies", 900_001)
    worker = threading.Thread(target=crm_user)
    worker.start()
    try:
        run = _run(dag_runner, "example_hubspot_sensor_gate.py")
    finally:
        worker.join()
    assert dag_runner.states(run)["refresh_deal_revenue_model"] == "success"
    assert dag_runner.xcom(run, "refresh_deal_revenue_model")["counts"] == {"1001": 1, "1002": 1}
    assert reads() >= 2  # the sensor's look, then the trigger's polls until deal 1002 had its company


def test_sensor_example_against_a_fresh_emulator_skips_after_its_short_wait(
    dag_runner, hubspot_emulator, example_data
) -> None:
    """Nothing links the deals: the gate waits its (short) timeout, then skips instead of failing the DAG."""
    run = _run(dag_runner, "example_hubspot_sensor_gate.py")
    assert dag_runner.states(run) == {"wait_for_deal_companies": "skipped", "refresh_deal_revenue_model": "skipped"}


def test_reconcile_example_plans_then_applies_and_is_idempotent(dag_runner, hubspot_emulator, example_data) -> None:
    hubspot_emulator.associate("deals", 1, "companies", 777_777)  # not in the table: pruned
    run = _run(dag_runner, "example_hubspot_reconcile.py")
    plan = dag_runner.xcom(run, "plan")
    assert plan["dry_run"] and plan["plan"]["create"] == 1_100 and plan["plan"]["archive"] == 1
    applied = dag_runner.xcom(run, "apply")
    assert applied["created"] == 1_100 and applied["archived"] == 1 and applied["failed"] == 0
    assert set(hubspot_emulator.associations("deals", 1, "companies")) == {900_001, 950_001}
    writes = hubspot_emulator.write_requests()
    run = _run(dag_runner, "example_hubspot_reconcile.py")
    assert dag_runner.xcom(run, "apply")["plan"]["create"] == 0
    assert hubspot_emulator.write_requests() == writes


def test_warehouse_keys_example_links_by_email_and_external_id_then_exports_the_modified_contacts(
    dag_runner, hubspot_emulator, example_data
) -> None:
    ids = demo_script().seed_warehouse_keys(hubspot_emulator)
    run = _run(dag_runner, "example_hubspot_warehouse_keys.py")
    report = dag_runner.xcom(run, "report")
    linked, exported = report["linked"], report["exported"]
    # 500 users, user 7 again in capitals (the same pair), an unknown email, an unknown account: the two refused
    assert linked["rows_read"] == 503 and linked["succeeded"] == 500 and linked["failed"] == 2
    refused = {(f["from_id"], f["to_id"]): f["category"] for f in report["failures"]}
    assert refused == {
        ("never.synced@example.com", "acct-001"): "NOT_FOUND",
        ("user1@example.com", "acct-999"): "NOT_FOUND",
    }
    assert "never.synced@example.com" in Path(linked["failures_path"]).read_text()
    user7, acct7 = ids["contacts"]["user7@example.com"], ids["companies"]["acct-007"]
    assert list(hubspot_emulator.associations("contacts", user7, "companies")) == [acct7]
    # the export: the contacts modified the day before the run (9 in 10), each with its one company
    assert exported["records"] == 450 and exported["associations"] == 450
    with sqlite3.connect(example_data / "warehouse.db") as warehouse:
        table = set(warehouse.execute("SELECT from_id, to_id FROM crm_contact_company_modified"))
    assert len(table) == 450 and (user7, acct7) in table
    assert (ids["contacts"]["user10@example.com"], ids["companies"]["acct-010"]) not in table  # modified earlier
