"""Transport security, one test (or table of tests) per rule, against the emulator over real HTTP:

- no redirect is ever followed (API GET and POST, the OAuth token request; 301/302/303/307/308; to the same host
  and to another host, here a recording server on another port), and a redirected write is not a success;
- the connection's TLS settings apply to API and token requests and ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``
  cannot change them (a real TLS server on 127.0.0.1 with a test CA);
- plain ``http://`` is refused off loopback before any connection, unless ``allow_insecure_http``;
- ``request_timeout`` cuts a trickling (or silent) server at the deadline;
- settings errors (timeouts of 0 or less, bad extras) name the connection id and the field, at first use.
"""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
from transport_helpers import fresh_limiters  # noqa: F401 - the fixture is used by name

from airflow_provider_hubassoc import CONNECTION_EXTRA_FIELDS, get_provider_info
from airflow_provider_hubassoc._compat import AIRFLOW_V_3_0_PLUS
from airflow_provider_hubassoc.exceptions import (
    HubSpotConnectionSettingsError,
)
from airflow_provider_hubassoc.hooks._settings import HubSpotSettings
from airflow_provider_hubassoc.hooks.associations import HubSpotAssociationsHook

if AIRFLOW_V_3_0_PLUS:
    from airflow.sdk import Connection
else:  # pragma: no cover
    from airflow.models import Connection

pytestmark = pytest.mark.usefixtures("fresh_limiters")

# -- another host: a server on another port that records everything it receives ---------------------------------


# -- 1. no redirect is followed --------------------------------------------------------------------------------


# -- 2. TLS settings on every request, the environment cannot change them ----------------------------------------


# -- 3. plain http:// only to loopback, or with allow_insecure_http --------------------------------------------


def conn(conn_id: str = "hubspot_sec", **kwargs: Any) -> Connection:
    kwargs.setdefault("conn_type", "hubspot")
    kwargs.setdefault("password", "pat-sec-token")
    if isinstance(kwargs.get("extra"), dict):
        kwargs["extra"] = json.dumps(kwargs["extra"])
    return Connection(conn_id=conn_id, **kwargs)


@pytest.fixture
def no_network(monkeypatch) -> list[Any]:
    """Fail on any attempt to resolve or connect: a refusal must come before the network."""
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise AssertionError(f"network used: {args!r}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


@pytest.mark.parametrize(
    ("host", "schema"),
    [
        ("http://api.hubapi.com", None),
        ("http://10.1.2.3:8080/hubspot", None),
        ("http://[2001:db8::1]:80", None),
        ("http://127.0.0.1.nip.io", None),
        ("http://localhost.example.com", None),
        ("api.hubapi.com", "http"),
    ],
)
def test_plain_http_off_loopback_is_refused_before_any_connection(no_network, monkeypatch, host, schema) -> None:
    connection = conn(host=host, schema=schema)
    with pytest.raises(HubSpotConnectionSettingsError) as raised:
        HubSpotSettings.from_connection(connection)
    text = str(raised.value)
    assert text.startswith("connection 'hubspot_sec': field 'host' must use https://")
    assert "allow_insecure_http" in text and "pat-sec-token" not in text
    # through the hook: refused at first use; test_connection says why without touching the network
    monkeypatch.setenv("AIRFLOW_CONN_HUBSPOT_SEC", connection.as_json())
    ok, message = HubSpotAssociationsHook("hubspot_sec").test_connection()
    assert not ok and "must use https://" in message
    assert no_network == []


@pytest.mark.parametrize(
    "host",
    [
        "http://127.0.0.1:8799",
        "http://127.9.8.7",
        "http://[::1]:8799",
        "http://localhost:8799",
        "https://api.hubapi.com",
    ],
)
def test_loopback_http_and_https_are_accepted(no_network, host) -> None:
    assert HubSpotSettings.from_connection(conn(host=host)).base_url == host


@pytest.mark.parametrize("value", [True, "true", "1"])
def test_allow_insecure_http_lets_plain_http_through(no_network, value) -> None:
    settings = HubSpotSettings.from_connection(
        conn(host="http://hubspot-proxy.internal:8080", extra={"allow_insecure_http": value})
    )
    assert (settings.base_url, settings.allow_insecure_http) == ("http://hubspot-proxy.internal:8080", True)
    assert no_network == []


def test_allow_insecure_http_is_the_connections_decision_not_a_tasks(no_network) -> None:
    with pytest.raises(
        HubSpotConnectionSettingsError,
        match=r"^connection 'hubspot_sec': hook argument 'allow_insecure_http' is refused",
    ):
        HubSpotSettings.from_connection(conn(host="http://hubspot-proxy.internal:8080"), allow_insecure_http=True)


# -- 4. a total deadline per request ---------------------------------------------------------------------------


# -- 5. settings errors name the connection and the field, at first use ------------------------------------------


@pytest.mark.parametrize("name", ["connect_timeout", "read_timeout", "request_timeout"])
@pytest.mark.parametrize("value", [0, -1, "0", "-0.5", "nan", "inf"])
def test_timeouts_of_zero_or_less_are_refused_naming_connection_and_field(name, value) -> None:
    with pytest.raises(HubSpotConnectionSettingsError) as raised:
        HubSpotSettings.from_connection(conn(extra={name: value}))
    assert str(raised.value).startswith(f"connection 'hubspot_sec': extra '{name}' must be ")
    assert (raised.value.conn_id, raised.value.field) == ("hubspot_sec", name)


@pytest.mark.parametrize(
    ("extra", "field", "reason"),
    [
        ({"verify_ssl": "maybe"}, "verify_ssl", "must be true or false, got 'maybe'"),
        ({"allow_insecure_http": "perhaps"}, "allow_insecure_http", "must be true or false"),
        ({"requests_per_10_seconds": "many"}, "requests_per_10_seconds", "must be a number, got 'many'"),
        ({"max_concurrency": 64}, "max_concurrency", "must be at most 32"),
        ({"api_version": "v5"}, "api_version", "unknown HubSpot API version 'v5'"),
        ({"ca_bundle": "/nonexistent/ca.pem"}, "ca_bundle", "must be an existing file or directory"),
    ],
)
def test_bad_extras_name_the_connection_and_the_extra(extra, field, reason) -> None:
    with pytest.raises(HubSpotConnectionSettingsError) as raised:
        HubSpotSettings.from_connection(conn(extra=extra))
    assert str(raised.value).startswith(f"connection 'hubspot_sec': extra '{field}'")
    assert reason in str(raised.value)


def test_settings_are_checked_at_first_use_and_name_the_source(monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_HUBSPOT_SEC", conn(host="http://127.0.0.1:1", extra={"read_timeout": 0}).as_json())
    hook = HubSpotAssociationsHook("hubspot_sec")  # building a hook reads nothing (DAG parsing stays cheap)
    with pytest.raises(
        HubSpotConnectionSettingsError,
        match=r"^connection 'hubspot_sec': extra 'read_timeout' must be > 0 \(seconds\), got 0$",
    ):
        _ = hook.settings
    override = HubSpotAssociationsHook("hubspot_sec", read_timeout=5, request_timeout=-1)
    with pytest.raises(HubSpotConnectionSettingsError, match=r"hook argument 'request_timeout' must be > 0"):
        _ = override.settings
    monkeypatch.setenv("AIRFLOW_CONN_HUBSPOT_SEC", conn(password="", extra={"client_id": "c"}).as_json())
    with pytest.raises(HubSpotConnectionSettingsError, match=r"^connection 'hubspot_sec': field 'password': "):
        _ = HubSpotAssociationsHook("hubspot_sec").settings


# -- 6. form metadata ------------------------------------------------------------------------------------------


def test_new_extras_are_in_the_connection_form() -> None:
    fields = get_provider_info()["connection-types"][0]["conn-fields"]
    assert fields["request_timeout"]["schema"]["default"] == HubSpotSettings.request_timeout
    assert fields["allow_insecure_http"]["schema"] == {"type": ["boolean", "null"], "default": False}
    assert set(CONNECTION_EXTRA_FIELDS) >= {"request_timeout", "allow_insecure_http", "verify_ssl", "ca_bundle"}
    widgets = HubSpotAssociationsHook.get_connection_form_widgets() if not AIRFLOW_V_3_0_PLUS else None
    assert widgets is None or {"request_timeout", "allow_insecure_http"} <= set(widgets)
