"""HubSpotAssociationTrigger: serialization, and its run() under asyncio against the emulator over HTTP."""

from __future__ import annotations

import json
from typing import Any

from airflow_provider_hubassoc.triggers.associations import HubSpotAssociationTrigger

CLASSPATH = "airflow_provider_hubassoc.triggers.associations.HubSpotAssociationTrigger"


def make_trigger(**overrides: Any) -> HubSpotAssociationTrigger:
    kwargs: dict[str, Any] = {
        "from_object_type": "deals",
        "record_ids": [101, 102],
        "to_object_type": "companies",
        "poke_interval": 0.1,
    }
    kwargs.update(overrides)
    return HubSpotAssociationTrigger(**kwargs)


def test_serialize_gives_the_import_path_and_json_kwargs_that_rebuild_the_trigger() -> None:
    trigger = make_trigger(
        record_ids=["101", 102],
        label=7,
        min_count=3,
        hubspot_conn_id="crm",
        api_version="v4",
        poke_interval=2.5,
        deadline=1_800_000_000.25,
    )
    classpath, kwargs = trigger.serialize()
    assert classpath == CLASSPATH
    assert kwargs == {
        "from_object_type": "deals",
        "record_ids": [101, 102],
        "to_object_type": "companies",
        "label": 7,
        "min_count": 3,
        "hubspot_conn_id": "crm",
        "api_version": "v4",
        "poke_interval": 2.5,
        "deadline": 1_800_000_000.25,
        "hook_params": {},
    }
    assert json.loads(json.dumps(kwargs)) == kwargs  # the triggerer stores the kwargs as JSON
    module, _, name = classpath.rpartition(".")
    rebuilt = getattr(__import__(module, fromlist=[name]), name)(**json.loads(json.dumps(kwargs)))
    assert rebuilt.serialize() == (classpath, kwargs)
