"""The retry policy as pure functions: what is retried, and how long each wait is."""

from __future__ import annotations

import logging

import pytest
import requests
from transport_helpers import FakeClock

from airflow_provider_hubassoc.exceptions import (
    HubSpotAuthError,
    HubSpotConnectionError,
    HubSpotDailyLimitError,
    HubSpotNotFoundError,
    HubSpotRateLimitError,
    HubSpotServerError,
    HubSpotValidationError,
)
from airflow_provider_hubassoc.hooks._retry import (
    BACKOFF_CAP_SECONDS,
    hubspot_retry,
    is_ambiguous,
    is_retryable,
    next_delay,
)


@pytest.mark.parametrize("status", [423, 429, 500, 502, 503, 504, 521, 524])
def test_transient_statuses_are_retried(status) -> None:
    assert is_retryable(HubSpotServerError("x", status=status))


@pytest.mark.parametrize(
    "error",
    [
        HubSpotValidationError("bad", status=400),
        HubSpotAuthError("no", status=401),
        HubSpotAuthError("scopes", status=403),
        HubSpotNotFoundError("gone", status=404),
        HubSpotValidationError("conflict", status=409),
        HubSpotDailyLimitError("daily", status=429),
        requests.exceptions.SSLError("certificate verify failed"),
        ValueError("a bug"),
    ],
)
def test_permanent_failures_are_not_retried(error) -> None:
    assert not is_retryable(error)


@pytest.mark.parametrize(
    "error",
    [
        requests.ConnectionError("dropped"),
        requests.ConnectTimeout("no answer"),
        requests.ReadTimeout("slow"),
        requests.exceptions.ChunkedEncodingError("connection closed mid-body"),
        HubSpotConnectionError("token endpoint unreachable", method="POST", path="/oauth/2026-03/token"),
    ],
)
def test_network_failures_are_retried(error) -> None:
    assert is_retryable(error)


def _refused() -> requests.ConnectionError:
    """What requests raises when nothing listens: the request was never sent."""
    import urllib3

    reason = urllib3.exceptions.NewConnectionError(None, "Connection refused")
    return requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/x", reason))


@pytest.mark.parametrize(
    ("error", "ambiguous"),
    [
        (HubSpotServerError("x", status=500), True),
        (HubSpotServerError("x", status=503), True),
        (HubSpotConnectionError("dropped"), True),
        (requests.ConnectionError("Connection aborted: RemoteDisconnected"), True),
        (requests.ReadTimeout("slow"), True),
        (requests.exceptions.ChunkedEncodingError("closed mid-body"), True),
        (HubSpotRateLimitError("limit", status=429), False),
        (HubSpotServerError("locked", status=423), False),
        (HubSpotValidationError("bad", status=400), False),
        (requests.ConnectTimeout("never connected"), False),
        (_refused(), False),
    ],
)
def test_ambiguous_failures_are_those_after_which_the_write_may_have_been_applied(error, ambiguous) -> None:
    assert is_ambiguous(error) is ambiguous


def test_ten_secondly_429_waits_out_the_window_or_retry_after() -> None:
    no_hint = HubSpotRateLimitError("limit", status=429, retry_after=10.0)
    assert next_delay(1, no_hint, rng=lambda: 0.0) == 10.0
    assert 10.0 <= next_delay(1, no_hint, rng=lambda: 1.0) <= 11.0
    assert next_delay(3, HubSpotRateLimitError("limit", status=429, retry_after=3.0), rng=lambda: 0.0) == 3.0


def test_server_errors_back_off_exponentially_with_jitter_capped_and_never_below_retry_after() -> None:
    delays = [next_delay(n, HubSpotServerError("x", status=503), rng=lambda: 1.0) for n in range(1, 12)]
    assert delays[:4] == [0.5, 1.0, 2.0, 4.0]
    assert max(delays) == BACKOFF_CAP_SECONDS
    low = next_delay(1, HubSpotServerError("x", status=503), rng=lambda: 0.0)
    assert low == 0.25  # equal jitter: half the backoff is random
    assert next_delay(1, HubSpotServerError("x", status=503, retry_after=7.0), rng=lambda: 0.0) == 7.0
    assert next_delay(1, HubSpotServerError("locked", status=423), rng=lambda: 0.0) == 2.0


def run_policy(failures: list[BaseException], sleeps: list[float] | None = None, **kwargs) -> tuple[list[float], int]:
    """Run the policy over a call failing with ``failures`` then succeeding; returns (sleeps, calls)."""
    sleeps = [] if sleeps is None else sleeps
    calls = 0
    defaults = {"max_retries": 5, "max_retry_seconds": 300.0, "logger": logging.getLogger("test"), "what": "POST /x"}
    defaults.update(kwargs)
    clock = defaults.get("clock")
    sleep = clock.sleep if isinstance(clock, FakeClock) else sleeps.append
    retrying = hubspot_retry(sleep=sleep, rng=lambda: 0.0, **defaults)
    for attempt in retrying:
        with attempt:
            calls += 1
            if calls <= len(failures):
                raise failures[calls - 1]
    return sleeps, calls


def test_policy_retries_then_succeeds_and_logs_reason_and_wait(caplog) -> None:
    with caplog.at_level(logging.WARNING):
        sleeps, calls = run_policy([HubSpotServerError("x", status=502), requests.ConnectionError("reset")])
    assert calls == 3
    assert sleeps == [0.25, 0.5]
    assert "HTTP 502" in caplog.text and "ConnectionError" in caplog.text and "retry 1/5" in caplog.text


def test_policy_bounded_by_attempts() -> None:
    with pytest.raises(HubSpotServerError):
        run_policy([HubSpotServerError("x", status=500)] * 10, max_retries=3)


def test_policy_bounded_by_total_time() -> None:
    rate_limited = HubSpotRateLimitError("limit", status=429, retry_after=10.0)
    clock = FakeClock()
    with pytest.raises(HubSpotRateLimitError):
        run_policy([rate_limited] * 10, None, max_retries=10, max_retry_seconds=5.0, clock=clock)
    # the first wait (10 s) would already end after the 5 s budget: no retry is attempted at all
    assert clock.sleeps == []
    clock = FakeClock()
    with pytest.raises(HubSpotRateLimitError):
        run_policy([rate_limited] * 20, None, max_retries=10, max_retry_seconds=25.0, clock=clock)
    # retries start at 10 s and 20 s; a third would start at 30 s, past the 25 s budget
    assert clock.sleeps == [10.0, 10.0]


def test_daily_limit_fails_at_once() -> None:
    sleeps: list[float] = []
    retrying = hubspot_retry(
        max_retries=5, max_retry_seconds=300, logger=logging.getLogger("t"), what="GET /x", sleep=sleeps.append
    )
    calls = 0
    with pytest.raises(HubSpotDailyLimitError):
        for attempt in retrying:
            with attempt:
                calls += 1
                raise HubSpotDailyLimitError("daily", status=429)
    assert calls == 1 and sleeps == []


def test_each_retry_is_reported_with_its_wait() -> None:
    told: list[tuple[str, float]] = []
    run_policy(
        [HubSpotRateLimitError("limit", status=429, retry_after=4.0), requests.ConnectionError("x")],
        on_retry=lambda error, delay: told.append((type(error).__name__, delay)),
    )
    assert told == [("HubSpotRateLimitError", 4.0), ("ConnectionError", 0.5)]
