"""No operator or sensor attribute shadows a member of the installed Airflow's BaseOperator.

A shadowed member breaks Airflow itself, not us: ``self.dry_run = False`` once turned ``BaseOperator.dry_run()``
into a bool and ``airflow tasks test ... --dry-run`` crashed with ``TypeError: 'bool' object is not callable``.
The check runs against whichever Airflow is installed (the suite runs on the 2.x and the 3.x line).
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from airflow_provider_hubassoc._compat import BaseOperator, BaseSensorOperator
from airflow_provider_hubassoc.operators import associations, labels, read
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
    for module in (associations, labels, read, sensors, sql_to_hubspot):
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
