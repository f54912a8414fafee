"""Credentials: the private-app token, and OAuth access tokens from the refresh-token grant.

The grant (``POST /oauth/2026-03/token``), rotation, expiry, 401s and HubSpot's refusals run against the real
emulator over HTTP; requests-mock stands in only for token-endpoint answers the emulator does not give (refusal
bodies it has no reason to send, a 5xx body, a malformed answer, a refused connection).
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

import pytest
import requests
from transport_helpers import FakeClock, fresh_limiters  # noqa: F401 - the fixture is used by name

from airflow_provider_hubassoc.exceptions import (
    HubSpotAuthError,
    HubSpotConnectionError,
    HubSpotServerError,
)
from airflow_provider_hubassoc.hooks._auth import (
    OAUTH_ERROR_ADVICE,
    OAuthRefreshAuth,
    StaticTokenAuth,
    build_auth,
    token_lifetime,
)
from airflow_provider_hubassoc.hooks._settings import HubSpotSettings
from airflow_provider_hubassoc.hooks._transport import HubSpotTransport

LABELS_PATH = "/crm/associations/2026-09/contacts/companies/labels"
TOKEN_PATH = "/oauth/2026-03/token"
FAKE_BASE = "https://hubspot.test"
CLIENT_SECRET = "csecret-7f3a91"
REFRESH_TOKEN = "refresh-2b8c44"


pytestmark = pytest.mark.usefixtures("fresh_limiters")


def oauth_settings(base_url: str, **overrides) -> HubSpotSettings:
    values = {
        "base_url": base_url,
        "client_id": "cid",
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN,
        "requests_per_10_seconds": 1_000_000,
    }
    values.update(overrides)
    return HubSpotSettings(**values)


def oauth_transport(base_url: str, **overrides) -> HubSpotTransport:
    return HubSpotTransport(oauth_settings(base_url, **overrides), sleep=lambda seconds: None, rng=lambda: 0.0)


def test_private_app_token_wins_and_cannot_be_refreshed() -> None:
    settings = HubSpotSettings(
        base_url=FAKE_BASE,
        access_token="pat-abc123",
        client_id="cid",
        client_secret=CLIENT_SECRET,
        refresh_token=REFRESH_TOKEN,
    )
    auth = build_auth(settings, requests.Session())
    assert isinstance(auth, StaticTokenAuth)
    assert auth.token() == "pat-abc123"
    assert auth.invalidate("pat-abc123") is False  # the transport does not resend after a 401
    assert "pat-abc123" not in repr(auth)


@pytest.mark.parametrize("value", [None, "1800", 1800.0, True, [1800]])
def test_an_expires_in_that_is_missing_or_not_an_integer_is_an_auth_error(value) -> None:
    body = {"access_token": "at", "expires_in": value} if value is not None else {"access_token": "at"}
    with pytest.raises(HubSpotAuthError) as raised:
        token_lifetime(body, status=200)
    assert "`expires_in`" in str(raised.value)
    assert ("missing" in str(raised.value)) == (value is None)
    assert token_lifetime({"expires_in": 1800}) == 1800


def test_a_malformed_answer_keeps_its_rotated_refresh_token(requests_mock) -> None:
    """An answer without ``expires_in`` fails the refresh, but its new refresh token is kept for the next one."""
    requests_mock.post(
        f"{FAKE_BASE}{TOKEN_PATH}",
        [
            {"json": {"access_token": "at-1", "refresh_token": "refresh-next", "token_type": "bearer"}},
            {"json": {"access_token": "at-2", "expires_in": 1800, "token_type": "bearer"}},
        ],
    )
    auth = OAuthRefreshAuth(oauth_settings(FAKE_BASE), requests.Session(), clock=FakeClock())
    with pytest.raises(HubSpotAuthError, match="no integer `expires_in` \\(missing\\)"):
        auth.token()
    assert auth.token() == "at-2"
    assert parse_qs(requests_mock.request_history[1].text)["refresh_token"] == ["refresh-next"]


@pytest.mark.parametrize(
    ("body", "category", "sub_category", "advice_key"),
    [
        (
            {"error": "invalid_grant", "error_description": "refresh token is invalid, expired or revoked"},
            "invalid_grant",
            None,
            "BAD_REFRESH_TOKEN",
        ),
        (
            {"status": "BAD_GRANT_TYPE", "message": "missing or invalid grant type", "error": "unsupported_grant_type"},
            "BAD_GRANT_TYPE",
            "unsupported_grant_type",
            "BAD_GRANT_TYPE",
        ),
        (
            {"status": "BAD_REDIRECT_URI", "message": "redirect uri mismatch", "error": "invalid_grant"},
            "BAD_REDIRECT_URI",
            "invalid_grant",
            "BAD_REDIRECT_URI",
        ),
        (
            {"error": "invalid_request", "error_description": "missing client_id"},
            "invalid_request",
            None,
            "invalid_request",
        ),
        ({"error": "invalid_scope", "error_description": "scope mismatch"}, "invalid_scope", None, "invalid_scope"),
        ({"error": "invalid_client", "error_description": "bad client"}, "invalid_client", None, "BAD_CLIENT_ID"),
        (
            {
                "status": "error",
                "category": "VALIDATION_ERROR",
                "message": "Invalid refresh token",
                "correlationId": "c-1",
                "subCategory": "INVALID_TOKEN",
            },
            "VALIDATION_ERROR",
            "INVALID_TOKEN",
            "VALIDATION_ERROR",
        ),
    ],
)
def test_each_documented_refusal_says_what_to_fix(requests_mock, body, category, sub_category, advice_key) -> None:
    requests_mock.post(f"{FAKE_BASE}{TOKEN_PATH}", status_code=400, json=body)
    transport = oauth_transport(FAKE_BASE)
    with pytest.raises(HubSpotAuthError) as raised:
        transport.request("GET", LABELS_PATH)
    error = raised.value
    assert (error.status, error.category, error.sub_category) == (400, category, sub_category)
    said = body.get("message") or body["error_description"]
    assert error.message == f"OAuth refresh failed: {said}. {OAUTH_ERROR_ADVICE[advice_key]}"
    assert requests_mock.call_count == 1  # a refusal is not retried


def test_the_advice_table_pairs_each_legacy_status_with_its_rfc_error() -> None:
    for legacy, rfc in [
        ("BAD_REFRESH_TOKEN", "invalid_grant"),
        ("BAD_CLIENT_ID", "invalid_client"),
        ("BAD_GRANT_TYPE", "unsupported_grant_type"),
    ]:
        assert OAUTH_ERROR_ADVICE[legacy] == OAUTH_ERROR_ADVICE[rfc]


@pytest.mark.parametrize(
    ("answer", "named"),
    [
        ({"status_code": 400, "json": {"status": "BAD_SOMETHING_NEW", "message": "new refusal"}}, "BAD_SOMETHING_NEW"),
        ({"status_code": 401, "text": "<html>no</html>"}, "HTTP 401"),
    ],
)
def test_an_unknown_refusal_names_hubspots_status(requests_mock, answer, named) -> None:
    requests_mock.post(f"{FAKE_BASE}{TOKEN_PATH}", **answer)
    with pytest.raises(HubSpotAuthError) as raised:
        oauth_transport(FAKE_BASE).request("GET", LABELS_PATH)
    assert f"HubSpot answered {named}, which this provider does not know" in str(raised.value)
    assert raised.value.status == answer["status_code"]


@pytest.mark.parametrize(
    ("answer", "error_class", "expected_text"),
    [
        (
            {"status_code": 400, "json": {"error": "invalid_grant", "error_description": f"token {REFRESH_TOKEN} bad"}},
            HubSpotAuthError,
            "token *** bad",
        ),
        ({"status_code": 200, "json": {"expires_in": 1800}}, HubSpotAuthError, "no `access_token`"),
        ({"status_code": 502, "text": "<html>Bad gateway</html>"}, HubSpotServerError, "token endpoint failed"),
        (
            {"exc": requests.ConnectionError(f"refused while sending refresh_token={REFRESH_TOKEN}")},
            HubSpotConnectionError,
            "could not reach the OAuth token endpoint",
        ),
        (
            {"exc": requests.exceptions.SSLError(f"bad certificate, refresh_token={REFRESH_TOKEN}")},
            HubSpotServerError,
            "could not reach the OAuth token endpoint: SSLError",
        ),
    ],
)
def test_token_endpoint_failures_never_quote_the_secrets(
    requests_mock, caplog, capsys, answer, error_class, expected_text
) -> None:
    requests_mock.post(f"{FAKE_BASE}{TOKEN_PATH}", **answer)
    transport = oauth_transport(FAKE_BASE)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(error_class) as raised:
        transport.request("GET", LABELS_PATH)
    error = raised.value
    assert expected_text in str(error)
    assert error.path == TOKEN_PATH and error.method == "POST"
    assert error.__cause__ is None  # the network error's text (which may echo the request) is not chained
    out = capsys.readouterr()
    seen = " ".join([str(error), repr(error), caplog.text, out.out, out.err, repr(transport), repr(transport.auth)])
    for secret in (CLIENT_SECRET, REFRESH_TOKEN):
        assert secret not in seen


def test_token_endpoint_outages_are_retried_like_any_transient_failure(requests_mock) -> None:
    requests_mock.post(
        f"{FAKE_BASE}{TOKEN_PATH}",
        [
            {"exc": requests.ConnectionError("dropped")},
            {"status_code": 503, "json": {"status": "error", "message": "try later"}},
            {"json": {"access_token": "at-ok", "expires_in": 1800, "token_type": "bearer"}},
        ],
    )
    requests_mock.get(f"{FAKE_BASE}{LABELS_PATH}", json={"results": []})
    transport = oauth_transport(FAKE_BASE)
    assert transport.request("GET", LABELS_PATH).status_code == 200
    assert transport.stats.retries_by_reason == {f"HubSpotConnectionError ({TOKEN_PATH})": 1, "HTTP 503": 1}
    assert requests_mock.last_request.headers["Authorization"] == "Bearer at-ok"
