"""The transport against the real emulator over HTTP (auth, OAuth refresh, rate limits, faults, error mapping),
and with requests-mock where HubSpot behaviour cannot be provoked on demand (a 429 that clears, odd bodies)."""

from __future__ import annotations

import time

import pytest
from transport_helpers import FakeClock, fresh_limiters  # noqa: F401 - the fixture is used by name

from airflow_provider_hubassoc.exceptions import (
    HubSpotAnswerLostError,
    HubSpotAuthError,
    HubSpotConnectionError,
    HubSpotDailyLimitError,
    HubSpotRateLimitError,
    HubSpotServerError,
    HubSpotValidationError,
)
from airflow_provider_hubassoc.hooks._ratelimit import RateLimiter
from airflow_provider_hubassoc.hooks._settings import HubSpotSettings
from airflow_provider_hubassoc.hooks._transport import HubSpotTransport

LABELS_PATH = "/crm/associations/2026-09/contacts/companies/labels"
READ_PATH = "/crm/associations/2026-09/contacts/companies/batch/read"


pytestmark = pytest.mark.usefixtures("fresh_limiters")


def make_transport(base_url: str, *, sleeps: list[float] | None = None, **settings) -> HubSpotTransport:
    settings.setdefault("access_token", "test-token")
    settings.setdefault("requests_per_10_seconds", 1_000_000)
    recorded = sleeps if sleeps is not None else []
    return HubSpotTransport(HubSpotSettings(base_url=base_url, **settings), sleep=recorded.append, rng=lambda: 0.0)


def test_token_auth_and_any_2xx(hubspot_emulator) -> None:
    transport = make_transport(hubspot_emulator.base_url)
    response = transport.request("GET", LABELS_PATH)
    assert response.status_code == 200
    assert {"category": "HUBSPOT_DEFINED", "typeId": 1, "label": "Primary"} in response.json()["results"]
    assert response.request.headers["User-Agent"].startswith("airflow-provider-hubassoc/")
    created = transport.request(
        "POST",
        "/crm/associations/2026-09/contacts/companies/batch/create",
        json={
            "inputs": [
                {
                    "from": {"id": "1"},
                    "to": {"id": "2"},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
                }
            ]
        },
    )
    assert created.status_code == 201
    assert transport.stats.requests_sent == 2


def test_wrong_token_is_an_auth_error_without_retry(hubspot_emulator) -> None:
    transport = make_transport(hubspot_emulator.base_url, access_token="pat-wrong-token")
    with pytest.raises(HubSpotAuthError) as raised:
        transport.request("GET", LABELS_PATH)
    error = raised.value
    assert error.status == 401 and error.category == "INVALID_AUTHENTICATION"
    assert error.method == "GET" and error.path == LABELS_PATH and error.correlation_id
    assert "pat-wrong-token" not in str(error)
    assert transport.stats.requests_sent == 1


def test_validation_error_keeps_hubspot_body_and_is_not_retried(hubspot_emulator) -> None:
    transport = make_transport(hubspot_emulator.base_url)
    with pytest.raises(HubSpotValidationError) as raised:
        transport.request("GET", "/crm/associations/2026-09/unicorns/companies/labels")
    assert raised.value.status == 400
    assert "Unable to infer object type from: unicorns" in str(raised.value)
    assert transport.stats.requests_sent == 1


def test_oauth_refreshes_before_expiry_and_once_on_401(hubspot_emulator) -> None:
    hubspot_emulator.oauth_client("cid", "csecret-value", "refresh-value")
    hubspot_emulator.configure(oauth_token_lifetime=60)
    transport = make_transport(
        hubspot_emulator.base_url,
        access_token=None,
        client_id="cid",
        client_secret="csecret-value",
        refresh_token="refresh-value",
    )
    now = [0.0]
    transport.auth._clock = lambda: now[0]
    assert transport.request("GET", LABELS_PATH).status_code == 200
    assert transport.auth.refresh_count == 1
    # A 60-second token is refreshed 6 s before expiry (a tenth of its life): at 54 s the cached one is stale,
    # so it refreshes first, while the server would still accept the old one.
    now[0] = 54.0
    assert transport.request("GET", LABELS_PATH).status_code == 200
    assert transport.auth.refresh_count == 2
    assert transport.stats.token_refreshes_on_401 == 0
    # Now let the server expire a token while our clock still believes it is fresh: the next token lives 1 s at
    # the server (the hook trusts at least 60 s), so after 1 s: a 401, one refresh, success.
    hubspot_emulator.configure(oauth_token_lifetime=1)
    now[0] = 120.0
    assert transport.request("GET", LABELS_PATH).status_code == 200
    assert transport.auth.refresh_count == 3
    time.sleep(1.05)
    assert transport.request("GET", LABELS_PATH).status_code == 200
    assert transport.stats.token_refreshes_on_401 == 1
    assert transport.auth.refresh_count == 4
    assert hubspot_emulator.counters()["oauth.token"] == {"200": 4}


def test_oauth_bad_refresh_token_is_an_auth_error_that_quotes_no_secret(hubspot_emulator, caplog) -> None:
    hubspot_emulator.oauth_client("cid", "csecret-value", "refresh-value")
    transport = make_transport(
        hubspot_emulator.base_url,
        access_token=None,
        client_id="cid",
        client_secret="csecret-value",
        refresh_token="revoked-refresh-value",
    )
    with pytest.raises(HubSpotAuthError) as raised:
        transport.request("GET", LABELS_PATH)
    text = str(raised.value) + caplog.text + repr(transport) + repr(transport.auth)
    assert "refresh token is invalid" in str(raised.value)
    assert raised.value.category == "BAD_REFRESH_TOKEN"
    for secret in ("csecret-value", "revoked-refresh-value"):
        assert secret not in text


def test_server_errors_are_retried_until_the_attempts_run_out(hubspot_emulator) -> None:
    hubspot_emulator.configure(fault_503=1.0)
    sleeps: list[float] = []
    transport = make_transport(hubspot_emulator.base_url, sleeps=sleeps, max_retries=3)
    with pytest.raises(HubSpotServerError) as raised:
        transport.request("POST", READ_PATH, json={"inputs": [{"id": "1"}]})
    assert raised.value.status == 503
    assert transport.stats.requests_sent == 4
    assert sleeps == [0.25, 0.5, 1.0]
    assert sum(hubspot_emulator.counters()["batch.read"].values()) == 4


def test_post_batch_read_survives_dropped_connections_and_5xx(hubspot_emulator) -> None:
    hubspot_emulator.associate("contacts", 1, "companies", 2)
    hubspot_emulator.configure(fault_drop=0.3, fault_502=0.3)
    hubspot_emulator.reset(seed=7)
    hubspot_emulator.associate("contacts", 1, "companies", 2)
    transport = make_transport(hubspot_emulator.base_url, max_retries=10)
    results = []
    for _ in range(10):
        body = transport.request_json("POST", READ_PATH, json={"inputs": [{"id": "1"}]})
        results.append(body["results"][0]["to"][0]["toObjectId"])
    assert results == [2] * 10
    reasons = transport.stats.retries_by_reason
    assert transport.stats.retries > 0
    assert set(reasons) <= {"HTTP 502", "ConnectionError", "ChunkedEncodingError"}


def test_ten_secondly_429_maps_policy_headers_and_window(hubspot_emulator) -> None:
    hubspot_emulator.add_token("pat-window-test")  # a window of its own, untouched by other tests
    hubspot_emulator.configure(requests_per_10_seconds=2)
    transport = make_transport(hubspot_emulator.base_url, access_token="pat-window-test", max_retries=0)
    transport.request("GET", LABELS_PATH)
    # learnt from X-HubSpot-RateLimit-Max: this process paces itself to HubSpot's budget
    assert transport.limiter.effective_budget == 2
    # another client of the same app, blind to the headers, runs into HubSpot's window
    elsewhere = HubSpotTransport(
        HubSpotSettings(base_url=hubspot_emulator.base_url, access_token="pat-window-test", max_retries=0),
        limiter=RateLimiter(100),
    )
    elsewhere.limiter.observe = lambda headers, stamp=None: None  # type: ignore[method-assign]
    elsewhere.request("GET", LABELS_PATH)
    with pytest.raises(HubSpotRateLimitError) as raised:
        elsewhere.request("GET", LABELS_PATH)
    error = raised.value
    assert not isinstance(error, HubSpotDailyLimitError)
    assert error.status == 429 and error.policy_name == "TEN_SECONDLY_ROLLING"
    assert error.retry_after == 10.0  # the window from X-HubSpot-RateLimit-Interval-Milliseconds


def test_daily_429_fails_fast(hubspot_emulator) -> None:
    hubspot_emulator.configure(daily_limit=1, requests_per_10_seconds=None)
    # a limiter blind to the headers: HubSpot's DAILY 429 itself must stop us, with no retry
    blind = RateLimiter(1_000)
    blind.observe = lambda headers, stamp=None: None  # type: ignore[method-assign]
    sleeps: list[float] = []
    transport = HubSpotTransport(
        HubSpotSettings(base_url=hubspot_emulator.base_url, access_token="test-token", max_retries=5),
        limiter=blind,
        sleep=sleeps.append,
    )
    transport.request("GET", LABELS_PATH)
    with pytest.raises(HubSpotDailyLimitError) as raised:
        transport.request("GET", LABELS_PATH)
    assert "daily request budget is spent" in str(raised.value)
    assert "midnight" in str(raised.value)
    assert transport.stats.requests_sent == 2 and sleeps == []
    # a limiter that reads X-HubSpot-RateLimit-Daily-Remaining: 0 fails the next call before sending anything
    seeing = make_transport(hubspot_emulator.base_url, max_retries=5)
    with pytest.raises(HubSpotDailyLimitError):
        seeing.request("GET", LABELS_PATH)
    with pytest.raises(HubSpotDailyLimitError, match="Daily-Remaining: 0"):
        seeing.request("GET", LABELS_PATH)
    assert seeing.stats.requests_sent == 1


def test_emulator_429s_are_retried_after_retry_after_until_success(hubspot_emulator) -> None:
    hubspot_emulator.configure(
        fault_429=0.4, retry_after=2, fault_endpoints=["batch.read"], requests_per_10_seconds=None
    )
    hubspot_emulator.reset(seed=11)
    hubspot_emulator.associate("contacts", 1, "companies", 2)
    sleeps: list[float] = []
    clock = FakeClock()
    transport = HubSpotTransport(
        HubSpotSettings(base_url=hubspot_emulator.base_url, access_token="test-token", max_retries=20),
        limiter=RateLimiter(1_000, clock=clock, sleep=clock.sleep),
        sleep=sleeps.append,
        rng=lambda: 0.5,
    )
    for _ in range(10):
        body = transport.request_json("POST", READ_PATH, json={"inputs": [{"id": "1"}]})
        assert body["results"][0]["to"][0]["toObjectId"] == 2
    throttled = hubspot_emulator.counters()["batch.read"].get("429", 0)
    assert throttled > 0  # the seed does produce 429s
    assert transport.stats.retries_by_reason == {"HTTP 429 TEN_SECONDLY_ROLLING": throttled}
    # each wait is Retry-After plus at most a tenth of it as jitter: never below what HubSpot asked
    assert len(sleeps) == throttled and all(2.0 <= wait <= 2.2 for wait in sleeps)


def test_connection_refused_becomes_a_server_error_after_retries() -> None:
    sleeps: list[float] = []
    transport = make_transport("http://127.0.0.1:9", sleeps=sleeps, max_retries=2, connect_timeout=1)
    with pytest.raises(HubSpotConnectionError, match="no response after 3 attempt"):
        transport.request("GET", LABELS_PATH)
    assert len(sleeps) == 2


CREATE_PATH = "/crm/associations/2026-09/contacts/deals/batch/create"
CREATE_BODY = {
    "inputs": [
        {
            "from": {"id": "1"},
            "to": {"id": "2"},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 4}],
        }
    ]
}


@pytest.mark.parametrize("knobs", [{"fault_503": 1.0}, {"fault_drop_after": 1.0}])
def test_retry_ambiguous_false_raises_answer_lost_after_one_send(hubspot_emulator, knobs) -> None:
    """A write whose outcome is unknown is handed back to the caller (hooks/_writes.py re-derives it)."""
    hubspot_emulator.configure(**knobs)
    transport = make_transport(hubspot_emulator.base_url, max_retries=5)
    with pytest.raises(HubSpotAnswerLostError, match="answer lost") as raised:
        transport.request("POST", CREATE_PATH, json=CREATE_BODY, retry_ambiguous=False)
    assert transport.stats.requests_sent == 1
    assert raised.value.status == (503 if "fault_503" in knobs else None)


def test_retry_ambiguous_false_still_retries_what_was_not_applied(hubspot_emulator) -> None:
    """429 (refused before applying) is retried as usual; so is a connection that was never opened."""
    hubspot_emulator.configure(fault_429=0.5, retry_after=0)
    hubspot_emulator.reset(seed=3)
    transport = make_transport(hubspot_emulator.base_url, max_retries=10)
    for _ in range(5):
        transport.request("POST", CREATE_PATH, json=CREATE_BODY, retry_ambiguous=False)
    assert transport.stats.retries_by_reason["HTTP 429 TEN_SECONDLY_ROLLING"] > 0
    refused = make_transport("http://127.0.0.1:9", max_retries=2, connect_timeout=1)
    with pytest.raises(HubSpotConnectionError, match="no response after 3 attempt"):
        refused.request("POST", CREATE_PATH, json=CREATE_BODY, retry_ambiguous=False)


def test_per_call_retry_cap(hubspot_emulator) -> None:
    hubspot_emulator.configure(fault_503=1.0)
    transport = make_transport(hubspot_emulator.base_url, max_retries=5)
    with pytest.raises(HubSpotServerError):
        transport.request("GET", LABELS_PATH, max_retries=1)
    assert transport.stats.requests_sent == 2
    with pytest.raises(HubSpotServerError):
        transport.request("GET", LABELS_PATH, max_retries=50)  # a cap only lowers the connection's budget
    assert transport.stats.requests_sent == 2 + 6


def test_tls_failure_is_reported_at_once(hubspot_emulator) -> None:
    """HTTPS to the emulator's plain-HTTP port: a real handshake failure, which no retry can fix."""
    sleeps: list[float] = []
    https_url = hubspot_emulator.base_url.replace("http://", "https://")
    transport = make_transport(https_url, sleeps=sleeps, max_retries=3)
    with pytest.raises(HubSpotServerError, match=r"TLS with https://127\.0\.0\.1") as raised:
        transport.request("GET", LABELS_PATH)
    assert "ca_bundle" in str(raised.value)
    assert sleeps == [] and transport.stats.requests_sent == 1


def test_limiter_is_shared_by_transports_of_one_account(hubspot_emulator) -> None:
    one = make_transport(hubspot_emulator.base_url, requests_per_10_seconds=50)
    two = make_transport(hubspot_emulator.base_url, requests_per_10_seconds=50)
    other = make_transport(hubspot_emulator.base_url, access_token="another-token", requests_per_10_seconds=50)
    assert one.limiter is two.limiter
    assert other.limiter is not one.limiter
    assert isinstance(one.limiter, RateLimiter)


def test_request_json_none_for_204(hubspot_emulator) -> None:
    transport = make_transport(hubspot_emulator.base_url)
    assert transport.request_json("DELETE", "/crm/objects/2026-09/contacts/1/associations/companies/2") is None


def test_transport_is_thread_safe_under_concurrency(hubspot_emulator) -> None:
    from concurrent.futures import ThreadPoolExecutor

    transport = make_transport(hubspot_emulator.base_url, max_concurrency=8)
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: transport.request("GET", LABELS_PATH).status_code, range(64)))
    assert statuses == [200] * 64
    assert transport.stats.requests_sent == 64
