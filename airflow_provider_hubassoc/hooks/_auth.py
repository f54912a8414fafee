"""Credentials for HubSpot requests: a static private app token, or OAuth access tokens from a refresh token.

OAuth access tokens come from ``POST /oauth/2026-03/token`` (reference §20.5; ``/oauth/v1/token`` is deprecated
on 2027-02-16): every parameter in a form-encoded body, never in the query string, and a snake_case answer. They
are cached with their expiry and refreshed shortly before it (HubSpot: "use the ``expires_in`` field to determine
the token lifetime", 30-minute tokens), and once more when HubSpot answers 401; a ``refresh_token`` in the answer
replaces the connection's for the rest of the run. One lock makes a burst of threads trigger a single refresh.
HubSpot's refusals become a :class:`HubSpotAuthError` that says what to fix (:data:`OAUTH_ERROR_ADVICE`).
Every secret is registered with Airflow's masker, and no error or log line built here quotes one.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import requests

from airflow_provider_hubassoc._compat import mask_secret
from airflow_provider_hubassoc.exceptions import (
    HubSpotAuthError,
    HubSpotConnectionError,
    HubSpotRateLimitError,
    HubSpotServerError,
)
from airflow_provider_hubassoc.hooks._http import send
from airflow_provider_hubassoc.hooks._retry import retry_after_seconds

if TYPE_CHECKING:
    from airflow_provider_hubassoc.hooks._settings import HubSpotSettings

TOKEN_PATH = "/oauth/2026-03/token"
# Refresh this long before expiry: a minute for HubSpot's 30-minute tokens, a tenth for shorter ones.
MAX_REFRESH_MARGIN_SECONDS = 60.0
#: ``expires_in`` is trusted within these bounds (seconds) and clamped to them outside: a zero or negative
#: lifetime would refresh before every call, an absurd one would keep a dead token until a 401
MIN_TOKEN_LIFETIME_SECONDS = 60
MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600

_log = logging.getLogger(__name__)

_REAUTHORIZE = (
    "Re-authorize the app in HubSpot and store the new refresh token in the connection's `refresh_token` "
    "extra: this one was revoked (the app uninstalled or its access removed), has expired, or belongs to "
    "another app"
)
_CHECK_CLIENT = (
    "Check `client_id` and `client_secret` of the connection: both must be those of the app (HubSpot app "
    "settings, Auth tab) that issued the refresh token"
)
_FORM_BODY = (
    "HubSpot did not read `grant_type=refresh_token`: the request must reach it as a form-encoded body "
    "(application/x-www-form-urlencoded); check for a proxy that rewrites the body or its Content-Type"
)
#: HubSpot's OAuth refusal -> what to fix. Keys are HubSpot's legacy ``status`` (upper case), the RFC 6749
#: ``error`` (lower case) of the same refusal, or the ``category`` of the generic ``Error`` body (reference
#: §20.5: HubSpot sends ``error``/``error_description`` beside ``status``/``message``; the spec's default
#: answer is ``{category, correlationId, message}``). Not found: generic advice naming HubSpot's status.
OAUTH_ERROR_ADVICE: dict[str, str] = {
    "BAD_REFRESH_TOKEN": _REAUTHORIZE,
    "invalid_grant": _REAUTHORIZE,
    "BAD_CLIENT_ID": _CHECK_CLIENT,
    "invalid_client": _CHECK_CLIENT,
    "BAD_GRANT_TYPE": _FORM_BODY,
    "unsupported_grant_type": _FORM_BODY,
    "BAD_REDIRECT_URI": (
        "HubSpot refused the redirect URI, which a refresh does not send: the refresh token was probably issued "
        "to another app; re-authorize this app (with its registered redirect URL) and store the new refresh "
        "token in the connection's `refresh_token` extra"
    ),
    "invalid_request": (
        "HubSpot found a parameter missing or malformed: check that the connection's `client_id`, "
        "`client_secret` and `refresh_token` extras are set, with no surrounding spaces or quotes"
    ),
    "invalid_scope": (
        "The scopes granted to the app no longer match what it requests: re-authorize the app, accepting its "
        "scopes, and store the new refresh token in the connection's `refresh_token` extra"
    ),
    "VALIDATION_ERROR": (
        "HubSpot refused the token request as sent: check the connection's `client_id`, `client_secret` and "
        "`refresh_token` extras"
    ),
}


def _mask(secret: str | None) -> None:
    if secret:
        # masking is defence in depth: never fail a request over it
        with contextlib.suppress(Exception):
            mask_secret(secret)


class StaticTokenAuth:
    """A service key or a private app access token: sent as ``Bearer``; it does not expire, so a 401 is final.

    HubSpot documents Bearer for private app tokens; for service keys it is what third-party guides report
    (reference §20.6), and no other scheme is documented for them."""

    def __init__(self, token: str) -> None:
        self._token = token
        _mask(token)

    def __repr__(self) -> str:
        return "StaticTokenAuth(token=***)"

    def token(self) -> str:
        return self._token

    def invalidate(self, token: str) -> bool:
        """A static token cannot be refreshed: ``False`` tells the transport not to retry the 401."""
        return False


class OAuthRefreshAuth:
    """Access tokens from HubSpot's refresh-token grant, cached until shortly before they expire.

    :param session: the transport's session (pooling, TLS settings and User-Agent are shared).
    :param clock: wall clock, injectable for tests.
    """

    def __init__(
        self,
        settings: HubSpotSettings,
        session: requests.Session,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._session = session
        self._clock = clock
        self._lock = threading.Lock()
        self._access_token: str | None = None
        self._refresh_token = settings.refresh_token
        self._expires_at = 0.0
        self._refresh_at = 0.0
        self.refresh_count = 0
        for secret in settings.secrets:
            _mask(secret)

    def __repr__(self) -> str:
        return f"OAuthRefreshAuth(client_id={self._settings.client_id!r}, tokens=***)"

    def token(self) -> str:
        """A valid access token, refreshing first when the cached one is (nearly) expired."""
        with self._lock:
            if self._access_token is None or self._clock() >= self._refresh_at:
                self._refresh()
            assert self._access_token is not None
            return self._access_token

    def invalidate(self, token: str) -> bool:
        """Drop ``token`` after a 401 so the next :meth:`token` refreshes (once, even with many threads)."""
        with self._lock:
            if self._access_token == token:
                self._access_token = None
            return True

    def _refresh(self) -> None:
        """Trade the refresh token for an access token; keep a rotated refresh token; schedule the next refresh."""
        response = self._post_refresh()
        body = _json_or_empty(response)
        self._raise_unless_granted(response, body)
        rotated = body.get("refresh_token")
        if isinstance(rotated, str) and rotated:
            # HubSpot may rotate it and retire the old one: from now on, every refresh of this run uses the new
            # one (kept even if the rest of this answer is unusable)
            _mask(rotated)
            self._refresh_token = rotated
        if not isinstance(body.get("access_token"), str) or not body["access_token"]:
            raise HubSpotAuthError(
                "OAuth refresh failed: HubSpot's answer has no `access_token`",
                status=response.status_code,
                method="POST",
                path=TOKEN_PATH,
            )
        access_token = body["access_token"]
        _mask(access_token)
        lifetime = token_lifetime(body, status=response.status_code)
        now = self._clock()
        self._access_token = access_token
        self._expires_at = now + lifetime
        self._refresh_at = now + lifetime - min(MAX_REFRESH_MARGIN_SECONDS, lifetime / 10)
        self.refresh_count += 1

    def _post_refresh(self) -> requests.Response:
        """One POST to the token endpoint; a network failure becomes a HubSpot error naming only its type."""
        settings = self._settings
        try:
            # ``send``: never redirected (a 3xx sends neither secret nor refresh token to its Location), TLS
            # settings of the connection, the deadline; its HubSpotRedirectError/HubSpotDeadlineError pass through
            return send(
                self._session,
                settings,
                "POST",
                TOKEN_PATH,
                data={
                    "grant_type": "refresh_token",
                    "client_id": settings.client_id,
                    "client_secret": settings.client_secret,
                    "refresh_token": self._refresh_token,
                },
                headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
            )
        except requests.RequestException as error:
            # only the type: a network error's text may quote the request; SSL failures are not transient
            transient = isinstance(error, (requests.ConnectionError, requests.Timeout)) and not isinstance(
                error, requests.exceptions.SSLError
            )
            raise (HubSpotConnectionError if transient else HubSpotServerError)(
                f"could not reach the OAuth token endpoint: {type(error).__name__}", method="POST", path=TOKEN_PATH
            ) from None

    def _raise_unless_granted(self, response: requests.Response, body: dict[str, Any]) -> None:
        """A 5xx or 429 of the token endpoint is transient (retried as any); another non-2xx is a refusal."""
        if response.status_code >= 500:
            raise HubSpotServerError(
                self._scrub(str(body.get("message") or "token endpoint failed")),
                status=response.status_code,
                method="POST",
                path=TOKEN_PATH,
            )
        if response.status_code == 429:  # HubSpot's budget, not the credentials: retried like any 429
            raise HubSpotRateLimitError(
                "the OAuth token endpoint is rate limited",
                status=429,
                method="POST",
                path=TOKEN_PATH,
                retry_after=retry_after_seconds(response.headers.get("Retry-After")),
            )
        if not 200 <= response.status_code < 300:
            raise self._refusal(response.status_code, body)

    def _scrub(self, text: str) -> str:
        """HubSpot's own text with any secret of this connection replaced by ``***`` (defence in depth)."""
        return _scrub(text, (*self._settings.secrets, self._refresh_token, self._access_token))

    def _refusal(self, status: int, body: Mapping[str, Any]) -> HubSpotAuthError:
        """HubSpot's refusal of the refresh, with what to fix; HubSpot's status is kept as ``category``.

        Both shapes of reference §20.5: ``{error, error_description, status, message}`` (category: the legacy
        ``status``, sub-category: the RFC ``error``) and the generic ``{category, subCategory?, message}``.
        """
        legacy = body.get("status") if body.get("status") != "error" else None  # the generic body says "error"
        category = legacy or body.get("category") or body.get("error")
        sub = body.get("error") if legacy else body.get("subCategory") or body.get("error")
        keys = [str(k) for k in (legacy, body.get("error"), body.get("subCategory"), body.get("category")) if k]
        # the legacy status first: it is HubSpot's own and the more specific (several map to ``invalid_grant``)
        advice = next((OAUTH_ERROR_ADVICE[k] for k in keys if k in OAUTH_ERROR_ADVICE), None)
        named = str(category) if category else f"HTTP {status}"
        if advice is None:
            advice = (
                f"HubSpot answered {named}, which this provider does not know: check the connection's `client_id`, "
                "`client_secret` and `refresh_token` extras, and re-authorize the app if its refresh token may "
                "have been revoked"
            )
        said = body.get("message") or body.get("error_description")
        text = (
            f"OAuth refresh failed: {self._scrub(str(said))}. {advice}" if said else f"OAuth refresh failed: {advice}"
        )
        return HubSpotAuthError(
            text,
            status=status,
            category=str(category) if category else None,
            sub_category=str(sub) if sub and sub != category else None,
            correlation_id=str(body["correlationId"]) if body.get("correlationId") else None,
            method="POST",
            path=TOKEN_PATH,
        )


def token_lifetime(body: Mapping[str, Any], *, status: int | None = None) -> int:
    """Seconds an access token may be used, from the answer's ``expires_in`` (int64 per HubSpot's spec).

    Missing or not an integer: :class:`HubSpotAuthError` naming the field (the token's life is unknown, and
    guessing would either refresh on every call or keep a dead token). Outside
    [:data:`MIN_TOKEN_LIFETIME_SECONDS`, :data:`MAX_TOKEN_LIFETIME_SECONDS`]: clamped, with a warning.
    """
    value = body.get("expires_in")
    if isinstance(value, bool) or not isinstance(value, int):
        found = "missing" if value is None else f"{type(value).__name__} {value!r}"[:60]
        raise HubSpotAuthError(
            f"OAuth refresh failed: HubSpot's answer has no integer `expires_in` ({found}); the access token's "
            "lifetime is unknown",
            status=status,
            method="POST",
            path=TOKEN_PATH,
        )
    bounded = min(max(value, MIN_TOKEN_LIFETIME_SECONDS), MAX_TOKEN_LIFETIME_SECONDS)
    if bounded != value:
        _log.warning(
            "HubSpot's OAuth answer gave expires_in=%d s; using %d s (bounds %d-%d s)",
            value,
            bounded,
            MIN_TOKEN_LIFETIME_SECONDS,
            MAX_TOKEN_LIFETIME_SECONDS,
        )
    return bounded


def _scrub(text: str, secrets: Iterable[str | None]) -> str:
    # as Airflow's masker, not below 5 characters: a one-letter test secret would blank every such letter
    for secret in secrets:
        if secret and len(secret) >= 5:
            text = text.replace(secret, "***")
    return text


def _json_or_empty(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def build_auth(settings: HubSpotSettings, session: requests.Session) -> StaticTokenAuth | OAuthRefreshAuth:
    """The static token (service key or private app token) wins when both are configured (it needs no round trip).

    Every configured secret is registered with the masker, also the OAuth ones a static token makes unused:
    they are in the connection all the same, and a log line could quote them.
    """
    for secret in settings.secrets:
        _mask(secret)
    if settings.auth_mode == "static_token":
        assert settings.access_token is not None
        return StaticTokenAuth(settings.access_token)
    return OAuthRefreshAuth(settings, session)
