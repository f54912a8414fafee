"""Conformance: HubSpot's official Python SDK (hubspot-api-client 12) as a real client of the emulator.

Every association operation the SDK offers is called with client-side validation on; each answer must
deserialize into the SDK's own model (the SDK returns ``None`` for a status its spec does not list, so a
wrong status fails here too). Response shapes are also checked against our JSON Schemas by the
``hubspot_emulator`` fixture of ``conftest.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

hubspot = pytest.importorskip("hubspot")

from hubspot.crm.associations import models as v3_models  # noqa: E402
from hubspot.crm.associations.schema import models as v3_schema_models  # noqa: E402
from hubspot.crm.associations.v4 import models as v4_models  # noqa: E402
from hubspot.crm.associations.v4.schema import ApiException as SchemaApiException, models as v4_schema_models  # noqa: E402

if TYPE_CHECKING:
    from airflow_provider_hubassoc.emulator import HubSpotEmulator

#: hubspot-api-client 12 calls the /crm/v3/ and /crm/v4/ paths itself
pytestmark = pytest.mark.legacy_api


@pytest.fixture
def sdk(hubspot_emulator: HubSpotEmulator) -> hubspot.HubSpot:
    """The SDK pointed at the emulator through its documented ``host`` configuration."""
    return hubspot.HubSpot(
        access_token=hubspot_emulator.token, host=hubspot_emulator.base_url, client_side_validation=True
    )


def _spec(type_id: int, category: str = "HUBSPOT_DEFINED") -> v4_models.AssociationSpec:
    return v4_models.AssociationSpec(association_category=category, association_type_id=type_id)


def test_client_side_validation_is_on(sdk: hubspot.HubSpot) -> None:
    api = sdk.crm.associations.v4.basic_api
    assert api.api_client.configuration.client_side_validation is True


def test_v4_basic_api(sdk: hubspot.HubSpot, hubspot_emulator: HubSpotEmulator) -> None:
    api = sdk.crm.associations.v4.basic_api
    created = api.create("contacts", 1, "companies", 2, [_spec(279)])
    assert isinstance(created, v4_models.LabelsBetweenObjectPair)
    assert (created.from_object_type_id, created.from_object_id, created.to_object_id) == ("0-1", "1", "2") or (
        created.from_object_type_id,
        int(created.from_object_id),
        int(created.to_object_id),
    ) == ("0-1", 1, 2)
    default = api.create_default("deals", 3, "line_items", 4)
    assert isinstance(default, v4_models.BatchResponsePublicDefaultAssociation)
    assert {r.association_spec.association_type_id for r in default.results} == {19, 20}
    for company in range(10, 15):
        hubspot_emulator.associate("contacts", 1, "companies", company)
    page = api.get_page("contacts", 1, "companies", limit=4)
    assert isinstance(page, v4_models.CollectionResponseMultiAssociatedObjectWithLabelForwardPaging)
    assert len(page.results) == 4 and page.paging.next.after
    rest = api.get_page("contacts", 1, "companies", limit=4, after=page.paging.next.after)
    assert [int(r.to_object_id) for r in rest.results] == [13, 14] and rest.paging is None
    assert all(isinstance(t, v4_models.AssociationSpecWithLabel) for r in page.results for t in r.association_types)
    assert api.archive("contacts", 1, "companies", 2) is None
    assert 2 not in hubspot_emulator.associations("contacts", 1, "companies")


def test_v4_batch_api(sdk: hubspot.HubSpot, hubspot_emulator: HubSpotEmulator) -> None:
    api = sdk.crm.associations.v4.batch_api
    label = hubspot_emulator.create_label("contacts", "deals", "champion", "Champion")[0]["typeId"]
    inputs = [
        v4_models.PublicAssociationMultiPost(
            _from=v4_models.PublicObjectId(id=str(n)),
            to=v4_models.PublicObjectId(id=str(n + 100)),
            types=[_spec(4), _spec(label, "USER_DEFINED")],
        )
        for n in range(1, 4)
    ]
    created = api.create("contacts", "deals", v4_models.BatchInputPublicAssociationMultiPost(inputs=inputs))
    assert isinstance(created, v4_models.BatchResponseLabelsBetweenObjectPair)
    assert created.status == "COMPLETE" and [r.labels for r in created.results] == [["Champion"]] * 3

    defaults = api.create_default(
        "contacts",
        "companies",
        v4_models.BatchInputPublicDefaultAssociationMultiPost(
            inputs=[
                v4_models.PublicDefaultAssociationMultiPost(
                    _from=v4_models.PublicObjectId(id="1"), to=v4_models.PublicObjectId(id="50")
                )
            ]
        ),
    )
    assert isinstance(defaults, v4_models.BatchResponsePublicDefaultAssociation)

    read = api.get_page(
        "contacts",
        "deals",
        v4_models.BatchInputPublicFetchAssociationsBatchRequest(
            inputs=[
                v4_models.PublicFetchAssociationsBatchRequest(id="1"),
                v4_models.PublicFetchAssociationsBatchRequest(id="999"),
            ]
        ),
    )
    assert isinstance(read, v4_models.BatchResponsePublicAssociationMultiWithLabelWithErrors)
    assert read.num_errors == 1 and read.errors[0].sub_category == "crm.associations.NO_ASSOCIATIONS_FOUND"
    assert isinstance(read.results[0], v4_models.PublicAssociationMultiWithLabel)
    only_ok = api.get_page(
        "contacts",
        "deals",
        v4_models.BatchInputPublicFetchAssociationsBatchRequest(
            inputs=[v4_models.PublicFetchAssociationsBatchRequest(id="2")]
        ),
    )
    assert isinstance(only_ok, v4_models.BatchResponsePublicAssociationMultiWithLabel)

    api.archive_labels(
        "contacts",
        "deals",
        v4_models.BatchInputPublicAssociationMultiPost(
            inputs=[
                v4_models.PublicAssociationMultiPost(
                    _from=v4_models.PublicObjectId(id="1"),
                    to=v4_models.PublicObjectId(id="101"),
                    types=[_spec(label, "USER_DEFINED")],
                )
            ]
        ),
    )
    assert {t["typeId"] for t in hubspot_emulator.associations("contacts", 1, "deals")[101]} == {4}
    api.archive(
        "contacts",
        "deals",
        v4_models.BatchInputPublicAssociationMultiArchive(
            inputs=[
                v4_models.PublicAssociationMultiArchive(
                    _from=v4_models.PublicObjectId(id="2"), to=[v4_models.PublicObjectId(id="102")]
                )
            ]
        ),
    )
    assert hubspot_emulator.associations("contacts", 2, "deals") == {}


def test_v4_batch_create_partial_failure_is_207_model(sdk: hubspot.HubSpot, hubspot_emulator: HubSpotEmulator) -> None:
    hubspot_emulator.configure(auto_records=False)
    hubspot_emulator.create_records("contacts", [1])
    hubspot_emulator.create_records("deals", [2])
    inputs = [
        v4_models.PublicAssociationMultiPost(
            _from=v4_models.PublicObjectId(id=f), to=v4_models.PublicObjectId(id="2"), types=[_spec(4)]
        )
        for f in ("1", "7")
    ]
    result = sdk.crm.associations.v4.batch_api.create(
        "contacts", "deals", v4_models.BatchInputPublicAssociationMultiPost(inputs=inputs)
    )
    assert isinstance(result, v4_models.BatchResponseLabelsBetweenObjectPairWithErrors)
    assert result.num_errors == 1 and len(result.results) == 1


def test_v4_report_api(sdk: hubspot.HubSpot) -> None:
    """The reference (§8, from HubSpot's spec) gives ``enqueueTime`` as an object ``{value, dateOnly,
    timeZoneShift}``; SDK 12 types it as an ISO datetime and cannot parse it (its unused ``DateTime`` model
    has exactly the reference's fields). The emulator follows the reference; the raw answer is checked and
    the SDK's parse gap is pinned here so a change on either side is noticed."""
    api = sdk.crm.associations.v4.report_api
    raw = api.request(12345, _preload_content=False)
    assert raw.status == 200
    body = __import__("json").loads(raw.data)
    assert body["userId"] == 12345 and set(body["enqueueTime"]) == {"value", "dateOnly", "timeZoneShift"}
    parsed = v4_models.DateTime(**{"value": body["enqueueTime"]["value"], "date_only": False, "time_zone_shift": 0})
    assert parsed.value == body["enqueueTime"]["value"]
    with pytest.raises(TypeError):
        api.request(12345)


def test_v4_definitions_api(sdk: hubspot.HubSpot) -> None:
    api = sdk.crm.associations.v4.schema.definitions_api
    created = api.create(
        "contacts",
        "companies",
        v4_schema_models.PublicAssociationDefinitionCreateRequest(
            name="manager_employee", label="Manager", inverse_label="Employee"
        ),
    )
    assert isinstance(created, v4_schema_models.CollectionResponseAssociationSpecWithLabelNoPaging)
    by_label = {r.label: r.type_id for r in created.results}
    listed = api.get_all("contacts", "companies")
    assert isinstance(listed, v4_schema_models.CollectionResponseAssociationSpecWithLabelNoPaging)
    assert {1, 279, by_label["Manager"]} <= {r.type_id for r in listed.results}
    api.update(
        "contacts",
        "companies",
        v4_schema_models.PublicAssociationDefinitionUpdateRequest(
            association_type_id=by_label["Manager"], label="Boss", inverse_label="Report"
        ),
    )
    assert "Report" in {r.label for r in api.get_all("companies", "contacts").results}
    api.remove("contacts", "companies", by_label["Manager"])
    assert by_label["Manager"] not in {r.type_id for r in api.get_all("contacts", "companies").results}
    with pytest.raises(SchemaApiException) as raised:
        api.remove("contacts", "companies", 1)
    assert raised.value.status == 400


def test_v4_definition_configurations_api(sdk: hubspot.HubSpot) -> None:
    api = sdk.crm.associations.v4.schema.definition_configurations_api
    created = api.batch_create(
        "contacts",
        "companies",
        v4_schema_models.BatchInputPublicAssociationDefinitionConfigurationCreateRequest(
            inputs=[
                v4_schema_models.PublicAssociationDefinitionConfigurationCreateRequest(
                    category="HUBSPOT_DEFINED", type_id=279, max_to_object_ids=5
                )
            ]
        ),
    )
    assert isinstance(created, v4_schema_models.BatchResponsePublicAssociationDefinitionUserConfiguration)
    assert created.results[0].user_enforced_max_to_object_ids == 5
    updated = api.batch_update(
        "contacts",
        "companies",
        v4_schema_models.BatchInputPublicAssociationDefinitionConfigurationUpdateRequest(
            inputs=[
                v4_schema_models.PublicAssociationDefinitionConfigurationUpdateRequest(
                    category="HUBSPOT_DEFINED", type_id=279, max_to_object_ids=7
                )
            ]
        ),
    )
    assert isinstance(updated, v4_schema_models.BatchResponsePublicAssociationDefinitionConfigurationUpdateResult)
    everything = api.get_all()
    between = api.get_all_between_two_object_types("contacts", "companies")
    for listed in (everything, between):
        assert [(r.type_id, r.user_enforced_max_to_object_ids) for r in listed.results] == [(279, 7)]
    bad = api.batch_update(
        "contacts",
        "companies",
        v4_schema_models.BatchInputPublicAssociationDefinitionConfigurationUpdateRequest(
            inputs=[
                v4_schema_models.PublicAssociationDefinitionConfigurationUpdateRequest(
                    category="HUBSPOT_DEFINED", type_id=1, max_to_object_ids=7
                )
            ]
        ),
    )
    assert isinstance(bad, v4_schema_models.BatchResponsePublicAssociationDefinitionConfigurationUpdateResultWithErrors)
    api.batch_remove(
        "contacts",
        "companies",
        v4_schema_models.BatchInputPublicAssociationSpec(
            inputs=[v4_schema_models.PublicAssociationSpec(category="HUBSPOT_DEFINED", type_id=279)]
        ),
    )
    assert api.get_all().results == []


def test_v3_types_api(sdk: hubspot.HubSpot) -> None:
    types = sdk.crm.associations.schema.types_api.get_all("contacts", "companies")
    assert isinstance(types, v3_schema_models.CollectionResponsePublicAssociationDefinitionNoPaging)
    names = {(t.id, t.name) for t in types.results}
    assert {("1", "contact_to_company"), ("279", "contact_to_company_unlabeled")} <= names


def test_v3_batch_api(sdk: hubspot.HubSpot, hubspot_emulator: HubSpotEmulator) -> None:
    """With ``v3_create_status=201`` (the spec) the SDK parses the create; with HubSpot's observed 200 (the
    emulator's default) this SDK version returns ``None`` although the associations exist (§16)."""
    api = sdk.crm.associations.batch_api
    body = v3_models.BatchInputPublicAssociation(
        inputs=[
            v3_models.PublicAssociation(
                _from=v3_models.PublicObjectId(id="1"), to=v3_models.PublicObjectId(id="2"), type="contact_to_deal"
            )
        ]
    )
    assert api.create("contacts", "deals", body) is None
    assert 2 in hubspot_emulator.associations("contacts", 1, "deals")
    hubspot_emulator.configure(v3_create_status=201)
    created = api.create("contacts", "deals", body)
    assert isinstance(created, v3_models.BatchResponsePublicAssociation)
    assert {r.type for r in created.results} == {"contact_to_deal", "deal_to_contact"}
    read = api.read("contacts", "deals", v3_models.BatchInputPublicObjectId(inputs=[v3_models.PublicObjectId(id="1")]))
    assert isinstance(read, v3_models.BatchResponsePublicAssociationMulti)
    assert [(a.id, a.type) for a in read.results[0].to] == [("2", "contact_to_deal")]
    missing = api.read(
        "contacts",
        "deals",
        v3_models.BatchInputPublicObjectId(inputs=[v3_models.PublicObjectId(id="1"), v3_models.PublicObjectId(id="5")]),
    )
    assert isinstance(missing, v3_models.BatchResponsePublicAssociationMultiWithErrors)
    api.archive("contacts", "deals", body)
    assert hubspot_emulator.associations("contacts", 1, "deals") == {}


def test_sdk_sees_hubspot_errors(sdk: hubspot.HubSpot, hubspot_emulator: HubSpotEmulator) -> None:
    hubspot_emulator.configure(requests_per_10_seconds=1)
    api = sdk.crm.associations.v4.schema.definitions_api
    api.get_all("contacts", "companies")
    with pytest.raises(SchemaApiException) as limited:
        api.get_all("contacts", "companies")
    assert limited.value.status == 429 and "TEN_SECONDLY_ROLLING" in limited.value.body
    bad_token = hubspot.HubSpot(access_token="wrong", host=hubspot_emulator.base_url, client_side_validation=True)
    with pytest.raises(SchemaApiException) as unauthorized:
        bad_token.crm.associations.v4.schema.definitions_api.get_all("contacts", "companies")
    assert unauthorized.value.status == 401
