"""The emulator's OAuth token API: ``/oauth/2026-03/token``, ``/token/introspect``, ``/token/revoke`` (§20.5).

Every parameter is a form-encoded body field (a query string or a JSON body is refused), answers are snake_case,
refresh tokens rotate with ``oauth_rotate_refresh_tokens``, and the legacy ``/oauth/v1/`` paths answer only with
``oauth_v1_enabled``. Every answer here is also checked against the JSON Schemas (the emulator conftest).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import requests
from emulator_helpers import Client

if TYPE_CHECKING:
    from airflow_provider_hubassoc.emulator import HubSpotEmulator

LABELS = "/crm/associations/2026-09/contacts/companies/labels"
CLIENT = {"client_id": "app-1", "client_secret": "secret-1"}
GRANT = {"grant_type": "refresh_token", **CLIENT, "refresh_token": "refresh-1"}
FORM_ONLY = "Ensure all parameters are provided as form-encoded body fields, not as query parameters"


@pytest.fixture
def emulator(hubspot_emulator: HubSpotEmulator) -> HubSpotEmulator:
    hubspot_emulator.oauth_client("app-1", "secret-1", "refresh-1")
    return hubspot_emulator


def post(emulator: HubSpotEmulator, path: str, **kwargs) -> requests.Response:
    return requests.post(f"{emulator.base_url}/oauth/2026-03/{path}", timeout=10, **kwargs)


def test_token_answer_is_snake_case_with_token_use_hub_id_scopes(emulator: HubSpotEmulator) -> None:
    emulator.configure(oauth_token_lifetime=321)
    answer = post(emulator, "token", data=GRANT)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {
        "token_type",
        "refresh_token",
        "access_token",
        "expires_in",
        "token_use",
        "hub_id",
        "user_id",
        "scopes",
    }
    assert (body["token_use"], body["token_type"], body["expires_in"]) == ("access_token", "bearer", 321)
    assert body["refresh_token"] == "refresh-1"  # no rotation by default
    assert isinstance(body["hub_id"], int) and "crm.objects.contacts.read" in body["scopes"]
    assert Client(emulator, token=body["access_token"]).get(LABELS).status_code == 200


@pytest.mark.parametrize(
    ("query", "send", "refused_because"),
    [
        (
            "client_secret=secret-1&refresh_token=refresh-1",
            {"data": {"grant_type": "refresh_token", "client_id": "app-1"}},
            "got query parameters",
        ),
        ("", {"json": GRANT}, "got a body of type application/json"),
        ("grant_type=refresh_token", {"data": GRANT}, "got query parameters"),
    ],
)
def test_parameters_outside_a_form_body_are_refused(emulator: HubSpotEmulator, query, send, refused_because) -> None:
    answer = post(emulator, f"token?{query}" if query else "token", **send)
    assert answer.status_code == 400
    body = answer.json()
    assert body["error"] == "invalid_request" and body["category"] == "VALIDATION_ERROR"
    assert body["error_description"].startswith(FORM_ONLY) and refused_because in body["error_description"]
    assert emulator.app.access_tokens == {}  # nothing issued


def test_rotation_answers_a_new_refresh_token_and_retires_the_old(emulator: HubSpotEmulator) -> None:
    emulator.configure(oauth_rotate_refresh_tokens=True)
    first = post(emulator, "token", data=GRANT).json()
    assert first["refresh_token"] != "refresh-1"
    old = post(emulator, "token", data=GRANT)
    assert old.status_code == 400
    assert (old.json()["status"], old.json()["error"]) == ("BAD_REFRESH_TOKEN", "invalid_grant")
    second = post(emulator, "token", data={**GRANT, "refresh_token": first["refresh_token"]}).json()
    assert second["refresh_token"] not in ("refresh-1", first["refresh_token"])
    assert post(emulator, "token", data={**GRANT, "refresh_token": first["refresh_token"]}).status_code == 400
    assert post(emulator, "token", data={**GRANT, "refresh_token": second["refresh_token"]}).status_code == 200


def test_refusals_carry_both_rfc_and_legacy_fields(emulator: HubSpotEmulator) -> None:
    bad_client = post(emulator, "token", data={**GRANT, "client_secret": "wrong"}).json()
    assert (bad_client["status"], bad_client["error"]) == ("BAD_CLIENT_ID", "invalid_client")
    bad_grant = post(emulator, "token", data={**GRANT, "grant_type": "authorization_code"}).json()
    assert (bad_grant["status"], bad_grant["error"]) == ("BAD_GRANT_TYPE", "unsupported_grant_type")
    for body in (bad_client, bad_grant):
        assert body["message"] and body["error_description"] and body["correlationId"]


def test_introspect_access_refresh_and_inactive_tokens(emulator: HubSpotEmulator) -> None:
    emulator.configure(oauth_token_lifetime=600)
    access = post(emulator, "token", data=GRANT).json()["access_token"]
    about_access = post(emulator, "token/introspect", data={**CLIENT, "token": access}).json()
    assert set(about_access) == {
        "token_use",
        "active",
        "token",
        "hub_id",
        "user_id",
        "client_id",
        "app_id",
        "scopes",
        "expires_in",
        "is_private_distribution",
        "token_type",
    }
    assert (about_access["token_use"], about_access["active"], about_access["token"]) == ("access_token", True, access)
    assert about_access["client_id"] == "app-1" and 595 <= about_access["expires_in"] <= 600
    about_refresh = post(emulator, "token/introspect", data={**CLIENT, "token": "refresh-1"}).json()
    assert set(about_refresh) == set(about_access) - {"expires_in", "is_private_distribution"}
    assert (about_refresh["token_use"], about_refresh["active"]) == ("refresh_token", True)
    assert about_refresh["app_id"] == about_access["app_id"]
    assert post(emulator, "token/introspect", data={**CLIENT, "token": "nope"}).json() == {"active": False}
    refused = post(emulator, "token/introspect", data={**CLIENT, "client_secret": "wrong", "token": access})
    assert refused.status_code == 400 and refused.json()["status"] == "BAD_CLIENT_ID"
    assert post(emulator, f"token/introspect?token={access}", data=CLIENT).status_code == 400


def test_an_expired_access_token_is_inactive(emulator: HubSpotEmulator) -> None:
    emulator.configure(oauth_token_lifetime=0)
    access = post(emulator, "token", data=GRANT).json()["access_token"]
    assert post(emulator, "token/introspect", data={**CLIENT, "token": access}).json() == {"active": False}


def test_revoke_ends_access_and_refresh_tokens_and_answers_200_without_a_body(emulator: HubSpotEmulator) -> None:
    access = post(emulator, "token", data=GRANT).json()["access_token"]
    api = Client(emulator, token=access)
    assert api.get(LABELS).status_code == 200
    revoked = post(emulator, "token/revoke", data={**CLIENT, "token": access})
    assert (revoked.status_code, revoked.content) == (200, b"")
    assert api.get(LABELS).status_code == 401
    assert post(emulator, "token/introspect", data={**CLIENT, "token": access}).json() == {"active": False}
    assert post(emulator, "token/revoke", data={**CLIENT, "token": "refresh-1"}).status_code == 200
    refused = post(emulator, "token", data=GRANT)
    assert refused.status_code == 400 and refused.json()["status"] == "BAD_REFRESH_TOKEN"
    assert post(emulator, "token/introspect", data={**CLIENT, "token": "refresh-1"}).json() == {"active": False}
    # an unknown token is no error (RFC 7009 §2.2; HubSpot documents no answer); a wrong client is
    assert post(emulator, "token/revoke", data={**CLIENT, "token": "unknown"}).status_code == 200
    assert post(emulator, "token/revoke", data={**CLIENT, "client_secret": "x", "token": "u"}).status_code == 400
    assert emulator.counters()["oauth.revoke"] == {"200": 3, "400": 1}


@pytest.mark.legacy_api
def test_legacy_v1_paths_are_404_unless_enabled_and_v3_is_served(emulator: HubSpotEmulator) -> None:
    base = emulator.base_url
    v1 = requests.post(f"{base}/oauth/v1/token", data=GRANT, timeout=10)
    assert v1.status_code == 404 and v1.json()["category"] == "OBJECT_NOT_FOUND"
    assert requests.delete(f"{base}/oauth/v1/refresh-tokens/refresh-1", timeout=10).status_code == 404
    assert emulator.counters() == {"unknown": {"404": 2}}  # like any path HubSpot does not serve
    v3 = requests.post(f"{base}/oauth/v3/token", data=GRANT, timeout=10)
    assert v3.status_code == 200 and v3.json()["token_use"] == "access_token"
    assert requests.post(f"{base}/oauth/v3/token?refresh_token=refresh-1", data=GRANT, timeout=10).status_code == 400
    emulator.configure(oauth_v1_enabled=True)
    legacy = requests.post(f"{base}/oauth/v1/token", data=GRANT, timeout=10)
    assert legacy.status_code == 200
    assert set(legacy.json()) == {"token_type", "refresh_token", "access_token", "expires_in"}  # the v1 answer
    # v1 also read the query string
    query = "grant_type=refresh_token&client_id=app-1&client_secret=secret-1&refresh_token=refresh-1"
    assert requests.post(f"{base}/oauth/v1/token?{query}", timeout=10).status_code == 200
    assert requests.delete(f"{base}/oauth/v1/refresh-tokens/refresh-1", timeout=10).status_code == 204


def test_fixture_and_admin_registered_installs_refresh_on_the_new_path(hubspot_emulator: HubSpotEmulator) -> None:
    hubspot_emulator.load_fixture({"oauthClients": [{"clientId": "f", "clientSecret": "fs", "refreshToken": "fr"}]})
    registered = requests.post(
        f"{hubspot_emulator.base_url}/_emulator/oauth-clients",
        json={"clientId": "a", "clientSecret": "as", "refreshToken": "ar"},
        timeout=10,
    )
    assert registered.status_code == 200
    for client_id, secret, refresh in (("f", "fs", "fr"), ("a", "as", "ar")):
        form = {
            "grant_type": "refresh_token",
            "client_id": client_id,
            "client_secret": secret,
            "refresh_token": refresh,
        }
        assert post(hubspot_emulator, "token", data=form).status_code == 200
