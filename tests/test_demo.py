"""The README's main command runs end to end: a real DAG links pairs through the hook against the emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_demo_links_the_extract_and_reports_the_refused_row(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["HUBASSOC_DEMO_DIR"] = str(tmp_path / "demo")
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py")], env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "Linked 4,999 of 5,000 contact→company pairs with label 'Billing contact'" in out
    assert "failed input #4999 {'from_id': 5000, 'to_id': 10000000000000}: VALIDATION_ERROR" in out
    assert "Read back: 4,999 associations, 4,999 carry the label." in out
    assert (tmp_path / "demo" / "airflow-home" / "airflow.db").exists()
