"""Request handling of the emulator: routing, auth, rate limits, faults, and every endpoint's body.

Transport-free: :meth:`EmulatorApp.handle` takes a parsed request and returns a :class:`Response`; the
HTTP server in ``_server.py`` only moves bytes. Shapes, codes and messages follow the reference
(``hubspot-associations-api.md``); where HubSpot's behaviour is unconfirmed the choice is documented
next to the code and in ``docs/emulator.md``.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import re
import secrets
import threading
import time
import uuid
import zlib
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from ._config import EmulatorConfig
from ._scopes import missing_scopes_body, required_scopes
from ._state import CATEGORIES, HUBSPOT_DEFINED, AccountState, Definition, Spec, StateError
from ._types import COMPANY, PRIMARY_COMPANY_TYPES, UnknownObjectType, object_name, object_type_id

#: per-request input caps (reference §12.1; the unconfirmed ones follow batch/create's 2,000)
MAX_CREATE = 2000
MAX_READ = 1000
MAX_OTHER = 2000
MAX_LIST_LIMIT = 500
_DATED = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class VersionCodes:
    """The status codes one published API version documents where versions differ (HubSpot's OpenAPI specs)."""

    #: batch/create with every input applied
    create: int
    #: batch create/read with per-input errors (207, or 200 where the spec lists no 207)
    partial: int
    #: limit configurations batch/create with every input applied
    limits_create: int
    #: limit configurations batch create/update with per-input errors
    limits_partial: int
    #: batch/archive, batch/labels/archive, configurations batch/purge: 204 without a body, or 200 with one
    archive: int


#: every version HubSpot's spec collection publishes for the Associations APIs (rollout 130902: v4, 2025-09,
#: 2026-03; rollout 321895: 2026-09 GA and 2026-09-beta). The March-2026 draft of 2026-09 listed 200 only for
#: batch create/read; the GA spec has 201/207 and 200/207 again (reference §20.3, §20.10).
VERSIONS: dict[str, VersionCodes] = {
    "v4": VersionCodes(create=201, partial=207, limits_create=201, limits_partial=207, archive=204),
    "2025-09": VersionCodes(create=201, partial=207, limits_create=200, limits_partial=200, archive=200),
    "2026-03": VersionCodes(create=201, partial=207, limits_create=201, limits_partial=207, archive=200),
    "2026-09": VersionCodes(create=201, partial=207, limits_create=201, limits_partial=207, archive=200),
    "2026-09-beta": VersionCodes(create=201, partial=207, limits_create=201, limits_partial=207, archive=200),
}
_PUBLISHED_DATED = sorted((int(v[:4]), int(v[5:7])) for v in VERSIONS if _DATED.match(v))


def version_codes(version: str | None) -> VersionCodes | None:
    """The codes of a version the emulator serves; None when HubSpot serves no such version.

    Published versions answer as their spec documents; a later ``YYYY-MM`` (not yet published, e.g. the next
    March/September release) answers like the newest published one before it; betas only as published.
    """
    if version is None:
        return VERSIONS["v4"]
    codes = VERSIONS.get(version)
    if codes is not None:
        return codes
    found = _DATED.match(version)
    if not found:
        return None
    date = (int(found.group(1)), int(found.group(2)))
    earlier = [d for d in _PUBLISHED_DATED if d <= date]
    return VERSIONS[f"{earlier[-1][0]:04d}-{earlier[-1][1]:02d}"] if earlier else None


def enforces_write_rules(version: str | None) -> bool:
    """Whether a version applies admin-configured rules to API writes: ``/2026-09/`` onward (reference §20.4);
    v4 and earlier dated versions stay unenforced. ``2026-09-beta`` counts as 2026-09."""
    found = _DATED.match((version or "")[:7])
    return found is not None and (int(found.group(1)), int(found.group(2))) >= (2026, 9)


#: the user permission HubSpot names for association writes from 2026-09 (reference §20.4, third-party wording)
EDIT_ASSOCIATIONS = "Edit Associations"
#: endpoints that write associations between records: the ones the permission rule binds. Label definitions
#: and limit configurations are account settings (governed by scopes and super-admin rights), not in scope.
PERMISSION_ENDPOINTS = frozenset(
    {
        "batch.create",
        "batch.archive",
        "batch.labels_archive",
        "batch.associate_default",
        "records.put",
        "records.delete",
        "records.default",
    }
)
#: our name for a refused association write; HubSpot's real body is unknown (reference §20.10 item 5)
PERMISSION_SUB_CATEGORY = "crm.associations.USER_DOES_NOT_HAVE_PERMISSIONS"

_AUTH_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find "
    "more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)


#: endpoint names (as in ``counters()``) whose requests change the account
WRITE_ENDPOINTS = frozenset(
    {
        "batch.create",
        "batch.archive",
        "batch.labels_archive",
        "batch.associate_default",
        "records.put",
        "records.delete",
        "records.default",
        "labels.create",
        "labels.update",
        "labels.delete",
        "limits.create",
        "limits.update",
        "limits.purge",
        "v3.batch.create",
        "v3.batch.archive",
    }
)


@dataclass
class Request:
    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    base_url: str = ""


class Response:
    """One answer. ``body`` is the JSON document; a fast path may hand over ``payload`` (the body already
    encoded, as the server sends it) instead, and ``body`` is then decoded from it only when read (observers).
    """

    def __init__(
        self,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        drop: bool = False,
        delay: float = 0.0,
        endpoint: str = "unknown",
        content_type: str = "application/json;charset=utf-8",
        trickle: float = 0.0,
        payload: bytes | None = None,
    ) -> None:
        self.status = status
        self._body = body
        self.payload = payload
        self.headers: dict[str, str] = {} if headers is None else headers
        #: close the connection without answering (fault injection)
        self.drop = drop
        #: seconds the server waits before answering (latency, jitter, slow faults)
        self.delay = delay
        self.endpoint = endpoint
        self.content_type = content_type
        #: seconds between two bytes of the body (fault ``trickle``); 0 = sent at once
        self.trickle = trickle
        #: applied, then answered after ``slow_seconds`` (``fault_slow_after``; counted as "late <status>")
        self.late = False

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.endpoint}>"

    @property
    def body(self) -> Any:
        if self._body is None and self.payload is not None:
            self._body = json.loads(self.payload)
        return self._body

    @body.setter
    def body(self, value: Any) -> None:
        self._body, self.payload = value, None

    @property
    def has_body(self) -> bool:
        return self._body is not None or self.payload is not None

    def encoded(self) -> bytes:
        """The body as sent: compact JSON, encoded once."""
        if self.payload is None:
            self.payload = b"" if self._body is None else json.dumps(self._body, separators=(",", ":")).encode()
        return self.payload

    @property
    def outcome(self) -> str:
        """How ``counters()`` records this response: its status, "dropped", or, for a request applied before
        its answer was lost, "dropped after <status>" / "late <status>"."""
        if self.drop:
            return f"dropped after {self.status}" if self.status else "dropped"
        return f"late {self.status}" if self.late else str(self.status)


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(body.get("message", ""))
        self.status = status
        self.body = body
        self.headers = headers or {}


def _now_iso() -> str:
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def error_body(
    message: str, category: str, context: dict[str, list[str]] | None = None, sub_category: str | None = None
) -> dict[str, Any]:
    """HubSpot's top-level error body (reference §11.1)."""
    body: dict[str, Any] = {"status": "error", "message": message, "correlationId": str(uuid.uuid4())}
    if sub_category:
        body["subCategory"] = sub_category
    if context:
        body["context"] = context
    body["category"] = category
    return body


def rate_limit_body(policy: str) -> dict[str, Any]:
    """HubSpot's 429 body (reference §12.3); the ten-secondly message text is unconfirmed at HubSpot."""
    message = (
        "You have reached your daily limit."
        if policy == "DAILY"
        else "You have reached your ten_secondly_rolling limit."
    )
    return {
        "status": "error",
        "message": message,
        "errorType": "RATE_LIMIT",
        "correlationId": str(uuid.uuid4()),
        "policyName": policy,
        "requestId": str(uuid.uuid4()),
    }


def validation_error(message: str, context: dict[str, list[str]] | None = None) -> ApiError:
    return ApiError(400, error_body(message, "VALIDATION_ERROR", context))


def _state_error(exc: StateError) -> ApiError:
    status = {"not_found": 404, "conflict": 409}.get(exc.kind, 400)
    category = {"not_found": "OBJECT_NOT_FOUND", "conflict": "CONFLICT"}.get(exc.kind, "VALIDATION_ERROR")
    return ApiError(status, error_body(exc.message, category, exc.context, exc.sub_category))


def _item_error(exc: StateError) -> dict[str, Any]:
    """One ``errors[]`` entry of a 207 batch response (``StandardError``: the SDK requires every field)."""
    item: dict[str, Any] = {
        "status": "error",
        "category": "OBJECT_NOT_FOUND" if exc.kind == "not_found" else "VALIDATION_ERROR",
    }
    if exc.sub_category:
        item["subCategory"] = exc.sub_category
    item["message"] = exc.message
    item["context"] = exc.context
    item["errors"] = []
    item["links"] = {}
    return item


def _compact(value: Any) -> str:
    """JSON text exactly as the server encodes bodies (compact separators, ASCII)."""
    return json.dumps(value, separators=(",", ":"))


def _encoded_envelope(results: list[str], started: str, errors: list[dict[str, Any]]) -> bytes:
    """``EmulatorApp._envelope`` for results already encoded as JSON text: the same bytes, built by joining."""
    parts = ['{"status":"COMPLETE","results":[', ",".join(results), "]"]
    if errors:
        parts.append(f',"numErrors":{len(errors)},"errors":{_compact(errors)}')
    parts.append(
        f',"startedAt":{_compact(started)},"completedAt":{_compact(_now_iso())},"requestedAt":null,"links":{{}}}}'
    )
    return "".join(parts).encode()


def _spec_key(raw: Any) -> tuple[Any, ...] | None:
    """A hashable key of a well-typed ``types`` list (to validate each distinct list once); None otherwise."""
    if type(raw) is not list:
        return None
    key = []
    for item in raw:
        if type(item) is not dict:
            return None
        category, type_id = item.get("associationCategory"), item.get("associationTypeId")
        if type(category) is not str or type(type_id) is not int:  # bool/float ids must meet _specs' checks
            return None
        key.append((category, type_id))
    return tuple(key)


def _id_of(ref: Any) -> int | None:
    """The id of a ``{"id": ...}`` reference as :meth:`EmulatorApp._object_id` reads it (digit strings first)."""
    if not isinstance(ref, dict):
        return None
    raw = ref.get("id")
    if type(raw) is str and raw.isascii() and raw.isdigit():
        value = int(raw)
        return value if value > 0 else None
    return EmulatorApp._object_id(raw)


#: the OAuth token API's path prefix: 2026-03 (HubSpot's current), v3 (same schemas) and the legacy v1
_OAUTH = r"^/oauth/(?P<oauth_version>v1|v3|2026-03)/"
#: what every emulated OAuth install is granted (answered as ``scopes``; not enforced)
OAUTH_SCOPES = (
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.objects.companies.read",
    "crm.objects.companies.write",
    "crm.objects.deals.read",
    "crm.objects.deals.write",
)
OAUTH_HUB_ID = 1
OAUTH_USER_ID = 1


def _oauth_error_body(
    error: str, description: str, *, status: str | None = None, category: str | None = None
) -> dict[str, Any]:
    """HubSpot's OAuth error: RFC 6749 ``error``/``error_description`` with the legacy ``status``/``message``
    (reference §20.5), or, with ``category``, RFC fields beside the generic ``Error`` fields."""
    body: dict[str, Any] = {}
    if status is not None:
        body["status"] = status
    body["message"] = description
    body["correlationId"] = str(uuid.uuid4())
    if category is not None:
        body["category"] = category
    body["error"] = error
    body["error_description"] = description
    return body


def _oauth_app_id(client_id: str) -> int:
    """A stable app id per client id (HubSpot's introspection answers one)."""
    return zlib.crc32(client_id.encode()) % 10_000_000


@dataclass
class _Route:
    name: str
    method: str
    pattern: re.Pattern[str]
    handler: Callable[..., Response]


class RateLimiter:
    """Rolling 10-second window per token/app and a daily budget per account (reference §12.2-12.3)."""

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
            last_second = self._last_second(window, now)
            headers["X-HubSpot-RateLimit-Secondly-Remaining"] = str(max(0, maximum // 10 - last_second))
        if daily is not None and not oauth:  # not sent for OAuth-authorised calls (reference §12.3)
            headers["X-HubSpot-RateLimit-Daily"] = str(daily)
            headers["X-HubSpot-RateLimit-Daily-Remaining"] = str(max(0, daily - self.daily_used))
        return headers

    @staticmethod
    def _last_second(window: deque[float], now: float) -> int:
        return sum(1 for t in reversed(window) if t > now - 1.0)


class EmulatorApp:
    """The emulated HubSpot: one account, its tokens, knobs, counters, and every endpoint."""

    def __init__(self, token: str = "test-token", seed: int | None = None, **knobs: Any) -> None:
        self.config = EmulatorConfig(**knobs)
        self.state = AccountState(auto_records=self.config.auto_records, auto_record_max=self.config.auto_record_max)
        self.token = token
        self.tokens: set[str] = {token}
        #: scopes of the static tokens registered with a scope list (service keys, private apps); a token
        #: missing here has every scope
        self.token_scopes: dict[str, frozenset[str]] = {}
        self.seed = seed
        self.rng = random.Random(seed)
        self.rng_lock = threading.Lock()
        self.meta_lock = threading.Lock()
        self.limiter = RateLimiter()
        #: client_id -> (client_secret, {refresh tokens})
        self.oauth_clients: dict[str, tuple[str, set[str]]] = {}
        #: access token -> (client_id, expiry epoch seconds)
        self.access_tokens: dict[str, tuple[str, float]] = {}
        self.counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.routes = self._build_routes()
        #: callables ``(request, response)`` run after every API response (tests validate shapes with it)
        self.observers: list[Callable[[Request, Response], None]] = []

    # ------------------------------------------------------------------ admin operations (also Python API)
    def configure(self, **knobs: Any) -> None:
        """Set knobs; ``seed=`` restarts the fault/jitter draws from that seed (state is kept)."""
        reseed = "seed" in knobs
        seed = knobs.pop("seed", None)
        with self.state.lock:
            self.config.update(**knobs)
            self.state.auto_records = self.config.auto_records
            self.state.auto_record_max = self.config.auto_record_max
        if reseed:
            with self.rng_lock:
                self.seed = seed
                self.rng = random.Random(seed)

    def reset(self, seed: int | None = None) -> None:
        """Fresh account: no records, labels, associations, limits, counters, OAuth installs, issued or extra
        tokens (the main token stays); knobs kept."""
        with self.state.lock, self.meta_lock:
            self.state.reset()
            self.limiter.reset()
            self.counts.clear()
            self.access_tokens.clear()
            self.oauth_clients.clear()
            self.tokens = {self.token}
            self.token_scopes.clear()
            if seed is not None:
                self.seed = seed
            with self.rng_lock:
                self.rng = random.Random(self.seed)

    def refill_daily_budget(self) -> None:
        """HubSpot's midnight reset, on demand: the account's daily budget is full again (tests of long runs)."""
        with self.meta_lock:
            self.limiter.daily_used = 0

    def counters(self) -> dict[str, dict[str, int]]:
        with self.meta_lock:
            return {name: dict(sorted(by_status.items())) for name, by_status in sorted(self.counts.items())}

    def dump(self) -> dict[str, Any]:
        with self.state.lock:
            state = self.state.dump()
        state["config"] = self.config.as_dict()
        state["oauthClients"] = sorted(self.oauth_clients)
        state["counters"] = self.counters()
        state["seed"] = self.seed
        return state

    def add_oauth_client(self, client_id: str, client_secret: str, refresh_token: str) -> None:
        """Register (or update the secret of) an OAuth app install and accept one more refresh token for it."""
        with self.meta_lock:
            _, refresh_tokens = self.oauth_clients.get(client_id, (client_secret, set()))
            refresh_tokens.add(refresh_token)
            self.oauth_clients[client_id] = (client_secret, refresh_tokens)

    def add_token(self, token: str, scopes: Any = None) -> None:
        """Accept another static token (a service key or private app token; each has its own 10-second window).

        :param scopes: the scopes it was granted; a call needing one it lacks gets 403 ``MISSING_SCOPES`` (see
            ``_scopes``). ``None``: every scope (registering a token again with ``None`` lifts its list).
        """
        if not isinstance(token, str) or not token:
            raise ValueError("a token must be a non-empty string")
        if isinstance(scopes, str) or not (scopes is None or all(isinstance(x, str) for x in scopes)):
            raise ValueError("scopes must be a list of scope names or None")
        with self.meta_lock:
            self.tokens.add(token)
            if scopes is None:
                self.token_scopes.pop(token, None)
            else:
                self.token_scopes[token] = frozenset(scopes)

    def load_fixture(self, data: dict[str, Any]) -> None:
        """Seed from a JSON document: ``records``, ``labels``, ``associations``, ``oauthClients``, ``tokens``
        (strings, or ``{"token", "scopes"?}`` objects for keys with a scope list)."""
        with self.state.lock:
            for object_type, ids in (data.get("records") or {}).items():
                self.state.create_records(self._object_type(object_type), [int(i) for i in ids])
            for label in data.get("labels") or []:
                self.state.create_label(
                    self._object_type(label["fromObjectType"]),
                    self._object_type(label["toObjectType"]),
                    label["name"],
                    label["label"],
                    label.get("inverseLabel"),
                )
            for item in data.get("associations") or []:
                specs = [
                    (t.get("associationCategory", HUBSPOT_DEFINED), int(t["associationTypeId"]))
                    for t in item.get("types") or []
                ]
                self.state.apply_types(
                    self._object_type(item["fromObjectType"]),
                    int(item["fromObjectId"]),
                    self._object_type(item["toObjectType"]),
                    int(item["toObjectId"]),
                    specs,
                    replace=False,
                )
        for client in data.get("oauthClients") or []:
            self.add_oauth_client(client["clientId"], client["clientSecret"], client["refreshToken"])
        for token in data.get("tokens") or []:
            if isinstance(token, dict):
                self.add_token(str(token["token"]), token.get("scopes"))
            else:
                self.add_token(str(token))

    # ------------------------------------------------------------------ entry point
    def handle(self, request: Request) -> Response:
        if request.path.startswith("/_emulator/") or request.path == "/_emulator":
            try:
                response = self._admin(request)
            except ApiError as exc:
                response = Response(exc.status, exc.body, endpoint="admin")
            except StateError as exc:
                error = _state_error(exc)
                response = Response(error.status, error.body, endpoint="admin")
            except (ValueError, KeyError, TypeError) as exc:
                response = Response(
                    400, error_body(f"Invalid admin request: {exc}", "VALIDATION_ERROR"), endpoint="admin"
                )
            return response
        route, params = self._match(request)
        name = route.name if route else "unknown"
        with self.rng_lock:
            draw, jitter_draw = self.rng.random(), self.rng.random()
        config = self.config
        response = self._handle_api(request, route, params, draw, config)
        response.endpoint = name
        response.delay += config.latency + config.jitter * jitter_draw
        decoded = response._body  # an encoded fast-path body is never an error body: no need to decode it
        correlation = decoded.get("correlationId") if isinstance(decoded, dict) else None
        response.headers.setdefault("X-HubSpot-Correlation-Id", correlation or str(uuid.uuid4()))
        self._count(name, response.outcome)
        for observer in list(self.observers):
            observer(request, response)
        return response

    def _count(self, name: str, status: str) -> None:
        with self.meta_lock:
            self.counts[name][status] += 1

    def _fault_applies(self, name: str, path: str, config: EmulatorConfig) -> bool:
        if not config.fault_endpoints:
            return True
        return any(p == name or re.search(p, path) for p in config.fault_endpoints)

    def _handle_api(
        self, request: Request, route: _Route | None, params: dict[str, str], draw: float, config: EmulatorConfig
    ) -> Response:
        headers: dict[str, str] = {}
        try:
            if route is None:
                raise ApiError(  # noqa: TRY301 - every refusal is an ApiError, answered by the except below
                    404, error_body(f"Unable to find a route for {request.method} {request.path}", "OBJECT_NOT_FOUND")
                )
            is_token_endpoint = route.name.startswith("oauth.")
            auth_key, oauth = ("", False) if is_token_endpoint else self._authenticate(request)
            fault = self._draw_fault(draw, config) if self._fault_applies(route.name, request.path, config) else None
            if fault in ("drop_after", "slow_after") and route.name not in WRITE_ENDPOINTS:
                fault = None  # "applied, then the answer lost" is about writes: reads are answered
            extra_delay = 0.0
            if fault is not None and not is_token_endpoint:
                # HubSpot sends the window headers with every answer to an app's call, errors included; an
                # injected fault is answered without being counted
                with self.meta_lock:
                    headers = self.limiter.peek(auth_key, oauth, config)
            if fault == "drop":
                return Response(0, drop=True)
            if fault in ("500", "502", "503"):
                messages = {"500": "internal error", "502": "Bad Gateway", "503": "Service Unavailable"}
                return Response(
                    int(fault),
                    error_body(messages[fault], "INTERNAL_ERROR" if fault == "500" else "SERVICE_UNAVAILABLE"),
                    dict(headers),
                )
            if fault == "429":
                return Response(429, rate_limit_body("TEN_SECONDLY_ROLLING"), {**headers, **self._retry_after(config)})
            if fault in ("slow", "slow_after"):
                extra_delay = config.slow_seconds
            if fault == "redirect":
                return Response(
                    config.redirect_status, None, {**headers, "Location": _redirect_location(request, config)}
                )
            trickle = config.trickle_interval if fault == "trickle" else 0.0
            if is_token_endpoint:  # not authenticated by a bearer token, not rate limited
                response = route.handler(request, **params)
                response.delay += extra_delay
                response.trickle = trickle
                return response
            with self.meta_lock:
                headers, refused = self.limiter.check(auth_key, oauth, config)
            if refused is not None:
                headers.update(self._retry_after(config))
                return Response(429, refused, headers, delay=extra_delay)
            missing = self._missing_scopes(auth_key, route.name, params)
            if missing:
                return Response(403, missing_scopes_body(missing), headers, delay=extra_delay)
            body = self._json(request)
            refusals: list[dict[str, Any]] = []
            if (
                config.association_permission_rule is not None
                and route.name in PERMISSION_ENDPOINTS
                and enforces_write_rules(params.get("version"))
                and (oauth or config.association_permission_tokens == "all")
            ):
                body, refusals = self._permission_rule(route.name, body, params, config)
            with self.state.lock:
                response = route.handler(request, body, **params)
            if refusals:
                self._add_refusals(response, refusals, route.name, params.get("version"))
            response.headers.update(headers)
            response.delay += extra_delay
            response.trickle = trickle
            response.drop = fault == "drop_after"  # applied; now the answer is lost
            response.late = fault == "slow_after"
        except ApiError as exc:
            return Response(exc.status, exc.body, {**headers, **exc.headers})
        except StateError as exc:
            error = _state_error(exc)
            return Response(error.status, error.body, dict(headers))
        return response

    # ------------------------------------------------------------------ the 2026-09 permission rule
    def _permission_rule(
        self, name: str, body: Any, params: dict[str, str], config: EmulatorConfig
    ) -> tuple[Any, list[dict[str, Any]]]:
        """Apply ``association_permission_rule`` to one association write (HubSpot's answer is unknown,
        reference §20.10 item 5; these shapes are the emulator's choice, named in HubSpot's vocabulary).

        Returns the body to hand to the endpoint (the refused inputs taken out) and one ``errors[]`` item per
        refused input, or raises the refusal of the whole request: 403 (``refuse_request``), 400
        (``refuse_batch``, and ``refuse_inputs`` on a record-level write, which has only one input).
        """
        ftype, ttype = self._object_type(params["from_type"]), self._object_type(params["to_type"])
        only = set(config.association_permission_from_ids)
        refused: list[tuple[int, list[int]]] = []  # (from id, to ids) of each refused input
        kept: list[Any] = []
        record = name.startswith("records.")
        if record:
            from_id, to_id = self._object_id(params.get("from_id")), self._object_id(params.get("to_id"))
            if from_id is not None and to_id is not None and (not only or from_id in only):
                refused.append((from_id, [to_id]))
        elif isinstance(body, dict) and isinstance(body.get("inputs"), list):
            for item in body["inputs"]:
                from_id = _id_of(item.get("from")) if isinstance(item, dict) else None
                if from_id is None or (only and from_id not in only):
                    kept.append(item)
                    continue
                targets = item.get("to")
                to_ids = [_id_of(ref) for ref in targets] if isinstance(targets, list) else [_id_of(targets)]
                refused.append((from_id, [i for i in to_ids if i is not None]))
        if not refused:
            return body, []
        rule = config.association_permission_rule
        if rule == "refuse_request":
            raise ApiError(
                403,
                error_body(
                    f"This request needs the '{EDIT_ASSOCIATIONS}' permission, which the user of this token does "
                    "not have. A super admin can grant it under Settings > Users & Teams.",
                    "USER_DOES_NOT_HAVE_PERMISSIONS",
                    {"requiredPermissions": [EDIT_ASSOCIATIONS]},
                ),
            )
        if rule == "refuse_batch" or record:
            context = {"fromObjectId": sorted({str(f) for f, _ in refused})}
            if record:
                context["toObjectId"] = [str(refused[0][1][0])]
            raise ApiError(
                400,
                error_body(
                    f"One or more associations cannot be changed: the user does not have the '{EDIT_ASSOCIATIONS}' "
                    "permission",
                    "VALIDATION_ERROR",
                    {**context, "requiredPermissions": [EDIT_ASSOCIATIONS]},
                    PERMISSION_SUB_CATEGORY,
                ),
            )
        errors = [self._permission_item(ftype, from_id, ttype, to_ids) for from_id, to_ids in refused]
        return {**body, "inputs": kept}, errors

    @staticmethod
    def _permission_item(ftype: str, from_id: int, ttype: str, to_ids: list[int]) -> dict[str, Any]:
        """One refused input as a batch ``errors[]`` entry, naming its ids in ``context`` as HubSpot's do."""
        targets = ", ".join(str(i) for i in to_ids)
        return {
            "status": "error",
            "category": "VALIDATION_ERROR",
            "subCategory": PERMISSION_SUB_CATEGORY,
            "message": (
                f"The user does not have the '{EDIT_ASSOCIATIONS}' permission: associations of "
                f"{object_name(ftype).upper()} {from_id} with {object_name(ttype).upper()} {targets} cannot be changed."
            ),
            "context": {
                "fromObjectId": [str(from_id)],
                "toObjectId": [str(i) for i in to_ids],
                "requiredPermissions": [EDIT_ASSOCIATIONS],
            },
            "errors": [],
            "links": {},
        }

    def _add_refusals(self, response: Response, refusals: list[dict[str, Any]], name: str, version: str | None) -> None:
        """Merge the refused inputs' errors into the endpoint's batch answer (207 where the version lists it)."""
        if not 200 <= response.status < 300:
            return  # the request failed as a whole (a 400 for the rest): that answer stands
        body = response.body if isinstance(response.body, dict) else self._envelope([], _now_iso())
        errors = [*(body.get("errors") or []), *refusals]
        merged = {k: v for k, v in body.items() if k not in ("errors", "numErrors")}
        response.body = self._envelope(merged.pop("results", []), merged.pop("startedAt", _now_iso()), errors)
        if name in ("batch.create", "batch.associate_default"):
            response.status = self._codes(version).partial
        else:  # batch/archive and labels/archive list only 200 at dated versions (reference §20.3)
            response.status = 200

    @staticmethod
    def _retry_after(config: EmulatorConfig) -> dict[str, str]:
        if config.retry_after is None:
            return {}
        value = config.retry_after
        return {"Retry-After": str(int(value)) if float(value).is_integer() else str(value)}

    @staticmethod
    def _draw_fault(draw: float, config: EmulatorConfig) -> str | None:
        edge = 0.0
        for kind, share in config.fault_shares():
            edge += share
            if share and draw < edge:
                return kind
        return None

    def _authenticate(self, request: Request) -> tuple[str, bool]:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else ""
        if token and token in self.tokens:
            return f"token:{token}", False
        with self.meta_lock:
            issued = self.access_tokens.get(token) if token else None
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

    def _missing_scopes(self, auth_key: str, endpoint: str, params: dict[str, str]) -> list[str]:
        """The scopes this call needs that its static token was not granted (empty: allowed)."""
        granted = self.token_scopes.get(auth_key[6:]) if auth_key.startswith("token:") else None
        if granted is None:
            return []
        try:
            type_ids = tuple(
                object_type_id(params[name], self.config.custom_objects)
                for name in ("from_type", "to_type")
                if params.get(name)
            )
        except UnknownObjectType:
            return []  # the handler answers 400 for the path
        return [scope for scope in required_scopes(endpoint, type_ids) if scope not in granted]

    @staticmethod
    def _json(request: Request) -> Any:
        if not request.body.strip():
            return None
        try:
            return json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            line = getattr(exc, "lineno", 1)
            column = getattr(exc, "colno", 1)
            raise validation_error(f"Invalid input JSON on line {line}, column {column}: {exc}") from None

    # ------------------------------------------------------------------ routing
    def _build_routes(self) -> list[_Route]:
        obj = r"(?P<from_type>[^/]+)/(?P<to_type>[^/]+)"
        assoc = r"^/crm/(?:v4/associations|associations/(?P<version>v4|\d{4}-\d{2}(?:-beta)?))/"
        objects = (
            r"^/crm/(?:v4/objects|objects/(?P<version>\d{4}-\d{2}(?:-beta)?))/"
            r"(?P<from_type>[^/]+)/(?P<from_id>[^/]+)/associations/"
        )
        v3 = r"^/crm/v3/associations/" + obj
        table: list[tuple[str, str, str, Callable[..., Response]]] = [
            ("oauth.token", "POST", _OAUTH + r"token/?$", self._oauth_token),
            ("oauth.introspect", "POST", _OAUTH + r"token/introspect/?$", self._oauth_introspect),
            ("oauth.revoke", "POST", _OAUTH + r"token/revoke/?$", self._oauth_revoke),
            (
                "oauth.revoke",
                "DELETE",
                r"^/oauth/(?P<oauth_version>v1)/refresh-tokens/(?P<refresh_token>[^/]+)/?$",
                self._oauth_v1_revoke,
            ),
            ("v3.types", "GET", v3 + r"/types/?$", self._v3_types),
            ("v3.batch.create", "POST", v3 + r"/batch/create/?$", self._v3_create),
            ("v3.batch.read", "POST", v3 + r"/batch/read/?$", self._v3_read),
            ("v3.batch.archive", "POST", v3 + r"/batch/archive/?$", self._v3_archive),
            ("limits.all", "GET", assoc + r"definitions/configurations/all/?$", self._limits_all),
            (
                "limits.create",
                "POST",
                assoc + r"definitions/configurations/" + obj + r"/batch/create/?$",
                self._limits_create,
            ),
            (
                "limits.update",
                "POST",
                assoc + r"definitions/configurations/" + obj + r"/batch/update/?$",
                self._limits_update,
            ),
            (
                "limits.purge",
                "POST",
                assoc + r"definitions/configurations/" + obj + r"/batch/purge/?$",
                self._limits_purge,
            ),
            ("limits.list", "GET", assoc + r"definitions/configurations/" + obj + r"/?$", self._limits_list),
            ("usage.report", "POST", assoc + r"usage/high-usage-report/(?P<user_id>[^/]+)/?$", self._usage_report),
            ("labels.list", "GET", assoc + obj + r"/labels/?$", self._labels_list),
            ("labels.create", "POST", assoc + obj + r"/labels/?$", self._labels_create),
            ("labels.update", "PUT", assoc + obj + r"/labels/?$", self._labels_update),
            ("labels.delete", "DELETE", assoc + obj + r"/labels/(?P<type_id>[^/]+)/?$", self._labels_delete),
            ("batch.create", "POST", assoc + obj + r"/batch/create/?$", self._batch_create),
            ("batch.read", "POST", assoc + obj + r"/batch/read/?$", self._batch_read),
            ("batch.archive", "POST", assoc + obj + r"/batch/archive/?$", self._batch_archive),
            ("batch.labels_archive", "POST", assoc + obj + r"/batch/labels/archive/?$", self._batch_labels_archive),
            ("batch.associate_default", "POST", assoc + obj + r"/batch/associate/default/?$", self._batch_default),
            (
                "records.default",
                "PUT",
                objects + r"default/(?P<to_type>[^/]+)/(?P<to_id>[^/]+)/?$",
                self._record_default,
            ),
            ("records.put", "PUT", objects + r"(?P<to_type>[^/]+)/(?P<to_id>[^/]+)/?$", self._record_put),
            ("records.delete", "DELETE", objects + r"(?P<to_type>[^/]+)/(?P<to_id>[^/]+)/?$", self._record_delete),
            ("records.list", "GET", objects + r"(?P<to_type>[^/]+)/?$", self._record_list),
        ]
        return [_Route(name, method, re.compile(pattern), handler) for name, method, pattern, handler in table]

    def _match(self, request: Request) -> tuple[_Route | None, dict[str, str]]:
        path_matched = False
        for route in self.routes:
            found = route.pattern.match(request.path)
            if not found:
                continue
            params = {k: v for k, v in found.groupdict().items() if v is not None or k == "version"}
            if version_codes(params.get("version")) is None:
                continue
            if params.get("oauth_version") == "v1" and not self.config.oauth_v1_enabled:
                continue  # the legacy OAuth API is switched off: 404 like any path HubSpot does not serve
            path_matched = True
            if route.method != request.method:
                continue
            return route, params
        if path_matched:
            return _Route("unknown", request.method, re.compile(""), self._method_not_allowed), {}
        return None, {}

    def _method_not_allowed(self, request: Request, body: Any) -> Response:
        raise ApiError(
            405, error_body(f"Method {request.method} is not allowed for {request.path}", "VALIDATION_ERROR")
        )

    # ------------------------------------------------------------------ helpers
    def _object_type(self, value: str) -> str:
        try:
            return object_type_id(value, self.config.custom_objects)
        except UnknownObjectType:
            raise ApiError(
                400,
                {
                    "status": "error",
                    "message": f"Unable to infer object type from: {value}",
                    "correlationId": str(uuid.uuid4()),
                    "category": "VALIDATION_ERROR",
                },
            ) from None

    @staticmethod
    def _codes(version: str | None) -> VersionCodes:
        return version_codes(version) or VERSIONS["v4"]  # routing let only served versions through

    def _batch_inputs(self, body: Any, from_type: str, to_type: str, maximum: int) -> tuple[str, str, str, list[Any]]:
        """The prologue every batch endpoint shares: ``(startedAt, from type id, to type id, inputs)``."""
        started = _now_iso()
        return started, self._object_type(from_type), self._object_type(to_type), self._inputs(body, maximum)

    @staticmethod
    def _inputs(body: Any, maximum: int) -> list[Any]:
        if body is None:
            raise validation_error("Invalid JSON input: a request body was expected, but none found")
        if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
            raise validation_error("Invalid input JSON on line 1, column 1: expected an object with an 'inputs' array")
        inputs: list[Any] = body["inputs"]
        if len(inputs) > maximum:
            raise validation_error(
                f"Too many inputs: {len(inputs)}. The maximum number of inputs per request is {maximum}.",
                {"inputs": [str(len(inputs))], "maxInputs": [str(maximum)]},
            )
        return inputs

    @staticmethod
    def _object_id(value: Any) -> int | None:
        """A record id as HubSpot takes it (digit string or number); None when it cannot be one."""
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value if value > 0 else None
        if isinstance(value, str) and value.isdigit() and int(value) > 0:
            return int(value)
        return None

    def _ref_id(self, ref: Any) -> int | None:
        return self._object_id(ref.get("id")) if isinstance(ref, dict) else None

    def _require_ids(
        self, item: dict[str, Any], ftype: str, from_id: int | None, ttype: str, to_id: int | None
    ) -> tuple[int, int]:
        """Reject an input whose ``from``/``to`` id cannot be a record id, as HubSpot reports invalid ids."""
        if from_id is None:
            raise self._invalid_object(ftype, (item.get("from") or {}).get("id"))
        if to_id is None:
            raise self._invalid_object(ttype, (item.get("to") or {}).get("id"))
        return from_id, to_id

    @staticmethod
    def _invalid_object(object_type: str, value: Any) -> StateError:
        text = f"{object_name(object_type).upper()}={value} is not valid"
        return StateError(
            "invalid_object",
            "One or more associations are invalid",
            {"INVALID_OBJECT_IDS": [text], "objectId": [str(value)], "objectType": [object_name(object_type).upper()]},
            sub_category="crm.associations.INVALID_OBJECT_IDS",
        )

    def _specs(self, raw: Any, *, field_name: str = "types") -> list[tuple[str, int]]:
        if not isinstance(raw, list):
            raise validation_error(f"Invalid input JSON: '{field_name}' must be an array of association specs")
        specs = []
        for item in raw:
            if not isinstance(item, dict):
                raise validation_error(f"Invalid input JSON: '{field_name}' items must be objects")
            category, type_id = item.get("associationCategory"), item.get("associationTypeId")
            if category not in CATEGORIES:
                raise validation_error(
                    f"Invalid associationCategory: {category}", {"associationCategory": [str(category)]}
                )
            if isinstance(type_id, bool) or not isinstance(type_id, int):
                raise validation_error(f"Invalid associationTypeId: {type_id}", {"associationTypeId": [str(type_id)]})
            specs.append((category, type_id))
        return specs

    @staticmethod
    def _envelope(results: list[Any], started: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"status": "COMPLETE", "results": results}
        if errors:
            body["numErrors"] = len(errors)
            body["errors"] = errors
        body.update({"startedAt": started, "completedAt": _now_iso(), "requestedAt": None, "links": {}})
        return body

    def _batch_status(self, version: str | None, ok: int, errors: list[Any]) -> int:
        return self._codes(version).partial if errors else ok

    def _encode_cursor(self, to_type: str, last_id: int) -> str:
        return base64.urlsafe_b64encode(f"{to_type}-{last_id}".encode()).decode()

    def _decode_cursor(self, cursor: Any) -> int:
        try:
            text = base64.urlsafe_b64decode(str(cursor).encode()).decode()
            return int(text.rsplit("-", 1)[1])
        except (ValueError, IndexError, binascii.Error, UnicodeDecodeError):
            raise validation_error(f"Invalid paging cursor: {cursor}", {"after": [str(cursor)]}) from None

    def _types_of(self, from_type: str, to_type: str, specs: set[tuple[str, int]]) -> list[dict[str, Any]]:
        pair = self.state.defs.get((from_type, to_type), {})
        ordered = sorted(specs, key=lambda s: (s[0] != HUBSPOT_DEFINED, s[1]))
        return [pair[s].as_label() for s in ordered if s in pair]

    def _page(
        self, from_type: str, from_id: int, to_type: str, after: Any, size: int
    ) -> tuple[list[tuple[int, set[tuple[str, int]]]], str | None]:
        targets = self.state.targets(from_type, from_id, to_type)
        ids = sorted(targets)
        if after not in (None, ""):
            last = self._decode_cursor(after)
            ids = [i for i in ids if i > last]
        page = ids[:size]
        cursor = self._encode_cursor(to_type, page[-1]) if len(ids) > size else None
        return [(i, targets[i]) for i in page], cursor

    def _link(self, request: Request, from_type: str, from_id: int, to_type: str, cursor: str, version: str) -> str:
        return (
            f"{request.base_url}/crm/{version}/objects/{from_type}/{from_id}/associations/{to_type}"
            f"?after={quote(cursor)}"
        )

    # ------------------------------------------------------------------ v4 / dated batch endpoints
    def _batch_create(
        self, request: Request, body: Any, from_type: str, to_type: str, version: str | None = None
    ) -> Response:
        started, ftype, ttype, inputs = self._batch_inputs(body, from_type, to_type, MAX_CREATE)
        # one validation and one writer per distinct ``types`` list: batches repeat one or two of them
        writers: dict[tuple[Spec, ...], Callable[[int, int], frozenset[Spec]]] = {}
        known: dict[tuple[Any, ...], tuple[Spec, ...]] = {}
        replace = self.config.label_write_semantics == "replace"
        parsed = []
        for item in inputs:
            if type(item) is not dict and not isinstance(item, dict):  # the exact type first: the usual case, fast
                raise validation_error("Invalid input JSON: inputs must be objects")
            raw = item.get("types", [])
            if type(raw) is list and len(raw) == 1 and type(raw[0]) is dict:  # the usual one-spec list, inline
                key: tuple[Any, ...] | None = (raw[0].get("associationCategory"), raw[0].get("associationTypeId"))
                if type(key[0]) is not str or type(key[1]) is not int:  # type: ignore[index]
                    key = None
            else:
                key = _spec_key(raw)
            specs = known.get(key) if key is not None else None
            if specs is None:
                specs = tuple(self._specs(raw))
                try:  # an invalid type id rejects the whole request, as HubSpot does (§11.2)
                    for spec in specs:
                        self.state.definition(ftype, ttype, spec)
                except StateError as exc:
                    raise _state_error(exc) from None
                if key is not None:
                    known[key] = specs
            parsed.append((item, specs))
        results: list[str] = []
        errors: list[dict[str, Any]] = []
        encoded_labels: dict[frozenset[Spec], str] = {}
        head = f'{{"fromObjectTypeId":{_compact(ftype)},"fromObjectId":'
        middle = f',"toObjectTypeId":{_compact(ttype)},"toObjectId":'
        for item, specs in parsed:
            from_id, to_id = _id_of(item.get("from")), _id_of(item.get("to"))
            try:
                if from_id is None or to_id is None:
                    self._require_ids(item, ftype, from_id, ttype, to_id)
                if not specs:  # accepted, creates nothing (reference §5, MJ#2743)
                    continue
                write = writers.get(specs)
                if write is None:
                    write = writers[specs] = self.state.pair_writer(ftype, ttype, list(specs), replace=replace)
                now = write(from_id, to_id)  # type: ignore[arg-type]
            except StateError as exc:
                errors.append(_item_error(exc))
                continue
            labels = encoded_labels.get(now)
            if labels is None:
                labels = encoded_labels[now] = _compact(self.state.labels_of(ftype, ttype, now))
            results.append(f'{head}{from_id}{middle}{to_id},"labels":{labels}}}')
        status = self._batch_status(version, self._codes(version).create, errors)
        return Response(status, payload=_encoded_envelope(results, started, errors))

    def _batch_read(
        self, request: Request, body: Any, from_type: str, to_type: str, version: str | None = None
    ) -> Response:
        started, ftype, ttype, inputs = self._batch_inputs(body, from_type, to_type, MAX_READ)
        size = self.config.batch_read_page_size
        results, errors = [], []
        for item in inputs:
            raw_id = item.get("id") if isinstance(item, dict) else None
            from_id = self._object_id(raw_id)
            if from_id is not None and not self.state.record_exists(ftype, from_id):
                # HubSpot documents no read error for a missing record; the emulator answers as for a write
                # naming one (INVALID_OBJECT_IDS, reference §11.2), so callers can tell it from "no associations"
                errors.append(_item_error(self._invalid_object(ftype, raw_id)))
                continue
            page, cursor = ([], None) if from_id is None else self._page(ftype, from_id, ttype, item.get("after"), size)
            if not page:
                errors.append(self._no_associations(ftype, ttype, raw_id))
                continue
            to = [
                {"toObjectId": to_id, "associationTypes": self._types_of(ftype, ttype, specs)} for to_id, specs in page
            ]
            result: dict[str, Any] = {"from": {"id": str(from_id)}, "to": to}
            if cursor is not None:
                link = self._link(request, ftype, from_id, ttype, cursor, version or "v4")  # type: ignore[arg-type]
                result["paging"] = {"next": {"after": cursor, "link": link}}
            results.append(result)
        return Response(self._batch_status(version, 200, errors), self._envelope(results, started, errors))

    @staticmethod
    def _no_associations(ftype: str, ttype: str, raw_id: Any) -> dict[str, Any]:
        return {
            "status": "error",
            "category": "OBJECT_NOT_FOUND",
            "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
            "message": f"No {object_name(ttype)} is associated with {object_name(ftype)} {raw_id}.",
            "context": {
                "fromObjectId": [str(raw_id)],
                "fromObjectType": [object_name(ftype)],
                "toObjectType": [object_name(ttype)],
            },
            "errors": [],
            "links": {},
        }

    def _archive_response(self, version: str | None, started: str) -> Response:
        if self._codes(version).archive == 200:  # dated versions answer 200 with a body (reference §10)
            return Response(200, self._envelope([], started))
        return Response(204)

    def _batch_archive(
        self, request: Request, body: Any, from_type: str, to_type: str, version: str | None = None
    ) -> Response:
        started, ftype, ttype, inputs = self._batch_inputs(body, from_type, to_type, MAX_OTHER)
        for item in inputs:
            if not isinstance(item, dict) or not isinstance(item.get("to"), list):
                raise validation_error("Invalid input JSON: batch/archive inputs are {from: {id}, to: [{id}, ...]}")
            from_id = self._ref_id(item.get("from"))
            for ref in item["to"]:
                to_id = self._ref_id(ref)
                if from_id is not None and to_id is not None:
                    self.state.remove_pair(ftype, from_id, ttype, to_id)
        return self._archive_response(version, started)

    def _batch_labels_archive(
        self, request: Request, body: Any, from_type: str, to_type: str, version: str | None = None
    ) -> Response:
        started, ftype, ttype, inputs = self._batch_inputs(body, from_type, to_type, MAX_OTHER)
        parsed = []
        for item in inputs:
            if not isinstance(item, dict):
                raise validation_error("Invalid input JSON: inputs must be objects")
            specs = self._specs(item.get("types", []))
            for spec in specs:
                self.state.definition(ftype, ttype, spec)
            parsed.append((self._ref_id(item.get("from")), self._ref_id(item.get("to")), specs))
        for from_id, to_id, specs in parsed:
            if from_id is not None and to_id is not None:
                self.state.remove_types(ftype, from_id, ttype, to_id, specs)
        return self._archive_response(version, started)

    def _default_pair(self, ftype: str, from_id: int, ttype: str, to_id: int) -> list[dict[str, Any]]:
        self.state.apply_types(ftype, from_id, ttype, to_id, [], replace=False)
        forward = self.state.unlabeled_definition(ftype, ttype)
        return [
            {
                "from": {"id": str(from_id)},
                "to": {"id": str(to_id)},
                "associationSpec": {"associationCategory": forward.category, "associationTypeId": forward.type_id},
            },
            {
                "from": {"id": str(to_id)},
                "to": {"id": str(from_id)},
                "associationSpec": {"associationCategory": forward.category, "associationTypeId": forward.inverse_id},
            },
        ]

    def _batch_default(
        self, request: Request, body: Any, from_type: str, to_type: str, version: str | None = None
    ) -> Response:
        started, ftype, ttype, inputs = self._batch_inputs(body, from_type, to_type, MAX_OTHER)
        for item in inputs:
            if not isinstance(item, dict):
                raise validation_error("Invalid input JSON: inputs must be objects")
        write = self.state.pair_writer(ftype, ttype, [], replace=False)
        forward = self.state.unlabeled_definition(ftype, ttype)
        # the two result rows of _default_pair, as text: one JSON encoding per pair instead of four dicts
        spec = '"associationSpec":{{"associationCategory":{},"associationTypeId":{}}}}}'
        forward_spec = spec.format(_compact(forward.category), forward.type_id)
        inverse_spec = spec.format(_compact(forward.category), forward.inverse_id)
        results: list[str] = []
        errors: list[dict[str, Any]] = []
        for item in inputs:
            from_id, to_id = _id_of(item.get("from")), _id_of(item.get("to"))
            try:
                if from_id is None or to_id is None:
                    self._require_ids(item, ftype, from_id, ttype, to_id)
                write(from_id, to_id)  # type: ignore[arg-type]
            except StateError as exc:
                errors.append(_item_error(exc))
                continue
            results.append(
                f'{{"from":{{"id":"{from_id}"}},"to":{{"id":"{to_id}"}},{forward_spec},'
                f'{{"from":{{"id":"{to_id}"}},"to":{{"id":"{from_id}"}},{inverse_spec}'
            )
        return Response(self._batch_status(version, 200, errors), payload=_encoded_envelope(results, started, errors))

    # ------------------------------------------------------------------ v4 / dated record endpoints
    def _record_ids(
        self, from_type: str, from_id: str, to_type: str, to_id: str | None = None
    ) -> tuple[str, int, str, int]:
        ftype, ttype = self._object_type(from_type), self._object_type(to_type)
        fid = self._object_id(from_id)
        if fid is None:
            raise _state_error(self._invalid_object(ftype, from_id))
        tid = 0
        if to_id is not None:
            parsed = self._object_id(to_id)
            if parsed is None:
                raise _state_error(self._invalid_object(ttype, to_id))
            tid = parsed
        return ftype, fid, ttype, tid

    def _record_put(
        self,
        request: Request,
        body: Any,
        from_type: str,
        from_id: str,
        to_type: str,
        to_id: str,
        version: str | None = None,
    ) -> Response:
        ftype, fid, ttype, tid = self._record_ids(from_type, from_id, to_type, to_id)
        if body is None:
            raise validation_error("Invalid JSON input: a request body was expected, but none found")
        if not isinstance(body, list):
            raise validation_error(
                "Invalid input JSON on line 1, column 1: Cannot deserialize value of type "
                "java.util.HashSet<AssociationSpec> from Object value"
            )
        specs = self._specs(body, field_name="body")
        if specs:
            self.state.apply_types(
                ftype, fid, ttype, tid, specs, replace=self.config.label_write_semantics == "replace"
            )
        body_out = {
            "fromObjectTypeId": ftype,
            "fromObjectId": fid,
            "toObjectTypeId": ttype,
            "toObjectId": tid,
            "labels": self.state.labels_between(ftype, fid, ttype, tid),
        }
        dated = version not in (None, "v4")
        prefix = f"/crm/objects/{version}" if dated else "/crm/v4/objects"
        location = f"{request.base_url}{prefix}/{ftype}/{fid}/associations/{ttype}/{tid}"
        if dated and self.config.wrap_created_resource:  # reference §20.3; the id is our choice (unconfirmed)
            return Response(
                201,
                {"createdResourceId": str(tid), "entity": body_out, "location": location},
                {"Location": location},
            )
        return Response(201, body_out, {"Location": location})

    def _record_delete(
        self,
        request: Request,
        body: Any,
        from_type: str,
        from_id: str,
        to_type: str,
        to_id: str,
        version: str | None = None,
    ) -> Response:
        ftype, fid, ttype, tid = self._record_ids(from_type, from_id, to_type, to_id)
        self.state.remove_pair(ftype, fid, ttype, tid)
        return Response(204)

    def _record_default(
        self,
        request: Request,
        body: Any,
        from_type: str,
        from_id: str,
        to_type: str,
        to_id: str,
        version: str | None = None,
    ) -> Response:
        started = _now_iso()
        ftype, fid, ttype, tid = self._record_ids(from_type, from_id, to_type, to_id)
        return Response(200, self._envelope(self._default_pair(ftype, fid, ttype, tid), started))

    def _record_list(
        self, request: Request, body: Any, from_type: str, from_id: str, to_type: str, version: str | None = None
    ) -> Response:
        ftype, fid, ttype, _ = self._record_ids(from_type, from_id, to_type)
        query = parse_qs(request.query)
        raw_limit = (query.get("limit") or ["500"])[0]
        try:
            limit = int(raw_limit)
        except ValueError:
            raise validation_error(f"Invalid limit: {raw_limit}", {"limit": [raw_limit]}) from None
        if limit < 1:
            raise validation_error(f"Invalid limit: {raw_limit}", {"limit": [raw_limit]})
        limit = min(limit, MAX_LIST_LIMIT)
        page, cursor = self._page(ftype, fid, ttype, query["after"][0] if query.get("after") else None, limit)
        out: dict[str, Any] = {
            "results": [{"toObjectId": to_id, "associationTypes": self._types_of(ftype, ttype, s)} for to_id, s in page]
        }
        if cursor is not None:
            out["paging"] = {
                "next": {"after": cursor, "link": self._link(request, ftype, fid, ttype, cursor, version or "v4")}
            }
        return Response(200, out)

    # ------------------------------------------------------------------ labels (definitions)
    def _labels_list(
        self, request: Request, body: Any, from_type: str, to_type: str, version: str | None = None
    ) -> Response:
        ftype, ttype = self._object_type(from_type), self._object_type(to_type)
        return Response(200, {"results": [d.as_label() for d in self.state.pair_definitions(ftype, ttype)]})

    def _labels_create(
        self, request: Request, body: Any, from_type: str, to_type: str, version: str | None = None
    ) -> Response:
        ftype, ttype = self._object_type(from_type), self._object_type(to_type)
        if not isinstance(body, dict):
            raise validation_error("Invalid JSON input: a request body was expected, but none found")
        for required in ("name", "label"):
            if not isinstance(body.get(required), str) or not body[required]:
                raise validation_error(f"'{required}' is required", {required: [str(body.get(required))]})
        inverse = body.get("inverseLabel")
        if inverse is not None and not isinstance(inverse, str):
            raise validation_error("'inverseLabel' must be a string", {"inverseLabel": [str(inverse)]})
        created = self.state.create_label(ftype, ttype, body["name"], body["label"], inverse or None)
        return Response(200, {"results": [d.as_label() for d in created]})

    def _labels_update(
        self, request: Request, body: Any, from_type: str, to_type: str, version: str | None = None
    ) -> Response:
        ftype, ttype = self._object_type(from_type), self._object_type(to_type)
        if not isinstance(body, dict):
            raise validation_error("Invalid JSON input: a request body was expected, but none found")
        type_id = body.get("associationTypeId")
        if isinstance(type_id, bool) or not isinstance(type_id, int):
            raise validation_error("'associationTypeId' is required", {"associationTypeId": [str(type_id)]})
        label = body.get("label")
        if not isinstance(label, str) or not label:
            raise validation_error("'label' is required", {"label": [str(label)]})
        self.state.update_label(ftype, ttype, type_id, label, body.get("inverseLabel"))
        return Response(204)

    def _labels_delete(
        self, request: Request, body: Any, from_type: str, to_type: str, type_id: str, version: str | None = None
    ) -> Response:
        ftype, ttype = self._object_type(from_type), self._object_type(to_type)
        if not type_id.isdigit():
            raise validation_error(f"Invalid associationTypeId: {type_id}", {"associationTypeId": [type_id]})
        self.state.delete_label(ftype, ttype, int(type_id))
        return Response(204)

    # ------------------------------------------------------------------ limit configurations, usage report
    def _limit_item(self, definition: Definition, maximum: int, *, with_label: bool = True) -> dict[str, Any]:
        item: dict[str, Any] = {"category": definition.category, "typeId": definition.type_id}
        if with_label:
            item["label"] = definition.label
        item["userEnforcedMaxToObjectIds"] = maximum
        return item

    def _limit_rows(self, only: tuple[str, str] | None = None) -> list[dict[str, Any]]:
        rows = []
        for (ftype, ttype, category, type_id), maximum in sorted(self.state.limits.items()):
            if only is not None and (ftype, ttype) != only:
                continue
            rows.append(self._limit_item(self.state.definition(ftype, ttype, (category, type_id)), maximum))
        return rows

    def _limits_all(self, request: Request, body: Any, version: str | None = None) -> Response:
        return Response(200, {"results": self._limit_rows()})

    def _limits_list(
        self, request: Request, body: Any, from_type: str, to_type: str, version: str | None = None
    ) -> Response:
        ftype, ttype = self._object_type(from_type), self._object_type(to_type)
        return Response(200, {"results": self._limit_rows((ftype, ttype))})

    def _limits_write(self, body: Any, from_type: str, to_type: str, version: str | None, *, create: bool) -> Response:
        started = _now_iso()
        ftype, ttype = self._object_type(from_type), self._object_type(to_type)
        results, errors = [], []
        for item in self._inputs(body, MAX_OTHER):
            if not isinstance(item, dict):
                raise validation_error("Invalid input JSON: inputs must be objects")
            category, type_id, maximum = item.get("category"), item.get("typeId"), item.get("maxToObjectIds")
            if category not in CATEGORIES or not isinstance(type_id, int) or not isinstance(maximum, int):
                raise validation_error("Invalid input JSON: inputs need category, typeId and maxToObjectIds")
            try:
                definition = self.state.set_limit(ftype, ttype, (category, type_id), maximum, create=create)
            except StateError as exc:
                errors.append(_item_error(exc))
                continue
            results.append(self._limit_item(definition, maximum, with_label=create))
        codes = self._codes(version)
        status = codes.limits_partial if errors else codes.limits_create if create else 200
        return Response(status, self._envelope(results, started, errors))

    def _limits_create(
        self, request: Request, body: Any, from_type: str, to_type: str, version: str | None = None
    ) -> Response:
        return self._limits_write(body, from_type, to_type, version, create=True)

    def _limits_update(
        self, request: Request, body: Any, from_type: str, to_type: str, version: str | None = None
    ) -> Response:
        return self._limits_write(body, from_type, to_type, version, create=False)

    def _limits_purge(
        self, request: Request, body: Any, from_type: str, to_type: str, version: str | None = None
    ) -> Response:
        started, ftype, ttype, inputs = self._batch_inputs(body, from_type, to_type, MAX_OTHER)
        for item in inputs:
            valid = (
                isinstance(item, dict) and item.get("category") in CATEGORIES and isinstance(item.get("typeId"), int)
            )
            if not valid:
                raise validation_error("Invalid input JSON: inputs need category and typeId")
            self.state.purge_limit(ftype, ttype, (item["category"], item["typeId"]))
        return self._archive_response(version, started)

    def _usage_report(self, request: Request, body: Any, user_id: str, version: str | None = None) -> Response:
        if not user_id.isdigit():
            raise validation_error(f"Invalid userId: {user_id}", {"userId": [user_id]})
        return Response(
            200,
            {
                "enqueueTime": {"value": int(time.time() * 1000), "dateOnly": False, "timeZoneShift": 0},
                "userEmail": f"user{user_id}@example.com",
                "userId": int(user_id),
            },
        )

    # ------------------------------------------------------------------ v3
    def _v3_types(self, request: Request, body: Any, from_type: str, to_type: str) -> Response:
        ftype, ttype = self._object_type(from_type), self._object_type(to_type)
        return Response(
            200,
            {"results": [{"id": str(d.type_id), "name": d.name} for d in self.state.pair_definitions(ftype, ttype)]},
        )

    def _v3_definition(self, ftype: str, ttype: str, name: Any) -> Definition:
        definition = self.state.definition_by_name(ftype, ttype, name) if isinstance(name, str) else None
        if definition is None:
            raise validation_error(
                f"{name} is not a valid association type between {object_name(ftype)} and {object_name(ttype)}",
                {"type": [str(name)]},
            )
        return definition

    def _v3_create(self, request: Request, body: Any, from_type: str, to_type: str) -> Response:
        started, ftype, ttype, inputs = self._batch_inputs(body, from_type, to_type, MAX_CREATE)
        parsed = [
            (item, self._v3_definition(ftype, ttype, item.get("type") if isinstance(item, dict) else None))
            for item in inputs
        ]
        results, errors = [], []
        for item, definition in parsed:
            from_id, to_id = self._ref_id(item.get("from")), self._ref_id(item.get("to"))
            try:
                fid, tid = self._require_ids(item, ftype, from_id, ttype, to_id)
                self.state.apply_types(ftype, fid, ttype, tid, [definition.spec], replace=False)
            except StateError as exc:
                errors.append(_item_error(exc))
                continue
            inverse = self.state.defs[(ttype, ftype)][(definition.category, definition.inverse_id)]
            results.append({"from": {"id": str(from_id)}, "to": {"id": str(to_id)}, "type": definition.name})
            results.append({"from": {"id": str(to_id)}, "to": {"id": str(from_id)}, "type": inverse.name})
        status = 207 if errors else self.config.v3_create_status
        return Response(status, self._envelope(results, started, errors))

    def _v3_read(self, request: Request, body: Any, from_type: str, to_type: str) -> Response:
        started, ftype, ttype, inputs = self._batch_inputs(body, from_type, to_type, MAX_READ)
        size = self.config.v3_page_size
        pair = self.state.defs.get((ftype, ttype), {})
        primary_only = ttype == COMPANY and ftype in PRIMARY_COMPANY_TYPES
        results, errors = [], []
        for item in inputs:
            raw_id = item.get("id") if isinstance(item, dict) else None
            from_id = self._object_id(raw_id)
            # v3 inputs take no cursor: HubSpot ignores ``after`` there (hubspot-api-python#187)
            if from_id is None:
                entries: list[tuple[int, set[tuple[str, int]]]] = []
            elif primary_only:
                primary = self.state.primary_company(ftype, from_id)
                entries = (
                    [] if primary is None else [(primary, self.state.types_between(ftype, from_id, ttype, primary))]
                )
            else:
                targets = self.state.targets(ftype, from_id, ttype)
                entries = [(i, targets[i]) for i in sorted(targets)]
            if not entries:
                errors.append(self._no_associations(ftype, ttype, raw_id))
                continue
            page = entries[:size]
            to = [{"id": str(to_id), "type": self._v3_name(pair, specs)} for to_id, specs in page]
            result: dict[str, Any] = {"from": {"id": str(from_id)}, "to": to}
            if len(entries) > size:
                cursor = self._encode_cursor(ttype, page[-1][0])
                link = f"{request.base_url}/crm/v3/objects/{ftype}/{from_id}/associations/{ttype}?after={quote(cursor)}"
                result["paging"] = {"next": {"after": cursor, "link": link}}
            results.append(result)
        status = 207 if errors else 200
        return Response(status, self._envelope(results, started, errors))

    @staticmethod
    def _v3_name(pair: dict[tuple[str, int], Definition], specs: set[tuple[str, int]]) -> str:
        """One v3 type per associated record: the primary type's name if set, else the unlabeled type's."""
        defs = [pair[s] for s in specs if s in pair]
        for definition in defs:
            if definition.primary:
                return definition.name
        for definition in defs:
            if definition.unlabeled:
                return definition.name
        return defs[0].name if defs else ""

    def _v3_archive(self, request: Request, body: Any, from_type: str, to_type: str) -> Response:
        ftype, ttype = self._object_type(from_type), self._object_type(to_type)
        inputs = self._inputs(body, MAX_OTHER)
        parsed = [
            (item, self._v3_definition(ftype, ttype, item.get("type") if isinstance(item, dict) else None))
            for item in inputs
        ]
        for item, definition in parsed:
            from_id, to_id = self._ref_id(item.get("from")), self._ref_id(item.get("to"))
            if from_id is not None and to_id is not None:
                self.state.remove_types(ftype, from_id, ttype, to_id, [definition.spec])
        return Response(204)

    # ------------------------------------------------------------------ OAuth
    # ``/oauth/2026-03/...`` (and ``/oauth/v3/...``, same schemas) take every parameter as a form-encoded body field;
    # the legacy ``/oauth/v1/token`` also read the query string, and answers without token_use/hub_id/scopes.
    def _oauth_form(self, request: Request, oauth_version: str) -> dict[str, str]:
        """The form fields of a token-API request; a query string or a non-form body is refused (400)."""
        if oauth_version == "v1":
            form = {k: v[0] for k, v in parse_qs(request.query).items()}
            form.update({k: v[0] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()})
            return form
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if request.query or (request.body and content_type != "application/x-www-form-urlencoded"):
            where = "query parameters" if request.query else f"a body of type {content_type or 'unknown'}"
            raise ApiError(
                400,
                _oauth_error_body(
                    "invalid_request",
                    "Ensure all parameters are provided as form-encoded body fields, not as query parameters "
                    f"(got {where})",
                    category="VALIDATION_ERROR",
                ),
            )
        return {k: v[0] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}

    def _oauth_client(self, form: dict[str, str]) -> str:
        """The ``client_id`` of the form once its ``client_secret`` matches; else HubSpot's BAD_CLIENT_ID."""
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        client = self.oauth_clients.get(client_id)
        if client is None or not secrets.compare_digest(client[0], secret):
            raise ApiError(
                400, _oauth_error_body("invalid_client", "missing or unknown client id", status="BAD_CLIENT_ID")
            )
        return client_id

    def _oauth_token(self, request: Request, oauth_version: str) -> Response:
        """Refresh-token grant: a new access token of ``oauth_token_lifetime`` seconds (§13, §20.5)."""
        form = self._oauth_form(request, oauth_version)
        grant = form.get("grant_type")
        if grant != "refresh_token":
            refusal = _oauth_error_body(
                "unsupported_grant_type", "only the refresh_token grant is emulated", status="BAD_GRANT_TYPE"
            )
            refusal["message"] = f"grant_type {grant} is not supported here"
            return Response(400, refusal)
        refresh = form.get("refresh_token", "")
        with self.meta_lock:
            client_id = self._oauth_client(form)
            refresh_tokens = self.oauth_clients[client_id][1]
            if refresh not in refresh_tokens:
                return Response(
                    400,
                    _oauth_error_body(
                        "invalid_grant", "refresh token is invalid, expired or revoked", status="BAD_REFRESH_TOKEN"
                    ),
                )
            if self.config.oauth_rotate_refresh_tokens:
                refresh_tokens.discard(refresh)
                refresh = "emu-refresh-" + secrets.token_urlsafe(24)
                refresh_tokens.add(refresh)
            access = "emu-" + secrets.token_urlsafe(32)
            lifetime = self.config.oauth_token_lifetime
            self.access_tokens[access] = (client_id, time.time() + lifetime)
        body: dict[str, Any] = {
            "token_type": "bearer",
            "refresh_token": refresh,
            "access_token": access,
            "expires_in": lifetime,
        }
        if oauth_version != "v1":  # AccessTokenResponse of the 2026-03 (and v3) spec
            body.update({"token_use": "access_token", "hub_id": OAUTH_HUB_ID, "user_id": OAUTH_USER_ID})
            body["scopes"] = list(OAUTH_SCOPES)
        return Response(200, body)

    def _oauth_introspect(self, request: Request, oauth_version: str) -> Response:
        """Metadata of an access or refresh token of this client; an unknown, expired or revoked one is inactive."""
        form = self._oauth_form(request, oauth_version)
        token = form.get("token", "")
        with self.meta_lock:
            client_id = self._oauth_client(form)
            issued = self.access_tokens.get(token)
            is_refresh = bool(token) and token in self.oauth_clients[client_id][1]
        common = {
            "token": token,
            "hub_id": OAUTH_HUB_ID,
            "user_id": OAUTH_USER_ID,
            "client_id": client_id,
            "app_id": _oauth_app_id(client_id),
            "scopes": list(OAUTH_SCOPES),
        }
        if issued is not None and issued[0] == client_id and issued[1] > time.time():
            return Response(
                200,
                {
                    "token_use": "access_token",
                    "active": True,
                    **common,
                    "expires_in": max(0, int(issued[1] - time.time())),
                    "is_private_distribution": False,
                    "token_type": "bearer",
                },
            )
        if is_refresh:
            return Response(200, {"token_use": "refresh_token", "active": True, **common, "token_type": "bearer"})
        return Response(200, {"active": False})

    def _oauth_revoke(self, request: Request, oauth_version: str) -> Response:
        """Revoke an access or refresh token of this client: 200 with an empty body, known token or not.

        HubSpot's spec documents no success status or body for revoke (reference §20.5, §20.10 item 3): the
        emulator answers as RFC 7009 §2.2 says (200; an unknown token is no error), with no body.
        """
        form = self._oauth_form(request, oauth_version)
        token = form.get("token", "")
        with self.meta_lock:
            client_id = self._oauth_client(form)
            self.oauth_clients[client_id][1].discard(token)
            issued = self.access_tokens.get(token)
            if issued is not None and issued[0] == client_id:
                del self.access_tokens[token]
        return Response(200)

    def _oauth_v1_revoke(self, request: Request, oauth_version: str, refresh_token: str) -> Response:
        """``DELETE /oauth/v1/refresh-tokens/{token}`` (legacy): later refreshes with it get ``invalid_grant``."""
        with self.meta_lock:
            owners = [tokens for _, tokens in self.oauth_clients.values() if refresh_token in tokens]
            for tokens in owners:
                tokens.discard(refresh_token)
        if not owners:
            return Response(404, error_body("refresh token not found", "OBJECT_NOT_FOUND"))
        return Response(204)

    # ------------------------------------------------------------------ admin API
    def _admin(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        method = request.method
        body = self._json(request) if request.body else None
        data = body if isinstance(body, dict) else {}
        if path == "/_emulator/health" and method == "GET":
            return Response(200, {"status": "ok"}, endpoint="admin")
        if path == "/_emulator/reset" and method == "POST":
            self.reset(seed=data.get("seed"))
            return Response(200, {"status": "reset"}, endpoint="admin")
        if path == "/_emulator/daily-reset" and method == "POST":
            self.refill_daily_budget()
            return Response(200, {"status": "refilled"}, endpoint="admin")
        if path == "/_emulator/config" and method == "GET":
            return Response(200, self.config.as_dict(), endpoint="admin")
        if path == "/_emulator/config" and method in ("POST", "PATCH", "PUT"):
            self.configure(**data)
            return Response(200, self.config.as_dict(), endpoint="admin")
        if path == "/_emulator/state" and method == "GET":
            return Response(200, self.dump(), endpoint="admin")
        if path == "/_emulator/counters" and method == "GET":
            return Response(200, self.counters(), endpoint="admin")
        if path == "/_emulator/fixture" and method == "POST":
            self.load_fixture(data)
            return Response(200, {"status": "loaded"}, endpoint="admin")
        if path == "/_emulator/records" and method == "POST":
            self.load_fixture({"records": {data["objectType"]: data["ids"]}})
            return Response(200, {"status": "created"}, endpoint="admin")
        if path == "/_emulator/records" and method == "DELETE":
            with self.state.lock:
                self.state.delete_records(self._object_type(data["objectType"]), [int(i) for i in data["ids"]])
            return Response(200, {"status": "deleted"}, endpoint="admin")
        if path == "/_emulator/labels" and method == "POST":
            with self.state.lock:
                created = self.state.create_label(
                    self._object_type(data["fromObjectType"]),
                    self._object_type(data["toObjectType"]),
                    data["name"],
                    data["label"],
                    data.get("inverseLabel"),
                )
            return Response(200, {"results": [d.as_label() for d in created]}, endpoint="admin")
        if path == "/_emulator/associations" and method == "POST":
            self.load_fixture({"associations": data.get("associations", [data])})
            return Response(200, {"status": "created"}, endpoint="admin")
        if path == "/_emulator/tokens" and method == "POST":
            self.add_token(data["token"], data.get("scopes"))
            return Response(200, {"status": "registered"}, endpoint="admin")
        if path == "/_emulator/oauth-clients" and method == "POST":
            self.add_oauth_client(data["clientId"], data["clientSecret"], data["refreshToken"])
            return Response(200, {"status": "registered", "clientId": data["clientId"]}, endpoint="admin")
        raise ApiError(404, error_body(f"Unknown admin endpoint {method} {request.path}", "OBJECT_NOT_FOUND"))


def _redirect_location(request: Request, config: EmulatorConfig) -> str:
    """The fault's ``Location``: the request's own URL, a path on this host, or another host's URL as given."""
    location = config.redirect_location
    if not location:
        return f"{request.base_url}{request.path}" + (f"?{request.query}" if request.query else "")
    return f"{request.base_url}{location}" if location.startswith("/") else location


def split_target(target: str) -> tuple[str, str]:
    parts = urlsplit(target)
    return parts.path or "/", parts.query
