"""Every endpoint and every success status it can answer, checked once against the JSON Schemas.

The ``hubspot_emulator`` fixture validates each response; this test makes sure that no endpoint/status pair
of the schema table goes unexercised (a new endpoint without a schema, or a schema never used, fails here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import requests
from emulator_helpers import Client, pair, spec
from emulator_shapes import SUCCESS_SCHEMAS, ShapeChecker

if TYPE_CHECKING:
    from airflow_provider_hubassoc.emulator import HubSpotEmulator

V4 = "/crm/v4/associations"
DATED = "/crm/associations/2026-03"
CONF = "/crm/v4/associations/definitions/configurations"


@pytest.mark.legacy_api  # every endpoint/status pair: v4's 204s, the v3 endpoints and OAuth v1's too
def test_every_endpoint_status_is_schema_checked(
    hubspot_emulator: HubSpotEmulator, shape_checker: ShapeChecker
) -> None:
    hubspot_emulator.configure(auto_records=False, requests_per_10_seconds=None)
    hubspot_emulator.create_records("contacts", [1, 2])
    hubspot_emulator.create_records("companies", [10, 11])
    hubspot_emulator.create_records("deals", [20])
    c = Client(hubspot_emulator)
    ok, bad = pair(1, 10, spec(279)), pair(9, 10, spec(279))
    c.post(f"{V4}/contacts/companies/batch/create", {"inputs": [ok]})  # 201
    c.post(f"{V4}/contacts/companies/batch/create", {"inputs": [ok, bad]})  # 207
    c.post("/crm/associations/2026-09/contacts/companies/batch/create", {"inputs": [ok]})  # 201 (2026-09 GA)
    c.post(f"{V4}/contacts/companies/batch/read", {"inputs": [{"id": "1"}]})  # 200
    c.post(f"{V4}/contacts/companies/batch/read", {"inputs": [{"id": "1"}, {"id": "2"}]})  # 207
    default = {"from": {"id": "2"}, "to": {"id": "11"}}
    c.post(f"{V4}/contacts/companies/batch/associate/default", {"inputs": [default]})  # 200
    c.post(
        f"{V4}/contacts/companies/batch/associate/default",
        {"inputs": [default, {"from": {"id": "9"}, "to": {"id": "11"}}]},
    )  # 207
    c.post(f"{V4}/contacts/companies/batch/labels/archive", {"inputs": [pair(2, 11, spec(1))]})  # 204
    c.post(f"{DATED}/contacts/companies/batch/labels/archive", {"inputs": [pair(2, 11, spec(1))]})  # 200
    c.post(f"{V4}/contacts/companies/batch/archive", {"inputs": [{"from": {"id": "2"}, "to": [{"id": "11"}]}]})
    c.post(f"{DATED}/contacts/companies/batch/archive", {"inputs": [{"from": {"id": "2"}, "to": [{"id": "11"}]}]})
    c.put("/crm/v4/objects/contacts/1/associations/deals/20", [spec(4)])
    c.put("/crm/objects/2026-03/contacts/2/associations/default/deals/20")
    c.get("/crm/v4/objects/contacts/1/associations/deals")
    c.delete("/crm/v4/objects/contacts/1/associations/deals/20")
    c.get(f"{V4}/contacts/companies/labels")
    created = c.post(f"{V4}/contacts/companies/labels", {"name": "owner", "label": "Owner"}).json()
    type_id = created["results"][0]["typeId"]
    c.put(f"{V4}/contacts/companies/labels", {"associationTypeId": type_id, "label": "Owner 2"})
    c.delete(f"{V4}/contacts/companies/labels/{type_id}")
    limit = {"category": "HUBSPOT_DEFINED", "typeId": 279, "maxToObjectIds": 5}
    c.post(f"{CONF}/contacts/companies/batch/create", {"inputs": [limit]})  # 201
    c.post(f"{CONF}/contacts/companies/batch/create", {"inputs": [limit]})  # 207 (exists)
    c.post(f"{CONF}/contacts/companies/batch/update", {"inputs": [limit]})  # 200
    c.post(f"{CONF}/contacts/companies/batch/update", {"inputs": [{**limit, "typeId": 1}]})  # 207
    c.post(
        "/crm/associations/2025-09/definitions/configurations/contacts/deals/batch/create",
        {"inputs": [{**limit, "typeId": 4}]},
    )  # 200 (2025-09 spec)
    c.get(f"{CONF}/all")
    c.get(f"{CONF}/contacts/companies")
    c.post(f"{CONF}/contacts/companies/batch/purge", {"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": 279}]})
    c.post(
        f"{DATED}/definitions/configurations/contacts/companies/batch/purge",
        {"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": 279}]},
    )
    c.post(f"{V4}/usage/high-usage-report/7")
    c.get("/crm/v3/associations/contacts/companies/types")
    v3 = {"from": {"id": "1"}, "to": {"id": "20"}, "type": "contact_to_deal"}
    c.post("/crm/v3/associations/contacts/deals/batch/create", {"inputs": [v3]})  # 200
    c.post("/crm/v3/associations/contacts/deals/batch/create", {"inputs": [v3, {**v3, "from": {"id": "9"}}]})
    hubspot_emulator.configure(v3_create_status=201)
    c.post("/crm/v3/associations/contacts/deals/batch/create", {"inputs": [v3]})  # 201
    c.post("/crm/v3/associations/contacts/deals/batch/read", {"inputs": [{"id": "1"}]})
    c.post("/crm/v3/associations/contacts/deals/batch/read", {"inputs": [{"id": "1"}, {"id": "9"}]})
    c.post("/crm/v3/associations/contacts/deals/batch/archive", {"inputs": [v3]})
    hubspot_emulator.oauth_client("app", "secret", "refresh")
    oauth = f"{hubspot_emulator.base_url}/oauth/2026-03/token"
    client = {"client_id": "app", "client_secret": "secret"}
    form = {"grant_type": "refresh_token", **client, "refresh_token": "refresh"}
    access = requests.post(oauth, data=form, timeout=10).json()["access_token"]
    requests.post(oauth, data={**form, "refresh_token": "x"}, timeout=10)  # 400
    for token in (access, "refresh", "unknown"):  # active access token, active refresh token, inactive
        requests.post(f"{oauth}/introspect", data={**client, "token": token}, timeout=10)
    requests.post(f"{oauth}/introspect", data={"client_id": "app", "client_secret": "no", "token": access}, timeout=10)
    requests.post(f"{oauth}/revoke", data={**client, "token": access}, timeout=10)  # 200
    requests.post(f"{oauth}/revoke?token={access}", data=client, timeout=10)  # 400: a query parameter
    hubspot_emulator.configure(oauth_v1_enabled=True)
    requests.post(f"{hubspot_emulator.base_url}/oauth/v1/token", data=form, timeout=10)
    requests.delete(f"{hubspot_emulator.base_url}/oauth/v1/refresh-tokens/refresh", timeout=10)  # 204

    expected = {(name, status) for name, statuses in SUCCESS_SCHEMAS.items() for status in statuses}
    assert expected - shape_checker.seen == set()
    assert not shape_checker.failures
