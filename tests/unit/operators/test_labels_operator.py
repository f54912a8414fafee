"""HubSpotSyncLabelsOperator (labels as code) and HubSpotSyncAssociationsOperator (reconcile) against the emulator."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_hubassoc.operators.labels import HubSpotSyncLabelsOperator

BILLING = {"from_object_type": "contacts", "to_object_type": "companies", "name": "billing", "label": "Billing"}


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ({**BILLING, "name": "billing-contact"}, r"definitions\[0\]: name 'billing-contact'"),
        ({k: v for k, v in BILLING.items() if k != "label"}, r"definitions\[0\]: field 'label'"),
        ({**BILLING, "colour": "red"}, r"definitions\[0\]: unknown field"),
    ],
)
def test_bad_definitions_fail_at_parse_time(definition, message):
    with pytest.raises(ValueError, match=message):
        HubSpotSyncLabelsOperator(task_id="labels", definitions=[definition])
    with pytest.raises(ValueError, match=r"definitions\[1\]: name 'billing' is already used"):
        HubSpotSyncLabelsOperator(task_id="labels", definitions=[BILLING, {**BILLING, "label": "Other"}])
    too_many = [{**BILLING, "name": f"l{i}", "label": f"L{i}"} for i in range(11)]
    with pytest.raises(ValueError, match="HubSpot allows 10 per object pair"):
        HubSpotSyncLabelsOperator(task_id="labels", definitions=too_many)


# -- reconcile ---------------------------------------------------------------------------------------------


def companies(emulator: Any, contact: int) -> dict[int, set[str | None]]:
    return {
        to: {t["label"] for t in types} for to, types in emulator.associations("contacts", contact, "companies").items()
    }
