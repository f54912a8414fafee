"""HubSpotAssociationSensor by key (``id_property``): the keys resolved to record ids, then counted."""

from __future__ import annotations

import pytest

from airflow_provider_hubassoc._compat import AirflowFailException
from airflow_provider_hubassoc.sensors.associations import HubSpotAssociationSensor


def sensor(record_ids, **kwargs):
    return HubSpotAssociationSensor(
        task_id="wait",
        from_object_type="contacts",
        to_object_type="companies",
        record_ids=record_ids,
        id_property="email",
        **kwargs,
    )


def test_poke_by_email(hubspot_connection, hubspot_emulator):
    a, b = hubspot_emulator.seed_records("contacts", [{"email": "a@x.io"}, {"email": "b@x.io"}])
    hubspot_emulator.associate("contacts", a, "companies", 7)
    result = sensor("a@x.io,b@x.io").poke({})
    assert result.is_done is False
    assert result.xcom_value["counts"] == {str(a): 1, str(b): 0}
    assert result.xcom_value["keys"] == {"a@x.io": a, "b@x.io": b}
    hubspot_emulator.associate("contacts", b, "companies", 7)
    assert sensor(["A@x.io", "b@x.io"]).poke({}).is_done is True
    assert sum(hubspot_emulator.counters()["objects.batch.read"].values()) == 2  # one look-up per check


def test_unknown_key_fails_naming_it(hubspot_connection, hubspot_emulator):
    hubspot_emulator.seed_records("contacts", [{"email": "a@x.io"}])
    with pytest.raises(AirflowFailException, match=r"'nobody@x\.io'"):
        sensor(["a@x.io", "nobody@x.io"]).poke({})


def test_a_bad_key_fails_before_any_request(hubspot_connection, hubspot_emulator):
    with pytest.raises(AirflowFailException, match=r"record_ids\[1\]"):
        sensor(["a@x.io", "bad\x00key"]).poke({})
    assert "objects.batch.read" not in hubspot_emulator.counters()
