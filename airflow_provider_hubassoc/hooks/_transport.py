"""HTTP transport to HubSpot: one pooled session, auth, the shared rate limiter and the retry policy.

``request()`` is the only function in the package that sends an API request. It returns the response for any
2xx (HubSpot moved v3 batch create from 201 to 200 in 2025; a 207 is a success whose body lists per-input
errors, which the caller maps) and raises a :class:`HubSpotError` subclass for everything else. It is
thread-safe: batch chunks run concurrently through it.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import requests

from airflow_provider_hubassoc.exceptions import (
    MISSING_SCOPES,
    HubSpotAnswerLostError,
    HubSpotConnectionError,
    HubSpotDailyLimitError,
    HubSpotError,
    HubSpotMissingScopesError,
    HubSpotRedirectError,
    HubSpotServerError,
    error_class_for_status,
)
from airflow_provider_hubassoc.hooks._auth import build_auth
from airflow_provider_hubassoc.hooks._http import new_session, send
from airflow_provider_hubassoc.hooks._json import dumps, loads
from airflow_provider_hubassoc.hooks._ratelimit import RateLimiter, shared_limiter
from airflow_provider_hubassoc.hooks._retry import (
    SECONDLY,
    daily_limit_message,
    hubspot_retry,
    is_ambiguous,
    is_retryable,
    rate_limit,
    retry_after_seconds,
    retry_reason,
)

if TYPE_CHECKING:
    from airflow_provider_hubassoc._compat import TaskLogger
    from airflow_provider_hubassoc.hooks._settings import HubSpotSettings

_log = logging.getLogger(__name__)


@dataclass
class TransportStats:
    """What the transport did, for progress logs, summaries and tests. Updated under a lock."""

    requests_sent: int = 0
    responses_by_status: Counter = field(default_factory=Counter)
    retries_by_reason: Counter = field(default_factory=Counter)
    token_refreshes_on_401: int = 0
    #: seconds this transport's requests waited in the shared rate limiter (pacing, not retry back-off)
    throttled_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def retries(self) -> int:
        return sum(self.retries_by_reason.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests_sent": self.requests_sent,
            "responses_by_status": dict(self.responses_by_status),
            "retries_by_reason": dict(self.retries_by_reason),
            "token_refreshes_on_401": self.token_refreshes_on_401,
            "throttled_seconds": round(self.throttled_seconds, 3),
        }


class HubSpotTransport:
    """Send HubSpot API requests for one connection.

    :param settings: the parsed connection.
    :param logger: where retries are logged (the hook passes its task logger).
    :param limiter: defaults to the process-wide limiter of this base URL and credential.
    :param sleep: how retries wait (injectable for tests).
    :param rng: jitter source (injectable for tests).
    """

    def __init__(
        self,
        settings: HubSpotSettings,
        *,
        logger: TaskLogger | None = None,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self.log = logger or _log
        self._sleep = sleep
        # per thread: the wait the limiter chose for the retry of a 429 HubSpot sent no Retry-After with
        self._refusal = threading.local()
        self._rng = rng
        # no redirects, TLS from the connection only, a deadline per attempt: see ``_http``
        self.session = new_session(settings)
        self.auth = build_auth(settings, self.session)
        credential = settings.access_token or f"{settings.client_id}:{settings.refresh_token}"
        self.limiter = limiter or shared_limiter(
            settings.base_url,
            credential,
            settings.requests_per_10_seconds,
            settings.daily_request_limit,
            store=settings.rate_limit_store,
        )
        self.stats = TransportStats()

    def __repr__(self) -> str:
        return f"HubSpotTransport(base_url={self.settings.base_url!r}, auth={self.settings.auth_mode})"

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        max_retries: int | None = None,
        retry_ambiguous: bool = True,
        check: Callable[[requests.Response], None] | None = None,
    ) -> requests.Response:
        """Send one request (rate-limited, authenticated, retried); return the 2xx response or raise.

        One attempt loop in one place, a little over 60 lines on purpose: a reader sees every path a request can
        take (rate slot, auth, send, the answer's class, retry or raise) without jumping between helpers.

        :param json: the body: a value to encode as JSON, or ``bytes`` of JSON already encoded (batch writes).
        :param max_retries: fewer retries for this call than the connection allows (``test_connection`` wants
            an answer within seconds, not after the full back-off budget).
        :param retry_ambiguous: ``False`` for a write whose blind replay could change state: a failure after
            which HubSpot may have applied it (:func:`~._retry.is_ambiguous`) is not retried but raised as
            :class:`HubSpotAnswerLostError`, for :mod:`._writes` to re-derive the write; 429, 423 and failures
            before the request was sent are still retried here.
        :param check: called on each 2xx answer inside the attempt (:func:`~._answers.decode`); the
            :class:`HubSpotAnswerError` it raises for an answer of the wrong shape is retried like a 5xx, or
            raised as :class:`HubSpotAnswerLostError` under ``retry_ambiguous=False``.
        """
        method = method.upper()
        what = f"{method} {path}"
        body = _encoded(json)  # once, not per attempt
        retries = self.settings.max_retries if max_retries is None else min(max_retries, self.settings.max_retries)
        retrying = self.retrying(
            what,
            max_retries=retries,
            retry_on=is_retryable if retry_ambiguous else (lambda e: is_retryable(e) and not is_ambiguous(e)),
        )
        try:
            for attempt in retrying:
                with attempt:
                    response = self._send_once(method, path, body, params)
                    if check is not None:
                        check(response)
                    return response
        except HubSpotError as error:
            if not retry_ambiguous and is_ambiguous(error):
                raise HubSpotAnswerLostError(
                    f"answer lost after the request was sent ({retry_reason(error)})",
                    cause=error,
                    status=error.status,
                    method=method,
                    path=path,
                ) from None
            raise
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as error:
            if not retry_ambiguous and is_ambiguous(error):
                raise HubSpotAnswerLostError(
                    f"answer lost after the request was sent ({type(error).__name__})",
                    cause=error,
                    method=method,
                    path=path,
                ) from None
            attempts = retrying.statistics.get("attempt_number", 1)
            if isinstance(error, requests.exceptions.SSLError):
                raise HubSpotServerError(
                    f"TLS with {self.settings.base_url} failed (SSLError, not retried): check the host and the "
                    "connection's ca_bundle / verify_ssl extras",
                    method=method,
                    path=path,
                ) from None
            raise HubSpotConnectionError(
                f"no response after {attempts} attempt(s): {type(error).__name__}",
                method=method,
                path=path,
            ) from None
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    def retrying(
        self, what: str, *, max_retries: int | None = None, retry_on: Callable[[BaseException], bool] = is_retryable
    ) -> Any:
        """The connection's retry policy (``max_retries``, ``max_retry_seconds``, back-off, stats) for ``what``."""
        return hubspot_retry(
            max_retries=self.settings.max_retries if max_retries is None else max_retries,
            max_retry_seconds=self.settings.max_retry_seconds,
            logger=self.log,
            what=what,
            on_retry=self._on_retry,
            sleep=self._retry_sleep,
            rng=self._rng,
            retry_on=retry_on,
        )

    def request_json(
        self, method: str, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None
    ) -> Any | None:
        """Like :meth:`request`, returning the parsed body (``None`` for 204 or an empty body)."""
        response = self.request(method, path, json=json, params=params)
        if response.status_code == 204 or not response.content:
            return None
        return loads(response.content)

    def close(self) -> None:
        self.session.close()

    # -- one attempt ----------------------------------------------------------------------------------------

    def _on_retry(self, error: BaseException, delay: float) -> None:
        with self.stats._lock:
            self.stats.retries_by_reason[retry_reason(error)] += 1
        if isinstance(error, HubSpotError) and error.status == 429:
            unhinted = self._refusal.__dict__.pop("unhinted", False)
            if error.context.get("policyName") == SECONDLY:
                return  # the search limit (SECONDLY) is its own: other calls go on, this one waits ``delay``
            if unhinted:  # the limiter knows when our room frees
                self._refusal.wait = self.limiter.refused(delay)
            else:
                self.limiter.pause(delay)

    def _retry_sleep(self, seconds: float) -> None:
        """Tenacity's sleep: the limiter's shorter wait after a 429 without ``Retry-After``, else ``seconds``."""
        self._sleep(self._refusal.__dict__.pop("wait", seconds))

    def _send_once(
        self, method: str, path: str, body: bytes | None, params: Mapping[str, Any] | None
    ) -> requests.Response:
        response = self._send_authenticated(method, path, body, params)
        if response.status_code == 401:
            token = response.request.headers.get("Authorization", "")[len("Bearer ") :]
            if self.auth.invalidate(token):
                with self.stats._lock:
                    self.stats.token_refreshes_on_401 += 1
                response = self._send_authenticated(method, path, body, params)
        if 200 <= response.status_code < 300:
            return response
        raise self._error(method, path, response)

    def _send_authenticated(
        self, method: str, path: str, body: bytes | None, params: Mapping[str, Any] | None
    ) -> requests.Response:
        token = self.auth.token()  # before the slot: a token refresh must not hold a slot of the window
        stamp, waited = self.limiter.acquire_slot()
        with self.stats._lock:
            self.stats.requests_sent += 1
            self.stats.throttled_seconds += waited
        try:
            headers = {"Authorization": f"Bearer {token}"}
            if body is not None:
                headers["Content-Type"] = "application/json"
            response = send(self.session, self.settings, method, path, data=body, params=params, headers=headers)
        except HubSpotRedirectError as error:  # an answer all the same: counted, never retried
            with self.stats._lock:
                self.stats.responses_by_status[error.status] += 1
            raise
        finally:
            answered = self.limiter.settle(stamp)
        self.limiter.observe(response.headers, answered)
        with self.stats._lock:
            self.stats.responses_by_status[response.status_code] += 1
        return response

    def _error(self, method: str, path: str, response: requests.Response) -> HubSpotError:
        """Map a non-2xx response to the error class for its status, keeping HubSpot's body fields."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            body = {}
        status = response.status_code
        cls = error_class_for_status(status)
        if status == 403 and body.get("category") == MISSING_SCOPES:  # the message names the scopes to add
            cls = HubSpotMissingScopesError
        context = dict(body.get("context") or {}) if isinstance(body.get("context"), Mapping) else {}
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        if status == 429:
            self._refusal.unhinted = retry_after is None  # HubSpot named no wait: the window's length stands in
            limit = rate_limit(body, response.headers, retry_after)
            if limit.policy:
                context["policyName"] = limit.policy
            if limit.daily:
                cls = HubSpotDailyLimitError
                body = {**body, "message": daily_limit_message(body.get("message"))}
            retry_after = limit.retry_after
        error = cls.from_response_body(
            {**body, "context": context} if context else body,
            status=status,
            method=method,
            path=path,
            fallback_message=(response.reason or "") + (f": {response.text[:300]}" if not body else ""),
        )
        error.retry_after = retry_after
        return error


def _encoded(body: Any) -> bytes | None:
    """A request body as JSON bytes; refused as requests' ``json=`` refuses it (NaN, infinity)."""
    if body is None or isinstance(body, bytes):
        return body
    try:
        return dumps(body)
    except ValueError as error:
        raise requests.exceptions.InvalidJSONError(error) from None
