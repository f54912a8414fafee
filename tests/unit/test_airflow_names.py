"""No operator or sensor attribute shadows a member of the installed Airflow's BaseOperator.

A shadowed member breaks Airflow itself, not us: ``self.dry_run = False`` once turned ``BaseOperator.dry_run()``
into a bool and ``airflow tasks test ... --dry-run`` crashed with ``TypeError: 'bool' object is not callable``.
The check runs against whichever Airflow is installed (the suite runs on the 2.x and the 3.x line).
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_hubassoc._compat import AIRFLOW_V_3_0_PLUS, BaseOperator, BaseSensorOperator
from airflow_provider_hubassoc.operators import associations, labels
from airflow_provider_hubassoc.sensors import associations as sensors
from airflow_provider_hubassoc.transfers import sql_to_hubspot

PAIRS = {"from_object_type": "contacts", "to_object_type": "companies", "pairs": [[1, 2]]}
#: every public operator and sensor, with the smallest valid arguments (a new class without an entry fails below)
CASES: dict[type, dict[str, Any]] = {
    associations.HubSpotReadAssociationsOperator: {
        "from_object_type": "contacts",
        "to_object_type": "companies",
        "record_ids": [1],
    },
    associations.HubSpotCreateAssociationsOperator: {**PAIRS, "dry_run": True},
    associations.HubSpotArchiveAssociationsOperator: {**PAIRS, "dry_run": True},
    associations.HubSpotSyncAssociationsOperator: {**PAIRS, "dry_run": True, "prune": True},
    labels.HubSpotSyncLabelsOperator: {
        "definitions": [{"from_object_type": "contacts", "to_object_type": "companies", "name": "a", "label": "A"}],
        "dry_run": True,
    },
    sensors.HubSpotAssociationSensor: {
        "from_object_type": "deals",
        "record_ids": [1],
        "to_object_type": "companies",
        "label": "x",
        "hook_params": {"max_retries": 1},
    },
}
#: BaseOperator members that exist to be overridden
OVERRIDE_POINTS = {
    "execute",
    "poke",
    "on_kill",
    "template_fields",
    "template_ext",
    "template_fields_renderers",
    "ui_color",
    "ui_fgcolor",
    "operator_extra_links",
}


def _public_task_classes() -> set[type]:
    found = set()
    for module in (associations, labels, sensors, sql_to_hubspot):
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseOperator)
                and obj.__module__ == module.__name__
                and not name.startswith("_")
            ):
                found.add(obj)
    return found


def test_every_public_operator_and_sensor_is_checked() -> None:
    assert _public_task_classes() == set(CASES)


@pytest.mark.parametrize("cls", list(CASES), ids=lambda cls: cls.__name__)
def test_no_attribute_shadows_a_base_operator_member(cls: type) -> None:
    base = BaseSensorOperator if issubclass(cls, BaseSensorOperator) else BaseOperator
    airflow_names = set(dir(base))
    task = cls(task_id="t", **CASES[cls])
    plain = base(task_id="plain")
    # instance attributes our __init__ stores, other than the ones Airflow itself stores on every task
    ours = set(vars(task)) - set(vars(plain))
    assert not ours & airflow_names, f"{cls.__name__} shadows BaseOperator members: {sorted(ours & airflow_names)}"
    # class attributes and methods defined by our classes (up to Airflow's base)
    defined: set[str] = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("airflow_provider_hubassoc"):
            break
        # skipped: dunders, abc's cache, and caches Airflow itself sets on each class (``_BaseOperator__*``)
        defined |= {
            name for name in vars(klass) if not name.startswith(("__", "_BaseOperator__")) and name != "_abc_impl"
        }
    clashes = (defined & airflow_names) - OVERRIDE_POINTS
    assert not clashes, f"{cls.__name__} redefines BaseOperator members: {sorted(clashes)}"


@pytest.mark.parametrize("cls", list(CASES), ids=lambda cls: cls.__name__)
def test_dry_run_method_still_works(cls: type) -> None:
    """``BaseOperator.dry_run()`` (what ``airflow tasks test --dry-run`` calls) renders nothing and writes nothing."""
    task = cls(task_id="t", **CASES[cls])
    assert callable(task.dry_run)
    task.dry_run()


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
