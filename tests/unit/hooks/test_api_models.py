"""Result types: plain-JSON ``as_dict`` forms and bounded failure lists."""

from __future__ import annotations

import json

from airflow_provider_hubassoc.hooks.models import (
    MAX_FAILURES_KEPT,
    AssociationRow,
    AssociationType,
    BatchResult,
    InputFailure,
)


def test_association_type_parses_both_spec_spellings():
    assert AssociationType.from_api({"category": "USER_DEFINED", "typeId": 28, "label": "Billing"}) == AssociationType(
        "USER_DEFINED", 28, "Billing"
    )
    spec = AssociationType.from_api({"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": "279"})
    assert spec == AssociationType("HUBSPOT_DEFINED", 279, None)
    assert spec.spec() == {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}


def test_row_labels_type_ids_and_json():
    row = AssociationRow(
        "0-1",
        1,
        "0-2",
        2,
        (AssociationType("HUBSPOT_DEFINED", 279, None), AssociationType("USER_DEFINED", 28, "Billing")),
    )
    assert row.labels == ("Billing",) and row.type_ids == (279, 28)
    assert json.loads(json.dumps(row.as_dict()))["labels"] == ["Billing"]


def test_batch_result_keeps_a_bounded_number_of_failures():
    result = BatchResult("create")
    for position in range(MAX_FAILURES_KEPT + 5):
        result.add_failure(InputFailure(position, {"from_id": 1, "to_id": 2}, 207, "VALIDATION_ERROR", None, "bad"))
    assert len(result.failures) == MAX_FAILURES_KEPT and result.failures_dropped == 5
    assert json.loads(json.dumps(result.as_dict()))["failures"][0]["category"] == "VALIDATION_ERROR"


def test_ok_reflects_failures_not_tied_to_an_input():
    result = BatchResult("archive", total=1, succeeded=1)
    assert result.ok
    result.add_failure(InputFailure(None, None, 207, "VALIDATION_ERROR", None, "unnamed"))
    assert not result.ok
