"""Emulator knobs: one typed, validated object, settable at start and at run time (``configure``/admin API)."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from ._hostile import normalize_rules

_SHARES = (
    "fault_500",
    "fault_502",
    "fault_503",
    "fault_429",
    "fault_drop",
    "fault_slow",
    "fault_redirect",
    "fault_trickle",
    "fault_drop_after",
    "fault_slow_after",
)
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
#: what the 2026-09 association permission rule does to a refused write (``association_permission_rule``)
PERMISSION_RULES = ("refuse_inputs", "refuse_batch", "refuse_request")
#: which credentials that rule binds (``association_permission_tokens``)
PERMISSION_TOKENS = ("all", "oauth")


@dataclass
class EmulatorConfig:
    """All run-time knobs. Field docs are what ``--help`` and the README show.

    Shares are probabilities in ``[0, 1]`` drawn once per API request from ``random.Random(seed)`` in the
    order requests arrive, so a single-threaded client replays exactly with the same seed.
    """

    #: "replace": PUT / batch create set the pair's labels to exactly what is sent (HubSpot's v4 guide);
    #: "merge": labels are added to those the pair already has.
    label_write_semantics: str = "replace"
    #: rolling 10-second window per token/app (None = unlimited, no window headers)
    requests_per_10_seconds: int | None = 100
    #: length of that rolling window in ms (X-HubSpot-RateLimit-Interval-Milliseconds; HubSpot: 10000);
    #: shorter windows let tests of shared budgets run in seconds
    rate_limit_interval_ms: int = 10_000
    #: daily budget per account (None = unlimited, no daily headers)
    daily_limit: int | None = 250_000
    #: seconds sent in ``Retry-After`` on 429 (None = header not sent; HubSpot does not document it for 429)
    retry_after: float | None = None
    #: records with ids 1..auto_record_max exist for every object type without seeding
    auto_records: bool = True
    auto_record_max: int = 10**12
    #: per-input page size of v4/dated batch read and page size cap of the per-record GET list
    batch_read_page_size: int = 500
    #: page size of v3 batch read (HubSpot: 100 per record)
    v3_page_size: int = 100
    #: status of a fully successful v3 batch/create (HubSpot: 201 per spec, 200 observed since 2025-08-21)
    v3_create_status: int = 200
    #: lifetime in seconds of OAuth access tokens issued by the token endpoint (HubSpot: 1800, "30 minutes");
    #: answered as ``expires_in``
    oauth_token_lifetime: int = 1800
    #: every refresh answers a new refresh token and retires the one it was given (a later refresh with the old
    #: one is ``BAD_REFRESH_TOKEN``); HubSpot documents no rotation, but a client must use a returned one
    oauth_rotate_refresh_tokens: bool = False
    #: serve the legacy ``POST /oauth/v1/token`` and ``DELETE /oauth/v1/refresh-tokens/{token}`` (HubSpot
    #: deprecates them on 2027-02-16); off = 404 like any unknown route
    oauth_v1_enabled: bool = False
    #: fully qualified custom object names accepted in paths, e.g. {"p123_cars": "2-123"}
    custom_objects: dict[str, str] = field(default_factory=dict)
    #: unique-value properties per object type beyond contacts' ``email``, e.g. {"companies":
    #: ["external_company_id"]}: ``idProperty`` may name them, a held value refuses a create (409)
    unique_properties: dict[str, list[str]] = field(default_factory=dict)
    #: CRM search requests a second per account (HubSpot: five, reference §20.8); None = unlimited
    search_requests_per_second: int | None = 5
    #: results one search query reaches (HubSpot: 10,000, reference §20.8; ``after`` at or past it is a 400);
    #: lower it to test the split of larger result sets in a few hundred records
    search_results_cap: int = 10_000
    #: fixed latency added to every API response, seconds
    latency: float = 0.0
    #: extra latency drawn uniformly from [0, jitter], seconds
    jitter: float = 0.0
    fault_500: float = 0.0
    fault_502: float = 0.0
    fault_503: float = 0.0
    fault_429: float = 0.0
    #: share of requests whose connection is closed without a response
    fault_drop: float = 0.0
    #: share of requests answered only after ``slow_seconds``
    fault_slow: float = 0.0
    slow_seconds: float = 5.0
    # -- applied, then the answer lost: the request is handled (a write changes the account) and only then
    # -- is its connection closed unanswered, or its answer held for ``slow_seconds``
    #: share of requests applied, then their connection closed without a response
    fault_drop_after: float = 0.0
    #: share of requests applied, then answered only after ``slow_seconds``
    fault_slow_after: float = 0.0
    #: restrict faults to these endpoints: endpoint names (see ``counters()``) or path regexes; empty = all
    fault_endpoints: list[str] = field(default_factory=list)
    # -- transport faults: a client must never follow a redirect, and must bound a call's total time
    #: share of requests answered ``redirect_status`` with a ``Location`` and no body (nothing is applied)
    fault_redirect: float = 0.0
    redirect_status: int = 302
    #: ``Location`` of redirects: "" = the request's own URL on this host, "/path" = this host, or an absolute
    #: URL (another host, e.g. a recording server on another port)
    redirect_location: str = ""
    #: share of requests whose real answer (the request is applied) sends its body one byte at a time
    fault_trickle: float = 0.0
    #: seconds between two bytes of a trickled body
    trickle_interval: float = 0.5
    # -- the 2026-09 write rules (reference §20.4): from /2026-09/ on, admin rules such as the user-level
    # -- "Edit Associations" permission apply to API association writes; v4 and earlier dated versions stay
    # -- unenforced. HubSpot's status and body for a refusal are unknown (§20.10 item 5): the shapes are ours.
    #: None = off; "refuse_inputs": each refused input fails in the batch answer (207 / 200 with ``errors[]``,
    #: ``VALIDATION_ERROR``) and the others are applied, a record-level write (one input) is 400 naming it;
    #: "refuse_batch": 400 ``VALIDATION_ERROR`` naming the refused inputs, nothing applied; "refuse_request":
    #: 403 ``USER_DOES_NOT_HAVE_PERMISSIONS`` naming the permission, nothing applied
    association_permission_rule: str | None = None
    #: from-ids whose writes the rule refuses (empty = every write), so one batch can mix refused and applied
    association_permission_from_ids: list[int] = field(default_factory=list)
    #: credentials the rule binds: "all" (the static token too) or "oauth" (user-level OAuth access tokens only)
    association_permission_tokens: str = "all"
    #: the record-level labels PUT of dated versions answers ``{"createdResourceId", "entity", "location"}``
    #: around its body (a spec variant seen in 2025-09 snapshots, reference §20.3; unconfirmed on the wire)
    wrap_created_resource: bool = False
    # -- a hostile HubSpot (issue 21; ``_hostile.py``, docs/emulator.md "Hostile answers"): each rule
    # -- ``{"kind", "endpoints", "times", "size"}`` rewrites the answers of the endpoints it names
    #: hostile rules, first match wins; a kind name alone is a rule for every endpoint; empty = a well-behaved HubSpot
    hostile: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        self.hostile = normalize_rules(self.hostile)
        if self.label_write_semantics not in ("replace", "merge"):
            raise ValueError("label_write_semantics must be 'replace' or 'merge'")
        for name in _SHARES:
            value = float(getattr(self, name))
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
            setattr(self, name, value)
        if sum(getattr(self, n) for n in _SHARES) > 1.0 + 1e-9:
            raise ValueError("the fault shares together must not exceed 1")
        for name in ("latency", "jitter", "slow_seconds"):
            if float(getattr(self, name)) < 0:
                raise ValueError(f"{name} must be >= 0")
        for name in ("requests_per_10_seconds", "daily_limit"):
            value = getattr(self, name)
            if value is not None and int(value) < 1:
                raise ValueError(f"{name} must be >= 1 or None (unlimited)")
        if self.search_results_cap < 1:
            raise ValueError("search_results_cap must be >= 1")
        if self.search_requests_per_second is not None and int(self.search_requests_per_second) < 1:
            raise ValueError("search_requests_per_second must be >= 1 or None (unlimited)")
        unique = self.unique_properties
        if not isinstance(unique, dict) or not all(
            isinstance(v, list) and all(isinstance(p, str) for p in v) for v in unique.values()
        ):
            raise ValueError('unique_properties must map object types to property names: {"companies": ["x"]}')
        if int(self.rate_limit_interval_ms) < 1:
            raise ValueError("rate_limit_interval_ms must be >= 1")
        if self.batch_read_page_size < 1 or self.v3_page_size < 1:
            raise ValueError("page sizes must be >= 1")
        if self.v3_create_status not in (200, 201):
            raise ValueError("v3_create_status must be 200 or 201")
        for pattern in self.fault_endpoints:
            re.compile(pattern)
        if int(self.redirect_status) not in REDIRECT_STATUSES:
            raise ValueError(f"redirect_status must be one of {REDIRECT_STATUSES}, got {self.redirect_status}")
        if float(self.trickle_interval) < 0:
            raise ValueError("trickle_interval must be >= 0")
        if self.association_permission_rule not in (None, *PERMISSION_RULES):
            raise ValueError(f"association_permission_rule must be None or one of {PERMISSION_RULES}")
        if self.association_permission_tokens not in PERMISSION_TOKENS:
            raise ValueError(f"association_permission_tokens must be one of {PERMISSION_TOKENS}")
        ids = self.association_permission_from_ids
        if not isinstance(ids, list) or any(isinstance(i, bool) or not isinstance(i, int) or i < 1 for i in ids):
            raise ValueError("association_permission_from_ids must be a list of record ids (integers >= 1)")

    def update(self, **knobs: Any) -> None:
        """Set knobs by name; unknown names and invalid values raise ``ValueError`` and change nothing."""
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(knobs) - names)
        if unknown:
            raise ValueError(f"unknown emulator knob(s): {', '.join(unknown)}")
        candidate = dataclasses.replace(self, **knobs)
        for f in dataclasses.fields(self):
            setattr(self, f.name, getattr(candidate, f.name))

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def knob_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    def fault_shares(self) -> list[tuple[str, float]]:
        return [(name[len("fault_") :], getattr(self, name)) for name in _SHARES]
