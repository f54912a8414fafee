"""Connection settings: the Airflow connection parsed and validated once.

One place for precedence: hook arguments win over connection extras, which win over defaults. Extras are read
both unprefixed and with Airflow's legacy ``extra__hubspot__`` prefix. Secrets are excluded from ``repr``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any, Mapping
from urllib.parse import urlsplit

from airflow_provider_hubassoc import __version__
from airflow_provider_hubassoc.exceptions import HubSpotInputError

DEFAULT_BASE_URL = "https://api.hubapi.com"
DEFAULT_API_VERSION = "v4"
# HubSpot's documented burst budget for a Free/Starter private app (associations: 100 per 10 s).
DEFAULT_REQUESTS_PER_10_SECONDS = 100
_DATED_VERSION = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_LEGACY_PREFIX = "extra__hubspot__"
USER_AGENT = f"airflow-provider-hubassoc/{__version__}"


def normalize_api_version(value: str) -> str:
    """Accept ``v4``/``V4``/``4`` or a dated version ``YYYY-MM``; anything else is a clear error."""
    text = str(value).strip().lower()
    if text in {"v4", "4"}:
        return "v4"
    if text in {"v3", "3"}:
        return "v3"
    if _DATED_VERSION.match(text):
        return text
    raise HubSpotInputError(
        f"unknown HubSpot API version {value!r}: use 'v4' or a dated version such as '2026-03'", field="api_version"
    )


def _as_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes", "on"}:
        return True
    if text in {"false", "0", "no", "off"}:
        return False
    raise HubSpotInputError(f"expected true or false, got {value!r}", field=name)


def _as_number(value: Any, name: str, kind: type, minimum: float) -> Any:
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise HubSpotInputError(f"expected a number, got {value!r}", field=name) from None
    if number < minimum:
        raise HubSpotInputError(f"must be at least {minimum}, got {value!r}", field=name)
    return number


@dataclass(frozen=True)
class HubSpotSettings:
    """Everything the transport needs, validated. Secrets never appear in ``repr``."""

    base_url: str = DEFAULT_BASE_URL
    access_token: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    api_version: str = DEFAULT_API_VERSION
    requests_per_10_seconds: int = DEFAULT_REQUESTS_PER_10_SECONDS
    daily_request_limit: int | None = None
    max_concurrency: int = 4
    max_retries: int = 5
    max_retry_seconds: float = 300.0
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    verify: bool | str = True
    user_agent: str = USER_AGENT

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        object.__setattr__(self, "api_version", normalize_api_version(self.api_version))
        if not self.access_token and not (self.client_id and self.client_secret and self.refresh_token):
            raise HubSpotInputError(
                "the HubSpot connection needs a private app access token in its password, or OAuth "
                "client_id, client_secret and refresh_token in its extras",
                field="password",
            )
        if self.max_concurrency > 32:
            raise HubSpotInputError("at most 32 concurrent requests", field="max_concurrency")

    @property
    def auth_mode(self) -> str:
        """``private_app`` when a static token is set (it wins), else ``oauth``."""
        return "private_app" if self.access_token else "oauth"

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every credential this connection holds, for masking and for leak checks."""
        return tuple(s for s in (self.access_token, self.client_secret, self.refresh_token) if s)

    @classmethod
    def from_connection(cls, connection: Any, **overrides: Any) -> HubSpotSettings:
        """Build settings from an Airflow ``Connection``; ``overrides`` (hook arguments) win over extras."""
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
        ):
            if value is not None:
                values[name] = str(value)
        numeric = {
            "requests_per_10_seconds": (int, 1),
            "daily_request_limit": (int, 1),
            "max_concurrency": (int, 1),
            "max_retries": (int, 0),
            "max_retry_seconds": (float, 0),
            "connect_timeout": (float, 0),
            "read_timeout": (float, 0),
        }
        for name, (kind, minimum) in numeric.items():
            raw = extra(name)
            if raw is not None:
                values[name] = _as_number(raw, name, kind, minimum)
        if extra("ca_bundle"):
            values["verify"] = str(extra("ca_bundle"))
        elif extra("verify_ssl") is not None:
            values["verify"] = _as_bool(extra("verify_ssl"), "verify_ssl")

        known = {f.name for f in fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise HubSpotInputError(f"unknown hook setting(s) {unknown}; known: {sorted(known)}")
        values.update({k: v for k, v in overrides.items() if v is not None})
        for name, (kind, minimum) in numeric.items():
            if name in overrides and overrides[name] is not None:
                values[name] = _as_number(overrides[name], name, kind, minimum)
        return cls(**values)


def _base_url(connection: Any) -> str | None:
    """``host`` may be a full URL (``http://127.0.0.1:8799``) or a bare host completed by schema and port."""
    host = (connection.host or "").strip()
    if not host:
        return None
    if "://" in host:
        parts = urlsplit(host)
        return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")
    scheme = (connection.schema or "https").strip() or "https"
    port = f":{connection.port}" if connection.port else ""
    return f"{scheme}://{host}{port}"
