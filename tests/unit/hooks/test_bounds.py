"""Values HubSpot sends are bounded before they steer a wait: rate-limit headers, ``Retry-After``, paging."""

from __future__ import annotations

import pytest
from transport_helpers import FakeClock

from airflow_provider_hubassoc.exceptions import HubSpotAnswerTooLargeError, HubSpotPagingError
from airflow_provider_hubassoc.hooks._ratelimit import MAX_WINDOW_SECONDS, MIN_WINDOW_SECONDS, RateLimiter
from airflow_provider_hubassoc.hooks._retry import (
    MAX_RETRY_AFTER_SECONDS,
    is_ambiguous,
    is_retryable,
    rate_limit,
    retry_after_seconds,
)
from airflow_provider_hubassoc.hooks.api._context import PageBound

INTERVAL = "X-HubSpot-RateLimit-Interval-Milliseconds"


@pytest.mark.parametrize(
    ("interval_ms", "window"),
    [("999999999", MAX_WINDOW_SECONDS), ("1", MIN_WINDOW_SECONDS), ("2000", 2.0), ("10000", 10.0)],
)
def test_the_window_header_is_clamped_and_no_wait_exceeds_it(interval_ms, window) -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, margin=0.0, clock=clock, sleep=clock.sleep)
    limiter.observe({INTERVAL: interval_ms, "X-HubSpot-RateLimit-Max": "2"})
    assert limiter.window == window
    for _ in range(3):
        limiter.acquire()
    assert clock.sleeps == [window]  # the third request waited one (clamped) window, not 11 days


def test_max_below_one_is_ignored_and_remaining_kept_within_max() -> None:
    clock = FakeClock()
    limiter = RateLimiter(5, margin=0.0, clock=clock, sleep=clock.sleep)
    stamp, _ = limiter.acquire_slot()
    limiter.settle(stamp)
    limiter.observe({"X-HubSpot-RateLimit-Max": "0", "X-HubSpot-RateLimit-Remaining": "-7"}, stamp)
    assert limiter.effective_budget == 5  # a Max of 0 would have stopped every sender for good
    limiter.observe({"X-HubSpot-RateLimit-Max": "-3"}, stamp)
    assert limiter.effective_budget == 5
    limiter.observe({"X-HubSpot-RateLimit-Max": "4", "X-HubSpot-RateLimit-Remaining": "-100"}, stamp)
    assert limiter.effective_budget == 4
    assert max(count for _stamp, count in limiter._foreign) <= 4  # others never seen beyond Max


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("999999999", MAX_RETRY_AFTER_SECONDS), ("inf", None), ("nan", None), ("-1", 0.0), ("86400", 86400.0)],
)
def test_retry_after_is_clamped_to_a_day(header, seconds) -> None:
    assert retry_after_seconds(header) == seconds


def test_a_429_window_header_is_clamped() -> None:
    limit = rate_limit({"policyName": "TEN_SECONDLY_ROLLING"}, {INTERVAL: "999999999"}, None)
    assert limit.retry_after == MAX_WINDOW_SECONDS
    assert rate_limit({}, {INTERVAL: "0"}, None).retry_after == 10.0  # unreadable: HubSpot's window
    assert (
        rate_limit({}, {INTERVAL: "\u0661\u0660\u0660\u0660"}, None).retry_after == 10.0
    )  # non-ASCII digits are not a number


def test_page_bound_names_record_cursor_and_limit() -> None:
    bound = PageBound("POST", "/crm/associations/2026-09/0-1/0-2/batch/read", 3)
    bound.follow("contacts 1", "a")
    bound.follow("contacts 1", "b")
    bound.follow("contacts 2", "a")  # another record's pages count apart
    with pytest.raises(HubSpotPagingError, match="contacts 1 has more than max_pages_per_record=3") as raised:
        bound.follow("contacts 1", "c")
    assert raised.value.method == "POST" and raised.value.path.endswith("/batch/read")
    with pytest.raises(HubSpotPagingError, match="cursor 'a' for contacts 2 a second time"):
        bound.follow("contacts 2", "a")
    with pytest.raises(HubSpotPagingError, match=r"'xxxx.*\.\.\.'"):
        PageBound("GET", "/p", 1).follow("deals 9", "x" * 500)  # a long cursor is shortened in the message


def test_bound_errors_are_not_retried_and_a_cut_answer_is_ambiguous() -> None:
    too_large = HubSpotAnswerTooLargeError("big", status=502)
    paging = HubSpotPagingError("loop")
    assert not is_retryable(too_large) and not is_retryable(paging)
    assert is_ambiguous(too_large)  # for a write: sent, and its answer never read to the end
