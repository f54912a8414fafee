"""The transport against the real emulator over HTTP (auth, OAuth refresh, rate limits, faults, error mapping),
and with requests-mock where HubSpot behaviour cannot be provoked on demand (a 429 that clears, odd bodies)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
import requests
from transport_helpers import FakeClock, fresh_limiters  # noqa: F401 - the fixture is used by name

from airflow_provider_hubassoc.exceptions import (
    HubSpotAuthError,
    HubSpotConnectionError,
    HubSpotDailyLimitError,
    HubSpotError,
    HubSpotNotFoundError,
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


def test_429_then_success_honours_retry_after(requests_mock) -> None:
    base = "https://hubspot.test"
    requests_mock.get(
        f"{base}{LABELS_PATH}",
        [
            {
                "status_code": 429,
                "headers": {"Retry-After": "3"},
                "json": {
                    "status": "error",
                    "message": "You have reached your ten_secondly_rolling limit.",
                    "errorType": "RATE_LIMIT",
                    "policyName": "TEN_SECONDLY_ROLLING",
                },
            },
            {"status_code": 200, "json": {"results": []}},
        ],
    )
    sleeps: list[float] = []
    clock = FakeClock()
    transport = HubSpotTransport(
        HubSpotSettings(base_url=base, access_token="test-token"),
        limiter=RateLimiter(100, clock=clock, sleep=clock.sleep),
        sleep=sleeps.append,
        rng=lambda: 0.0,
    )
    assert transport.request("GET", LABELS_PATH).status_code == 200
    # the retry waited Retry-After, and the shared limiter held every sender (this one included) as long
    assert sleeps == [3.0]
    assert clock.sleeps == [3.0]
    assert transport.stats.throttled_seconds == 3.0
    assert transport.stats.as_dict()["throttled_seconds"] == 3.0
    assert transport.stats.retries_by_reason == {"HTTP 429 TEN_SECONDLY_ROLLING": 1}


def test_a_search_429_secondly_waits_a_second_and_holds_back_no_other_call(requests_mock) -> None:
    """HubSpot's search limit is its own budget (reference §20.8): its 429 waits ``Retry-After`` (one second
    without one) for this request only; the app's shared limiter is not paused."""
    base, path = "https://hubspot.test", "/crm/objects/2026-09/0-1/search"
    secondly = {"status": "error", "message": "You have reached your secondly limit.", "policyName": "SECONDLY"}
    requests_mock.post(
        f"{base}{path}", [{"status_code": 429, "json": secondly}, {"status_code": 200, "json": {"results": []}}]
    )
    sleeps: list[float] = []
    clock = FakeClock()
    transport = HubSpotTransport(
        HubSpotSettings(base_url=base, access_token="test-token"),
        limiter=RateLimiter(100, clock=clock, sleep=clock.sleep),
        sleep=sleeps.append,
        rng=lambda: 0.0,
    )
    assert transport.request("POST", path, json={}).status_code == 200
    assert sleeps == [1.0]
    assert clock.sleeps == []  # no pause of the limiter every other sender shares
    assert transport.stats.retries_by_reason == {"HTTP 429 SECONDLY": 1}


@pytest.mark.parametrize(
    ("header", "low", "high"),
    [("7", 7.0, 7.0), ("0.5", 0.5, 0.5), ("-3", 0.0, 0.0), ("soon", 10.0, 10.0), ("in-60s", 50.0, 61.0)],
)
def test_retry_after_forms(requests_mock, header, low, high) -> None:
    if header == "in-60s":
        header = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=60), usegmt=True)
    base = "https://hubspot.test"
    requests_mock.get(
        f"{base}{LABELS_PATH}",
        status_code=429,
        headers={"Retry-After": header},
        json={"status": "error", "message": "slow down", "policyName": "TEN_SECONDLY_ROLLING"},
    )
    with pytest.raises(HubSpotRateLimitError) as raised:
        make_transport(base, max_retries=0).request("GET", LABELS_PATH)
    # an unreadable value falls back to the rolling window (10 s)
    assert low <= raised.value.retry_after <= high


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, HubSpotValidationError),
        (403, HubSpotAuthError),
        (404, HubSpotNotFoundError),
        (409, HubSpotValidationError),
        (500, HubSpotServerError),
    ],
)
def test_error_mapping_for_each_status(requests_mock, status, cls) -> None:
    base = "https://hubspot.test"
    body = {
        "status": "error",
        "message": f"failure {status}",
        "correlationId": "c-1",
        "category": "SOME_CATEGORY",
        "subCategory": "crm.some.SUB",
        "context": {"fromObjectId": ["7"]},
    }
    requests_mock.post(f"{base}{READ_PATH}", status_code=status, json=body)
    transport = make_transport(base, max_retries=2)
    with pytest.raises(cls) as raised:
        transport.request("POST", READ_PATH, json={"inputs": []})
    error = raised.value
    assert (error.status, error.category, error.sub_category, error.correlation_id) == (
        status,
        "SOME_CATEGORY",
        "crm.some.SUB",
        "c-1",
    )
    assert error.context == {"fromObjectId": ["7"]}
    assert f"POST {READ_PATH}" in str(error)
    expected_calls = 3 if status == 500 else 1
    assert requests_mock.call_count == expected_calls


def test_non_json_error_body_keeps_the_text(requests_mock) -> None:
    base = "https://hubspot.test"
    requests_mock.get(f"{base}{LABELS_PATH}", status_code=502, text="<html>Bad gateway</html>")
    with pytest.raises(HubSpotServerError, match="Bad gateway"):
        make_transport(base, max_retries=0).request("GET", LABELS_PATH)


def test_timeouts_and_tls_settings_reach_requests(requests_mock) -> None:
    base = "https://hubspot.test"
    requests_mock.get(f"{base}{LABELS_PATH}", json={"results": []})
    transport = make_transport(base, connect_timeout=3, read_timeout=7, verify="/etc/ssl/custom.pem")
    transport.request("GET", LABELS_PATH)
    sent = requests_mock.last_request
    assert sent.timeout == (3.0, 7.0)
    assert sent.verify == "/etc/ssl/custom.pem"
    assert sent.headers["Authorization"] == "Bearer test-token"
    assert json.loads(json.dumps(transport.stats.as_dict()))["requests_sent"] == 1


def test_errors_are_hubspot_errors() -> None:
    assert issubclass(HubSpotDailyLimitError, HubSpotRateLimitError)
    assert issubclass(HubSpotRateLimitError, HubSpotError)
    assert issubclass(HubSpotConnectionError, HubSpotServerError)  # callers catching server errors keep working
    assert not issubclass(requests.ConnectionError, HubSpotError)


def test_bodies_are_sent_as_compact_json_and_pre_encoded_bytes_as_they_are(requests_mock) -> None:
    base = "https://hubspot.test"
    requests_mock.post(f"{base}/x", json={})
    transport = make_transport(base)
    transport.request("POST", "/x", json={"inputs": [{"id": "1"}], "text": "é"})
    sent = requests_mock.last_request
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.body == b'{"inputs":[{"id":"1"}],"text":"\\u00e9"}'
    transport.request("POST", "/x", json=b'{"inputs":[]}')
    assert requests_mock.last_request.body == b'{"inputs":[]}'
    assert requests_mock.last_request.headers["Content-Type"] == "application/json"


def test_a_body_json_cannot_encode_is_refused_before_sending(requests_mock) -> None:
    base = "https://hubspot.test"
    requests_mock.post(f"{base}/x", json={})
    transport = make_transport(base)
    with pytest.raises(requests.exceptions.InvalidJSONError):  # as requests' json= refuses it
        transport.request("POST", "/x", json={"value": float("nan")})
    assert not requests_mock.called


def test_429_without_retry_after_waits_for_our_oldest_slot_not_a_window(requests_mock) -> None:
    """HubSpot sends no Retry-After with a 429 (reference §12.3): the retry waits until the oldest slot of ours
    ages out of the window (room HubSpot frees for us then), not the window's whole 10 s."""
    base = "https://hubspot.test"
    window = {"X-HubSpot-RateLimit-Max": "100", "X-HubSpot-RateLimit-Remaining": "0"}
    window["X-HubSpot-RateLimit-Interval-Milliseconds"] = "10000"
    refusal = {"status_code": 429, "headers": window, "json": {"status": "error", "policyName": "TEN_SECONDLY_ROLLING"}}
    requests_mock.get(f"{base}{LABELS_PATH}", [refusal, {"status_code": 200, "json": {"results": []}}])
    sleeps: list[float] = []
    clock = FakeClock()
    limiter = RateLimiter(100, window=10.0, margin=0.05, clock=clock, sleep=clock.sleep)
    limiter.settle(limiter.acquire_slot()[0])  # a request of ours, answered at 1000
    clock.now = 1004.0
    transport = HubSpotTransport(
        HubSpotSettings(base_url=base, access_token="test-token"), limiter=limiter, sleep=sleeps.append, rng=lambda: 0.0
    )
    assert transport.request("GET", LABELS_PATH).status_code == 200
    assert sleeps == [pytest.approx(6.05)]  # our slot of 1000 frees at 1010.05
    assert clock.sleeps == [pytest.approx(6.05)]  # and every sender was held as long
    assert transport.stats.retries_by_reason == {"HTTP 429 TEN_SECONDLY_ROLLING": 1}
