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
    HubSpotConnectionError,
    HubSpotRateLimitError,
    HubSpotServerError,
)
from airflow_provider_hubassoc.hooks import _auth
from airflow_provider_hubassoc.hooks._auth import (
    MAX_TOKEN_LIFETIME_SECONDS,
    MIN_TOKEN_LIFETIME_SECONDS,
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
