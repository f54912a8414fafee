"""HubSpotAssociationSensor: arguments, poke() against the emulator, deferral, and real DAG runs."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from airflow_provider_hubassoc._compat import (
    AIRFLOW_V_3_0_PLUS,
    AirflowFailException,
    TaskDeferred,
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


def batch_reads(emulator: Any) -> int:
    return sum(emulator.counters().get("batch.read", {}).values())


# -- construction (DAG parse time) -----------------------------------------------------------------------


# -- poke() ------------------------------------------------------------------------------------------------


def test_poke_not_ready_reports_counts_and_logs_the_short_records(
    hubspot_connection, hubspot_emulator, capfd, caplog
) -> None:
    caplog.set_level("INFO")
    hubspot_emulator.associate("deals", 102, "companies", 7)
    result = make_sensor(record_ids=[101, 102, 103]).poke({})
    assert result.is_done is False
    assert result.xcom_value == {"counts": {"101": 0, "102": 1, "103": 0}, "ready": False}
    log = capfd.readouterr().out + caplog.text  # Airflow 3 logs to stdout; Airflow 2 through logging
    assert "1 of 3 record(s) ready; waiting for deals 101 (0 < 1), 103 (0 < 1)" in log
    assert batch_reads(hubspot_emulator) == 1


def test_poke_ready_when_every_record_has_an_association(hubspot_connection, hubspot_emulator) -> None:
    hubspot_emulator.associate("deals", 101, "companies", 7)
    hubspot_emulator.associate("deals", 102, "companies", 7)
    hubspot_emulator.associate("deals", 102, "companies", 8)
    hubspot_emulator.associate("deals", 103, "contacts", 9)  # another object type: irrelevant
    result = make_sensor().poke({})
    assert result.is_done is True
    assert result.xcom_value == {"counts": {"101": 1, "102": 2}, "ready": True}
    single = make_sensor(record_ids="102").poke({})
    assert single.is_done and single.xcom_value["counts"] == {"102": 2}


def test_poke_min_count_needs_that_many_per_record(hubspot_connection, hubspot_emulator) -> None:
    for company in (1, 2, 3):
        hubspot_emulator.associate("deals", 101, "companies", company)
    hubspot_emulator.associate("deals", 102, "companies", 1)
    assert make_sensor(min_count=3).poke({}).xcom_value == {"counts": {"101": 3, "102": 1}, "ready": False}
    hubspot_emulator.associate("deals", 102, "companies", 2)
    assert not make_sensor(min_count=3).poke({}).is_done
    hubspot_emulator.associate("deals", 102, "companies", 3)
    assert make_sensor(min_count=3).poke({}).is_done


def test_poke_with_a_label_counts_only_labeled_associations(hubspot_connection, hubspot_emulator) -> None:
    [billing] = hubspot_emulator.create_label("deals", "companies", "billing_entity", "Billing entity")
    hubspot_emulator.associate("deals", 101, "companies", 1)
    hubspot_emulator.associate("deals", 102, "companies", 2, types=[("USER_DEFINED", billing["typeId"])])
    not_yet = make_sensor(label="Billing entity").poke({})
    assert not not_yet.is_done and not_yet.xcom_value["counts"] == {"101": 0, "102": 1}
    assert make_sensor().poke({}).is_done  # without the label, any association counts
    hubspot_emulator.associate("deals", 101, "companies", 1, types=[("USER_DEFINED", billing["typeId"])])
    assert make_sensor(label=billing["typeId"]).poke({}).is_done
    assert make_sensor(association_label="billing entity").poke({}).is_done


def test_poke_fails_fast_on_what_waiting_cannot_fix(hubspot_connection, hubspot_emulator) -> None:
    with pytest.raises(AirflowFailException, match="no association label 'Renewal owner'"):
        make_sensor(label="Renewal owner").poke({})
    with pytest.raises(AirflowFailException, match=r"record_ids\[2\]"):
        make_sensor(record_ids=[101, 102, "abc"]).poke({})
    assert batch_reads(hubspot_emulator) == 0


# -- deferrable execute() and execute_complete() ---------------------------------------------------------------


def test_deferrable_execute_returns_at_once_when_ready_else_defers_with_a_deadline(
    hubspot_connection, hubspot_emulator
) -> None:
    hubspot_emulator.associate("deals", 101, "companies", 1)
    sensor = make_sensor(deferrable=True, timeout=120, poke_interval=3, label=None, min_count=1)
    before = time.time()
    with pytest.raises(TaskDeferred) as deferral:
        sensor.execute({})
    assert deferral.value.method_name == "execute_complete"
    _, kwargs = deferral.value.trigger.serialize()
    assert kwargs["record_ids"] == [101, 102] and kwargs["poke_interval"] == 3.0
    assert before + 120 <= kwargs["deadline"] <= time.time() + 120
    hubspot_emulator.associate("deals", 102, "companies", 1)
    assert sensor.execute({}) == {"counts": {"101": 1, "102": 1}, "ready": True}


def test_hook_params_reach_the_hook_and_the_trigger_and_refuse_credentials(
    hubspot_connection, hubspot_emulator
) -> None:
    sensor = make_sensor(hook_params={"requests_per_10_seconds": 70, "max_retries": 1}, deferrable=True)
    hook = sensor._hook()
    assert (hook.settings.requests_per_10_seconds, hook.settings.max_retries) == (70, 1)
    with pytest.raises(TaskDeferred) as deferral:
        sensor.execute({})
    _, kwargs = deferral.value.trigger.serialize()
    assert kwargs["hook_params"] == {"requests_per_10_seconds": 70, "max_retries": 1}
    with pytest.raises(ValueError, match=r"hook_params must not hold credentials \(client_secret\)"):
        make_sensor(hook_params={"client_secret": "s"})


# -- real DAG runs ---------------------------------------------------------------------------------------------

GATE_DAG = """
import pendulum
try:  # Airflow 3
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2
    from airflow import DAG
    from airflow.decorators import task
from airflow_provider_hubassoc.sensors.associations import HubSpotAssociationSensor

with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
    gate = HubSpotAssociationSensor(
        task_id="gate", from_object_type="deals", record_ids="{{{{ [101, 102] | tojson }}}}",
        to_object_type="companies", poke_interval=0.5, {options}
    )

    @task
    def downstream(ready):
        return sorted(ready["counts"])

    downstream(gate.output)
"""


def run_gate(dag_runner: Any, dag_id: str, options: str) -> Any:
    return dag_runner.run(GATE_DAG.format(dag_id=dag_id, options=options), dag_id)


def test_dag_deferrable_gate_with_associations_in_place(dag_runner, hubspot_emulator) -> None:
    hubspot_emulator.associate("deals", 101, "companies", 1)
    hubspot_emulator.associate("deals", 102, "companies", 2)
    run = run_gate(dag_runner, "gate_ready", "deferrable=True, timeout=30")
    assert str(run.state) == "success"
    assert dag_runner.states(run) == {"gate": "success", "downstream": "success"}
    assert dag_runner.xcom(run, "gate") == {"counts": {"101": 1, "102": 1}, "ready": True}
    assert dag_runner.xcom(run, "downstream") == ["101", "102"]
    assert batch_reads(hubspot_emulator) == 1  # met at the first look: no trigger


def test_dag_gate_defers_and_the_trigger_sees_the_association_arrive(
    dag_runner, hubspot_emulator, capfd, caplog
) -> None:
    caplog.set_level("INFO")  # Airflow 2 logs through logging, Airflow 3 to stdout
    arrived: list[float] = []

    def rep_enters_the_companies() -> None:
        deadline = time.monotonic() + 60
        while batch_reads(hubspot_emulator) == 0 and time.monotonic() < deadline:  # the sensor's first look
            time.sleep(0.05)
        time.sleep(2)
        hubspot_emulator.associate("deals", 101, "companies", 1)
        hubspot_emulator.associate("deals", 102, "companies", 2)
        arrived.append(time.monotonic())

    rep = threading.Thread(target=rep_enters_the_companies, daemon=True)
    rep.start()
    run = run_gate(dag_runner, "gate_deferred", "deferrable=True, timeout=60")
    rep.join(timeout=5)
    assert arrived, "the associations were never created"
    assert dag_runner.states(run) == {"gate": "success", "downstream": "success"}
    assert dag_runner.xcom(run, "gate") == {"counts": {"101": 1, "102": 1}, "ready": True}
    log = capfd.readouterr().out + caplog.text  # dag.test() runs the trigger in-line and logs that it does
    assert "[DAG TEST] running trigger in line" in log
    if AIRFLOW_V_3_0_PLUS:  # Airflow 2 writes this line to the task log only
        assert "Pausing task as DEFERRED" in log
    assert "waiting for deals 101 (0 < 1), 102 (0 < 1)" in log  # logged by the trigger while it polled
    # the sensor's one look, then the trigger polled every 0.5 s through the 2 s wait
    assert batch_reads(hubspot_emulator) >= 4


@pytest.mark.parametrize(
    ("soft_fail", "expected"),
    [
        (True, {"gate": "skipped", "downstream": "skipped"}),
        (False, {"gate": "failed", "downstream": "upstream_failed"}),
    ],
)
def test_dag_deferred_gate_times_out(dag_runner, hubspot_emulator, soft_fail, expected, capfd, caplog) -> None:
    caplog.set_level("INFO")
    hubspot_emulator.associate("deals", 101, "companies", 1)
    started = time.monotonic()
    run = run_gate(
        dag_runner, f"gate_timeout_soft_{soft_fail}".lower(), f"deferrable=True, timeout=1.5, soft_fail={soft_fail}"
    )
    assert dag_runner.states(run) == expected
    log = capfd.readouterr().out + caplog.text
    assert "[DAG TEST] running trigger in line" in log
    named = "Sensor timed out after 1.5 s: 1 of 2 record(s) ready; waiting for deals 102 (0 < 1)"
    if AIRFLOW_V_3_0_PLUS or not soft_fail:  # Airflow 3 logs its own reason for a skip, Airflow 2 ours
        assert (named in log) is not soft_fail
    assert batch_reads(hubspot_emulator) >= 2  # the trigger polled until its deadline
    assert time.monotonic() - started < 60


def test_dag_reschedule_mode_with_associations_present(dag_runner, hubspot_emulator) -> None:
    hubspot_emulator.associate("deals", 101, "companies", 1)
    hubspot_emulator.associate("deals", 102, "companies", 1)
    run = run_gate(dag_runner, "gate_reschedule", "mode='reschedule', timeout=30")
    assert dag_runner.states(run) == {"gate": "success", "downstream": "success"}
    assert dag_runner.xcom(run, "downstream") == ["101", "102"]
