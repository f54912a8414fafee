"""Credentials: the private-app token, and OAuth access tokens from the refresh-token grant.

The grant itself, expiry and 401s run against the real emulator over HTTP; requests-mock stands in only for
token-endpoint answers the emulator does not give (a rotated refresh token, a 5xx body, a refused connection).
"""

from __future__ import annotations

import logging
import threading
import time
from urllib.parse import parse_qs

import pytest
import requests
from transport_helpers import FakeClock, fresh_limiters  # noqa: F401 - the fixture is used by name

from airflow_provider_hubassoc.exceptions import HubSpotAuthError, HubSpotConnectionError, HubSpotServerError
from airflow_provider_hubassoc.hooks import _auth
from airflow_provider_hubassoc.hooks._auth import OAuthRefreshAuth, StaticTokenAuth, build_auth
from airflow_provider_hubassoc.hooks._settings import HubSpotSettings
from airflow_provider_hubassoc.hooks._transport import HubSpotTransport

TYPES_PATH = "/crm/v3/associations/contacts/companies/types"
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


def oauth_transport(base_url: str) -> HubSpotTransport:
    return HubSpotTransport(oauth_settings(base_url), sleep=lambda seconds: None, rng=lambda: 0.0)


def concurrent_statuses(transport: HubSpotTransport, threads: int) -> list[int]:
    """Statuses of ``threads`` GETs released at once (a thread that raised leaves its status out)."""
    barrier = threading.Barrier(threads)
    statuses: list[int] = []

    def call() -> None:
        barrier.wait()
        statuses.append(transport.request("GET", TYPES_PATH).status_code)

    running = [threading.Thread(target=call) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return statuses


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


@pytest.mark.parametrize(
    ("expires_in", "refresh_after"),
    [(1800, 1740.0), (600, 540.0), (30, 27.0), (1, 0.9)],
)
def test_refresh_margin_is_a_minute_or_a_tenth_of_short_lifetimes(requests_mock, expires_in, refresh_after) -> None:
    requests_mock.post(
        f"{FAKE_BASE}/oauth/v1/token",
        [{"json": {"access_token": f"at-{n}", "expires_in": expires_in}} for n in range(3)],
    )
    clock = FakeClock()
    auth = OAuthRefreshAuth(oauth_settings(FAKE_BASE), requests.Session(), clock=clock)
    assert auth.token() == "at-0"
    clock.now += refresh_after - 0.01
    assert auth.token() == "at-0"  # still inside the margin-adjusted lifetime: cached
    clock.now += 0.02
    assert auth.token() == "at-1"  # shortly before expiry: refreshed
    assert auth.refresh_count == 2 and requests_mock.call_count == 2


def test_grant_is_form_encoded_and_a_rotated_refresh_token_is_used(requests_mock) -> None:
    requests_mock.post(
        f"{FAKE_BASE}/oauth/v1/token",
        [
            {"json": {"access_token": "at-1", "expires_in": 1800, "refresh_token": "refresh-rotated"}},
            {"json": {"access_token": "at-2", "expires_in": 1800}},
        ],
    )
    clock = FakeClock()
    auth = OAuthRefreshAuth(oauth_settings(FAKE_BASE), requests.Session(), clock=clock)
    auth.token()
    clock.now += 1800
    assert auth.token() == "at-2"
    first, second = (parse_qs(call.text) for call in requests_mock.request_history)
    assert requests_mock.request_history[0].headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert first == {
        "grant_type": ["refresh_token"],
        "client_id": ["cid"],
        "client_secret": [CLIENT_SECRET],
        "refresh_token": [REFRESH_TOKEN],
    }
    assert second["refresh_token"] == ["refresh-rotated"]


def test_every_secret_and_each_new_access_token_is_masked(requests_mock, monkeypatch) -> None:
    masked: list[str] = []
    monkeypatch.setattr(_auth, "mask_secret", masked.append)
    requests_mock.post(
        f"{FAKE_BASE}/oauth/v1/token",
        [
            {"json": {"access_token": "at-first", "expires_in": 10, "refresh_token": "refresh-next"}},
            {"json": {"access_token": "at-second", "expires_in": 10}},
        ],
    )
    clock = FakeClock()
    auth = OAuthRefreshAuth(oauth_settings(FAKE_BASE), requests.Session(), clock=clock)
    assert {CLIENT_SECRET, REFRESH_TOKEN} <= set(masked)
    auth.token()
    assert {"at-first", "refresh-next"} <= set(masked)
    clock.now += 10
    auth.token()
    assert "at-second" in masked


def test_many_threads_trigger_one_refresh(hubspot_emulator) -> None:
    hubspot_emulator.oauth_client("cid", CLIENT_SECRET, REFRESH_TOKEN)
    hubspot_emulator.configure(requests_per_10_seconds=None)
    before = sum(hubspot_emulator.counters().get("oauth.token", {}).values())
    transport = oauth_transport(hubspot_emulator.base_url)
    assert concurrent_statuses(transport, 12) == [200] * 12
    assert transport.auth.refresh_count == 1
    assert sum(hubspot_emulator.counters()["oauth.token"].values()) - before == 1


def test_a_burst_of_401s_on_an_expired_token_refreshes_once(hubspot_emulator) -> None:
    """The server expires the token while our clock still trusts it: every thread gets a 401, one refreshes."""
    hubspot_emulator.oauth_client("cid", CLIENT_SECRET, REFRESH_TOKEN)
    hubspot_emulator.configure(requests_per_10_seconds=None, oauth_token_lifetime=2)
    transport = oauth_transport(hubspot_emulator.base_url)
    transport.auth._clock = lambda: 0.0  # never refresh proactively: only a 401 can make us refresh
    assert transport.request("GET", TYPES_PATH).status_code == 200
    time.sleep(2.1)  # the emulator's 2-second token is now expired
    assert concurrent_statuses(transport, 8) == [200] * 8
    assert transport.auth.refresh_count == 2  # the first token, and one refresh for the whole burst
    # threads that sent the stale token got a 401 and resent once with the shared new token; threads that
    # queued behind the refresh sent the new one straight away
    got_401 = transport.stats.responses_by_status[401]
    assert 1 <= got_401 <= 8
    assert transport.stats.token_refreshes_on_401 == got_401
    assert transport.stats.requests_sent == 1 + 8 + got_401


def test_a_second_401_after_the_refresh_is_final(requests_mock) -> None:
    requests_mock.post(f"{FAKE_BASE}/oauth/v1/token", json={"access_token": "at-x", "expires_in": 1800})
    requests_mock.get(
        f"{FAKE_BASE}{TYPES_PATH}",
        status_code=401,
        json={
            "status": "error",
            "category": "INVALID_AUTHENTICATION",
            "message": "Authentication credentials not found.",
        },
    )
    transport = oauth_transport(FAKE_BASE)
    with pytest.raises(HubSpotAuthError) as raised:
        transport.request("GET", TYPES_PATH)
    assert raised.value.status == 401
    assert transport.stats.requests_sent == 2  # the original and one resend after one refresh
    assert transport.auth.refresh_count == 2
    assert transport.stats.retries == 0


@pytest.mark.parametrize(
    ("answer", "error_class", "expected_text"),
    [
        (
            {
                "status_code": 400,
                "json": {
                    "status": "BAD_CLIENT_ID",
                    "message": "missing or unknown client id",
                    "error": "invalid_client",
                },
            },
            HubSpotAuthError,
            "missing or unknown client id",
        ),
        ({"status_code": 400, "json": {"error": "invalid_grant"}}, HubSpotAuthError, "invalid_grant"),
        ({"status_code": 200, "json": {"expires_in": 1800}}, HubSpotAuthError, "no access token"),
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
    requests_mock.post(f"{FAKE_BASE}/oauth/v1/token", **answer)
    transport = oauth_transport(FAKE_BASE)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(error_class) as raised:
        transport.request("GET", TYPES_PATH)
    error = raised.value
    assert expected_text in str(error)
    assert error.path == "/oauth/v1/token" and error.method == "POST"
    assert error.__cause__ is None  # the network error's text (which may echo the request) is not chained
    out = capsys.readouterr()
    seen = " ".join([str(error), repr(error), caplog.text, out.out, out.err, repr(transport), repr(transport.auth)])
    for secret in (CLIENT_SECRET, REFRESH_TOKEN):
        assert secret not in seen


def test_emulator_rejects_a_wrong_client_secret_as_an_auth_error(hubspot_emulator) -> None:
    hubspot_emulator.oauth_client("cid", CLIENT_SECRET, REFRESH_TOKEN)
    transport = HubSpotTransport(
        oauth_settings(hubspot_emulator.base_url, client_secret="not-the-secret-91"),
        sleep=lambda seconds: None,
    )
    with pytest.raises(HubSpotAuthError) as raised:
        transport.request("GET", TYPES_PATH)
    assert raised.value.category == "BAD_CLIENT_ID"
    assert "not-the-secret-91" not in str(raised.value)
    assert transport.stats.requests_sent == 0  # nothing reached the API without a token


def test_token_endpoint_outages_are_retried_like_any_transient_failure(requests_mock) -> None:
    requests_mock.post(
        f"{FAKE_BASE}/oauth/v1/token",
        [
            {"exc": requests.ConnectionError("dropped")},
            {"status_code": 503, "json": {"status": "error", "message": "try later"}},
            {"json": {"access_token": "at-ok", "expires_in": 1800}},
        ],
    )
    requests_mock.get(f"{FAKE_BASE}{TYPES_PATH}", json={"results": []})
    transport = oauth_transport(FAKE_BASE)
    assert transport.request("GET", TYPES_PATH).status_code == 200
    assert transport.stats.retries_by_reason == {"HubSpotConnectionError (/oauth/v1/token)": 1, "HTTP 503": 1}
    assert requests_mock.last_request.headers["Authorization"] == "Bearer at-ok"
