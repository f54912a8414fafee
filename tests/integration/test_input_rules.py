"""The documented input rules (docs/bad-input.md, "Bad input"): what is accepted, and how edge inputs behave.

The refusals are catalogued in ``test_hostile_inputs.py``; these tests pin the behaviours that are not errors:
a BOM, the ``encoding`` option, duplicates across chunks counted once, the empty-input rule, the sensor failing
fast on a record HubSpot cannot read and naming the records still short when it times out, the emulator's label
length answer.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from airflow_provider_hubassoc._compat import (
    AIRFLOW_V_3_0_PLUS,
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
)
from airflow_provider_hubassoc.hooks._validation import MAX_LABEL_NAME_LENGTH, MAX_LABEL_TEXT_LENGTH
from airflow_provider_hubassoc.operators._files import shard_of
from airflow_provider_hubassoc.operators.associations import (
    HubSpotArchiveAssociationsOperator,
    HubSpotCreateAssociationsOperator,
    HubSpotReadAssociationsOperator,
    HubSpotSyncAssociationsOperator,
)
from airflow_provider_hubassoc.operators.labels import HubSpotSyncLabelsOperator
from airflow_provider_hubassoc.sensors.associations import HubSpotAssociationSensor

PARAMS = {"requests_per_10_seconds": 1_000_000}


def args(**kwargs: Any) -> dict[str, Any]:
    return {"from_object_type": "contacts", "to_object_type": "companies", "hook_params": PARAMS, **kwargs}


def link(**kwargs: Any) -> dict[str, Any]:
    return HubSpotCreateAssociationsOperator(task_id="link", **args(**kwargs)).execute({})


def companies_of(emulator: Any, contact: int) -> set[int]:
    return set(emulator.associations("contacts", contact, "companies"))


# -- encodings ------------------------------------------------------------------------------------------------


def test_a_utf8_bom_is_accepted(hubspot_connection, hubspot_emulator, tmp_path):
    """Excel's "CSV UTF-8" starts with a byte-order mark: the first column is still ``from_id``."""
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbffrom_id,to_id\r\n1,501\r\n2,502\r\n")
    assert link(input_path=str(path))["succeeded"] == 2
    assert companies_of(hubspot_emulator, 1) == {501}


def test_the_encoding_option_reads_a_windows_file_and_its_labels(hubspot_connection, hubspot_emulator, tmp_path):
    hubspot_emulator.create_label("contacts", "companies", "cafe", "Café owner")
    path = tmp_path / "windows.csv"
    path.write_bytes("from_id,to_id,role\n1,501,Café owner\n".encode("cp1252"))
    with pytest.raises(AirflowFailException, match=r"windows\.csv line 2: not valid utf-8"):
        link(input_path=str(path), label_column="role")
    assert link(input_path=str(path), label_column="role", encoding="cp1252")["succeeded"] == 1
    assert companies_of(hubspot_emulator, 1) == {501}


def test_a_utf16_file_reads_with_its_encoding(hubspot_connection, hubspot_emulator, tmp_path):
    """Lines are re-split after decoding, so an encoding whose newline is two bytes works too."""
    path = tmp_path / "wide.csv"
    path.write_bytes("from_id,to_id\r\n1,501\r\n2,502\r\n".encode("utf-16"))
    assert link(input_path=str(path), encoding="utf-16")["succeeded"] == 2


def test_read_operator_takes_the_encoding_option(hubspot_connection, hubspot_emulator, tmp_path):
    hubspot_emulator.associate("contacts", 7, "companies", 701)
    path = tmp_path / "ids.csv"
    path.write_bytes("note,id\ncaf\xe9,7\n".encode("latin-1"))
    summary = HubSpotReadAssociationsOperator(
        task_id="read", input_path=str(path), encoding="latin-1", **args()
    ).execute({})
    assert summary["records"] == 1 and summary["rows"][0]["to_id"] == 701


# -- duplicates ---------------------------------------------------------------------------------------------


def test_a_duplicate_in_another_chunk_is_sent_once_and_counted_as_skipped(hubspot_connection, hubspot_emulator):
    """Chunks of 2: the repeat of (1, 501) lands in the second chunk. Before, it was sent again and counted as
    succeeded twice."""
    summary = link(pairs=[[1, 501], [2, 502], [3, 503], [1, 501], ["1", "501"]], chunk_size=2)
    assert (summary["total"], summary["succeeded"], summary["skipped"], summary["failed"]) == (5, 3, 2, 0)
    assert summary["not_sent"] == 0
    assert {c for n in (1, 2, 3) for c in companies_of(hubspot_emulator, n)} == {501, 502, 503}


def test_a_repeated_pair_with_other_labels_is_not_a_duplicate(hubspot_connection, hubspot_emulator):
    billing = hubspot_emulator.create_label("contacts", "companies", "billing", "Billing")[0]["typeId"]
    owner = hubspot_emulator.create_label("contacts", "companies", "owner", "Owner")[0]["typeId"]
    summary = link(pairs=[[1, 501, "Billing"], [2, 502], [1, 501, "Owner"]], chunk_size=1)
    assert (summary["succeeded"], summary["skipped"]) == (3, 0)
    types = {t["typeId"] for t in hubspot_emulator.associations("contacts", 1, "companies")[501]}
    assert {billing, owner} <= types


def test_unlink_counts_a_repeat_in_a_file_once(hubspot_connection, hubspot_emulator, tmp_path):
    for contact in (1, 2):
        hubspot_emulator.associate("contacts", contact, "companies", 500 + contact)
    path = tmp_path / "gone.csv"
    path.write_text("from_id,to_id\n1,501\n2,502\n1,501\n")
    summary = HubSpotArchiveAssociationsOperator(
        task_id="unlink", input_path=str(path), chunk_size=1, **args()
    ).execute({})
    assert (summary["total"], summary["succeeded"], summary["skipped"]) == (3, 2, 1)


def test_read_operator_reads_a_repeated_id_once(hubspot_connection, hubspot_emulator, tmp_path):
    hubspot_emulator.associate("contacts", 7, "companies", 701)
    hubspot_emulator.associate("contacts", 8, "companies", 801)
    listed = HubSpotReadAssociationsOperator(task_id="read", record_ids=[7, 8, "7"], chunk_size=1, **args()).execute({})
    assert (listed["records"], listed["skipped"], listed["associations"]) == (2, 1, 2)
    path = tmp_path / "ids.jsonl"
    path.write_text('{"id": 7}\n{"id": 8}\n{"id": 7}\n{"id": 8}\n')
    out = tmp_path / "out.csv"
    from_file = HubSpotReadAssociationsOperator(
        task_id="read", input_path=str(path), chunk_size=1, output_path=str(out), **args()
    ).execute({})
    assert (from_file["records"], from_file["skipped"], from_file["associations"]) == (2, 2, 2)
    assert len(out.read_text().splitlines()) == 3  # header + one row per pair


# -- empty input ---------------------------------------------------------------------------------------------


def test_empty_input_succeeds_with_zero_counts_only_when_allowed(hubspot_connection, hubspot_emulator, tmp_path):
    header_only = tmp_path / "none.csv"
    header_only.write_text("from_id,to_id\n")
    with pytest.raises(AirflowFailException, match=r"none\.csv \(no rows\) is empty.*allow_empty=True"):
        link(input_path=str(header_only))
    summary = link(input_path=str(header_only), allow_empty=True)
    assert (summary["total"], summary["succeeded"], summary["requests"]) == (0, 0, 0)
    read = HubSpotReadAssociationsOperator(task_id="read", record_ids=[], allow_empty=True, **args()).execute({})
    assert (read["records"], read["associations"], read["rows"]) == (0, 0, [])
    sync = HubSpotSyncAssociationsOperator(task_id="sync", pairs=[], allow_empty=True, **args()).execute({})
    assert sync["plan"]["desired"] == 0
    labels = HubSpotSyncLabelsOperator(task_id="labels", definitions=[], allow_empty=True).execute({})
    assert labels == {}
    sensor = HubSpotAssociationSensor(
        task_id="wait", from_object_type="contacts", to_object_type="companies", record_ids=[], allow_empty=True
    )
    assert sensor.execute({}) == {"counts": {}, "ready": True}
    assert hubspot_emulator.write_requests() == 0


def test_an_empty_shard_of_a_non_empty_input_is_not_empty_input(hubspot_connection, hubspot_emulator):
    """Shards split one input: a shard with no pairs is normal, the rule is about the whole input."""
    other = 1 - shard_of(1, 2)
    summary = link(pairs=[[1, 501]], shard_index=other, shard_count=2)
    assert (summary["total"], summary["requests"]) == (0, 0)


def test_reconcile_with_no_pairs_but_source_ids_is_not_empty(hubspot_connection, hubspot_emulator):
    hubspot_emulator.associate("contacts", 1, "companies", 501)
    summary = HubSpotSyncAssociationsOperator(task_id="sync", pairs=[], source_ids=[1], prune=True, **args()).execute(
        {}
    )
    assert summary["archived"] == 1 and companies_of(hubspot_emulator, 1) == set()


# -- the sensor ------------------------------------------------------------------------------------------------


def sensor(**kwargs: Any) -> HubSpotAssociationSensor:
    return HubSpotAssociationSensor(
        task_id="wait", from_object_type="contacts", to_object_type="companies", poke_interval=0.05, **kwargs
    )


def test_sensor_fails_at_once_naming_a_record_that_does_not_exist(hubspot_connection, hubspot_emulator):
    hubspot_emulator.configure(auto_records=False)
    hubspot_emulator.create_records("contacts", [1])
    hubspot_emulator.create_records("companies", [501])
    hubspot_emulator.associate("contacts", 1, "companies", 501)
    task = sensor(record_ids=[1, 424242], timeout=600)
    with pytest.raises(AirflowFailException, match=r"cannot read 1 contacts record\(s\).*424242"):
        task.execute({})
    assert sum(hubspot_emulator.counters().get("batch.read", {}).values()) == 1  # one check, no waiting


def test_deferred_sensor_check_fails_naming_a_record_that_does_not_exist(hubspot_connection, hubspot_emulator):
    """The trigger runs the same check: its error event names the record (the sensor then fails)."""
    import asyncio

    from airflow_provider_hubassoc.triggers.associations import HubSpotAssociationTrigger

    hubspot_emulator.configure(auto_records=False)
    trigger = HubSpotAssociationTrigger(
        from_object_type="contacts", record_ids=[77], to_object_type="companies", poke_interval=0.05, deadline=None
    )

    async def first_event() -> Any:
        async for event in trigger.run():
            return event.payload
        return None  # the trigger ended without an event

    event = asyncio.run(first_event())
    assert event["status"] == "error" and event["final"] and "77" in event["message"]
    with pytest.raises(AirflowFailException, match="77"):
        sensor(record_ids=[77], timeout=5).execute_complete({}, event)


@pytest.mark.parametrize("soft_fail", [False, True])
def test_poke_mode_timeout_names_the_records_still_short(hubspot_connection, hubspot_emulator, soft_fail):
    hubspot_emulator.associate("contacts", 1, "companies", 501)
    task = sensor(record_ids=[1, 2], timeout=0.2, soft_fail=soft_fail)
    expected = AirflowSkipException if soft_fail else AirflowSensorTimeout
    with pytest.raises(
        expected,
        match=r"Sensor has timed out.*Still short: 1 of 2 record\(s\) ready; waiting for "
        r"contacts 2 \(0 < 1\)",
    ):
        task.execute({})


@pytest.mark.skipif(
    not AIRFLOW_V_3_0_PLUS,
    reason="the fake TI drives Airflow 3's reschedule start; Airflow 2 reads it from the metadata DB",
)
def test_reschedule_mode_timeout_names_the_records_still_short(hubspot_connection, hubspot_emulator):
    from datetime import datetime, timedelta, timezone

    class TI:
        def get_first_reschedule_date(self, context: Any) -> Any:
            return datetime.now(timezone.utc) - timedelta(seconds=60)

    task = sensor(record_ids=[5], timeout=30, mode="reschedule")
    with pytest.raises(AirflowSensorTimeout, match=r"Still short: 0 of 1 record\(s\) ready; waiting for contacts 5"):
        task.execute({"ti": TI()})


# -- label lengths in the emulator -----------------------------------------------------------------------------


def test_emulator_refuses_label_names_and_texts_beyond_the_bounds(hubspot_emulator):
    base = f"{hubspot_emulator.base_url}/crm/associations/2026-09/contacts/companies/labels"
    headers = {"Authorization": f"Bearer {hubspot_emulator.token}"}
    cases = [
        ({"name": "n" * (MAX_LABEL_NAME_LENGTH + 1), "label": "N"}, "name"),
        ({"name": "n", "label": "L" * (MAX_LABEL_TEXT_LENGTH + 1)}, "label"),
        ({"name": "n", "label": "L", "inverseLabel": "I" * (MAX_LABEL_TEXT_LENGTH + 1)}, "inverseLabel"),
    ]
    for body, field in cases:
        answer = requests.post(base, json=body, headers=headers, timeout=10)
        assert answer.status_code == 400, body
        assert answer.json()["category"] == "VALIDATION_ERROR" and field in answer.json()["context"]
    created = requests.post(
        base,
        json={"name": "n" * MAX_LABEL_NAME_LENGTH, "label": "L" * MAX_LABEL_TEXT_LENGTH},
        headers=headers,
        timeout=10,
    )
    assert created.status_code == 200
    type_id = created.json()["results"][0]["typeId"]
    update = requests.put(
        base,
        json={"associationTypeId": type_id, "label": "L" * (MAX_LABEL_TEXT_LENGTH + 1)},
        headers=headers,
        timeout=10,
    )
    assert update.status_code == 400 and update.json()["category"] == "VALIDATION_ERROR"


def test_emulator_batch_read_of_a_missing_record_is_an_error_not_an_empty_result(hubspot_emulator):
    hubspot_emulator.configure(auto_records=False)
    hubspot_emulator.create_records("contacts", [1])
    answer = requests.post(
        f"{hubspot_emulator.base_url}/crm/associations/2026-09/contacts/companies/batch/read",
        json={"inputs": [{"id": "1"}, {"id": "9"}]},
        headers={"Authorization": f"Bearer {hubspot_emulator.token}"},
        timeout=10,
    )
    assert answer.status_code == 207
    errors = {e.get("subCategory"): e for e in answer.json()["errors"]}
    assert set(errors) == {"crm.associations.NO_ASSOCIATIONS_FOUND", "crm.associations.INVALID_OBJECT_IDS"}
    assert errors["crm.associations.INVALID_OBJECT_IDS"]["context"]["objectId"] == ["9"]
