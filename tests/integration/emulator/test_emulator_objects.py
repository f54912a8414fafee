"""The emulator's CRM objects API (records with properties) over real HTTP: create, read by id or unique
property, batch read with misses (207 ``OBJECT_NOT_FOUND`` listing ``context.ids``), list paging, search
(filters, sorts, the 10,000 cap, the per-second limit), merges (new ids, old ids read back), duplicates (409).

Every answer is checked against ``schemas/objects.schema.json`` by the ``hubspot_emulator`` fixture; the
reference is ``hubspot-associations-api.md`` §20.8.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import requests
from emulator_helpers import Client
from emulator_shapes import OBJECT_SCHEMAS, ShapeChecker

from airflow_provider_hubassoc.emulator._versions import VERSIONS

if TYPE_CHECKING:
    from airflow_provider_hubassoc.emulator import HubSpotEmulator

DATED = sorted(v for v in VERSIONS if v != "v4")
#: every prefix the objects API is served on: v3 (the SDK's, retiring: marked) and each dated version
PREFIXES = [
    pytest.param("/crm/v3/objects", marks=pytest.mark.legacy_api, id="v3"),
    *[pytest.param(f"/crm/objects/{v}", id=v) for v in DATED],
    pytest.param("/crm/objects/2027-03", id="2027-03-unpublished"),
]


def _read(c: Client, prefix: str, ids: list[str], **extra: Any) -> requests.Response:
    return c.post(f"{prefix}/contacts/batch/read", {"inputs": [{"id": i} for i in ids], "properties": [], **extra})


@pytest.mark.parametrize("prefix", PREFIXES)
def test_every_route_on_every_version(hubspot_emulator: HubSpotEmulator, prefix: str) -> None:
    c = Client(hubspot_emulator)
    one = c.post(f"{prefix}/contacts", {"properties": {"email": "ann@example.com", "firstname": "Ann"}})
    assert one.status_code == 201
    ann = one.json()
    assert ann["properties"]["hs_object_id"] == ann["id"] and ann["properties"]["lastmodifieddate"]
    batch = c.post(
        f"{prefix}/contacts/batch/create",
        {"inputs": [{"properties": {"email": "bob@example.com"}}, {"properties": {"email": "cy@example.com"}}]},
    )
    assert batch.status_code == 201 and len(batch.json()["results"]) == 2
    got = c.get(f"{prefix}/contacts/{ann['id']}", params={"properties": "email,firstname"})
    assert got.status_code == 200 and got.json()["properties"] == {"email": "ann@example.com", "firstname": "Ann"}
    by_email = c.get(f"{prefix}/contacts/ann@example.com", params={"idProperty": "email"})
    assert by_email.json()["id"] == ann["id"]
    read = _read(c, prefix, ["bob@example.com", "ann@example.com"], idProperty="email", properties=["email"])
    assert read.status_code == 200
    assert {r["properties"]["email"] for r in read.json()["results"]} == {"ann@example.com", "bob@example.com"}
    page = c.get(f"{prefix}/contacts", params={"limit": 2})
    assert page.status_code == 200 and len(page.json()["results"]) == 2 and page.json()["paging"]["next"]["after"]
    found = c.post(
        f"{prefix}/contacts/search",
        {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": "cy@example.com"}]}]},
    )
    assert found.status_code == 200 and found.json()["total"] == 1
    bob, cy = (r["id"] for r in batch.json()["results"])
    merged = c.post(f"{prefix}/contacts/merge", {"primaryObjectId": bob, "objectIdToMerge": cy})
    assert merged.status_code == 200 and merged.json()["id"] not in (bob, cy)
    names = {n for n, statuses in hubspot_emulator.counters().items() if n.startswith("objects.")}
    assert names == set(OBJECT_SCHEMAS)


@pytest.mark.legacy_api  # the v3 paths too: every endpoint/status pair of the objects table
def test_every_objects_status_is_schema_checked(hubspot_emulator: HubSpotEmulator, shape_checker: ShapeChecker) -> None:
    c = Client(hubspot_emulator)
    a = hubspot_emulator.create_record("contacts", {"email": "a@example.com"})
    b = hubspot_emulator.create_record("contacts", {"email": "b@example.com"})
    c.post("/crm/v3/objects/contacts", {"properties": {"email": "c@example.com"}})
    c.post("/crm/objects/2026-03/deals/batch/create", {"inputs": [{"properties": {"dealname": "D"}}]})
    c.get(f"/crm/objects/2026-09/contacts/{a}")
    _read(c, "/crm/objects/2026-03", [str(a)])
    _read(c, "/crm/objects/2026-03", [str(a), "404"])
    c.get("/crm/v3/objects/contacts")
    c.post("/crm/objects/2026-03/contacts/search", {})
    c.post("/crm/v3/objects/contacts/merge", {"primaryObjectId": str(a), "objectIdToMerge": str(b)})
    expected = {(name, status) for name, statuses in OBJECT_SCHEMAS.items() for status in statuses}
    assert expected - shape_checker.seen == set()
    assert not shape_checker.failures


# ---------------------------------------------------------------------- batch read: misses, rules
def test_batch_read_misses_are_one_object_not_found_listing_the_ids(hubspot_emulator: HubSpotEmulator) -> None:
    hubspot_emulator.create_record("contacts", {"email": "known@example.com"})
    c = Client(hubspot_emulator)
    answer = _read(
        c, "/crm/objects/2026-03", ["nobody@example.com", "known@example.com", "ghost@example.com"], idProperty="email"
    )
    assert answer.status_code == 207
    body = answer.json()
    assert [r["properties"]["email"] for r in body["results"]] == ["known@example.com"]
    assert body["numErrors"] == 1
    (error,) = body["errors"]
    assert error["category"] == "OBJECT_NOT_FOUND"
    assert error["context"] == {"ids": ["nobody@example.com", "ghost@example.com"]}
    assert error["message"].startswith("Could not get some CONTACT objects")


def test_batch_read_by_id_misses_auto_records_and_unknown_ids(hubspot_emulator: HubSpotEmulator) -> None:
    """The id-range auto records stay association-only: the objects API does not serve them."""
    record = hubspot_emulator.create_record("companies", {"name": "Acme"})
    c = Client(hubspot_emulator)
    answer = c.post(
        "/crm/objects/2026-03/companies/batch/read",
        {"inputs": [{"id": str(record)}, {"id": "5"}, {"id": "not-an-id"}], "properties": ["name"]},
    ).json()
    assert [r["id"] for r in answer["results"]] == [str(record)]
    assert answer["errors"][0]["context"]["ids"] == ["5", "not-an-id"]
    assert c.get("/crm/objects/2026-03/companies/5").status_code == 404


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"inputs": [{"id": "1"}]}, "properties"),
        ({"properties": []}, "inputs"),
        ({"inputs": [{"id": str(i)} for i in range(101)], "properties": []}, "Too many inputs"),
        ({"inputs": [{"id": "x"}], "properties": [], "idProperty": "firstname"}, "unique"),
        ({"inputs": [{"id": "x"}] * 51, "properties": [], "propertiesWithHistory": ["email"]}, "Too many inputs"),
    ],
)
def test_batch_read_refusals(hubspot_emulator: HubSpotEmulator, body: dict[str, Any], named: str) -> None:
    answer = Client(hubspot_emulator).post("/crm/objects/2026-03/contacts/batch/read", body)
    assert answer.status_code == 400
    assert answer.json()["category"] == "VALIDATION_ERROR" and named in answer.json()["message"]


# ---------------------------------------------------------------------- unique values
def test_duplicate_email_is_a_409_conflict_and_nothing_is_written(hubspot_emulator: HubSpotEmulator) -> None:
    existing = hubspot_emulator.create_record("contacts", {"email": "dup@example.com"})
    c = Client(hubspot_emulator)
    one = c.post("/crm/objects/2026-03/contacts", {"properties": {"email": "DUP@example.com"}})
    assert one.status_code == 409
    assert one.json()["category"] == "CONFLICT"
    assert one.json()["message"] == f"Contact already exists. Existing ID: {existing}"
    inputs = [{"properties": {"email": "new@example.com"}}, {"properties": {"email": "new@example.com"}}]
    batch = c.post("/crm/objects/2026-03/contacts/batch/create", {"inputs": inputs})
    assert batch.status_code == 409
    assert c.get("/crm/objects/2026-03/contacts").json()["results"][0]["id"] == str(existing)
    assert len(c.get("/crm/objects/2026-03/contacts").json()["results"]) == 1
    assert hubspot_emulator.counters()["objects.batch.create"] == {"409": 1}


def test_unique_properties_by_knob_admin_and_python(hubspot_emulator: HubSpotEmulator) -> None:
    c = Client(hubspot_emulator)
    path = "/crm/objects/2026-03/companies"
    c.post(path, {"properties": {"external_company_id": "X1", "plan": "pro"}})
    assert c.post(path, {"properties": {"external_company_id": "X1"}}).status_code == 201  # not unique yet
    hubspot_emulator.configure(unique_properties={"companies": ["external_company_id"]})
    assert c.post(path, {"properties": {"external_company_id": "X1"}}).status_code == 409
    created = c.post(path, {"properties": {"external_company_id": "X2"}}).json()["id"]
    read = c.post(
        f"{path}/batch/read",
        {"inputs": [{"id": "X2"}], "properties": ["plan"], "idProperty": "external_company_id"},
    )
    assert read.json()["results"][0]["id"] == created
    admin = requests.post(
        f"{hubspot_emulator.base_url}/_emulator/objects/unique",
        json={"objectType": "deals", "property": "deal_ref"},
        timeout=10,
    )
    assert admin.status_code == 200
    hubspot_emulator.declare_unique("2-77", "sku")
    for type_name, prop in (("deals", "deal_ref"), ("2-77", "sku")):
        assert c.post(f"/crm/objects/2026-03/{type_name}", {"properties": {prop: "K"}}).status_code == 201
        assert c.post(f"/crm/objects/2026-03/{type_name}", {"properties": {prop: "K"}}).status_code == 409


# ---------------------------------------------------------------------- merges
def test_contact_merge_creates_a_new_id_both_old_ids_read_back_and_associations_move(
    hubspot_emulator: HubSpotEmulator,
) -> None:
    emu = hubspot_emulator
    a = emu.create_record("contacts", {"email": "a@example.com", "firstname": "A"})
    b = emu.create_record("contacts", {"email": "b@example.com", "lastname": "B"})
    emu.associate("contacts", a, "companies", 7)
    emu.associate("contacts", b, "deals", 8)
    c = Client(emu)
    merged = c.post("/crm/objects/2026-03/contacts/merge", {"primaryObjectId": str(a), "objectIdToMerge": str(b)})
    survivor = merged.json()
    new_id = int(survivor["id"])
    assert new_id not in (a, b)
    assert survivor["properties"]["email"] == "a@example.com" and survivor["properties"]["lastname"] == "B"
    assert survivor["properties"]["hs_merged_object_ids"] == f"{a};{b}"
    for old in (a, b):
        back = c.get(f"/crm/objects/2026-03/contacts/{old}", params={"properties": "hs_merged_object_ids"})
        assert back.status_code == 200 and back.json()["id"] == str(new_id)
    both = _read(c, "/crm/objects/2026-03", [str(a), str(b)], properties=["email"]).json()
    assert [r["id"] for r in both["results"]] == [str(new_id)]  # answered once
    assert both["results"][0]["properties"]["hs_merged_object_ids"] == f"{a};{b}"
    by_old_email = _read(c, "/crm/objects/2026-03", ["b@example.com"], idProperty="email").json()
    assert by_old_email["results"][0]["id"] == str(new_id)
    assert set(emu.associations("contacts", new_id, "companies")) == {7}
    assert set(emu.associations("contacts", new_id, "deals")) == {8}
    assert emu.associations("contacts", a, "companies") == {} and emu.associations("contacts", b, "deals") == {}
    assert set(emu.associations("companies", 7, "contacts")) == {new_id}


def test_deal_merge_keeps_the_primary_id_and_merge_refusals(hubspot_emulator: HubSpotEmulator) -> None:
    emu = hubspot_emulator
    a, b = emu.seed_records("deals", [{"dealname": "A"}, {"dealname": "B"}])
    assert emu.merge("deals", a, b) == a
    assert emu.record("deals", b)["hs_object_id"] == str(a)  # type: ignore[index]
    c = Client(emu)
    same = c.post("/crm/objects/2026-03/deals/merge", {"primaryObjectId": str(a), "objectIdToMerge": str(b)})
    assert same.status_code == 400  # b now reads as a: merging a record with itself
    gone = c.post("/crm/objects/2026-03/deals/merge", {"primaryObjectId": str(a), "objectIdToMerge": "999"})
    assert gone.status_code == 404 and gone.json()["category"] == "OBJECT_NOT_FOUND"
    assert c.post("/crm/objects/2026-03/deals/merge", {"primaryObjectId": str(a)}).status_code == 400
    assert "objects.merge" not in {n for n, s in emu.counters().items() if "200" in s}


def test_admin_seed_merge_and_stamp(hubspot_emulator: HubSpotEmulator) -> None:
    base = hubspot_emulator.base_url + "/_emulator/objects"
    ids = requests.post(
        base, json={"objectType": "companies", "records": [{"name": "A"}, {"name": "B"}]}, timeout=10
    ).json()["ids"]
    survivor = requests.post(
        f"{base}/merge",
        json={"objectType": "companies", "primaryObjectId": ids[0], "objectIdToMerge": ids[1]},
        timeout=10,
    ).json()["id"]
    assert survivor not in ids
    stamped = requests.post(
        f"{base}/stamp", json={"objectType": "companies", "ids": [survivor], "modified": "2024-01-02T03:04:05.000Z"}
    ).json()
    assert stamped == {"stamped": 1}
    assert hubspot_emulator.record("companies", ids[0])["hs_lastmodifieddate"] == "2024-01-02T03:04:05.000Z"  # type: ignore[index]
    dup = requests.post(
        base, json={"objectType": "contacts", "records": [{"email": "x@y"}, {"email": "X@y"}]}, timeout=10
    )
    assert dup.status_code == 409


# ---------------------------------------------------------------------- list and search
def test_list_pages_by_id_and_refuses_limits_over_100(hubspot_emulator: HubSpotEmulator) -> None:
    ids = hubspot_emulator.seed_records("tickets", [{"subject": f"t{n}"} for n in range(25)])
    c = Client(hubspot_emulator)
    seen: list[int] = []
    params: dict[str, Any] = {"limit": 10}
    while True:
        page = c.get("/crm/objects/2026-03/tickets", params=params).json()
        seen += [int(r["id"]) for r in page["results"]]
        if "paging" not in page:
            break
        params["after"] = page["paging"]["next"]["after"]
    assert seen == ids
    assert c.get("/crm/objects/2026-03/tickets", params={"limit": 101}).status_code == 400
    assert c.get("/crm/objects/2026-03/tickets", params={"after": "abc"}).status_code == 400


def _search(c: Client, body: dict[str, Any], object_type: str = "deals") -> requests.Response:
    return c.post(f"/crm/objects/2026-03/{object_type}/search", body)


def _where(*filters: dict[str, Any]) -> dict[str, Any]:
    return {"filterGroups": [{"filters": list(filters)}], "properties": ["amount"], "limit": 200}


@pytest.mark.parametrize(
    ("flt", "amounts"),
    [
        ({"operator": "EQ", "value": "20"}, [20]),
        ({"operator": "NEQ", "value": "20"}, [10, 30, None]),
        ({"operator": "GT", "value": "20"}, [30]),
        ({"operator": "GTE", "value": "20"}, [20, 30]),
        ({"operator": "LT", "value": 20}, [10]),
        ({"operator": "LTE", "value": "20"}, [10, 20]),
        ({"operator": "IN", "values": ["10", "30"]}, [10, 30]),
        ({"operator": "BETWEEN", "value": "15", "highValue": "30"}, [20, 30]),
        ({"operator": "HAS_PROPERTY"}, [10, 20, 30]),
        ({"operator": "NOT_HAS_PROPERTY"}, [None]),
    ],
)
def test_search_operators(hubspot_emulator: HubSpotEmulator, flt: dict[str, Any], amounts: list[int | None]) -> None:
    hubspot_emulator.seed_records("deals", [{"amount": "10"}, {"amount": "20"}, {"amount": "30"}, {}])
    answer = _search(Client(hubspot_emulator), _where({"propertyName": "amount", **flt})).json()
    got = [r["properties"]["amount"] for r in answer["results"]]
    assert got == [None if a is None else str(a) for a in amounts] and answer["total"] == len(amounts)


def test_search_sorts_groups_and_refusals(hubspot_emulator: HubSpotEmulator) -> None:
    hubspot_emulator.configure(search_requests_per_second=None)
    hubspot_emulator.seed_records("deals", [{"amount": "10"}, {"amount": "30"}, {"amount": "20"}])
    c = Client(hubspot_emulator)
    body = {**_where(), "sorts": [{"propertyName": "amount", "direction": "DESCENDING"}]}
    assert [r["properties"]["amount"] for r in _search(c, body).json()["results"]] == ["30", "20", "10"]
    assert [r["properties"]["amount"] for r in _search(c, {**body, "sorts": ["amount"]}).json()["results"]] == [
        "10",
        "20",
        "30",
    ]
    either = {"filterGroups": [{"filters": [{"propertyName": "amount", "value": v}]} for v in ("10", "30")]}
    assert _search(c, either).json()["total"] == 2
    for bad in (
        {"limit": 201},
        {"after": "x"},
        {"filterGroups": [{"filters": [{"propertyName": "a", "operator": "LIKE", "value": 1}]}]},
    ):
        refused = _search(c, bad)
        assert refused.status_code == 400 and refused.json()["category"] == "VALIDATION_ERROR"
    groups = [{"filters": [{"propertyName": "amount", "value": "1"}]}] * 6
    assert _search(c, {"filterGroups": groups}).status_code == 400


def test_search_pages_stop_at_10000_results(hubspot_emulator: HubSpotEmulator) -> None:
    """HubSpot's cap: paging past the 10,000th result is a 400, ``total`` still counts every match; a
    "modified since" export windows on ``hs_object_id`` when >10,000 records share one modified time."""
    emu = hubspot_emulator
    emu.configure(search_requests_per_second=None)
    ids = emu.seed_records("contacts", [{"firstname": f"n{n}"} for n in range(10_050)], modified=1_700_000_000_000)
    c = Client(emu)
    since = {"propertyName": "lastmodifieddate", "operator": "GTE", "value": "1700000000000"}
    first = _search(c, {"filterGroups": [{"filters": [since]}], "limit": 200, "after": "9800"}, "contacts").json()
    assert first["total"] == 10_050 and first["paging"]["next"]["after"] == "10000"
    capped = _search(c, {"filterGroups": [{"filters": [since]}], "limit": 200, "after": "10000"}, "contacts")
    assert capped.status_code == 400 and capped.json()["category"] == "VALIDATION_ERROR"
    window = {"propertyName": "hs_object_id", "operator": "GTE", "value": str(ids[10_000])}
    rest = _search(
        c, {"filterGroups": [{"filters": [since, window]}], "sorts": ["hs_object_id"], "limit": 200}, "contacts"
    )
    assert [int(r["id"]) for r in rest.json()["results"]] == ids[10_000:]


def test_search_has_its_own_per_second_limit(hubspot_emulator: HubSpotEmulator) -> None:
    hubspot_emulator.configure(search_requests_per_second=2)
    c = Client(hubspot_emulator)
    answers = [_search(c, {}).status_code for _ in range(3)]
    assert answers[:2] == [200, 200] and answers[2] == 429
    refused = _search(c, {})
    assert refused.json()["policyName"] == "SECONDLY" and refused.headers["Retry-After"] == "1"
    assert c.get("/crm/objects/2026-03/deals").status_code == 200  # the app's budget is not the search one


# ---------------------------------------------------------------------- HubSpot's SDK against the emulator
@pytest.mark.legacy_api  # hubspot-api-client 12 calls /crm/v3/objects/...
def test_sdk_create_batch_read_by_email_and_search(hubspot_emulator: HubSpotEmulator) -> None:
    hubspot = pytest.importorskip("hubspot")
    from hubspot.crm.objects import models

    sdk = hubspot.HubSpot(
        access_token=hubspot_emulator.token, host=hubspot_emulator.base_url, client_side_validation=True
    )
    created = sdk.crm.objects.basic_api.create(
        "contacts", models.SimplePublicObjectInputForCreate(properties={"email": "sdk@example.com"}, associations=[])
    )
    assert isinstance(created, models.SimplePublicObject) and created.properties["email"] == "sdk@example.com"
    read = sdk.crm.objects.batch_api.read(
        "contacts",
        models.BatchReadInputSimplePublicObjectId(
            inputs=[
                models.SimplePublicObjectId(id="sdk@example.com"),
                models.SimplePublicObjectId(id="no@example.com"),
            ],
            id_property="email",
            properties=["email"],
            properties_with_history=[],
        ),
    )
    assert isinstance(read, models.BatchResponseSimplePublicObjectWithErrors)
    assert read.results[0].id == created.id and read.errors[0].context == {"ids": ["no@example.com"]}
    found = sdk.crm.objects.search_api.do_search(
        "contacts",
        models.PublicObjectSearchRequest(
            filter_groups=[
                models.FilterGroup(
                    filters=[models.Filter(property_name="email", operator="EQ", value="sdk@example.com")]
                )
            ],
            properties=["email"],
            limit=10,
            after="0",
            sorts=[],
        ),
    )
    assert isinstance(found, models.CollectionResponseWithTotalSimplePublicObjectForwardPaging)
    assert found.total == 1 and found.results[0].id == created.id
