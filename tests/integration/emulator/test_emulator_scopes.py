"""Service keys in the emulator: static tokens registered with a scope list get HubSpot's 403 MISSING_SCOPES
(reference §11.2) for a call whose endpoint needs a scope they lack; tokens without a list keep full access."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import requests
from emulator_helpers import Client, pair, spec

if TYPE_CHECKING:
    from airflow_provider_hubassoc.emulator import HubSpotEmulator

KEY = "svc-emulator-key"
DATED = "/crm/associations/2026-03"
SCOPES_MESSAGE = (
    "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: "
    "https://developers.hubspot.com/scopes."
)


def assert_missing_scopes(response: requests.Response, missing: list[str]) -> None:
    assert response.status_code == 403
    body = response.json()
    assert body == {
        "status": "error",
        "message": SCOPES_MESSAGE,
        "correlationId": body["correlationId"],
        "errors": [
            {"message": "One or more of the following scopes are required.", "context": {"requiredScopes": missing}}
        ],
        "links": {"scopes": "https://developers.hubspot.com/scopes"},
        "category": "MISSING_SCOPES",
    }
    assert response.headers["X-HubSpot-Correlation-Id"] == body["correlationId"]


def test_a_key_without_a_scope_it_needs_is_refused_and_nothing_is_written(hubspot_emulator: HubSpotEmulator) -> None:
    hubspot_emulator.add_token(KEY, scopes=["crm.objects.contacts.read", "crm.objects.companies.read"])
    key = Client(hubspot_emulator, token=KEY)
    assert key.get(f"{DATED}/contacts/companies/labels").status_code == 200
    refused = key.post(f"{DATED}/contacts/companies/batch/create", {"inputs": [pair(1, 501, spec(1))]})
    assert_missing_scopes(refused, ["crm.objects.contacts.write", "crm.objects.companies.write"])
    assert refused.headers["X-HubSpot-RateLimit-Remaining"]  # an answered call, counted like any other
    assert hubspot_emulator.associations("contacts", 1, "companies") == {}
    assert hubspot_emulator.counters() == {"batch.create": {"403": 1}, "labels.list": {"200": 1}}
    # only the scopes it lacks are named
    assert_missing_scopes(key.get(f"{DATED}/contacts/deals/labels"), ["crm.objects.deals.read"])


def test_a_key_with_the_scopes_works_and_tokens_without_a_list_keep_full_access(
    hubspot_emulator: HubSpotEmulator,
) -> None:
    hubspot_emulator.add_token(KEY, scopes=["crm.objects.contacts.write", "crm.objects.companies.write"])
    created = Client(hubspot_emulator, token=KEY).post(
        f"{DATED}/contacts/companies/batch/create", {"inputs": [pair(1, 501, spec(1))]}
    )
    assert created.status_code == 201
    assert 1 in {t["typeId"] for t in hubspot_emulator.associations("contacts", 1, "companies")[501]}
    main = Client(hubspot_emulator)  # the main token: no scope list
    assert main.post(f"{DATED}/contacts/companies/labels", {"name": "billing", "label": "Billing"}).status_code == 200
    hubspot_emulator.add_token("plain")
    assert Client(hubspot_emulator, token="plain").get(f"{DATED}/definitions/configurations/all").status_code == 200
    # registering again without scopes lifts the list
    hubspot_emulator.add_token(KEY)
    assert Client(hubspot_emulator, token=KEY).get(f"{DATED}/contacts/deals/labels").status_code == 200


def test_scoped_keys_from_fixture_and_admin_api_and_reset_removes_them(hubspot_emulator: HubSpotEmulator) -> None:
    hubspot_emulator.load_fixture(
        {"tokens": ["plain-string", {"token": KEY, "scopes": ["crm.objects.contacts.read"]}, {"token": "all"}]}
    )
    assert Client(hubspot_emulator, token="plain-string").get(f"{DATED}/contacts/companies/labels").status_code == 200
    assert Client(hubspot_emulator, token="all").get(f"{DATED}/contacts/companies/labels").status_code == 200
    assert_missing_scopes(
        Client(hubspot_emulator, token=KEY).get(f"{DATED}/contacts/companies/labels"), ["crm.objects.companies.read"]
    )
    registered = requests.post(
        f"{hubspot_emulator.base_url}/_emulator/tokens",
        json={"token": "admin-key", "scopes": ["crm.objects.deals.read"]},
        timeout=10,
    )
    assert registered.json() == {"status": "registered"}
    admin_key = Client(hubspot_emulator, token="admin-key")
    assert admin_key.get(f"{DATED}/deals/deals/labels").status_code == 200
    assert_missing_scopes(admin_key.get(f"{DATED}/deals/contacts/labels"), ["crm.objects.contacts.read"])
    assert "admin-key" not in str(hubspot_emulator.dump())
    hubspot_emulator.reset()
    assert admin_key.get(f"{DATED}/deals/deals/labels").status_code == 401
    assert Client(hubspot_emulator).get(f"{DATED}/deals/deals/labels").status_code == 200


@pytest.mark.parametrize("scopes", ["crm.objects.contacts.read", [1]])
def test_scopes_must_be_a_list_of_names(hubspot_emulator: HubSpotEmulator, scopes) -> None:
    with pytest.raises(ValueError, match="scopes must be a list of scope names or None"):
        hubspot_emulator.add_token(KEY, scopes=scopes)
