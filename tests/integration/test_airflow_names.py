"""No operator or sensor attribute shadows a member of the installed Airflow's BaseOperator.

A shadowed member breaks Airflow itself, not us: ``self.dry_run = False`` once turned ``BaseOperator.dry_run()``
into a bool and ``airflow tasks test ... --dry-run`` crashed with ``TypeError: 'bool' object is not callable``.
The check runs against whichever Airflow is installed (the suite runs on the 2.x and the 3.x line).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from airflow_provider_hubassoc._compat import AIRFLOW_V_3_0_PLUS

DRY_RUN_DAG = """
import pendulum
from airflow import DAG
from airflow_provider_hubassoc.operators.associations import HubSpotCreateAssociationsOperator

with DAG(dag_id="hubassoc_cli_dry_run", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
    HubSpotCreateAssociationsOperator(task_id="link", from_object_type="contacts", to_object_type="companies",
                                      pairs=[[1, 2]], dry_run=True)
"""


@pytest.mark.skipif(AIRFLOW_V_3_0_PLUS, reason="Airflow 3 removed `airflow tasks test --dry-run`")
def test_airflow_tasks_test_dry_run_cli(airflow_db: None) -> None:
    from dag_support import DAGS_FOLDER

    (DAGS_FOLDER / "hubassoc_cli_dry_run.py").write_text(textwrap.dedent(DRY_RUN_DAG))
    airflow = Path(sys.executable).with_name("airflow")
    result = subprocess.run(
        [str(airflow), "tasks", "test", "hubassoc_cli_dry_run", "link", "2026-01-01", "--dry-run"],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Rendering template for" in result.stdout + result.stderr  # it rendered; before the fix: TypeError
