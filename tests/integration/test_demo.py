"""The README's main command runs end to end: every example DAG, unchanged, on real Airflow against the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_demo_runs_every_example_and_prints_what_it_did(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "HUBASSOC"))}
    env["HUBASSOC_DEMO_DIR"] = str(tmp_path / "demo")
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py")], env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "Backfill: linked 19,999 of 20,000 contact→company pairs over 4 shards" in out
    assert "refused row 5000 (20000→10000000000000): VALIDATION_ERROR" in out
    assert 'Labels as code: {"decision_maker": ' in out
    assert "now carries ['Primary', 'Decision maker']" in out
    assert "Export: 5,000 associations of 5,000 contacts written to" in out
    assert "loaded back: 5,000 rows" in out
    assert (
        "round trip: table contact_company → HubSpot (backfill) → table crm_contact_company: 5,000 of 5,000 pairs came back\n"
        in out
    )
    assert "Sensor gate: deals 1001 and 1002 got their companies" in out
    assert '"create": 1100' in out and "second run:" in out and '"create": 0' in out and ", 0 writes" in out
    assert (
        "Warehouse keys: 503 product user rows → 500 contact→company links by email and external_company_id; 2" in out
    )
    assert "refused row 502 (never.synced@example.com→acct-001): NOT_FOUND" in out
    assert "refused row 503 (user1@example.com→acct-999): NOT_FOUND" in out
    assert "nightly export (records='modified'): 450 associations of 450 contacts modified" in out
    assert (tmp_path / "demo" / "airflow-home" / "airflow.db").exists()
    # every request on the default dated version: none to the paths HubSpot is retiring (v3, v4, OAuth v1)
    by_version = next(line for line in out.splitlines() if line.startswith("Requests by HubSpot API version: "))
    assert json.loads(by_version.split(": ", 1)[1]).keys() == {"2026-09"}
