"""`airflow providers list` / `airflow providers hooks` find the provider, as a user checks after `pip install`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def airflow_cli(*args: str) -> str:
    airflow = Path(sys.executable).with_name("airflow")
    result = subprocess.run(
        [str(airflow), *args], capture_output=True, text=True, timeout=300, env=dict(os.environ), check=True
    )
    return result.stdout


def test_providers_list_shows_the_provider() -> None:
    assert "airflow-provider-hubassoc" in airflow_cli("providers", "list", "--output", "plain")


def test_providers_hooks_maps_the_hubspot_conn_type() -> None:
    out = airflow_cli("providers", "hooks", "--output", "plain")
    line = next(line for line in out.splitlines() if line.split()[:1] == ["hubspot"])
    assert "airflow_provider_hubassoc.hooks.associations.HubSpotAssociationsHook" in line
