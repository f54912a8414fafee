"""Connection parsing: precedence (hook arguments > extras > defaults), legacy prefixes, clear field errors."""

from __future__ import annotations

import json

import pytest

from airflow_provider_hubassoc._compat import AIRFLOW_V_3_0_PLUS
from airflow_provider_hubassoc.exceptions import HubSpotInputError
from airflow_provider_hubassoc.hooks._settings import DEFAULT_BASE_URL, HubSpotSettings, normalize_api_version
from airflow_provider_hubassoc.hooks._versions import DEFAULT_API_VERSION

if AIRFLOW_V_3_0_PLUS:
    from airflow.sdk import Connection
else:  # pragma: no cover
    from airflow.models import Connection


def conn(**kwargs) -> Connection:
    kwargs.setdefault("conn_id", "hubspot_test")
    kwargs.setdefault("conn_type", "hubspot")
    if isinstance(kwargs.get("extra"), dict):
        kwargs["extra"] = json.dumps(kwargs["extra"])
    return Connection(**kwargs)


def test_token_only_connection_uses_hubspot_defaults() -> None:
    settings = HubSpotSettings.from_connection(conn(password="pat-na1-secret"))
    assert settings.base_url == DEFAULT_BASE_URL
    assert settings.auth_mode == "static_token"
    assert settings.api_version == "2026-09" == DEFAULT_API_VERSION
    assert settings.requests_per_10_seconds == 100
    assert settings.max_concurrency == 4


@pytest.mark.parametrize(
    ("host", "schema", "port", "expected"),
    [
        ("http://127.0.0.1:8799", None, None, "http://127.0.0.1:8799"),
        ("https://proxy.example.com/hubspot/", None, None, "https://proxy.example.com/hubspot"),
        ("api.hubapi.com", None, None, "https://api.hubapi.com"),
        ("127.0.0.1", "http", 8799, "http://127.0.0.1:8799"),
    ],
)
def test_host_overrides_base_url(host, schema, port, expected) -> None:
    settings = HubSpotSettings.from_connection(conn(password="t", host=host, schema=schema, port=port))
    assert settings.base_url == expected


def test_extras_read_plain_and_with_legacy_prefix_and_hook_arguments_win() -> None:
    connection = conn(
        password="t",
        extra={"api_version": "2026-03", "extra__hubspot__requests_per_10_seconds": "50", "max_concurrency": 8},
    )
    settings = HubSpotSettings.from_connection(connection)
    assert (settings.api_version, settings.requests_per_10_seconds, settings.max_concurrency) == ("2026-03", 50, 8)
    overridden = HubSpotSettings.from_connection(connection, api_version="v4", requests_per_10_seconds=10)
    assert (overridden.api_version, overridden.requests_per_10_seconds) == ("v4", 10)


def test_oauth_connection_from_extras() -> None:
    settings = HubSpotSettings.from_connection(
        conn(extra={"client_id": "cid", "client_secret": "csecret", "refresh_token": "rtoken"})
    )
    assert settings.auth_mode == "oauth"
    assert set(settings.secrets) == {"csecret", "rtoken"}


def test_reprs_hide_every_secret() -> None:
    settings = HubSpotSettings.from_connection(
        conn(password="pat-secret-1", extra={"client_id": "cid", "client_secret": "csecret-2", "refresh_token": "rt-3"})
    )
    text = repr(settings)
    for secret in ("pat-secret-1", "csecret-2", "rt-3"):
        assert secret not in text


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"requests_per_10_seconds": "many"}, "requests_per_10_seconds"),
        ({"max_retries": -1}, "max_retries"),
        ({"api_version": "v5"}, "api_version"),
        ({"verify_ssl": "maybe"}, "verify_ssl"),
        ({"label_write_semantics": "append"}, "label_write_semantics"),
    ],
)
def test_bad_extras_name_the_field(extra, field) -> None:
    with pytest.raises(HubSpotInputError) as raised:
        HubSpotSettings.from_connection(conn(password="t", extra=extra))
    assert raised.value.field == field
    assert field in str(raised.value)


def test_label_write_semantics_from_extra_and_hook_argument() -> None:
    assert HubSpotSettings.from_connection(conn(password="t")).label_write_semantics == "replace"
    connection = conn(password="t", extra={"extra__hubspot__label_write_semantics": " Merge "})
    assert HubSpotSettings.from_connection(connection).label_write_semantics == "merge"
    assert HubSpotSettings.from_connection(connection, label_write_semantics="replace").label_write_semantics == (
        "replace"
    )
    with pytest.raises(HubSpotInputError) as raised:
        HubSpotSettings.from_connection(connection, label_write_semantics="union")
    assert str(raised.value).startswith("connection 'hubspot_test': hook argument 'label_write_semantics' must be")


def test_missing_credentials_is_a_clear_error() -> None:
    with pytest.raises(HubSpotInputError, match="needs a service key or private app access token in its password"):
        HubSpotSettings.from_connection(conn(extra={"client_id": "cid"}))


def test_unknown_hook_setting_is_rejected() -> None:
    with pytest.raises(HubSpotInputError, match="unknown hook setting"):
        HubSpotSettings.from_connection(conn(password="t"), requests_per_second=5)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("V4", "v4"),
        ("4", "v4"),
        ("2026-03", "2026-03"),
        (" 2026-09 ", "2026-09"),
        ("2025-09", "2025-09"),
        ("2026-09-Beta", "2026-09-beta"),
    ],
)
def test_api_version_forms(raw, expected) -> None:
    assert normalize_api_version(raw) == expected
