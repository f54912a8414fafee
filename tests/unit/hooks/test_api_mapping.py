"""Pure parts of the API: version paths, input parsing (hook), duplicate collapsing and 207/400 error mapping (_writes)."""

from __future__ import annotations

import gc
import json

import pytest

from airflow_provider_hubassoc.exceptions import HubSpotInputError
from airflow_provider_hubassoc.hooks._json import PAUSE_GC_FROM, loads
from airflow_provider_hubassoc.hooks._writes import (
    _Pair,
    archive_payload,
    collapse,
    create_payload,
    default_payload,
    match_error,
    result_pairs,
)
from airflow_provider_hubassoc.hooks.associations import _parse_pair, _positive_int, association_path
from airflow_provider_hubassoc.hooks.models import AssociationInput, AssociationType


@pytest.mark.parametrize(
    ("version", "endpoint", "path"),
    [
        ("v4", "associations/0-1/0-2/batch/read", "/crm/v4/associations/0-1/0-2/batch/read"),
        ("v4", "objects/0-1/5/associations/0-2/6", "/crm/v4/objects/0-1/5/associations/0-2/6"),
        ("2026-03", "associations/0-1/0-2/labels", "/crm/associations/2026-03/0-1/0-2/labels"),
        (
            "2026-09",
            "objects/0-1/5/associations/default/0-2/6",
            "/crm/objects/2026-09/0-1/5/associations/default/0-2/6",
        ),
        (
            "2026-03",
            "associations/definitions/configurations/all",
            "/crm/associations/2026-03/definitions/configurations/all",
        ),
        ("v4", "associations/usage/high-usage-report/7", "/crm/v4/associations/usage/high-usage-report/7"),
        ("v3", "associations/0-1/0-2/types", "/crm/v3/associations/0-1/0-2/types"),
    ],
)
def test_one_function_maps_version_and_endpoint_to_a_path(version, endpoint, path):
    assert association_path(version, endpoint) == path


@pytest.mark.parametrize(("value", "expected"), [(7, 7), ("007", 7), (" 12 ", 12), (10**15, 10**15)])
def test_ids_accept_positive_ints_and_digit_strings(value, expected):
    assert _positive_int(value, 0, "id") == expected


@pytest.mark.parametrize("value", [0, -1, "-1", "1e3", "1.0", 1.0, True, None, "", "١٢", [1]])
def test_ids_refuse_everything_else(value):
    with pytest.raises(HubSpotInputError, match="input #4, field 'from_id'"):
        _positive_int(value, 4, "from_id")


def test_pair_forms():
    assert _parse_pair((1, "2"), 0) == _Pair(0, 1, 2)
    assert _parse_pair((1, 2, "Billing"), 3).labels == ("Billing",)
    assert _parse_pair({"from_id": 1, "to_id": 2, "labels": ["a", 5]}, 0).labels == ("a", 5)
    assert _parse_pair(AssociationInput("1", 2, ("x",)), 0) == _Pair(0, 1, 2, ("x",))
    with pytest.raises(HubSpotInputError, match="input #2, field 'labels'"):
        _parse_pair((1, 2, [None]), 2)


def test_collapse_keeps_the_first_position_and_merges_types():
    a = AssociationType("USER_DEFINED", 1, "A")
    b = AssociationType("USER_DEFINED", 2, "B")
    unique, skipped = collapse([_Pair(0, 1, 2, types=(a,)), _Pair(1, 3, 4), _Pair(2, 1, 2, types=(b, a))])
    assert skipped == 1
    assert unique[0].position == 0 and unique[0].types == (a, b)


def test_collapse_without_repeats_keeps_every_pair_in_order():
    pairs = [_Pair(0, 1, 2), _Pair(1, 2, 1), _Pair(2, 1, 3)]
    assert collapse(pairs) == (pairs, 0)


def test_archive_payload_groups_by_from_id():
    payload = archive_payload([_Pair(0, 1, 2), _Pair(1, 1, 3), _Pair(2, 4, 2)])
    assert json.loads(payload) == {
        "inputs": [{"from": {"id": "1"}, "to": [{"id": "2"}, {"id": "3"}]}, {"from": {"id": "4"}, "to": [{"id": "2"}]}]
    }


def test_batch_bodies_built_as_text_are_the_json_of_the_inputs():
    """The bodies are written as text for speed; they must decode to what HubSpot's schema asks for."""
    a = AssociationType("USER_DEFINED", 7, 'A "quoted" \u00e9')
    primary = AssociationType("HUBSPOT_DEFINED", 1, "Primary")
    common = (a,)
    pairs = [_Pair(0, 1, 2**63 - 1, types=common), _Pair(1, 3, 4, types=common), _Pair(2, 5, 6, types=(primary, a))]
    assert json.loads(default_payload(pairs)) == {
        "inputs": [{"from": {"id": str(p.from_id)}, "to": {"id": str(p.to_id)}} for p in pairs]
    }
    assert json.loads(create_payload(pairs)) == {
        "inputs": [
            {
                "from": {"id": str(p.from_id)},
                "to": {"id": str(p.to_id)},
                "types": [{"associationCategory": x.category, "associationTypeId": x.type_id} for x in p.types],
            }
            for p in pairs
        ]
    }
    assert json.loads(default_payload([])) == {"inputs": []}


CANDIDATES = [(0, 5, 6), (1, 6, 5), (2, 7, 8)]


def test_error_mapped_by_from_object_id_context():
    error = {"subCategory": "x", "context": {"fromObjectId": ["7"], "fromObjectType": ["contact"]}}
    assert match_error(error, CANDIDATES) == [(2, 7, 8)]


def test_object_type_in_context_picks_the_side_of_the_id():
    error = {"context": {"objectId": ["5"], "objectType": ["COMPANY"]}}
    assert match_error(error, CANDIDATES, "0-1", "0-2") == [(1, 6, 5)]
    error = {"context": {"objectId": ["5"], "objectType": ["CONTACT"]}}
    assert match_error(error, CANDIDATES, "0-1", "0-2") == [(0, 5, 6)]
    # Without object types either side may hold the id.
    assert match_error(error, CANDIDATES) == [(0, 5, 6), (1, 6, 5)]


def test_error_mapped_by_ids_in_the_message_when_no_context():
    error = {"message": "No company is associated with deal 8."}
    assert match_error(error, CANDIDATES) == [(2, 7, 8)]
    error = {"context": {"INVALID_OBJECT_IDS": ["CONTACT=7 is not valid"]}}
    assert match_error(error, CANDIDATES) == [(2, 7, 8)]


def test_error_naming_no_input_matches_nothing():
    assert match_error({"message": "One or more associations are invalid"}, CANDIDATES) == []
    assert match_error({"context": {"fromObjectId": ["99"]}}, CANDIDATES) == []


def test_result_pairs_of_create_and_default_responses():
    assert result_pairs({"results": [{"fromObjectId": 1, "toObjectId": 2}]}) == {(1, 2)}
    assert result_pairs({"results": [{"from": {"id": "1"}, "to": {"id": "2"}}]}) == {(1, 2)}
    assert result_pairs({"results": [{"from": {"id": "1"}, "to": [{"id": "2"}]}]}) is None
    assert result_pairs(None) is None


@pytest.mark.parametrize("collector_on", [True, False])
def test_a_large_answer_is_decoded_with_the_collector_paused_and_left_as_found(collector_on):
    answer = {
        "results": [
            {"from": {"id": str(i)}, "to": [{"toObjectId": i + 1, "associationTypes": []}]} for i in range(2000)
        ]
    }
    body = json.dumps(answer).encode()
    assert len(body) >= PAUSE_GC_FROM  # the paused path
    seen: list[bool] = []
    original = json.loads

    def spy(data):
        seen.append(gc.isenabled())
        return original(data)

    was = gc.isenabled()
    (gc.enable if collector_on else gc.disable)()
    try:
        json.loads = spy  # loads() looks json.loads up at call time
        try:
            assert loads(body) == answer
            assert loads(b'{"small": 1}') == {"small": 1}
        finally:
            json.loads = original
        assert seen == [False, collector_on]  # paused only while the large answer was parsed
        assert gc.isenabled() is collector_on  # a collector paused by someone else stays paused
    finally:
        (gc.enable if was else gc.disable)()
