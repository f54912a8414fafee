"""The README's main job: the example DAGs, run on real Airflow against the bundled HubSpot emulator.

Run through ``python3 dev.py demo [example ...]`` (which makes the virtual environment). Steps:
1. prepare a private Airflow home under ``.demo/`` (SQLite metadata DB, the example DAGs in its dags folder,
   the ``hubspot_api`` pool the backfill uses);
2. start the bundled HubSpot emulator on a free loopback port (HubSpot's 100 requests / 10 s window on) and point
   the Airflow connection ``hubspot_default`` at it (an ``AIRFLOW_CONN_*`` variable: zero DAG edits);
3. point the Airflow connection ``warehouse`` at an embedded SQLite database (``.demo/data/warehouse.db``): the
   backfill and reconcile read their tables from it, the export writes its table to it;
4. run each chosen example DAG unchanged with ``dag.test()`` (default: all six, backfill first) and print what it
   did, checked against the emulator's state; after backfill and export, the round trip warehouse table →
   HubSpot → warehouse table is checked. For ``warehouse_keys`` the emulator first holds the contacts and
   companies its keys name (:func:`seed_warehouse_keys`: HubSpot's side of the product's users and accounts).
Idempotent: a second run reuses ``.demo/``; every example is safe to re-run.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEMO = Path(os.environ.get("HUBASSOC_DEMO_DIR", ROOT / ".demo"))
EXAMPLES = ROOT / "example_dags"
WAREHOUSE_DB = DEMO / "data" / "warehouse.db"
ORDER = ["backfill", "labels_as_code", "export", "sensor_gate", "reconcile", "warehouse_keys"]


def prepare_airflow_home() -> None:
    home, dags = DEMO / "airflow-home", DEMO / "dags"
    dags.mkdir(parents=True, exist_ok=True)
    for example in EXAMPLES.glob("example_*.py"):
        shutil.copy(example, dags / example.name)
    os.environ.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "HUBASSOC_EXAMPLE_DATA": str(DEMO / "data"),
            # the examples' warehouse: an embedded SQLite database (in production: Postgres, Snowflake...)
            "AIRFLOW_CONN_WAREHOUSE": json.dumps({"conn_type": "sqlite", "host": str(WAREHOUSE_DB)}),
        }
    )
    WAREHOUSE_DB.parent.mkdir(parents=True, exist_ok=True)
    print("[demo] migrating the Airflow metadata DB (SQLite) in", home, flush=True)
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow), "db", "migrate"], check=True, stdout=subprocess.DEVNULL)
    from airflow.models.pool import Pool

    Pool.create_or_update_pool("hubspot_api", 4, "HubSpot API calls (example backfill)", False)


def run_dag(dag_id: str) -> tuple[Any, Callable[[str, int], Any]]:
    """Run one example with ``dag.test()``; returns the DagRun and an XCom reader for it."""
    from airflow.utils.session import create_session

    from airflow_provider_hubassoc._compat import AIRFLOW_V_3_0_PLUS

    path = str(Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"]) / f"{dag_id}.py")
    if AIRFLOW_V_3_0_PLUS:
        from airflow.dag_processing.dagbag import DagBag
        from airflow.models.xcom import XComModel

        bag = DagBag(dag_folder=path)
    else:  # Airflow 2.x
        from airflow.models.dagbag import DagBag
        from airflow.models.xcom import BaseXCom as XComModel

        bag = DagBag(dag_folder=path, include_examples=False)
    if bag.import_errors:
        raise SystemExit(f"[demo] {dag_id} does not import: {bag.import_errors}")
    print(f"\n[demo] running {dag_id} with dag.test()", flush=True)
    run = bag.get_dag(dag_id).test()
    print(f"[demo] DAG run {run.run_id}: {run.state}", flush=True)
    if str(run.state) not in ("success", "DagRunState.SUCCESS"):
        raise SystemExit(f"[demo] {dag_id} did not succeed; see the task logs above")

    def xcom(task_id: str, map_index: int = -1) -> Any:
        with create_session() as session:
            row = (
                session.query(XComModel)
                .filter_by(dag_id=dag_id, run_id=run.run_id, task_id=task_id, key="return_value", map_index=map_index)
                .one_or_none()
            )
            value = row.value if row is not None else None
        if not AIRFLOW_V_3_0_PLUS:
            return value  # Airflow 2 deserializes the value when the row loads
        return json.loads(value) if isinstance(value, (str, bytes)) else value

    return run, xcom


def backfill(emulator: Any) -> list[str]:
    _run, xcom = run_dag("example_hubspot_backfill")
    report = xcom("report")
    lines = [
        f"Backfill: linked {report['succeeded']:,} of {report['total']:,} contact→company pairs over "
        f"{report['shards']} shards in {report['requests']} HubSpot requests; {report['failed']} refused.",
    ]
    lines.extend(
        f"  refused row {failure['row']} ({failure['from_id']}→{failure['to_id']}): "
        f"{failure['category']} {failure['message']}"
        for failure in report["failures"]
    )
    lines.append(f"  failures file: {', '.join(report['failures_files'])}")
    lines.append(f"  emulator: contact 7 → companies {json.dumps(emulator.associations('contacts', 7, 'companies'))}")
    return lines


def labels_as_code(emulator: Any) -> list[str]:
    _run, xcom = run_dag("example_hubspot_labels_as_code")
    type_ids = xcom("sync_labels")
    tagged = xcom("tag_decision_makers")
    return [
        f"Labels as code: {json.dumps(type_ids)} (name → type id, fed to the next task)",
        f"  tagged {tagged['succeeded']} contacts 'Decision maker'; contact 1 → company 900001 now carries "
        f"{[t['label'] for t in emulator.associations('contacts', 1, 'companies').get(900001, []) if t['label']]}",
    ]


def export(emulator: Any) -> list[str]:
    _run, xcom = run_dag("example_hubspot_export")
    summary, loaded = xcom("export_contact_companies"), xcom("load")
    lines = [
        f"Export: {summary['associations']:,} associations of {summary['records']:,} contacts written to "
        f"{summary['output_path']} and table {summary['table']} ({summary['if_exists']})",
        f"  loaded back: {loaded['rows']:,} rows, {loaded['with_labels']:,} with labels",
    ]
    with sqlite3.connect(WAREHOUSE_DB) as warehouse:
        exported = set(warehouse.execute("SELECT from_id, to_id FROM crm_contact_company"))
        if exported:
            # the backfill's own table (contact_company_<run id>) is dropped when its run ends: its rows, as
            # its extract task wrote them (contact i → company 900000 + i % 250)
            source = {(contact, 900_000 + contact % 250) for contact in range(1, 5001)}
            lines.append(
                f"  round trip: table contact_company → HubSpot (backfill) → table crm_contact_company: "
                f"{len(source & exported):,} of {len(source):,} pairs came back"
                f"{'' if source == exported else ' (other pairs: ' + str(len(exported ^ source)) + ')'}"
            )
    return lines


def sensor_gate(emulator: Any) -> list[str]:
    def reads() -> int:
        return sum(emulator.counters().get("batch.read", {}).values())

    def crm_user() -> None:  # a sales rep links the second deal once the sensor has looked (and deferred)
        before = reads()
        while reads() == before:
            time.sleep(0.05)
        time.sleep(0.5)
        emulator.associate("deals", 1002, "companies", 900_002)

    emulator.associate("deals", 1001, "companies", 900_001)
    started = time.monotonic()
    worker = threading.Thread(target=crm_user, daemon=True)
    worker.start()
    _run, xcom = run_dag("example_hubspot_sensor_gate")
    worker.join()
    ready = xcom("refresh_deal_revenue_model")
    return [
        f"Sensor gate: deals 1001 and 1002 got their companies; the warehouse task ran after "
        f"{time.monotonic() - started:.0f} s of deferred waiting: {json.dumps(ready)}"
    ]


def reconcile(emulator: Any) -> list[str]:
    emulator.associate("deals", 1, "companies", 777_777)  # a stale link the warehouse table no longer has
    _run, xcom = run_dag("example_hubspot_reconcile")
    plan, applied = xcom("plan"), xcom("apply")
    writes = emulator.write_requests()
    _run, xcom = run_dag("example_hubspot_reconcile")
    again = xcom("apply")
    return [
        f"Reconcile: plan {json.dumps(plan['plan'])}",
        f"  applied: created {applied['created']:,}, labels removed {applied['labels_removed']}, archived "
        f"{applied['archived']}; deal 1 → companies {sorted(emulator.associations('deals', 1, 'companies'))}",
        f"  second run: plan {json.dumps(again['plan'])}, {emulator.write_requests() - writes} writes",
    ]


def seed_warehouse_keys(emulator: Any, users: int = 500, accounts: int = 25) -> dict[str, dict[str, int]]:
    """HubSpot's side of ``example_hubspot_warehouse_keys`` (its default params): a contact per product user
    (``user<i>@example.com``), a company per account with the unique property ``external_company_id``
    (``acct-<n>``), all modified yesterday noon UTC except every tenth contact, last modified a week ago (the
    nightly export leaves those out: it reads the contacts modified in the day before the run). Returns the
    record ids by key: ``{"contacts": {email: id}, "companies": {external_company_id: id}}``."""
    noon = datetime.now(timezone.utc).replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=1)
    emulator.declare_unique("companies", "external_company_id")
    companies = [{"name": f"Account {n}", "external_company_id": f"acct-{n:03d}"} for n in range(accounts)]
    company_ids = emulator.seed_records("companies", companies, modified=noon)
    ids: dict[str, dict[str, int]] = {
        "companies": {c["external_company_id"]: i for c, i in zip(companies, company_ids, strict=True)},
        "contacts": {},
    }
    recent = [i for i in range(1, users + 1) if i % 10]
    for chosen, modified in ((recent, noon), (list(range(10, users + 1, 10)), noon - timedelta(days=6))):
        emails = [f"user{i}@example.com" for i in chosen]
        created = emulator.seed_records("contacts", [{"email": email} for email in emails], modified=modified)
        ids["contacts"].update(zip(emails, created, strict=True))
    return ids


def served(emulator: Any) -> dict[str, int]:
    """Requests the emulator served so far, by endpoint."""
    return {name: sum(by_status.values()) for name, by_status in emulator.counters().items()}


def warehouse_keys(emulator: Any) -> list[str]:
    seed_warehouse_keys(emulator)
    before = served(emulator)
    _run, xcom = run_dag("example_hubspot_warehouse_keys")
    requests = {name: count - before.get(name, 0) for name, count in served(emulator).items()}
    report = xcom("report")
    linked, exported = report["linked"], report["exported"]
    lines = [
        f"Warehouse keys: {linked['rows_read']:,} product user rows → {linked['succeeded']:,} contact→company links "
        f"by email and external_company_id; {linked['failed']} refused. HubSpot requests of the run: "
        f"{json.dumps({name: n for name, n in sorted(requests.items()) if n})}",
    ]
    lines.extend(
        f"  refused row {failure['row']} ({failure['from_id']}→{failure['to_id']}): {failure['category']}"
        for failure in report["failures"]
    )
    lines.append(f"  failures file: {linked['failures_path']}")
    lines.append(
        f"  nightly export (records='modified'): {exported['associations']:,} associations of "
        f"{exported['records']:,} contacts modified in the day before the run, upserted into {exported['table']} "
        f"(contacts last modified earlier are not in it: a weekly records='all' export catches them)"
    )
    return lines


STEPS: dict[str, Callable[[Any], list[str]]] = {
    "backfill": backfill,
    "labels_as_code": labels_as_code,
    "export": export,
    "sensor_gate": sensor_gate,
    "reconcile": reconcile,
    "warehouse_keys": warehouse_keys,
}


def main(argv: list[str]) -> None:
    chosen = [name.removeprefix("example_hubspot_") for name in argv] or ORDER
    unknown = [name for name in chosen if name not in STEPS]
    if unknown:
        raise SystemExit(f"[demo] unknown example(s) {unknown}; choose from {ORDER}")
    DEMO.mkdir(exist_ok=True)
    prepare_airflow_home()
    from airflow_provider_hubassoc.emulator import HubSpotEmulator

    report: list[str] = []
    versions: Counter[str] = Counter()
    with HubSpotEmulator(token="demo-token", seed=1) as emulator:
        emulator.app.observers.append(lambda request, _response: versions.update([api_version_of(request.path)]))
        os.environ.update(emulator.airflow_connection_env("hubspot_default"))
        print(f"[demo] HubSpot emulator at {emulator.base_url}; hubspot_default points at it", flush=True)
        for name in chosen:
            report.extend(STEPS[name](emulator))
        requests = served(emulator)

    print()
    print("=" * 78)
    print("\n".join(report))
    print(f"Requests served by endpoint: {json.dumps(requests, sort_keys=True)}")
    print(f"Requests by HubSpot API version: {json.dumps(dict(versions), sort_keys=True)}")
    print("=" * 78)
    retiring = sorted(v for v in versions if v in RETIRING)
    if retiring:
        raise SystemExit(f"[demo] called API versions HubSpot is retiring: {retiring}")


#: what HubSpot retires: OAuth v1 on 2027-02-16, v4 on 2027-03-30, v3 in September 2027
RETIRING = ("oauth v1", "v4", "v3")


def api_version_of(path: str) -> str:
    """The API version a request path speaks: ``/crm/v4/...`` -> v4, ``/crm/associations/2026-09/...`` -> 2026-09."""
    parts = path.strip("/").split("/")
    if parts[0] == "oauth":
        return f"oauth {parts[1]}" if len(parts) > 1 else "oauth"
    for part in parts[1:3]:
        if part in ("v3", "v4") or (len(part) >= 7 and part[:4].isdigit() and part[4] == "-"):
            return part
    return "other"


if __name__ == "__main__":
    main(sys.argv[1:])
