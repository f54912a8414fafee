"""HubSpotAssociationSensor: arguments, poke() against the emulator, deferral, and real DAG runs."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_hubassoc._compat import (
    AirflowException,
    AirflowSensorTimeout,
    AirflowSkipException,
)
from airflow_provider_hubassoc.sensors.associations import HubSpotAssociationSensor


def make_sensor(**overrides: Any) -> HubSpotAssociationSensor:
    kwargs: dict[str, Any] = {
        "task_id": "wait_for_companies",
        "from_object_type": "deals",
        "record_ids": [101, 102],
        "to_object_type": "companies",
    }
    kwargs.update(overrides)
    return HubSpotAssociationSensor(**kwargs)


# -- construction (DAG parse time) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"min_count": 0}, "min_count must be an integer >= 1, got 0"),
        ({"min_count": "2"}, "min_count must be an integer >= 1"),
        ({"min_count": True}, "min_count must be an integer >= 1"),
        ({"from_object_type": ""}, "from_object_type must be an object type"),
        ({"to_object_type": None}, "to_object_type must be an object type"),
        ({"record_ids": []}, "record_ids is empty: nothing to wait for. Pass allow_empty=True"),
        ({"label": "Champion", "association_label": "Champion"}, "label= or association_label="),
    ],
)
def test_bad_arguments_raise_value_error_at_construction(overrides, match) -> None:
    with pytest.raises(ValueError, match=match):
        make_sensor(**overrides)


def test_templated_fields_and_label_spellings() -> None:
    assert {"from_object_type", "record_ids", "to_object_type", "association_label"} <= set(
        HubSpotAssociationSensor.template_fields
    )
    assert make_sensor(label="Champion").association_label == "Champion"
    assert make_sensor(association_label=5).association_label == 5
    assert make_sensor(label="Champion").label == "wait_for_companies"  # Airflow's display name is untouched


# -- poke() ------------------------------------------------------------------------------------------------


# -- deferrable execute() and execute_complete() ---------------------------------------------------------------


def test_execute_complete_maps_the_trigger_events() -> None:
    success = {"status": "success", "counts": {"101": 1}, "ready": True, "message": "all 1 record(s) ..."}
    assert make_sensor().execute_complete({}, success) == {"counts": {"101": 1}, "ready": True}
    timeout = {
        "status": "timeout",
        "counts": {"101": 0},
        "ready": False,
        "message": "0 of 1 record(s) ready; waiting for deals 101 (0 < 1) companies associations",
    }
    with pytest.raises(AirflowSensorTimeout, match=r"timed out after 30(\.0)? s: .*waiting for deals 101"):
        make_sensor(timeout=30).execute_complete({}, timeout)
    with pytest.raises(AirflowSkipException, match="waiting for deals 101"):
        make_sensor(timeout=30, soft_fail=True).execute_complete({}, timeout)
    with pytest.raises(AirflowException, match="HubSpot 401"):
        make_sensor(soft_fail=True).execute_complete({}, {"status": "error", "message": "HubSpot 401: bad token"})


# -- real DAG runs ---------------------------------------------------------------------------------------------
