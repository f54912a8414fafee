"""HubSpotSyncLabelsOperator (labels as code) against the emulator: execute() directly, and one real DAG run."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_hubassoc.operators.labels import HubSpotSyncLabelsOperator


def label(name: str, text: str, *, pair: tuple[str, str] = ("contacts", "companies"), **extra: Any) -> dict[str, Any]:
    """One label definition (contacts→companies unless ``pair`` says otherwise)."""
    return {"from_object_type": pair[0], "to_object_type": pair[1], "name": name, "label": text, **extra}


DECIDER = label("decision_maker", "Decision maker")
PARENT = label("parent_contact", "Parent", inverse_label="Child")


@pytest.mark.parametrize(
    ("definitions", "message"),
    [
        ([label("decision-maker", "Decision maker")], r"definitions\[0\]: name 'decision-maker' must be letters"),
        ([label("decision_maker\n", "Decision maker")], r"definitions\[0\]: name 'decision_maker\\n' must be"),
        ([label("9lives", "Nine")], r"definitions\[0\]: name '9lives'"),
        ([DECIDER, {k: v for k, v in PARENT.items() if k != "label"}], r"definitions\[1\]: field 'label' must be"),
        (
            [DECIDER, label("decision_maker", "Other")],
            r"definitions\[1\]: name 'decision_maker' is already used by definitions\[0\]",
        ),
        (
            [label(f"l{i}", f"L{i}") for i in range(11)],
            r"definitions\[10\]: 11 labels from contacts to companies: HubSpot allows 10 per object pair",
        ),
        ([DECIDER, {**PARENT, "colour": "red"}], r"definitions\[1\]: unknown field\(s\) \['colour'\]"),
        (
            [DECIDER, label("other", "decision MAKER")],
            r"definitions\[1\]: field 'label' 'decision MAKER' .* already used by definitions\[0\]",
        ),
        ([{**DECIDER, "previous_labels": "Decider"}], r"definitions\[0\]: previous_labels must be a list"),
        ([{**DECIDER, "previous_labels": 5}], r"definitions\[0\]: previous_labels must be a list"),
        ([{**DECIDER, "type_id": "12"}], r"definitions\[0\]: type_id must be a positive integer"),
        ([{**DECIDER, "inverse_label": ""}], r"definitions\[0\]: inverse_label must be"),
        (json.dumps([label("bad-name", "Bad")]), r"definitions\[0\]: name 'bad-name'"),
        ("[not json", r"definitions: not valid JSON"),
        ([label("plan", "Plan")], r"definitions\[0\]: name 'plan' is one of the operator's own XCom keys"),
        ([label("bell\a", "Bell")], r"definitions\[0\]: name 'bell\\x07' must be letters"),
        (
            [{**DECIDER, "previous_labels": ["Old", "Old\x00"]}],
            r"definitions\[0\]: field 'previous_labels'\[1\]: label holds the control character U\+0000",
        ),
        ([label("x", "X", pair=("2-1\u0662\u0663", "companies"))], r"definitions\[0\]: field from_object_type must"),
    ],
)
def test_bad_definitions_fail_when_the_dag_is_parsed(definitions, message):
    with pytest.raises(ValueError, match=message):
        HubSpotSyncLabelsOperator(task_id="sync_labels", definitions=definitions)


def test_ten_labels_per_pair_are_allowed_and_pairs_are_counted_apart():
    ten = [label(f"l{i}", f"L{i}") for i in range(10)]
    other_pair = [label(f"d{i}", f"D{i}", pair=("deals", "companies")) for i in range(10)]
    operator = HubSpotSyncLabelsOperator(task_id="sync_labels", definitions=ten + other_pair)
    assert len(operator.definitions) == 20


@pytest.mark.parametrize("deferred", ["labels/associations.json", "{{ var.value.labels }}"])
def test_file_paths_and_templates_are_checked_when_rendered_not_at_parse_time(deferred):
    assert HubSpotSyncLabelsOperator(task_id="sync_labels", definitions=deferred).definitions == deferred
