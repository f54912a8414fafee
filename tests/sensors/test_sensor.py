"""HubSpotAssociationSensor: poke directly, and in real DAG runs (poke, reschedule, deferrable, timeouts)."""

from __future__ import annotations

import threading
import time

import pytest

from airflow_provider_hubassoc._compat import AirflowFailException, TaskDeferred
from airflow_provider_hubassoc.sensors.associations import HubSpotAssociationSensor
from airflow_provider_hubassoc.triggers.associations import HubSpotAssociationTrigger


def sensor(**kwargs) -> HubSpotAssociationSensor:
    args = {"task_id": "wait", "from_object_type": "deals", "record_ids": [1, 2], "to_object_type": "companies"}
    return HubSpotAssociationSensor(**{**args, **kwargs})


def test_poke_counts_per_record_with_min_count_and_label(hubspot_connection, hubspot_emulator) -> None:
    assert not sensor().poke({}).is_done
    hubspot_emulator.associate("deals", 1, "companies", 11)
    result = sensor().poke({})
    assert not result.is_done and result.xcom_value["counts"] == {"1": 1, "2": 0}
    hubspot_emulator.associate("deals", 2, "companies", 12)
    assert sensor().poke({}).is_done
    assert not sensor(min_count=2).poke({}).is_done
    champion = hubspot_emulator.create_label("deals", "companies", "champion", "Champion")[0]["typeId"]
    assert not sensor(association_label="Champion").poke({}).is_done
    for deal in (1, 2):
        hubspot_emulator.associate("deals", deal, "companies", 20 + deal, types=[("USER_DEFINED", champion)])
    done = sensor(association_label=champion, record_ids="1,2").poke({})
    assert done.is_done and done.xcom_value["counts"] == {"1": 1, "2": 1}


def test_an_unknown_label_or_bad_id_fails_instead_of_waiting(hubspot_connection, hubspot_emulator) -> None:
    with pytest.raises(AirflowFailException, match="no association label 'Nope'"):
        sensor(association_label="Nope").poke({})
    with pytest.raises(AirflowFailException, match=r"record_ids\[1\].*expected a positive integer"):
        sensor(record_ids=[1, "x"]).poke({})


def test_deferrable_execute_defers_to_the_trigger_only_when_not_ready(hubspot_connection, hubspot_emulator) -> None:
    with pytest.raises(TaskDeferred) as deferred:
        sensor(deferrable=True, poke_interval=5, timeout=60).execute({})
    trigger = deferred.value.trigger
    assert isinstance(trigger, HubSpotAssociationTrigger) and deferred.value.method_name == "execute_complete"
    assert trigger.serialize()[1]["record_ids"] == [1, 2]
    assert trigger.deadline == pytest.approx(time.time() + 60, abs=5)
    for deal in (1, 2):
        hubspot_emulator.associate("deals", deal, "companies", 10 + deal)
    assert sensor(deferrable=True).execute({})["ready"]  # ready at once: no deferral


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"min_count": 0}, "min_count must be"), ({"record_ids": []}, "record_ids must"),
     ({"to_object_type": " "}, "to_object_type must")],
)
def test_bad_arguments_fail_at_parse_time(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        sensor(**kwargs)


DAG_SOURCE = """
import pendulum
from airflow.sdk import DAG, task
from airflow_provider_hubassoc.sensors.associations import HubSpotAssociationSensor

with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
    wait = HubSpotAssociationSensor(task_id="wait", from_object_type="deals", record_ids=[1, 2],
                                    to_object_type="companies", poke_interval=0.5, {extra})

    @task
    def warehouse(ready):
        return ready["counts"]

    warehouse(wait.output)
"""


def run_sensor_dag(dag_runner, dag_id: str, extra: str):
    return dag_runner.run(DAG_SOURCE.format(dag_id=dag_id, extra=extra), dag_id)


def test_dag_deferrable_sensor_waits_through_a_real_deferral(dag_runner, hubspot_emulator) -> None:
    hubspot_emulator.associate("deals", 1, "companies", 11)

    def reads() -> int:
        return sum(hubspot_emulator.counters().get("batch.read", {}).values())

    def crm_user() -> None:
        while reads() == 0:
            time.sleep(0.05)
        time.sleep(1.0)
        hubspot_emulator.associate("deals", 2, "companies", 12)

    worker = threading.Thread(target=crm_user)
    worker.start()
    run = run_sensor_dag(dag_runner, "sensor_deferred", "deferrable=True, timeout=60")
    worker.join()
    assert dag_runner.states(run) == {"wait": "success", "warehouse": "success"}
    assert dag_runner.xcom(run, "warehouse") == {"1": 1, "2": 1}
    assert reads() >= 3  # the sensor's look, then the trigger's polls while the task was deferred


@pytest.mark.parametrize(("soft_fail", "states"), [
    (True, {"wait": "skipped", "warehouse": "skipped"}),
    (False, {"wait": "failed", "warehouse": "upstream_failed"}),
])
def test_dag_deferrable_timeout_fails_or_skips_honestly(dag_runner, hubspot_emulator, soft_fail, states) -> None:
    run = run_sensor_dag(dag_runner, f"sensor_timeout_{soft_fail}", f"deferrable=True, timeout=1, soft_fail={soft_fail}")
    assert dag_runner.states(run) == states


@pytest.mark.parametrize("mode", ["poke", "reschedule"])
def test_dag_poke_and_reschedule_modes(dag_runner, hubspot_emulator, mode) -> None:
    for deal in (1, 2):
        hubspot_emulator.associate("deals", deal, "companies", 10 + deal)
    run = run_sensor_dag(dag_runner, f"sensor_{mode}", f"mode={mode!r}, timeout=30")
    assert dag_runner.states(run) == {"wait": "success", "warehouse": "success"}
