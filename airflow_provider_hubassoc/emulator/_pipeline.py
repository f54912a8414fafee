"""What every request goes through before and after its endpoint: auth, rate limits, scopes, injected faults,
the 2026-09 write rules, JSON parsing and the account lock; and the admin API's own short path.

Order matters and is HubSpot's where known: route (404), auth (401), faults, the rate limits (429, counted
only when let through), scopes (403), the body's JSON (400), the write rules, then the endpoint under the
account lock. Faults are drawn by :meth:`~._app.EmulatorApp.handle` before anything else, so a seed replays.
"""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict, deque
from typing import TYPE_CHECKING, Any

from ._http import ApiError, Request, Response, error_body, rate_limit_body, state_error, validation_error
from ._routes import WRITE_ENDPOINTS, Route, match_admin
from ._scopes import missing_scopes_body, required_scopes
from ._state import StateError
from ._types import UnknownObjectType, object_type_id
from ._write_rules import add_refusals, permission_rule, permission_rule_applies

if TYPE_CHECKING:
    from ._app import EmulatorApp
    from ._config import EmulatorConfig

_AUTH_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find "
    "more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
_SERVER_ERRORS = {"500": "internal error", "502": "Bad Gateway", "503": "Service Unavailable"}


class EmulatedRateLimits:
    """HubSpot's limits on the emulated account: a rolling 10-second window per token/app and a daily budget
    per account (reference §12.2-12.3). Callers hold the app's ``meta_lock``."""

    def __init__(self) -> None:
        self.windows: dict[str, deque[float]] = defaultdict(deque)
        self.daily_used = 0
        self.day = time.gmtime()[:3]

    def reset(self) -> None:
        self.windows.clear()
        self.daily_used = 0

    def check(self, key: str, oauth: bool, config: EmulatorConfig) -> tuple[dict[str, str], dict[str, Any] | None]:
        """Count one request; return the headers and, when refused, the 429 body (nothing counted then)."""
        now = time.monotonic()
        today = time.gmtime()[:3]
        if today != self.day:  # HubSpot resets at the account's midnight; the emulator's account is on UTC
            self.day, self.daily_used = today, 0
        refused: dict[str, Any] | None = None
        window = self.windows[key]
        maximum = config.requests_per_10_seconds
        if maximum is not None:
            while window and window[0] <= now - config.rate_limit_interval_ms / 1000.0:
                window.popleft()
        daily = config.daily_limit
        if daily is not None and self.daily_used >= daily:
            refused = rate_limit_body("DAILY")
        elif maximum is not None and len(window) >= maximum:
            refused = rate_limit_body("TEN_SECONDLY_ROLLING")
        if refused is None:
            if maximum is not None:
                window.append(now)
            self.daily_used += 1
        return self._headers(window, now, oauth, config), refused

    def peek(self, key: str, oauth: bool, config: EmulatorConfig) -> dict[str, str]:
        """The headers of a request that is answered without being counted (an injected fault)."""
        now = time.monotonic()
        window = self.windows.get(key, deque())
        interval = config.rate_limit_interval_ms / 1000.0
        while config.requests_per_10_seconds is not None and window and window[0] <= now - interval:
            window.popleft()
        return self._headers(window, now, oauth, config)

    def _headers(self, window: deque[float], now: float, oauth: bool, config: EmulatorConfig) -> dict[str, str]:
        """HubSpot's window headers on every answer to an app's call; daily ones except for OAuth (§12.3)."""
        headers: dict[str, str] = {}
        maximum, daily = config.requests_per_10_seconds, config.daily_limit
        if maximum is not None:
            headers["X-HubSpot-RateLimit-Interval-Milliseconds"] = str(config.rate_limit_interval_ms)
            headers["X-HubSpot-RateLimit-Max"] = str(maximum)
            headers["X-HubSpot-RateLimit-Remaining"] = str(max(0, maximum - len(window)))
            headers["X-HubSpot-RateLimit-Secondly"] = str(max(1, maximum // 10))
            last_second = sum(1 for t in reversed(window) if t > now - 1.0)
            headers["X-HubSpot-RateLimit-Secondly-Remaining"] = str(max(0, maximum // 10 - last_second))
        if daily is not None and not oauth:  # not sent for OAuth-authorised calls (reference §12.3)
            headers["X-HubSpot-RateLimit-Daily"] = str(daily)
            headers["X-HubSpot-RateLimit-Daily-Remaining"] = str(max(0, daily - self.daily_used))
        return headers


# ---------------------------------------------------------------------- the admin API
def serve_admin(app: EmulatorApp, request: Request) -> Response:
    """An admin request: its JSON object (parsed before routing), its handler; not counted, not observed."""
    try:
        body = parse_json(request) if request.body else None
        response = match_admin(request)(app, body if isinstance(body, dict) else {})
    except ApiError as exc:
        response = Response(exc.status, exc.body)
    except StateError as exc:
        error = state_error(exc)
        response = Response(error.status, error.body)
    except (ValueError, KeyError, TypeError) as exc:
        response = Response(400, error_body(f"Invalid admin request: {exc}", "VALIDATION_ERROR"))
    response.endpoint = "admin"
    return response


# ---------------------------------------------------------------------- the API
def serve_api(
    app: EmulatorApp, request: Request, route: Route | None, params: dict[str, str], draw: float, config: EmulatorConfig
) -> Response:
    """One API request through the pipeline (module docstring), as answered before latency and counting."""
    headers: dict[str, str] = {}
    try:
        if route is None:
            raise ApiError(  # noqa: TRY301 - every refusal is an ApiError, answered by the except below
                404, error_body(f"Unable to find a route for {request.method} {request.path}", "OBJECT_NOT_FOUND")
            )
        is_token_endpoint = route.name.startswith("oauth.")
        auth_key, oauth = ("", False) if is_token_endpoint else authenticate(app, request)
        fault = draw_fault(draw, config) if fault_applies(route.name, request.path, config) else None
        if fault in ("drop_after", "slow_after") and route.name not in WRITE_ENDPOINTS:
            fault = None  # "applied, then the answer lost" is about writes: reads are answered
        if fault is not None and not is_token_endpoint:
            # HubSpot sends the window headers with every answer to an app's call, errors included; an
            # injected fault is answered without being counted
            with app.meta_lock:
                headers = app.limiter.peek(auth_key, oauth, config)
        refusal = _fault_answer(fault, headers, request, config)
        if refusal is not None:
            return refusal
        extra_delay = config.slow_seconds if fault in ("slow", "slow_after") else 0.0
        trickle = config.trickle_interval if fault == "trickle" else 0.0
        if is_token_endpoint:  # not authenticated by a bearer token, not rate limited
            response = route.handler(app, request, None, **params)
            response.delay += extra_delay
            response.trickle = trickle
            return response
        with app.meta_lock:
            headers, refused = app.limiter.check(auth_key, oauth, config)
        if refused is not None:
            headers.update(retry_after(config))
            return Response(429, refused, headers, delay=extra_delay)
        missing = missing_scopes(app, auth_key, route.name, params)
        if missing:
            return Response(403, missing_scopes_body(missing), headers, delay=extra_delay)
        response = _call_endpoint(app, request, route, params, oauth, config)
        response.headers.update(headers)
        response.delay += extra_delay
        response.trickle = trickle
        response.drop = fault == "drop_after"  # applied; now the answer is lost
        response.late = fault == "slow_after"
    except ApiError as exc:
        return Response(exc.status, exc.body, {**headers, **exc.headers})
    except StateError as exc:
        error = state_error(exc)
        return Response(error.status, error.body, dict(headers))
    return response


def _call_endpoint(
    app: EmulatorApp, request: Request, route: Route, params: dict[str, str], oauth: bool, config: EmulatorConfig
) -> Response:
    """The body's JSON, the write rules, then the endpoint under the account lock (a batch applies atomically)."""
    body = parse_json(request)
    refusals: list[dict[str, Any]] = []
    if permission_rule_applies(route.name, params, oauth, config):
        body, refusals = permission_rule(app, route.name, body, params, config)
    with app.state.lock:
        response = route.handler(app, request, body, **params)
    if refusals:
        add_refusals(response, refusals, route.name, params.get("version"))
    return response


def authenticate(app: EmulatorApp, request: Request) -> tuple[str, bool]:
    """The rate-limit key of the bearer token (``token:...`` or ``app:<client id>``) and whether it is OAuth's;
    401 for none, an unknown one, or an expired access token."""
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    if token and token in app.tokens:
        return f"token:{token}", False
    with app.meta_lock:
        issued = app.access_tokens.get(token) if token else None
    if issued is not None:
        client_id, expiry = issued
        now = time.time()
        if now < expiry:
            return f"app:{client_id}", True
        ago = int(now - expiry)
        raise ApiError(
            401,
            error_body(
                f"The OAuth token used to make this call expired {ago} second(s) ago.", "EXPIRED_AUTHENTICATION"
            ),
        )
    raise ApiError(401, error_body(_AUTH_MESSAGE, "INVALID_AUTHENTICATION"))


def missing_scopes(app: EmulatorApp, auth_key: str, endpoint: str, params: dict[str, str]) -> list[str]:
    """The scopes this call needs that its static token was not granted (empty: allowed)."""
    granted = app.token_scopes.get(auth_key[6:]) if auth_key.startswith("token:") else None
    if granted is None:
        return []
    try:
        type_ids = tuple(
            object_type_id(params[name], app.config.custom_objects)
            for name in ("from_type", "to_type")
            if params.get(name)
        )
    except UnknownObjectType:
        return []  # the handler answers 400 for the path
    return [scope for scope in required_scopes(endpoint, type_ids) if scope not in granted]


def parse_json(request: Request) -> Any:
    """The request's JSON body (None when empty); HubSpot's 400 naming the line and column otherwise."""
    if not request.body.strip():
        return None
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", 1)
        column = getattr(exc, "colno", 1)
        raise validation_error(f"Invalid input JSON on line {line}, column {column}: {exc}") from None


# ---------------------------------------------------------------------- injected faults
def fault_applies(name: str, path: str, config: EmulatorConfig) -> bool:
    if not config.fault_endpoints:
        return True
    return any(p == name or re.search(p, path) for p in config.fault_endpoints)


def draw_fault(draw: float, config: EmulatorConfig) -> str | None:
    """The fault a draw in [0, 1) picks from the configured shares, in their order; None: no fault."""
    edge = 0.0
    for kind, share in config.fault_shares():
        edge += share
        if share and draw < edge:
            return kind
    return None


def _fault_answer(
    fault: str | None, headers: dict[str, str], request: Request, config: EmulatorConfig
) -> Response | None:
    """The answer of a fault that replaces the endpoint's (drop, 5xx, 429, redirect); None for the others."""
    if fault == "drop":
        return Response(0, drop=True)
    if fault in _SERVER_ERRORS:
        category = "INTERNAL_ERROR" if fault == "500" else "SERVICE_UNAVAILABLE"
        return Response(int(fault), error_body(_SERVER_ERRORS[fault], category), dict(headers))
    if fault == "429":
        return Response(429, rate_limit_body("TEN_SECONDLY_ROLLING"), {**headers, **retry_after(config)})
    if fault == "redirect":
        return Response(config.redirect_status, None, {**headers, "Location": redirect_location(request, config)})
    return None


def retry_after(config: EmulatorConfig) -> dict[str, str]:
    if config.retry_after is None:
        return {}
    value = config.retry_after
    return {"Retry-After": str(int(value)) if float(value).is_integer() else str(value)}


def redirect_location(request: Request, config: EmulatorConfig) -> str:
    """The fault's ``Location``: the request's own URL, a path on this host, or another host's URL as given."""
    location = config.redirect_location
    if not location:
        return f"{request.base_url}{request.path}" + (f"?{request.query}" if request.query else "")
    return f"{request.base_url}{location}" if location.startswith("/") else location
