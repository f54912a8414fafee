"""Credentials: the private-app token, and OAuth access tokens from the refresh-token grant.

The grant (``POST /oauth/2026-03/token``), rotation, expiry, 401s and HubSpot's refusals run against the real
emulator over HTTP; requests-mock stands in only for token-endpoint answers the emulator does not give (refusal
bodies it has no reason to send, a 5xx body, a malformed answer, a refused connection).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest
import requests
from transport_helpers import FakeClock, fresh_limiters  # noqa: F401 - the fixture is used by name

from airflow_provider_hubassoc.exceptions import (
    HubSpotAuthError,
    HubSpotRateLimitError,
)
from airflow_provider_hubassoc.hooks import _auth
from airflow_provider_hubassoc.hooks._auth import (
    MAX_TOKEN_LIFETIME_SECONDS,
    MIN_TOKEN_LIFETIME_SECONDS,
    OAuthRefreshAuth,
)
from airflow_provider_hubassoc.hooks._settings import HubSpotSettings
from airflow_provider_hubassoc.hooks._transport import HubSpotTransport

LABELS_PATH = "/crm/associations/2026-09/contacts/companies/labels"
TOKEN_PATH = "/oauth/2026-03/token"
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


def concurrent_statuses(transport: HubSpotTransport, threads: int) -> list[int]:
    """Statuses of ``threads`` GETs released at once (a thread that raised leaves its status out)."""
    barrier = threading.Barrier(threads)
    statuses: list[int] = []

    def call() -> None:
        barrier.wait()
        statuses.append(transport.request("GET", LABELS_PATH).status_code)

    running = [threading.Thread(target=call) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return statuses


@pytest.fixture
def app_install(hubspot_emulator):
    """The emulator with the OAuth app install of :func:`oauth_settings` and no rate limits."""
    hubspot_emulator.oauth_client("cid", CLIENT_SECRET, REFRESH_TOKEN)
    hubspot_emulator.configure(requests_per_10_seconds=None)
    return hubspot_emulator


@pytest.fixture
def token_calls(hubspot_emulator) -> Iterator[list[dict]]:
    """Every request the emulator answers on an ``/oauth/`` path: method, path, query, headers, form, answer."""
    calls: list[dict] = []

    def observe(request, response) -> None:
        if request.path.startswith("/oauth/"):
            calls.append(
                {
                    "method": request.method,
                    "path": request.path,
                    "query": request.query,
                    "headers": dict(request.headers),
                    "form": parse_qs(request.body.decode()),
                    "status": response.status,
                    "answer": response.body,
                }
            )

    hubspot_emulator.app.observers.append(observe)
    yield calls
    hubspot_emulator.app.observers.remove(observe)


def test_refresh_is_a_form_body_to_the_2026_03_path_with_nothing_in_the_url(app_install, token_calls, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    transport = oauth_transport(app_install.base_url)
    assert transport.request("GET", LABELS_PATH).status_code == 200
    assert len(token_calls) == 1
    call = token_calls[0]
    assert (call["method"], call["path"], call["query"], call["status"]) == ("POST", TOKEN_PATH, "", 200)
    assert call["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert call["form"] == {
        "grant_type": ["refresh_token"],
        "client_id": ["cid"],
        "client_secret": [CLIENT_SECRET],
        "refresh_token": [REFRESH_TOKEN],
    }
    # the snake_case answer of §20.5 was read: its access token is the one the API call carried
    assert call["answer"]["token_use"] == "access_token"
    assert transport.auth.token() == call["answer"]["access_token"]
    assert app_install.counters()["oauth.token"] == {"200": 1}
    seen = caplog.text + repr(transport) + repr(transport.auth)
    for secret in (CLIENT_SECRET, REFRESH_TOKEN, call["answer"]["access_token"]):
        assert secret not in seen


@pytest.mark.parametrize(("expires_in", "refresh_after"), [(1800, 1740.0), (600, 540.0), (60, 54.0)])
def test_refreshed_a_minute_or_a_tenth_of_its_life_before_expiry_never_after_a_401(
    app_install, token_calls, expires_in, refresh_after
) -> None:
    app_install.configure(oauth_token_lifetime=expires_in)
    clock = FakeClock()
    transport = oauth_transport(app_install.base_url)
    transport.auth._clock = clock
    assert transport.request("GET", LABELS_PATH).status_code == 200
    first = transport.auth.token()
    clock.now += refresh_after - 0.01
    assert transport.request("GET", LABELS_PATH).status_code == 200
    assert transport.auth.token() == first  # still inside the margin-adjusted lifetime: cached
    clock.now += 0.02
    assert transport.request("GET", LABELS_PATH).status_code == 200
    assert transport.auth.token() != first  # shortly before expiry: refreshed before the call
    assert transport.auth.refresh_count == 2 and len(token_calls) == 2
    assert transport.stats.token_refreshes_on_401 == 0
    assert transport.stats.responses_by_status.get(401, 0) == 0


def test_a_rotated_refresh_token_is_used_for_the_rest_of_the_run(app_install, token_calls) -> None:
    """With rotation, each refresh retires the token it was given: only a client that keeps the new one lasts."""
    app_install.configure(oauth_rotate_refresh_tokens=True)
    clock = FakeClock()
    transport = oauth_transport(app_install.base_url)
    transport.auth._clock = clock
    for _ in range(3):
        assert transport.request("GET", LABELS_PATH).status_code == 200
        clock.now += 1800
    # and once more through the 401 path: the server drops the access token, the next refresh still works
    transport.auth._access_token = "emu-revoked"
    transport.auth._refresh_at = clock.now + 1800
    assert transport.request("GET", LABELS_PATH).status_code == 200
    assert transport.stats.token_refreshes_on_401 == 1
    sent = [call["form"]["refresh_token"][0] for call in token_calls]
    answered = [call["answer"]["refresh_token"] for call in token_calls]
    assert [call["status"] for call in token_calls] == [200] * 4
    assert sent == [REFRESH_TOKEN, *answered[:-1]]
    assert len(set(answered)) == 4 and REFRESH_TOKEN not in answered
    # the connection's own refresh token is retired at HubSpot now
    retired = requests.post(
        f"{app_install.base_url}{TOKEN_PATH}",
        data={
            "grant_type": "refresh_token",
            "client_id": "cid",
            "client_secret": CLIENT_SECRET,
            "refresh_token": REFRESH_TOKEN,
        },
        timeout=10,
    )
    assert retired.json()["status"] == "BAD_REFRESH_TOKEN"


def test_every_secret_and_each_new_token_is_masked(app_install, token_calls, monkeypatch) -> None:
    masked: list[str] = []
    monkeypatch.setattr(_auth, "mask_secret", masked.append)
    app_install.configure(oauth_rotate_refresh_tokens=True)
    clock = FakeClock()
    auth = OAuthRefreshAuth(oauth_settings(app_install.base_url), requests.Session(), clock=clock)
    assert {CLIENT_SECRET, REFRESH_TOKEN} <= set(masked)
    auth.token()
    clock.now += 1800
    auth.token()
    for call in token_calls:
        assert {call["answer"]["access_token"], call["answer"]["refresh_token"]} <= set(masked)
    assert len(token_calls) == 2


def test_many_threads_trigger_one_refresh(app_install) -> None:
    transport = oauth_transport(app_install.base_url)
    assert concurrent_statuses(transport, 12) == [200] * 12
    assert transport.auth.refresh_count == 1
    assert app_install.counters()["oauth.token"] == {"200": 1}


def test_a_burst_of_401s_on_an_expired_token_refreshes_once(app_install) -> None:
    """The server expires the token while our clock still trusts it: every thread gets a 401, one refreshes."""
    app_install.configure(oauth_token_lifetime=2)
    transport = oauth_transport(app_install.base_url)
    transport.auth._clock = lambda: 0.0  # never refresh proactively: only a 401 can make us refresh
    assert transport.request("GET", LABELS_PATH).status_code == 200
    time.sleep(2.1)  # the emulator's 2-second token is now expired
    assert concurrent_statuses(transport, 8) == [200] * 8
    assert transport.auth.refresh_count == 2  # the first token, and one refresh for the whole burst
    # threads that sent the stale token got a 401 and resent once with the shared new token; threads that
    # queued behind the refresh sent the new one straight away
    got_401 = transport.stats.responses_by_status[401]
    assert 1 <= got_401 <= 8
    assert transport.stats.token_refreshes_on_401 == got_401
    assert transport.stats.requests_sent == 1 + 8 + got_401


def test_a_second_401_after_the_refresh_is_final(app_install) -> None:
    """Tokens the server holds expired at once (``expires_in`` 0, clamped here): one refresh, one resend, the end."""
    app_install.configure(oauth_token_lifetime=0)
    transport = oauth_transport(app_install.base_url)
    with pytest.raises(HubSpotAuthError) as raised:
        transport.request("GET", LABELS_PATH)
    assert (raised.value.status, raised.value.category) == (401, "EXPIRED_AUTHENTICATION")
    assert transport.stats.requests_sent == 2  # the original and one resend after one refresh
    assert transport.auth.refresh_count == 2
    assert transport.stats.retries == 0
    assert app_install.counters()["oauth.token"] == {"200": 2}


@pytest.mark.parametrize(
    ("lifetime", "used"),
    [(-5, MIN_TOKEN_LIFETIME_SECONDS), (0, MIN_TOKEN_LIFETIME_SECONDS), (10**9, MAX_TOKEN_LIFETIME_SECONDS)],
)
def test_an_expires_in_out_of_bounds_is_clamped_and_said(app_install, caplog, lifetime, used) -> None:
    app_install.configure(oauth_token_lifetime=lifetime)
    clock = FakeClock()
    auth = OAuthRefreshAuth(oauth_settings(app_install.base_url), requests.Session(), clock=clock)
    caplog.set_level(logging.WARNING, logger=_auth.__name__)
    first = auth.token()
    assert f"expires_in={lifetime} s; using {used} s" in caplog.text
    assert auth._expires_at == clock.now + used
    clock.now += used - min(60, used / 10) - 0.01  # the usual margin: a minute, or a tenth of a short life
    assert auth.token() == first  # a negative lifetime does not make every call refresh
    clock.now += 0.02
    assert auth.token() != first and auth.refresh_count == 2


def test_a_hostile_negative_expires_in_does_not_refresh_before_every_call(app_install) -> None:
    """The token answer says ``expires_in: -3600`` (emulator ``hostile`` kind ``negative_expires_in``): the
    lifetime is clamped to a minute, so three calls share one token instead of refreshing before each."""
    app_install.hostile("negative_expires_in", "oauth.token")
    transport = oauth_transport(app_install.base_url)
    for _ in range(3):
        transport.request("GET", LABELS_PATH)
    assert app_install.counters()["oauth.token"] == {"200": 1}
    assert transport.auth.refresh_count == 1


def test_a_revoked_refresh_token_says_to_reauthorize(app_install, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    transport = oauth_transport(app_install.base_url, refresh_token="revoked-refresh-91")
    with pytest.raises(HubSpotAuthError) as raised:
        transport.request("GET", LABELS_PATH)
    error = raised.value
    assert (error.status, error.category, error.sub_category) == (400, "BAD_REFRESH_TOKEN", "invalid_grant")
    assert (error.method, error.path) == ("POST", TOKEN_PATH)
    assert "refresh token is invalid, expired or revoked" in str(error)
    assert "Re-authorize the app in HubSpot" in str(error)
    assert "`refresh_token` extra" in str(error)
    assert error.correlation_id  # HubSpot's, for a support ticket
    assert transport.stats.requests_sent == 0  # nothing reached the API without a token
    seen = " ".join([str(error), repr(error), caplog.text, repr(transport.auth)])
    assert "revoked-refresh-91" not in seen and CLIENT_SECRET not in seen


def test_a_wrong_client_secret_says_to_check_the_client_credentials(app_install) -> None:
    transport = oauth_transport(app_install.base_url, client_secret="not-the-secret-91")
    with pytest.raises(HubSpotAuthError) as raised:
        transport.request("GET", LABELS_PATH)
    assert (raised.value.category, raised.value.sub_category) == ("BAD_CLIENT_ID", "invalid_client")
    assert "Check `client_id` and `client_secret` of the connection" in str(raised.value)
    assert "not-the-secret-91" not in str(raised.value) and REFRESH_TOKEN not in str(raised.value)
    assert transport.stats.requests_sent == 0


def test_a_rate_limited_token_endpoint_is_retried_and_said_so(app_install) -> None:
    app_install.configure(fault_429=1.0, fault_endpoints=["oauth.token"], retry_after=0.05)
    transport = HubSpotTransport(
        oauth_settings(app_install.base_url, max_retries=2), sleep=lambda seconds: None, rng=lambda: 0.0
    )
    with pytest.raises(HubSpotRateLimitError) as raised:
        transport.request("GET", LABELS_PATH)
    assert "the OAuth token endpoint is rate limited" in str(raised.value)
    assert (raised.value.status, raised.value.path, raised.value.retry_after) == (429, TOKEN_PATH, 0.05)
    assert app_install.counters() == {"oauth.token": {"429": 3}}  # the first attempt and two retries
    app_install.configure(fault_429=0.0)
    assert transport.request("GET", LABELS_PATH).status_code == 200
