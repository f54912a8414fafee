"""Semantic rules of HubSpot associations, each checked over real HTTP against the emulator.

Every test quotes the HubSpot documentation rule it checks (via the reference
``hubspot-associations-api.md``, section given).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from emulator_helpers import Client, pair, spec, type_ids

if TYPE_CHECKING:
    from airflow_provider_hubassoc.emulator import HubSpotEmulator

#: the provider's default version (reference §20.3); association rules are the same in every version
ASSOC = "/crm/associations/2026-09"
OBJECTS = "/crm/objects/2026-09"


@pytest.fixture
def client(hubspot_emulator: HubSpotEmulator) -> Client:
    return Client(hubspot_emulator)


def test_association_visible_from_both_sides_with_inverse_type(
    client: Client, hubspot_emulator: HubSpotEmulator
) -> None:
    """ "Use the typeId of the correct direction (contact→company primary is 1, company→contact is 2)"
    and associations are bidirectional (§4, §15.2): contact 1 -> company 2 with 279 shows 280 from the company."""
    response = client.post(f"{ASSOC}/contacts/companies/batch/create", {"inputs": [pair(1, 2, spec(279))]})
    assert response.status_code == 201
    assert 280 in type_ids(hubspot_emulator, "companies", 2, "contacts")[1]
    read = client.post(f"{ASSOC}/companies/contacts/batch/read", {"inputs": [{"id": "2"}]}).json()
    assert read["results"][0]["to"][0]["toObjectId"] == 1
    assert {t["typeId"] for t in read["results"][0]["to"][0]["associationTypes"]} == {2, 280}


def test_unlabeled_type_always_reported_alongside_labels(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    """ "Unlabeled: an association type added when any contact, company, deal, or ticket record is associated.
    This type denotes that an association exists, and will always returned in responses with a label value of
    null. When a record has a primary association or a custom association type, those types will be listed
    alongside the unlabeled association type." (v4 guide, seeds/002)"""
    label = hubspot_emulator.create_label("deals", "contacts", "decision_maker", "Decision maker")[0]
    client.put(
        f"{OBJECTS}/deals/10/associations/contacts/20", [spec(label["typeId"], "USER_DEFINED")]
    ).raise_for_status()
    listed = client.get(f"{OBJECTS}/deals/10/associations/contacts").json()["results"]
    types = listed[0]["associationTypes"]
    assert {"category": "HUBSPOT_DEFINED", "typeId": 3, "label": None} in types
    assert {"category": "USER_DEFINED", "typeId": label["typeId"], "label": "Decision maker"} in types


def test_several_labels_on_one_pair(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    """Labels are a set per pair: "to append, send old + new labels" (§4 [DOC-v4])."""
    a = hubspot_emulator.create_label("contacts", "deals", "champion", "Champion")[0]["typeId"]
    b = hubspot_emulator.create_label("contacts", "deals", "approver", "Approver")[0]["typeId"]
    body = [spec(a, "USER_DEFINED"), spec(b, "USER_DEFINED")]
    response = client.put(f"{OBJECTS}/contacts/1/associations/deals/2", body)
    assert response.status_code == 201
    assert sorted(response.json()["labels"]) == ["Approver", "Champion"]
    assert type_ids(hubspot_emulator, "contacts", 1, "deals") == {2: {4, a, b}}


@pytest.mark.parametrize("semantics", ["replace", "merge"])
def test_label_write_semantics(client: Client, hubspot_emulator: HubSpotEmulator, semantics: str) -> None:
    """ "PUT (and batch create) with an existing labeled pair *replaces* the label set with what you send;
    to append, send old + new labels" (§4 [DOC-v4]); the "merge" knob makes writes additive instead."""
    hubspot_emulator.configure(label_write_semantics=semantics)
    a = hubspot_emulator.create_label("contacts", "deals", "champion", "Champion")[0]["typeId"]
    b = hubspot_emulator.create_label("contacts", "deals", "approver", "Approver")[0]["typeId"]
    client.put(f"{OBJECTS}/contacts/1/associations/deals/2", [spec(a, "USER_DEFINED")]).raise_for_status()
    client.post(
        f"{ASSOC}/contacts/deals/batch/create", {"inputs": [pair(1, 2, spec(b, "USER_DEFINED"))]}
    ).raise_for_status()
    expected = {4, b} if semantics == "replace" else {4, a, b}
    assert type_ids(hubspot_emulator, "contacts", 1, "deals") == {2: expected}
    # the inverse side follows
    assert type_ids(hubspot_emulator, "deals", 2, "contacts") == {1: {3} | (expected - {4})}


def test_paired_labels_get_two_ids_and_show_their_inverse(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    """Paired labels: "POST body (paired): {label: Manager, inverseLabel: Employee}" returns two entries, one
    typeId per direction (§6 [DOC-SCHEMA]); ids are account-unique."""
    created = client.post(
        f"{ASSOC}/contacts/companies/labels",
        {"name": "manager_employee", "label": "Manager", "inverseLabel": "Employee"},
    ).json()
    by_label = {r["label"]: r["typeId"] for r in created["results"]}
    assert set(by_label) == {"Manager", "Employee"} and by_label["Manager"] != by_label["Employee"]
    other = client.post(f"{ASSOC}/deals/tickets/labels", {"name": "escalation", "label": "Escalation"}).json()
    assert other["results"][0]["typeId"] not in by_label.values()
    client.put(
        f"{OBJECTS}/contacts/5/associations/companies/6", [spec(by_label["Manager"], "USER_DEFINED")]
    ).raise_for_status()
    back = client.get(f"{OBJECTS}/companies/6/associations/contacts").json()["results"][0]
    assert {"category": "USER_DEFINED", "typeId": by_label["Employee"], "label": "Employee"} in back["associationTypes"]


def test_unpaired_label_visible_from_other_side_under_same_id(
    client: Client, hubspot_emulator: HubSpotEmulator
) -> None:
    """An unpaired label applies to both records of the pair (HubSpot shows it on both records); the emulator
    reports it from the other side under the same id and text (documented choice)."""
    label = hubspot_emulator.create_label("deals", "tickets", "escalation", "Escalation")[0]
    client.put(f"{OBJECTS}/deals/1/associations/tickets/2", [spec(label["typeId"], "USER_DEFINED")]).raise_for_status()
    assert label["typeId"] in type_ids(hubspot_emulator, "tickets", 2, "deals")[1]
    listed = client.get(f"{ASSOC}/tickets/deals/labels").json()["results"]
    assert {"category": "USER_DEFINED", "typeId": label["typeId"], "label": "Escalation"} in listed


def test_first_company_becomes_primary_and_primary_moves(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    """ "The first company record associated with a contact, deal, or ticket is automatically set to Primary.
    This API supports changing which company is considered the primary." (v4 guide, seeds/002); "Only one
    primary company per record" ([DOC-SCHEMA], §4)."""
    client.post(
        f"{ASSOC}/contacts/companies/batch/associate/default", {"inputs": [{"from": {"id": "1"}, "to": {"id": "100"}}]}
    ).raise_for_status()
    client.post(
        f"{ASSOC}/contacts/companies/batch/associate/default", {"inputs": [{"from": {"id": "1"}, "to": {"id": "200"}}]}
    ).raise_for_status()
    assert type_ids(hubspot_emulator, "contacts", 1, "companies") == {100: {1, 279}, 200: {279}}
    assert type_ids(hubspot_emulator, "companies", 100, "contacts") == {1: {2, 280}}
    client.put(f"{OBJECTS}/contacts/1/associations/companies/200", [spec(1), spec(279)]).raise_for_status()
    assert type_ids(hubspot_emulator, "contacts", 1, "companies") == {100: {279}, 200: {1, 279}}
    assert type_ids(hubspot_emulator, "companies", 100, "contacts") == {1: {280}}


def test_primary_set_from_company_side(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    """Primary via the inverse id (company→deal 6, §9.1) also moves the deal's single primary company."""
    hubspot_emulator.associate("deals", 7, "companies", 70)
    client.put(f"{OBJECTS}/companies/71/associations/deals/7", [spec(6), spec(342)]).raise_for_status()
    assert type_ids(hubspot_emulator, "deals", 7, "companies") == {70: {341}, 71: {5, 341}}


@pytest.mark.legacy_api
def test_v3_read_towards_companies_returns_only_primary(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    """ "Reads to companies return only the primary company: .../{from}/companies/batch/read returns only the
    primary associated company; use v4 for all companies" (§3 [DOC-v3])."""
    for company in (11, 12, 13):
        hubspot_emulator.associate("contacts", 1, "companies", company)
    body = client.post("/crm/v3/associations/contacts/companies/batch/read", {"inputs": [{"id": "1"}]}).json()
    assert body["results"] == [{"from": {"id": "1"}, "to": [{"id": "11", "type": "contact_to_company"}]}]
    v4 = client.post("/crm/v4/associations/contacts/companies/batch/read", {"inputs": [{"id": "1"}]}).json()
    assert [t["toObjectId"] for t in v4["results"][0]["to"]] == [11, 12, 13]


def test_deleting_removes_both_directions(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    """ "DELETE ... Removes all associations between the two records; records are not deleted" (§4)."""
    hubspot_emulator.associate("contacts", 1, "companies", 2)
    assert client.delete(f"{OBJECTS}/contacts/1/associations/companies/2").status_code == 204
    assert hubspot_emulator.associations("companies", 2, "contacts") == {}
    assert hubspot_emulator.associations("contacts", 1, "companies") == {}


def test_labels_archive_keeps_association_unless_unlabeled_removed(
    client: Client, hubspot_emulator: HubSpotEmulator
) -> None:
    """ "batch/labels/archive: removing specific labels keeps the association; removing the unlabeled type
    removes every association between the pair" (§5 [SPEC-v4] [DOC-v4])."""
    label = hubspot_emulator.create_label("contacts", "deals", "champion", "Champion")[0]["typeId"]
    hubspot_emulator.associate("contacts", 1, "deals", 2, [("USER_DEFINED", label)])
    archive = f"{ASSOC}/contacts/deals/batch/labels/archive"
    # dated versions answer 200 with a BatchResponse body where v4 answered 204 (§20.3)
    labelled = client.post(archive, {"inputs": [pair(1, 2, spec(label, "USER_DEFINED"))]})
    assert labelled.status_code == 200 and labelled.json()["status"] == "COMPLETE"
    assert type_ids(hubspot_emulator, "contacts", 1, "deals") == {2: {4}}
    unlabeled = client.post(archive, {"inputs": [pair(1, 2, spec(4))]})
    assert unlabeled.status_code == 200 and unlabeled.json()["status"] == "COMPLETE"
    assert hubspot_emulator.associations("deals", 2, "contacts") == {}


def test_missing_record_fails_like_hubspot(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    """Invalid object ids are reported as "CONTACT=<id> is not valid" (INVALID_OBJECT_IDS, §11.2): per input
    with 207 in batch create, 400 on the record-level PUT."""
    hubspot_emulator.configure(auto_records=False)
    hubspot_emulator.create_records("contacts", [1])
    hubspot_emulator.create_records("companies", [2])
    response = client.post(
        f"{ASSOC}/contacts/companies/batch/create", {"inputs": [pair(1, 2, spec(279)), pair(3, 2, spec(279))]}
    )
    assert response.status_code == 207
    body = response.json()
    assert body["numErrors"] == 1 and len(body["results"]) == 1
    assert body["errors"][0]["context"]["INVALID_OBJECT_IDS"] == ["CONTACT=3 is not valid"]
    put = client.put(f"{OBJECTS}/contacts/1/associations/companies/9", [spec(279)])
    assert put.status_code == 400
    assert put.json()["category"] == "VALIDATION_ERROR"
    assert put.json()["context"]["INVALID_OBJECT_IDS"] == ["COMPANY=9 is not valid"]


def test_invalid_type_id_rejects_request(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    """ "USER_DEFINED=3 is not a valid association definition id" (400 VALIDATION_ERROR, §11.2)."""
    response = client.post(
        f"{ASSOC}/contacts/companies/batch/create", {"inputs": [pair(1, 2, spec(3, "USER_DEFINED"))]}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "One or more associations are invalid"
    assert body["context"]["INVALID_ASSOCIATION_TYPE_ID"] == ["USER_DEFINED=3 is not a valid association definition id"]
    assert hubspot_emulator.associations("contacts", 1, "companies") == {}


@pytest.mark.parametrize(("suffix", "limit"), [("batch/create", 2000), ("batch/read", 1000)])
def test_per_request_input_limits(client: Client, suffix: str, limit: int) -> None:
    """ "v3 & v4 batch/read inputs 1,000 per request; batch/create inputs 2,000 per request" (§12.1);
    oversized batches are rejected with a 400 VALIDATION_ERROR."""
    item = pair(1, 2, spec(279)) if suffix == "batch/create" else {"id": "1"}
    at_limit = client.post(f"{ASSOC}/contacts/companies/{suffix}", {"inputs": [item] * limit})
    assert at_limit.status_code in (200, 201, 207)
    over = client.post(f"{ASSOC}/contacts/companies/{suffix}", {"inputs": [item] * (limit + 1)})
    assert over.status_code == 400
    assert over.json()["category"] == "VALIDATION_ERROR"


def test_configured_limit_enforced_for_new_associations(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    """Configured limits (userEnforcedMaxToObjectIds) "are not retroactive; they apply to new associations"
    (§7 [CL-ADMINLIMITS])."""
    hubspot_emulator.associate("contacts", 1, "deals", 10)
    hubspot_emulator.associate("contacts", 1, "deals", 11)
    created = client.post(
        f"{ASSOC}/definitions/configurations/contacts/deals/batch/create",
        {"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": 4, "maxToObjectIds": 1}]},
    )
    assert created.status_code == 201
    response = client.post(
        f"{ASSOC}/contacts/deals/batch/create", {"inputs": [pair(1, 12, spec(4)), pair(2, 12, spec(4))]}
    )
    assert response.status_code == 207
    assert response.json()["numErrors"] == 1
    assert set(type_ids(hubspot_emulator, "contacts", 1, "deals")) == {10, 11}
    assert set(type_ids(hubspot_emulator, "contacts", 2, "deals")) == {12}


def test_empty_types_is_a_silent_no_op(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    """ "An empty types: [] in batch/create is accepted with 2xx but creates nothing" (§5)."""
    response = client.post(f"{ASSOC}/contacts/companies/batch/create", {"inputs": [pair(1, 2)]})
    assert response.status_code == 201
    assert hubspot_emulator.associations("contacts", 1, "companies") == {}


def test_no_associations_is_a_207_item_error(client: Client) -> None:
    """ "Inputs without associations are reported as errors with HTTP 207 ... NO_ASSOCIATIONS_FOUND" (§5)."""
    response = client.post(f"{ASSOC}/deals/companies/batch/read", {"inputs": [{"id": "515690208449"}]})
    assert response.status_code == 207
    error = response.json()["errors"][0]
    assert error["subCategory"] == "crm.associations.NO_ASSOCIATIONS_FOUND"
    assert error["message"] == "No company is associated with deal 515690208449."


def test_batch_read_pages_per_input(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    """ "paging is per input and only present when more pages exist; re-send the same id with that after"
    (§5 [SPEC-v4] [CL-BATCHREAD]); the page size is a knob."""
    hubspot_emulator.configure(batch_read_page_size=3)
    for company in range(1, 8):
        hubspot_emulator.associate("contacts", 1, "companies", company)
    hubspot_emulator.associate("contacts", 2, "companies", 1)
    seen: list[int] = []
    after = None
    while True:
        item = {"id": "1"} if after is None else {"id": "1", "after": after}
        body = client.post(f"{ASSOC}/contacts/companies/batch/read", {"inputs": [item, {"id": "2"}]}).json()
        first = body["results"][0]
        seen.extend(t["toObjectId"] for t in first["to"])
        assert "paging" not in body["results"][1]
        after = first.get("paging", {}).get("next", {}).get("after")
        if after is None:
            break
    assert seen == list(range(1, 8))


def test_record_list_honours_limit_and_after(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    """GET list: "limit default 500 ("Limit 500 per call"); paging only when more pages" (§4)."""
    for deal in range(1, 6):
        hubspot_emulator.associate("contacts", 9, "deals", deal)
    first = client.get(f"{OBJECTS}/contacts/9/associations/deals", params={"limit": 2}).json()
    assert [r["toObjectId"] for r in first["results"]] == [1, 2]
    rest = client.get(
        f"{OBJECTS}/contacts/9/associations/deals",
        params={"limit": 500, "after": first["paging"]["next"]["after"]},
    ).json()
    assert [r["toObjectId"] for r in rest["results"]] == [3, 4, 5]
    assert "paging" not in rest


@pytest.mark.legacy_api
def test_v3_pages_at_100(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    """ "association lists longer than 100 per record are paginated with paging.next.after" (§3)."""
    for deal in range(1, 151):
        hubspot_emulator.associate("contacts", 1, "deals", deal)
    body = client.post("/crm/v3/associations/contacts/deals/batch/read", {"inputs": [{"id": "1"}]}).json()
    assert len(body["results"][0]["to"]) == 100
    assert body["results"][0]["paging"]["next"]["after"]


@pytest.mark.legacy_api
def test_v3_create_lists_both_directions(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    """ "Create results list both directions (e.g. email_to_ticket and ticket_to_email for one input)" (§3);
    status 200 as observed since 2025-08-21 (§16)."""
    response = client.post(
        "/crm/v3/associations/contacts/deals/batch/create",
        {"inputs": [{"from": {"id": "1"}, "to": {"id": "2"}, "type": "contact_to_deal"}]},
    )
    assert response.status_code == 200
    assert {r["type"] for r in response.json()["results"]} == {"contact_to_deal", "deal_to_contact"}
    assert type_ids(hubspot_emulator, "deals", 2, "contacts") == {1: {3}}


@pytest.mark.parametrize("form", ["contacts", "contact", "Contacts", "CONTACT", "0-1"])
def test_object_type_forms(client: Client, hubspot_emulator: HubSpotEmulator, form: str) -> None:
    """ "objectTypeId is accepted everywhere"; names singular/plural any case for standard objects (§1.2)."""
    client.put(f"{OBJECTS}/{form}/1/associations/companies/2", [spec(279)]).raise_for_status()
    assert hubspot_emulator.associations("0-1", 1, "0-2")


def test_unknown_object_type(client: Client) -> None:
    """Unknown names give 400 "Unable to infer object type from: <value>" (§1.2)."""
    response = client.post(f"{ASSOC}/credentialing_2_0/contacts/batch/read", {"inputs": [{"id": "1"}]})
    assert response.status_code == 400
    assert response.json()["message"] == "Unable to infer object type from: credentialing_2_0"


def test_label_rules(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    """ "name cannot contain hyphens or start with a digit"; "Up to 10 labels per object pair"; "Default types
    (incl. Primary) cannot be deleted; a label in use must be removed from records before deletion" (§6)."""
    labels = f"{ASSOC}/contacts/companies/labels"
    assert client.post(labels, {"name": "bad-name", "label": "X"}).status_code == 400
    assert client.post(labels, {"name": "1st", "label": "X"}).status_code == 400
    ids = [client.post(labels, {"name": f"l{i}", "label": f"L{i}"}).json()["results"][0]["typeId"] for i in range(10)]
    assert client.post(labels, {"name": "l10", "label": "L10"}).status_code == 400
    assert client.delete(f"{labels}/1").status_code == 400
    hubspot_emulator.associate("contacts", 1, "companies", 2, [("USER_DEFINED", ids[0])])
    assert client.delete(f"{labels}/{ids[0]}").status_code == 400
    assert client.delete(f"{labels}/{ids[1]}").status_code == 204
    assert client.put(labels, {"associationTypeId": ids[0], "label": "Renamed"}).status_code == 204
    assert {"category": "USER_DEFINED", "typeId": ids[0], "label": "Renamed"} in client.get(labels).json()["results"]


def test_custom_objects(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    """Custom objects are addressed by objectTypeId (``2-<n>``); their plain name is refused ("Unable to infer
    object type from: credentialing_2_0", §1.2). Fully qualified names work once mapped (knob)."""
    hubspot_emulator.configure(custom_objects={"p123_cars": "2-123"})
    created = client.put(f"{OBJECTS}/2-123/1/associations/contacts/2", [])
    assert created.status_code == 201
    default = client.put(f"{OBJECTS}/p123_cars/1/associations/default/contacts/2")
    assert default.status_code == 200
    assert hubspot_emulator.associations("contacts", 2, "2-123")
    assert client.get(f"{OBJECTS}/cars/1/associations/contacts").status_code == 400


def test_rate_limit_headers_on_errors_too(client: Client) -> None:
    response = client.post(f"{ASSOC}/nothing/contacts/batch/read", {"inputs": []})
    assert response.status_code == 400
    assert "X-HubSpot-RateLimit-Remaining" in response.headers


def test_deleted_records_lose_their_associations(client: Client, hubspot_emulator: HubSpotEmulator) -> None:
    hubspot_emulator.associate("contacts", 1, "companies", 2)
    hubspot_emulator.configure(auto_records=False)
    hubspot_emulator.create_records("contacts", [1])
    hubspot_emulator.delete_records("contacts", [1])
    assert hubspot_emulator.associations("companies", 2, "contacts") == {}
    assert client.put(f"{OBJECTS}/contacts/1/associations/companies/2", [spec(279)]).status_code == 400


def test_labels_only_between_supported_objects(client: Client) -> None:
    """ "Association labels are supported between contacts, companies, deals, and tickets" (v4 guide,
    seeds/002) and custom objects (§6)."""
    assert client.post(f"{ASSOC}/notes/contacts/labels", {"name": "n", "label": "N"}).status_code == 400
    assert client.post(f"{ASSOC}/2-77/tickets/labels", {"name": "n", "label": "N"}).status_code == 200
