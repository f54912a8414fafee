"""The README's main job: a real Airflow DAG linking HubSpot associations, run against the bundled emulator.

Run through ``python3 dev.py demo`` (which makes the virtual environment). Steps:
1. start the bundled HubSpot emulator on a free loopback port (HubSpot's 100 requests / 10 s window on);
2. point the Airflow connection ``hubspot_default`` at it (an ``AIRFLOW_CONN_*`` variable: zero DAG edits);
3. write a warehouse extract of contact→company pairs (one row names a record HubSpot does not have);
4. prepare a private Airflow home under ``.demo/`` (SQLite metadata DB, the demo DAG in its dags folder);
5. run the DAG with ``dag.test()`` on real Airflow and print what it did, checked against the emulator's state.
Idempotent: a second run reuses ``.demo/`` and links the same pairs again without duplicating anything.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = Path(os.environ.get("HUBASSOC_DEMO_DIR", ROOT / ".demo"))
DAG_FILE = Path(__file__).with_name("demo_dags") / "hubspot_demo_link.py"
DAG_ID = "hubspot_demo_link"
ROWS = 5000
MISSING_COMPANY = 10**13  # beyond the emulator's existing ids: HubSpot refuses that one row


def prepare_airflow_home() -> None:
    home, dags = DEMO / "airflow-home", DEMO / "dags"
    dags.mkdir(parents=True, exist_ok=True)
    shutil.copy(DAG_FILE, dags / DAG_FILE.name)
    os.environ.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "HUBASSOC_DEMO_EXTRACT": str(DEMO / "extract.csv"),
        }
    )
    print("[demo] migrating the Airflow metadata DB (SQLite) in", home, flush=True)
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow), "db", "migrate"], check=True, stdout=subprocess.DEVNULL)


def write_extract() -> None:
    with open(DEMO / "extract.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["contact_id", "company_id"])
        for contact in range(1, ROWS):
            writer.writerow([contact, 900_000 + contact % 250])
        writer.writerow([ROWS, MISSING_COMPANY])


def run_dag() -> dict:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    if bag.import_errors:
        raise SystemExit(f"[demo] the demo DAG does not import: {bag.import_errors}")
    run = bag.get_dag(DAG_ID).test()
    print(f"[demo] DAG run {run.run_id}: {run.state}", flush=True)
    with create_session() as session:
        row = (
            session.query(XComModel)
            .filter_by(dag_id=DAG_ID, run_id=run.run_id, task_id="verify", key="return_value")
            .one_or_none()
        )
    if str(run.state) not in ("success", "DagRunState.SUCCESS") or row is None:
        raise SystemExit("[demo] the DAG run did not succeed; see the task logs above")
    value = row.value
    return json.loads(value) if isinstance(value, str) else value


def main() -> None:
    DEMO.mkdir(exist_ok=True)
    prepare_airflow_home()
    write_extract()
    from airflow_provider_hubassoc.emulator import HubSpotEmulator

    with HubSpotEmulator(token="demo-token", seed=1) as emulator:
        os.environ.update(emulator.airflow_connection_env("hubspot_default"))
        print(f"[demo] HubSpot emulator at {emulator.base_url}; hubspot_default points at it", flush=True)
        outcome = run_dag()
        sample = emulator.associations("contacts", 1, "companies")
        requests = {name: sum(by_status.values()) for name, by_status in emulator.counters().items()}

    linked = outcome["linked"]
    print()
    print("=" * 78)
    print(f"Linked {linked['succeeded']:,} of {linked['total']:,} contact→company pairs with label 'Billing contact'")
    print(f"  in {linked['requests']} HubSpot requests; {linked['failed']} failed, {linked['skipped']} duplicates skipped.")
    for failure in linked["failures"]:
        print(f"  failed input #{failure['position']} {failure['input']}: {failure['category']} {failure['message']}")
    print(f"Read back: {outcome['associations_read_back']:,} associations, {outcome['with_label']:,} carry the label.")
    print(f"Emulator state for contact 1 → companies: {json.dumps(sample)}")
    print(f"Requests served by endpoint: {json.dumps(requests, sort_keys=True)}")
    print("=" * 78)


if __name__ == "__main__":
    main()
