"""The emulated HubSpot: :class:`EmulatorApp` holds one account, its tokens, knobs and counters, and answers
a parsed request with a :class:`Response` (transport-free: the HTTP server in ``_server.py`` only moves bytes).

Where things are: the route table in ``_routes.py``; what every request goes through (auth, rate limits,
faults, write rules) in ``_pipeline.py``; the endpoints by HubSpot's API areas in ``_batch.py``, ``_basic.py``,
``_definitions.py``, ``_configurations.py``, ``_report.py``, ``_v3.py`` and ``_oauth.py``; the admin API in
``_admin.py``. Shapes, codes and messages follow the reference (``hubspot-associations-api.md``); where
HubSpot's behaviour is unconfirmed the choice is documented next to the code and in ``docs/emulator.md``.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from ._config import EmulatorConfig
from ._endpoints import MAX_CREATE, MAX_LIST_LIMIT, MAX_OTHER, MAX_READ
from ._hostile import Hostility, refusal as hostile_refusal, spoil
from ._http import (
    ApiError,
    Request,
    Response,
    error_body,
    lookup_object_type,
    rate_limit_body,
    split_target,
    validation_error,
)
from ._oauth import OAUTH_HUB_ID, OAUTH_SCOPES, OAUTH_USER_ID
from ._pipeline import EmulatedRateLimits, serve_admin, serve_api
from ._routes import WRITE_ENDPOINTS, is_admin, match
from ._state import HUBSPOT_DEFINED, AccountState
from ._versions import VERSIONS, VersionCodes, enforces_write_rules, version_codes
from ._write_rules import EDIT_ASSOCIATIONS, PERMISSION_ENDPOINTS, PERMISSION_SUB_CATEGORY

__all__ = [  # this module's names from before the split into routes, kept importable from here
    "EDIT_ASSOCIATIONS",
    "MAX_CREATE",
    "MAX_LIST_LIMIT",
    "MAX_OTHER",
    "MAX_READ",
    "OAUTH_HUB_ID",
    "OAUTH_SCOPES",
    "OAUTH_USER_ID",
    "PERMISSION_ENDPOINTS",
    "PERMISSION_SUB_CATEGORY",
    "VERSIONS",
    "WRITE_ENDPOINTS",
    "ApiError",
    "EmulatorApp",
    "Request",
    "Response",
    "VersionCodes",
    "enforces_write_rules",
    "error_body",
    "rate_limit_body",
    "split_target",
    "validation_error",
    "version_codes",
]


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
        self.limiter = EmulatedRateLimits()
        #: client_id -> (client_secret, {refresh tokens})
        self.oauth_clients: dict[str, tuple[str, set[str]]] = {}
        #: access token -> (client_id, expiry epoch seconds)
        self.access_tokens: dict[str, tuple[str, float]] = {}
        self.counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        #: callables ``(request, response)`` run after every API response (tests validate shapes with it)
        self.observers: list[Callable[[Request, Response], None]] = []
        #: what the ``hostile`` rules have spoiled so far (their ``times``)
        self.hostility = Hostility()

    # ------------------------------------------------------------------ admin operations (also Python API)
    def configure(self, **knobs: Any) -> None:
        """Set knobs; ``seed=`` restarts the fault/jitter draws from that seed (state is kept)."""
        reseed = "seed" in knobs
        if "hostile" in knobs:
            self.hostility.reset()  # a rule set anew counts its ``times`` from zero
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
            self.hostility.reset()
            if seed is not None:
                self.seed = seed
            with self.rng_lock:
                self.rng = random.Random(self.seed)

    def add_hostile(
        self, kind: str, endpoints: str | list[str] | None = None, *, times: int | None = None, size: int | None = None
    ) -> None:
        """One more hostile rule (after those set): ``kind`` for ``endpoints`` (names or path regexes; None =
        every endpoint), for the first ``times`` matching requests (None = all), ``size`` bytes for ``oversize``
        and ``gzip_bomb``. ``configure(hostile=[])`` ends them all; see ``_hostile.KINDS``."""
        rule = {"kind": kind, "endpoints": endpoints, "times": times, "size": size}
        self.configure(hostile=[*self.config.hostile, rule])

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
        state["objects"] = self.state.objects.dump()
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
                self.state.create_records(self.object_type(object_type), [int(i) for i in ids])
            for label in data.get("labels") or []:
                self.state.create_label(
                    self.object_type(label["fromObjectType"]),
                    self.object_type(label["toObjectType"]),
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
                    self.object_type(item["fromObjectType"]),
                    int(item["fromObjectId"]),
                    self.object_type(item["toObjectType"]),
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

    def object_type(self, value: str) -> str:
        """An object type (name, id, or a custom object's name) as its type id; HubSpot's 400 otherwise."""
        return lookup_object_type(value, self.config.custom_objects)

    # ------------------------------------------------------------------ entry point
    def handle(self, request: Request) -> Response:
        """Answer one request: the admin API directly; an API request after two seeded draws (fault, jitter),
        through the pipeline, then delayed, given a correlation id, counted and shown to the observers."""
        if is_admin(request.path):
            return serve_admin(self, request)
        route, params = match(request, oauth_v1_enabled=self.config.oauth_v1_enabled)
        name = route.name if route else "unknown"
        with self.rng_lock:
            draw, jitter_draw = self.rng.random(), self.rng.random()
        config = self.config
        rule = self.hostility.pick(config.hostile, name, request.path) if config.hostile and route else None
        refused = hostile_refusal(rule) if rule is not None else None
        response = refused or serve_api(self, request, route, params, draw, config)
        if rule is not None:
            spoil(rule, request, response, self.hostility)
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
