"""The 2026-09 write rules (reference §20.4): a refused association write, per input or for the whole request,
on versions from 2026-09 only; and the ``{createdResourceId, entity, location}`` wrapper of the labels PUT."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import requests
from emulator_helpers import Client, pair, spec, type_ids

if TYPE_CHECKING:
    from airflow_provider_hubassoc.emulator import HubSpotEmulator

GA = "/crm/associations/2026-09/contacts/companies"
PERMISSION_SUB = "crm.associations.USER_DOES_NOT_HAVE_PERMISSIONS"


@pytest.fixture
def client(hubspot_emulator: HubSpotEmulator) -> Client:
    return Client(hubspot_emulator)


def refusal(from_id: int, to_ids: list[int], to_name: str = "COMPANY") -> dict[str, Any]:
    """The errors[] item the emulator answers for one refused input."""
    return {
        "status": "error",
        "category": "VALIDATION_ERROR",
        "subCategory": PERMISSION_SUB,
        "message": (
            "The user does not have the 'Edit Associations' permission: associations of CONTACT "
            f"{from_id} with {to_name} {', '.join(map(str, to_ids))} cannot be changed."
        ),
        "context": {
            "fromObjectId": [str(from_id)],
            "toObjectId": [str(i) for i in to_ids],
            "requiredPermissions": ["Edit Associations"],
        },
        "errors": [],
        "links": {},
    }


def test_refuse_inputs_fails_the_refused_inputs_one_by_one_and_applies_the_rest(
    client: Client, hubspot_emulator: HubSpotEmulator
) -> None:
    hubspot_emulator.configure(association_permission_rule="refuse_inputs", association_permission_from_ids=[2, 4])
    inputs = [pair(i, 10 + i, spec(279)) for i in range(1, 6)]
    answer = client.post(f"{GA}/batch/create", {"inputs": inputs})
    assert answer.status_code == 207
    body = answer.json()
    assert body["numErrors"] == 2 and body["errors"] == [refusal(2, [12]), refusal(4, [14])]
    assert sorted(r["fromObjectId"] for r in body["results"]) == [1, 3, 5]
    assert [i for i in range(1, 6) if hubspot_emulator.associations("contacts", i, "companies")] == [1, 3, 5]

    default = client.post(
        f"{GA}/batch/associate/default",
        {"inputs": [{"from": {"id": "2"}, "to": {"id": "30"}}, {"from": {"id": "3"}, "to": {"id": "30"}}]},
    )
    assert default.status_code == 207 and default.json()["errors"] == [refusal(2, [30])]
    assert len(default.json()["results"]) == 2  # the two directions of the one applied pair
    assert 30 in hubspot_emulator.associations("contacts", 3, "companies")


@pytest.mark.parametrize("version", ["2026-09", "2026-09-beta", "2027-03"])
def test_refused_archives_answer_200_with_their_errors(
    client: Client, hubspot_emulator: HubSpotEmulator, version: str
) -> None:
    """The archive endpoints list only 200 at dated versions (§20.3): the refusals come in its body."""
    for from_id in (1, 2):
        for to_id in (10, 11):
            hubspot_emulator.associate("contacts", from_id, "companies", to_id)
    hubspot_emulator.configure(association_permission_rule="refuse_inputs", association_permission_from_ids=[2])
    base = f"/crm/associations/{version}/contacts/companies"
    archived = client.post(
        f"{base}/batch/archive",
        {
            "inputs": [
                {"from": {"id": "1"}, "to": [{"id": "10"}]},
                {"from": {"id": "2"}, "to": [{"id": "10"}, {"id": "11"}]},
            ]
        },
    )
    assert archived.status_code == 200
    assert archived.json()["results"] == [] and archived.json()["errors"] == [refusal(2, [10, 11])]
    assert sorted(hubspot_emulator.associations("contacts", 1, "companies")) == [11]
    assert sorted(hubspot_emulator.associations("contacts", 2, "companies")) == [10, 11]
    # removing the unlabeled type removes the association (HubSpot's rule): 1->11 goes, refused 2->11 stays
    labels = client.post(f"{base}/batch/labels/archive", {"inputs": [pair(1, 11, spec(279)), pair(2, 11, spec(279))]})
    assert labels.status_code == 200 and labels.json()["errors"] == [refusal(2, [11])]
    assert hubspot_emulator.associations("contacts", 1, "companies") == {}
    assert 279 in type_ids(hubspot_emulator, "contacts", 2, "companies")[11]


def test_refuse_inputs_on_a_record_level_write_is_a_400_naming_the_pair(
    client: Client, hubspot_emulator: HubSpotEmulator
) -> None:
    hubspot_emulator.associate("contacts", 5, "companies", 6)
    hubspot_emulator.configure(association_permission_rule="refuse_inputs")
    objects = "/crm/objects/2026-09/contacts/5/associations"
    for answer in (
        client.put(f"{objects}/companies/7", [spec(279)]),
        client.put(f"{objects}/default/companies/7"),
        client.delete(f"{objects}/companies/6"),
    ):
        assert answer.status_code == 400
        body = answer.json()
        assert (body["category"], body["subCategory"]) == ("VALIDATION_ERROR", PERMISSION_SUB)
        assert "'Edit Associations' permission" in body["message"]
        assert body["context"]["fromObjectId"] == ["5"] and body["context"]["requiredPermissions"] == [
            "Edit Associations"
        ]
    assert sorted(hubspot_emulator.associations("contacts", 5, "companies")) == [6]
    assert client.get(f"{objects}/companies").status_code == 200  # reads are not writes


def test_refuse_batch_is_a_400_naming_the_refused_from_ids_and_applies_nothing(
    client: Client, hubspot_emulator: HubSpotEmulator
) -> None:
    hubspot_emulator.configure(association_permission_rule="refuse_batch", association_permission_from_ids=[2, 4])
    answer = client.post(f"{GA}/batch/create", {"inputs": [pair(i, 10 + i, spec(279)) for i in range(1, 6)]})
    assert answer.status_code == 400
    body = answer.json()
    assert (body["category"], body["subCategory"]) == ("VALIDATION_ERROR", PERMISSION_SUB)
    assert body["context"] == {"fromObjectId": ["2", "4"], "requiredPermissions": ["Edit Associations"]}
    assert all(not hubspot_emulator.associations("contacts", i, "companies") for i in range(1, 6))
    allowed = client.post(f"{GA}/batch/create", {"inputs": [pair(1, 11, spec(279)), pair(3, 13, spec(279))]})
    assert allowed.status_code == 201


def test_refuse_request_is_a_403_naming_the_permission(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    hubspot_emulator.configure(association_permission_rule="refuse_request")
    answer = client.post(f"{GA}/batch/create", {"inputs": [pair(1, 11, spec(279))]})
    assert answer.status_code == 403
    body = answer.json()
    assert body["category"] == "USER_DOES_NOT_HAVE_PERMISSIONS" and body["correlationId"]
    assert "'Edit Associations' permission" in body["message"]
    assert body["context"] == {"requiredPermissions": ["Edit Associations"]}
    assert answer.headers["X-HubSpot-Correlation-Id"] == body["correlationId"]
    assert not hubspot_emulator.associations("contacts", 1, "companies")
    assert client.delete("/crm/objects/2026-09/contacts/1/associations/companies/11").status_code == 403
    # restricted to some from-ids: a request naming none of them is applied
    hubspot_emulator.configure(association_permission_from_ids=[9])
    assert client.post(f"{GA}/batch/create", {"inputs": [pair(1, 11, spec(279))]}).status_code == 201
    assert (
        client.post(f"{GA}/batch/create", {"inputs": [pair(1, 12, spec(279)), pair(9, 12, spec(279))]}).status_code
        == 403
    )
    assert sorted(hubspot_emulator.associations("contacts", 1, "companies")) == [11]


@pytest.mark.parametrize(
    "prefix",
    [
        pytest.param("/crm/v4/associations", marks=pytest.mark.legacy_api),
        pytest.param("/crm/associations/v4", marks=pytest.mark.legacy_api),
        "/crm/associations/2025-09",
        "/crm/associations/2026-03",
    ],
)
def test_versions_before_2026_09_are_not_enforced(
    client: Client, hubspot_emulator: HubSpotEmulator, prefix: str
) -> None:
    hubspot_emulator.configure(association_permission_rule="refuse_request")
    assert (
        client.post(f"{prefix}/contacts/companies/batch/create", {"inputs": [pair(1, 11, spec(279))]}).status_code
        == 201
    )
    objects = "/crm/v4/objects" if "v4" in prefix else f"/crm/objects/{prefix.rsplit('/', 1)[1]}"
    assert client.put(f"{objects}/contacts/1/associations/default/companies/12").status_code == 200
    assert sorted(hubspot_emulator.associations("contacts", 1, "companies")) == [11, 12]


def test_label_definitions_and_limits_are_not_association_writes(
    client: Client, hubspot_emulator: HubSpotEmulator
) -> None:
    hubspot_emulator.configure(association_permission_rule="refuse_request")
    created = client.post(f"{GA}/labels", {"name": "billing", "label": "Billing"})
    assert created.status_code == 200
    limits = "/crm/associations/2026-09/definitions/configurations/contacts/companies/batch/create"
    limit = {"category": "HUBSPOT_DEFINED", "typeId": 279, "maxToObjectIds": 5}
    assert client.post(limits, {"inputs": [limit]}).status_code == 201
    assert client.post(f"{GA}/batch/read", {"inputs": [{"id": "1"}]}).status_code == 207  # reads: no associations


def test_the_rule_can_bind_only_user_level_oauth_tokens(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    hubspot_emulator.oauth_client("app", "secret", "refresh")
    form = {"grant_type": "refresh_token", "client_id": "app", "client_secret": "secret", "refresh_token": "refresh"}
    token = requests.post(f"{hubspot_emulator.base_url}/oauth/2026-03/token", data=form, timeout=10).json()[
        "access_token"
    ]
    user = Client(hubspot_emulator, token=token)
    hubspot_emulator.configure(association_permission_rule="refuse_request", association_permission_tokens="oauth")
    assert client.post(f"{GA}/batch/create", {"inputs": [pair(1, 11, spec(279))]}).status_code == 201
    assert user.post(f"{GA}/batch/create", {"inputs": [pair(1, 12, spec(279))]}).status_code == 403
    hubspot_emulator.configure(association_permission_tokens="all")
    assert client.post(f"{GA}/batch/create", {"inputs": [pair(1, 13, spec(279))]}).status_code == 403
    assert sorted(hubspot_emulator.associations("contacts", 1, "companies")) == [11]


@pytest.mark.parametrize(
    "knobs",
    [
        {"association_permission_rule": "refuse"},
        {"association_permission_tokens": "users"},
        {"association_permission_from_ids": [0]},
        {"association_permission_from_ids": ["5"]},
    ],
)
def test_bad_rule_knobs_are_refused(hubspot_emulator: HubSpotEmulator, knobs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(knobs))):
        hubspot_emulator.configure(**knobs)
    assert hubspot_emulator.config["association_permission_rule"] is None


@pytest.mark.legacy_api  # compares with v4, which never wraps
@pytest.mark.parametrize("version", ["2025-09", "2026-03", "2026-09"])
def test_wrap_created_resource_wraps_the_dated_labels_put(
    client: Client, hubspot_emulator: HubSpotEmulator, version: str
) -> None:
    types = [spec(279), spec(1)]  # the same labels each time (a replace drops a Primary not re-sent)
    bare = client.put(f"/crm/objects/{version}/contacts/5/associations/companies/6", types).json()
    assert bare["labels"] == ["Primary"]
    hubspot_emulator.configure(wrap_created_resource=True)
    answer = client.put(f"/crm/objects/{version}/contacts/5/associations/companies/6", types)
    assert answer.status_code == 201
    assert answer.json() == {"createdResourceId": "6", "entity": bare, "location": answer.headers["Location"]}
    assert answer.headers["Location"].endswith(f"/crm/objects/{version}/0-1/5/associations/0-2/6")
    v4 = client.put("/crm/v4/objects/contacts/5/associations/companies/6", types)
    assert v4.json() == bare  # v4 never wraps
