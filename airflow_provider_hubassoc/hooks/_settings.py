"""Connection settings: the Airflow connection parsed and validated once.

One place for precedence: a task's ``api_version`` wins over its ``hook_params`` (:func:`task_overrides`),
hook arguments win over connection extras, which win over defaults (:meth:`HubSpotSettings.from_connection`).
Extras are read both unprefixed and with Airflow's legacy ``extra__hubspot__`` prefix. Credentials come from
the connection only (:func:`refuse_secret_arguments`) and are excluded from ``repr``.
"""

from __future__ import annotations

import ipaddress
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypedDict
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from airflow_provider_hubassoc import __version__
from airflow_provider_hubassoc._inputs import SECRET_SETTINGS
from airflow_provider_hubassoc.exceptions import HubSpotConnectionSettingsError, HubSpotInputError
from airflow_provider_hubassoc.hooks._rate_store import check_store
from airflow_provider_hubassoc.hooks._versions import DATED_VERSION, DEFAULT_API_VERSION

DEFAULT_BASE_URL = "https://api.hubapi.com"
# HubSpot's documented burst budget for a Free/Starter private app (associations: 100 per 10 s).
DEFAULT_REQUESTS_PER_10_SECONDS = 100
#: total seconds one attempt may take, from connecting to the body's last byte (twice the read timeout)
DEFAULT_REQUEST_TIMEOUT = 120.0
TIMEOUTS = ("connect_timeout", "read_timeout", "request_timeout")
#: most bytes one answer may have, counted decompressed while it arrives (HubSpot's largest documented answer,
#: a batch read of 1,000 records, is a few MiB; a gzip bomb or a runaway proxy page is stopped here)
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
#: most pages followed for one record in one call: HubSpot's docs give 50,000 associations of a record as their
#: example limit, which is 500 pages at the smallest page it sends (100); twice that is the margin
DEFAULT_MAX_PAGES_PER_RECORD = 1000
#: most wall-time seconds of one read call (a batch read over all its chunks and pages, one record's listing):
#: a 1,000,000-id export is about 1,000 requests, minutes at HubSpot's rate limits; an hour is the margin for
#: paging and the caller's own work between rows, and a server answering slowly but never finishing stops here
DEFAULT_READ_DEADLINE_SECONDS = 3600.0
_LEGACY_PREFIX = "extra__hubspot__"
#: what a labeled ``batch/create`` does to a pair's labels it does not name: HubSpot's v4 guide documents
#: ``replace`` (the safe default); ``merge`` is for accounts observed to keep them (see the README)
LABEL_WRITE_SEMANTICS = ("replace", "merge")
USER_AGENT = f"airflow-provider-hubassoc/{__version__}"


class HookSettings(TypedDict, total=False):
    """The settings a hook argument (or an operator's ``hook_params``) may override; ``None`` keeps the
    connection's value. Never credentials, never ``allow_insecure_http`` (the connection's decision)."""

    base_url: str | None
    api_version: str | None
    requests_per_10_seconds: int | None
    daily_request_limit: int | None
    account_time_zone: str | None
    max_concurrency: int | None
    max_retries: int | None
    max_retry_seconds: float | None
    connect_timeout: float | None
    read_timeout: float | None
    request_timeout: float | None
    verify: bool | str | None
    user_agent: str | None
    label_write_semantics: str | None
    label_verify_rounds: int | None
    label_verify_settle_seconds: float | None
    max_response_bytes: int | None
    max_pages_per_record: int | None
    read_deadline_seconds: float | None


def refuse_secret_arguments(conn_id: str, arguments: Mapping[str, Any]) -> None:
    """Refuse credentials passed as hook arguments, as Slack's hook does: task arguments show in the UI and in
    serialized DAGs, so credentials come from the Airflow connection only.

    :raises HubSpotConnectionSettingsError: naming the first such argument.
    """
    secret = sorted(set(arguments) & SECRET_SETTINGS)
    if secret:
        raise HubSpotConnectionSettingsError(
            f"connection {conn_id!r}: hook argument {secret[0]!r} is refused: credentials come from the Airflow "
            "connection only (its password or extras), never from hook or task arguments",
            conn_id=conn_id,
            field=secret[0],
        )


def task_overrides(hook_params: Mapping[str, Any] | None, api_version: str | None) -> dict[str, Any]:
    """The hook arguments of one task (an operator, the sensor, its trigger): its ``hook_params``, with its own
    ``api_version`` on top when given. They then win over the connection's extras (:class:`HubSpotSettings`)."""
    overrides = dict(hook_params or {})
    if api_version is not None:
        overrides["api_version"] = api_version
    return overrides


def normalize_api_version(value: str) -> str:
    """Accept ``v3``, ``v4`` (also ``V4``, ``4``) or a dated version ``YYYY-MM`` / ``YYYY-MM-beta``; anything else
    is a clear error."""
    text = str(value).strip().lower()
    if text in {"v4", "4"}:
        return "v4"
    if text in {"v3", "3"}:
        return "v3"
    if DATED_VERSION.match(text):
        return text
    raise HubSpotInputError(
        f"unknown HubSpot API version {value!r}: use a dated version such as {DEFAULT_API_VERSION!r} (the default), "
        "or 'v4' / 'v3' until HubSpot stops supporting them",
        field="api_version",
    )


def _as_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes", "on"}:
        return True
    if text in {"false", "0", "no", "off"}:
        return False
    raise HubSpotInputError(f"must be true or false, got {value!r}", field=name)


def _as_number(value: Any, name: str, kind: type, minimum: float) -> Any:
    """``kind(value)``, at least ``minimum`` (timeouts: more than 0, since requests refuses 0)."""
    try:
        number = kind(value)
    except (TypeError, ValueError, OverflowError):
        raise HubSpotInputError(f"must be a number, got {value!r}", field=name) from None
    if isinstance(value, bool) or not math.isfinite(number):
        raise HubSpotInputError(f"must be a finite number, got {value!r}", field=name)
    if name in TIMEOUTS and number <= 0:
        raise HubSpotInputError(f"must be > 0 (seconds), got {value!r}", field=name)
    if number < minimum:
        raise HubSpotInputError(f"must be at least {minimum}, got {value!r}", field=name)
    return number


def is_loopback(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 or ::1: traffic that never leaves the machine."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _shown_url(base_url: str) -> str:
    """``base_url`` fit for an error text: a ``user:password@`` replaced by ``***@``, a query or fragment (which may
    hold a key, ``?hapikey=...``) by ``?...`` / ``#...``."""
    for mark in "?#":
        head, found, _ = base_url.partition(mark)
        base_url = f"{head}{mark}..." if found else base_url
    scheme, sep, rest = base_url.partition("://")
    authority, slash, tail = rest.partition("/")
    if "@" not in authority:
        return base_url
    return f"{scheme}{sep}***@{authority.rpartition('@')[2]}{slash}{tail}"


def _check_base_url(base_url: str, allow_insecure_http: bool) -> None:
    """Refuse what would put a token on the wire in clear text, or send something else than the token, before
    any connection is opened.

    A ``user:password@`` in the host would make requests send Basic auth instead of the Bearer token (and
    the password would show in logs); a query or a fragment would be glued to every request path. A path is
    kept: a proxy or gateway may serve HubSpot under a prefix (``https://proxy.example.com/hubspot``). Error
    texts never show the password.
    """
    shown_url = _shown_url(base_url)
    parts = urlsplit(base_url)
    try:
        _ = parts.port  # reading it parses the port
    except ValueError:
        raise HubSpotInputError(f"has a bad port: {shown_url!r}", field="base_url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HubSpotInputError(
            f"must be an https:// URL such as {DEFAULT_BASE_URL}, got {shown_url!r}", field="base_url"
        )
    if "@" in parts.netloc:
        raise HubSpotInputError(
            f"must not hold a user name or password ({shown_url!r}): requests would send them as Basic auth "
            "instead of the token; put the token in the connection's password",
            field="base_url",
        )
    if "?" in base_url or "#" in base_url:
        raise HubSpotInputError(
            f"must not hold a query or a fragment ('?...' or '#...'), got {shown_url!r}", field="base_url"
        )
    if parts.scheme == "http" and not allow_insecure_http and not is_loopback(parts.hostname):
        raise HubSpotInputError(
            f"must use https:// ({shown_url!r} would send the token in clear text): plain http:// is allowed only "
            "to a loopback host (127.0.0.0/8, ::1, localhost) or with the extra allow_insecure_http=true",
            field="base_url",
        )


@dataclass(frozen=True)
class HubSpotSettings:
    """Everything the transport needs, validated. Secrets never appear in ``repr``."""

    base_url: str = DEFAULT_BASE_URL
    #: a service key or a legacy private app token (the connection's password); both are sent as Bearer
    access_token: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    api_version: str = DEFAULT_API_VERSION
    requests_per_10_seconds: int = DEFAULT_REQUESTS_PER_10_SECONDS
    daily_request_limit: int | None = None
    #: IANA time zone of the HubSpot account: its daily request budget resets at midnight there
    account_time_zone: str = "UTC"
    max_concurrency: int = 4
    max_retries: int = 5
    max_retry_seconds: float = 300.0
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    #: total seconds of one attempt (connect, send, status, headers, body): connect/read timeouts bound each
    #: socket operation only, so a server trickling bytes could otherwise hold a call for ever
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    verify: bool | str = True
    #: allow plain http:// to a host that is not loopback (the token then crosses the network in clear text)
    allow_insecure_http: bool = False
    user_agent: str = USER_AGENT
    #: ``replace``: labeled creates read each pair's current types first and send them too; ``merge``: they
    #: send only the wanted types (no reads) - right only where HubSpot keeps the labels a create does not name
    label_write_semantics: str = "replace"
    #: ``replace`` only: rounds of re-reading the pairs a chunk labeled and re-sending labels another writer's
    #: stale write replaced (``hooks/_verify.py``); on by default, so many writers never drop a label or Primary
    #: (one batch read per 1,000 from-ids per labeled chunk); 0: none (one writer per pair at a time)
    label_verify_rounds: int = 2
    #: seconds each verify round waits first: longer than any concurrent writer's read->write gap
    label_verify_settle_seconds: float = 2.0
    #: most bytes of one answer, decompressed (:data:`DEFAULT_MAX_RESPONSE_BYTES`)
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    #: most pages of one record's associations followed in one call (:data:`DEFAULT_MAX_PAGES_PER_RECORD`)
    max_pages_per_record: int = DEFAULT_MAX_PAGES_PER_RECORD
    #: most wall-time seconds of one read call (:data:`DEFAULT_READ_DEADLINE_SECONDS`)
    read_deadline_seconds: float = DEFAULT_READ_DEADLINE_SECONDS
    #: a Redis URL (or ``celery_broker``) holding the app's shared window count (``hooks/_rate_store.py``);
    #: the connection's only, and out of ``repr``: the URL may hold the store's password
    rate_limit_store: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        object.__setattr__(self, "api_version", normalize_api_version(self.api_version))
        if not self.access_token and not (self.client_id and self.client_secret and self.refresh_token):
            raise HubSpotInputError(
                "the HubSpot connection needs a service key or private app access token in its password, or "
                "OAuth client_id, client_secret and refresh_token in its extras",
                field="password",
            )
        if self.max_concurrency > 32:
            raise HubSpotInputError("must be at most 32", field="max_concurrency")
        for name in TIMEOUTS:
            _as_number(getattr(self, name), name, float, 0)
        _check_base_url(self.base_url, self.allow_insecure_http)
        semantics = str(self.label_write_semantics).strip().lower()
        if semantics not in LABEL_WRITE_SEMANTICS:
            raise HubSpotInputError(
                f"must be 'replace' (HubSpot's documented behaviour) or 'merge', got {self.label_write_semantics!r}",
                field="label_write_semantics",
            )
        object.__setattr__(self, "label_write_semantics", semantics)
        if not 0 <= self.label_verify_rounds <= MAX_LABEL_VERIFY_ROUNDS:
            raise HubSpotInputError(
                f"must be 0 to {MAX_LABEL_VERIFY_ROUNDS}, got {self.label_verify_rounds!r}", field="label_verify_rounds"
            )
        try:
            ZoneInfo(self.account_time_zone)
        except (ValueError, ZoneInfoNotFoundError):
            raise HubSpotInputError(
                f"must be an IANA time zone such as 'America/New_York', got {self.account_time_zone!r}",
                field="account_time_zone",
            ) from None

    @property
    def auth_mode(self) -> str:
        """``static_token`` when the password holds a token (it wins), else ``oauth``.

        A static token is a service key or a legacy private app token: HubSpot takes both as
        ``Authorization: Bearer``, neither expires, and both share the app rate limits, so the hook treats them
        alike. (Named ``private_app`` before service keys existed; the connection itself is unchanged.)"""
        return "static_token" if self.access_token else "oauth"

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every credential this connection holds, for masking and for leak checks."""
        return tuple(s for s in (self.access_token, self.client_secret, self.refresh_token) if s)

    @classmethod
    def from_connection(cls, connection: Any, **overrides: Any) -> HubSpotSettings:
        """Build settings from an Airflow ``Connection``; ``overrides`` (hook arguments) win over extras.

        :raises HubSpotConnectionSettingsError: naming the connection id and the field (extra, connection field
            or hook argument), e.g. ``connection 'hubspot_default': extra 'read_timeout' must be > 0 (seconds), got 0``.
        """
        conn_id = getattr(connection, "conn_id", None) or "?"
        try:
            return cls._from_connection(connection, overrides)
        except HubSpotInputError as error:
            where = _where(error.field, connection, overrides)
            sep = " " if error.reason.startswith(("must", "has", "is ")) else ": "
            raise HubSpotConnectionSettingsError(
                f"connection {conn_id!r}: {where}{sep}{error.reason}", conn_id=conn_id, field=error.field
            ) from None

    @classmethod
    def _from_connection(cls, connection: Any, overrides: Mapping[str, Any]) -> HubSpotSettings:
        if overrides.get("allow_insecure_http") is not None:
            raise HubSpotInputError(
                "is refused: plain http:// off loopback is the connection's decision (its "
                "extra allow_insecure_http), not a task's",
                field="allow_insecure_http",
            )
        if overrides.get("rate_limit_store") is not None:
            raise HubSpotInputError(
                "is refused: the store is the connection's extra rate_limit_store (its URL may hold a password, "
                "and task arguments show in the UI)",
                field="rate_limit_store",
            )
        values = _connection_values(connection, overrides)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise HubSpotInputError(
                f"unknown hook setting(s) {unknown}; known: {sorted(known)}", field="hook arguments"
            )
        # the precedence rule: a hook argument that is not None wins over the connection's value
        values.update({k: v for k, v in overrides.items() if v is not None})
        for name, (kind, minimum) in _NUMERIC.items():
            if name in overrides and overrides[name] is not None:
                values[name] = _as_number(overrides[name], name, kind, minimum)
        return cls(**values)


#: numeric settings: their type and least value
_NUMERIC: dict[str, tuple[type, float]] = {
    "requests_per_10_seconds": (int, 1),
    "daily_request_limit": (int, 1),
    "max_concurrency": (int, 1),
    "max_retries": (int, 0),
    "max_retry_seconds": (float, 0),
    "connect_timeout": (float, 0),
    "read_timeout": (float, 0),
    "request_timeout": (float, 0),
    "max_response_bytes": (int, 1024),
    "max_pages_per_record": (int, 1),
    "read_deadline_seconds": (float, 1),
    "label_verify_rounds": (int, 0),
    "label_verify_settle_seconds": (float, 0),
}
#: most verify rounds of one chunk (each may wait ``label_verify_settle_seconds`` and read every pair again)
MAX_LABEL_VERIFY_ROUNDS = 10


def _connection_values(connection: Any, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The settings the connection itself gives (fields and extras, checked); an extra a hook argument replaces
    is not parsed (a bad extra does not fail a task that overrides it)."""
    extras: Mapping[str, Any] = connection.extra_dejson or {}

    def extra(name: str) -> Any:
        for key in (name, f"{_LEGACY_PREFIX}{name}"):
            value = extras.get(key)
            if value not in (None, ""):
                return value
        return None

    values: dict[str, Any] = {}
    base_url = _base_url(connection)
    if base_url:
        values["base_url"] = base_url
    if connection.password:
        values["access_token"] = connection.password
    client_id = extra("client_id") or connection.login or None
    for name, value in (
        ("client_id", client_id),
        ("client_secret", extra("client_secret")),
        ("refresh_token", extra("refresh_token")),
        ("api_version", extra("api_version")),
        ("account_time_zone", extra("account_time_zone")),
        ("label_write_semantics", extra("label_write_semantics")),
    ):
        if value is not None:
            values[name] = str(value)
    for name, (kind, minimum) in _NUMERIC.items():
        raw = extra(name)
        if raw is not None and overrides.get(name) is None:  # a hook argument replaces the extra
            values[name] = _as_number(raw, name, kind, minimum)
    if extra("ca_bundle"):
        values["verify"] = str(extra("ca_bundle"))
        if not os.path.exists(values["verify"]):
            raise HubSpotInputError(
                f"must be an existing file or directory, got {values['verify']!r}", field="ca_bundle"
            )
    elif extra("verify_ssl") is not None:
        values["verify"] = _as_bool(extra("verify_ssl"), "verify_ssl")
    if extra("allow_insecure_http") is not None:
        values["allow_insecure_http"] = _as_bool(extra("allow_insecure_http"), "allow_insecure_http")
    if extra("rate_limit_store") is not None:
        values["rate_limit_store"] = check_store(str(extra("rate_limit_store")))
    return values


def _where(name: str | None, connection: Any, overrides: Mapping[str, Any]) -> str:
    """Where a setting came from, in the words of the connection form."""
    if name is None:
        return "settings"
    if name in overrides:
        return f"hook argument {name!r}"
    if name == "hook arguments":
        return name
    if name == "base_url":
        return "field 'host'"
    if name in ("access_token", "password"):
        return "field 'password'"
    return f"extra {name!r}"


def _base_url(connection: Any) -> str | None:
    """``host`` may be a full URL (``http://127.0.0.1:8799``) or a bare host completed by schema and port."""
    host = (connection.host or "").strip()
    if not host:
        return None
    if "://" in host:
        return host.rstrip("/")  # whole, so a user name, query or fragment is refused, not silently kept/dropped
    scheme = (connection.schema or "https").strip() or "https"
    port = f":{connection.port}" if connection.port else ""
    return f"{scheme}://{host}{port}"
