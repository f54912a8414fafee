"""Credentials for HubSpot requests: a static private app token, or OAuth access tokens from a refresh token.

OAuth access tokens are cached with their expiry and refreshed shortly before it (HubSpot: "track
``expires_in``", 30-minute tokens), and once more when HubSpot answers 401. One lock makes a burst of threads
trigger a single refresh. Every secret is registered with Airflow's masker, and no error built here quotes
what was sent to the token endpoint.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import requests

from airflow_provider_hubassoc._compat import mask_secret
from airflow_provider_hubassoc.exceptions import HubSpotAuthError, HubSpotConnectionError, HubSpotServerError
from airflow_provider_hubassoc.hooks._http import send

if TYPE_CHECKING:
    from airflow_provider_hubassoc.hooks._settings import HubSpotSettings

TOKEN_PATH = "/oauth/v1/token"
# Refresh this long before expiry: a minute for HubSpot's 30-minute tokens, a tenth for short test tokens.
MAX_REFRESH_MARGIN_SECONDS = 60.0


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
        settings = self._settings
        try:
            # ``send``: never redirected (a 3xx sends neither secret nor refresh token to its Location), TLS
            # settings of the connection, the deadline; its HubSpotRedirectError/HubSpotDeadlineError pass through
            response = send(
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
        body = _json_or_empty(response)
        if response.status_code >= 500:
            raise HubSpotServerError(
                str(body.get("message") or "token endpoint failed"),
                status=response.status_code,
                method="POST",
                path=TOKEN_PATH,
            )
        if not 200 <= response.status_code < 300 or not body.get("access_token"):
            # HubSpot: {"error": "invalid_grant", "error_description": ..., "status": "BAD_REFRESH_TOKEN", "message": ...}
            raise HubSpotAuthError(
                "OAuth refresh failed: "
                + str(body.get("message") or body.get("error_description") or body.get("error") or "no access token"),
                status=response.status_code,
                category=str(body.get("status") or body.get("error") or "INVALID_AUTHENTICATION"),
                method="POST",
                path=TOKEN_PATH,
            )
        access_token = str(body["access_token"])
        _mask(access_token)
        if body.get("refresh_token"):
            self._refresh_token = str(body["refresh_token"])
            _mask(self._refresh_token)
        lifetime = float(body.get("expires_in") or 1800)
        now = self._clock()
        self._access_token = access_token
        self._expires_at = now + lifetime
        self._refresh_at = now + lifetime - min(MAX_REFRESH_MARGIN_SECONDS, lifetime / 10)
        self.refresh_count += 1


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
