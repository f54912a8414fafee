"""The retry policy: which failures are worth another try, and how long to wait before it.

The whole policy is here: HubSpot's 429s read (:func:`rate_limit`: the daily budget is final, the 10-second
window waits its ``Retry-After``), which failures are retried (:func:`is_retryable`) or ambiguous
(:func:`is_ambiguous`), the delay (:func:`next_delay`) and the tenacity policy (:func:`hubspot_retry`). The
transport only sends, and asks.

A named tenacity policy (as Google's ``quota_retry``) built from a predicate on the error, with the wait as a
pure function of the attempt and HubSpot's hints (as stripe-python's ``next_delay``): the server's hint wins,
then the status. Randomness and sleep are injectable, so tests neither sleep nor flake.

Every batch endpoint of the Associations API is a POST. A failure is *ambiguous* (:func:`is_ambiguous`) when
the request may have reached HubSpot and been applied although no answer came back: a dropped connection, a
read timeout, a 5xx. Re-sending is harmless for most writes (adding an association that exists, archiving one
that is gone), but not for a labeled write under HubSpot's replace semantics: those pass
``retry_ambiguous=False`` to the transport and replay through :mod:`._writes`, which re-reads first.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import requests
import tenacity
import urllib3

from airflow_provider_hubassoc.exceptions import (
    HubSpotAnswerError,
    HubSpotAnswerLostError,
    HubSpotAnswerTooLargeError,
    HubSpotConnectionError,
    HubSpotDailyLimitError,
    HubSpotError,
    HubSpotPagingError,
)
from airflow_provider_hubassoc.hooks._ratelimit import window_seconds

if TYPE_CHECKING:
    from airflow_provider_hubassoc._compat import TaskLogger

#: statuses that are transient: 429 (burst window), 423 (locked during high-volume writes), 5xx and
#: Cloudflare's 521-524.
RETRYABLE_STATUSES = frozenset({423, 429, 500, 502, 503, 504, 521, 522, 523, 524})
#: network failures worth another try: refused/dropped connections and timeouts.
RETRYABLE_EXCEPTIONS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)

#: the ``policyName`` of HubSpot's per-second search limit: its own budget, apart from the app's 10-second window
SECONDLY = "SECONDLY"
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 30.0
DEFAULT_WINDOW_SECONDS = 10.0
LOCKED_MIN_SECONDS = 2.0
#: the longest ``Retry-After`` believed: HubSpot's 477 (account moving data centre) asks for up to ~24 h; a
#: longer value is clamped to it (and no retry starts past ``max_retry_seconds`` anyway)
MAX_RETRY_AFTER_SECONDS = 86400.0


@dataclass(frozen=True)
class RateLimit:
    """What a 429 says: which of HubSpot's limits (``policyName``), whether it is the daily one (spent until the
    account's midnight: never retried), and the seconds to wait before the next try."""

    policy: str | None
    daily: bool
    retry_after: float | None


def rate_limit(body: Mapping[str, Any], headers: Mapping[str, str], retry_after: float | None) -> RateLimit:
    """Read HubSpot's 429: ``DAILY`` is final; ``SECONDLY`` (the search limit, reference §20.8) waits
    ``Retry-After``, else one second; ``TEN_SECONDLY_ROLLING`` (or none named) waits ``Retry-After``, else the
    window HubSpot's ``X-HubSpot-RateLimit-Interval-Milliseconds`` gives (clamped to 1-10 s), else 10 s."""
    policy = body.get("policyName")
    if policy == "DAILY":
        return RateLimit(policy, True, retry_after)
    if policy == SECONDLY:
        return RateLimit(policy, False, 1.0 if retry_after is None else retry_after)
    if retry_after is None:
        interval = headers.get("X-HubSpot-RateLimit-Interval-Milliseconds") or ""
        readable = interval.isascii() and interval.isdigit() and int(interval) > 0
        retry_after = window_seconds(int(interval)) if readable else DEFAULT_WINDOW_SECONDS
    return RateLimit(policy or None, False, retry_after)


def daily_limit_message(message: str | None) -> str:
    """HubSpot's message of a ``DAILY`` 429, with what it means for the caller."""
    return (
        f"{message or 'daily limit reached'} The account's daily request budget is spent; it resets at midnight "
        "in the account's time zone, so retrying now is pointless."
    )


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (a number or an HTTP date), within ``[0, 24 h]``
    (:data:`MAX_RETRY_AFTER_SECONDS`); ``None`` without a readable one."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return min(MAX_RETRY_AFTER_SECONDS, max(0.0, seconds)) if math.isfinite(seconds) else None
    try:  # the other form RFC 9110 allows: an HTTP date
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return min(MAX_RETRY_AFTER_SECONDS, max(0.0, (when - datetime.now(timezone.utc)).total_seconds()))


def is_retryable(error: BaseException) -> bool:
    """True for transient failures; never for 400/401/403/404/409, a spent daily budget, an answer over
    ``max_response_bytes`` or paging past its bounds (the same request would meet the same answer)."""
    if isinstance(error, (HubSpotDailyLimitError, HubSpotAnswerTooLargeError, HubSpotPagingError)):
        return False
    if isinstance(error, (HubSpotConnectionError, HubSpotAnswerError)):
        return True
    if isinstance(error, HubSpotError):
        return error.status in RETRYABLE_STATUSES
    if isinstance(error, requests.exceptions.SSLError):
        return False  # a certificate that fails verification fails again: say so now
    return isinstance(error, RETRYABLE_EXCEPTIONS)


def is_ambiguous(error: BaseException) -> bool:
    """True when the request may have been applied although its answer is lost: a 5xx, a read timeout, a
    connection dropped or reset after the request was (maybe) sent. False for failures known to happen before
    HubSpot acted: 429/423 (refused), a connection that was never opened (refused, connect timeout). An answer
    cut at ``max_response_bytes`` is ambiguous whatever its status: it was sent, and its end never read."""
    if isinstance(error, HubSpotAnswerTooLargeError):
        return True
    if isinstance(error, HubSpotError):  # a 2xx of the wrong shape: applied or not, nobody can tell
        return (error.status is not None and error.status >= 500) or isinstance(
            error, (HubSpotConnectionError, HubSpotAnswerError)
        )
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return False
    if isinstance(error, requests.ConnectionError):
        reason = getattr(error.args[0], "reason", None) if error.args else None
        return not isinstance(reason, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError))
    return isinstance(error, RETRYABLE_EXCEPTIONS)


def retry_reason(error: BaseException) -> str:
    """A short human reason for the task log."""
    if isinstance(error, HubSpotAnswerLostError):
        return f"answer lost ({retry_reason(error.cause)})"
    if isinstance(error, HubSpotConnectionError):
        return f"{type(error).__name__} ({error.path})"
    if isinstance(error, HubSpotAnswerError):
        return f"bad answer (HTTP {error.status})"
    if isinstance(error, HubSpotError):
        policy = error.context.get("policyName") if error.context else None
        return f"HTTP {error.status}" + (f" {policy}" if policy else "")
    return type(error).__name__


def next_delay(attempt: int, error: BaseException, rng: Callable[[], float] = random.random) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based) after ``error``.

    - 429 TEN_SECONDLY_ROLLING: wait out the window (``Retry-After`` if sent, else the window length), plus a
      little jitter so concurrent senders do not return together.
    - 423 Locked: at least 2 s, as HubSpot asks.
    - 5xx and network errors: exponential backoff with equal jitter, capped; never below ``Retry-After``.
    """
    hint = error.retry_after if isinstance(error, HubSpotError) else None
    status = error.status if isinstance(error, HubSpotError) else None
    if status == 429:
        window = hint if hint is not None else DEFAULT_WINDOW_SECONDS
        return window + rng() * min(1.0, window / 10)
    backoff: float = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * (2 ** (attempt - 1)))  # int ** int is Any
    delay = backoff / 2 + rng() * backoff / 2
    if status == 423:
        delay = max(delay, LOCKED_MIN_SECONDS)
    if hint is not None:
        delay = max(delay, hint)
    return delay


class _HubSpotWait(tenacity.wait.wait_base):
    """tenacity wait strategy delegating to :func:`next_delay`."""

    def __init__(self, rng: Callable[[], float]) -> None:
        self._rng = rng

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        assert retry_state.outcome is not None
        error = retry_state.outcome.exception()
        assert error is not None
        return next_delay(retry_state.attempt_number, error, self._rng)


class _StopBeforeTotal(tenacity.stop.stop_base):
    """Stop when the next retry would start ``max_seconds`` or more after the first attempt.

    tenacity's ``stop_before_delay`` reads its own clock; this one takes ours, so a test whose sleeps only move a
    fake clock checks the real bound.
    """

    def __init__(self, max_seconds: float, clock: Callable[[], float]) -> None:
        self._max_seconds = max_seconds
        self._clock = clock
        self._start = clock()

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        return self._clock() - self._start + retry_state.upcoming_sleep >= self._max_seconds


def hubspot_retry(
    *,
    max_retries: int,
    max_retry_seconds: float,
    logger: TaskLogger,
    what: str,
    on_retry: Callable[[BaseException, float], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    rng: Callable[[], float] = random.random,
    clock: Callable[[], float] = time.monotonic,
    retry_on: Callable[[BaseException], bool] = is_retryable,
) -> tenacity.Retrying:
    """The named retry policy for one HubSpot request.

    Bounded twice: at most ``max_retries`` retries, and no retry that would start after ``max_retry_seconds``
    since the first attempt. The last error is re-raised as is (a :class:`HubSpotError` or a network error).

    :param what: "METHOD path" for log lines (never a URL with credentials: we put none in URLs).
    :param clock: measures the total-time bound (injectable with ``sleep`` so tests need not wait).
    :param on_retry: told each retried error and its wait (stats; after a 429 the shared limiter holds every
        other sender for as long).
    :param retry_on: which errors are retried (default :func:`is_retryable`; the transport narrows it for
        writes that must not be replayed blindly, :mod:`._writes` uses it for its re-derived replays).
    """
    wait = _HubSpotWait(rng)

    def before_sleep(retry_state: tenacity.RetryCallState) -> None:
        assert retry_state.outcome is not None
        error = retry_state.outcome.exception()
        delay = retry_state.next_action.sleep if retry_state.next_action else 0.0
        if on_retry is not None and error is not None:
            on_retry(error, delay)
        logger.warning(
            "HubSpot %s failed with %s; retry %d/%d in %.1f s",
            what,
            retry_reason(error) if error else "?",
            retry_state.attempt_number,
            max_retries,
            delay,
        )

    return tenacity.Retrying(
        retry=tenacity.retry_if_exception(retry_on),
        wait=wait,
        stop=tenacity.stop_after_attempt(max_retries + 1) | _StopBeforeTotal(max_retry_seconds, clock),
        before_sleep=before_sleep,
        sleep=sleep,
        reraise=True,
    )
