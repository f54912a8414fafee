"""The hook as Airflow uses it: connection → settings → transport, test_connection, form metadata, and secrets
that never reach logs, exceptions, reprs or printed output."""

from __future__ import annotations

import json
import logging

import pytest
from transport_helpers import fresh_limiters  # noqa: F401 - the fixture is used by name

from airflow_provider_hubassoc.exceptions import HubSpotAuthError
from airflow_provider_hubassoc.hooks.associations import HubSpotAssociationsHook

SECRETS = ("pat-na1-very-secret-token", "oauth-client-secret-xyz", "oauth-refresh-token-abc")


pytestmark = pytest.mark.usefixtures("fresh_limiters")


def set_connection(monkeypatch, conn_id: str, **connection) -> None:
    connection.setdefault("conn_type", "hubspot")
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(connection))


def test_hook_reads_the_default_connection_and_tests_it(hubspot_emulator, hubspot_connection) -> None:
    hook = HubSpotAssociationsHook()
    assert hook.hubspot_conn_id == "hubspot_default"
    assert hook.settings.base_url == hubspot_emulator.base_url
    ok, message = hook.test_connection()
    assert ok, message
    assert hubspot_emulator.base_url in message
    assert hook.get_conn() is hook.transport
    hook.close()


def test_test_connection_reports_a_bad_token_honestly(hubspot_emulator, monkeypatch) -> None:
    set_connection(monkeypatch, "hubspot_bad", host=hubspot_emulator.base_url, password=SECRETS[0])
    ok, message = HubSpotAssociationsHook("hubspot_bad").test_connection()
    assert not ok
    assert "401" in message and "INVALID_AUTHENTICATION" in message
    assert SECRETS[0] not in message


def test_test_connection_reports_an_unreachable_host_after_one_retry(monkeypatch) -> None:
    set_connection(
        monkeypatch,
        "hubspot_down",
        host="http://127.0.0.1:9",
        password="t",
        extra={"max_retries": 5, "connect_timeout": 1},
    )
    ok, message = HubSpotAssociationsHook("hubspot_down").test_connection()
    assert not ok and "no response after 2 attempt(s): ConnectionError" in message


def test_test_connection_reports_server_errors_without_the_full_backoff(hubspot_emulator, monkeypatch) -> None:
    hubspot_emulator.configure(fault_503=1.0)
    set_connection(
        monkeypatch, "hubspot_503", host=hubspot_emulator.base_url, password="test-token", extra={"max_retries": 5}
    )
    hook = HubSpotAssociationsHook("hubspot_503")
    ok, message = hook.test_connection()
    assert not ok and "HubSpot 503" in message
    assert hook.transport.stats.requests_sent == 2


def test_hook_overrides_win_over_extras(hubspot_emulator, monkeypatch) -> None:
    set_connection(
        monkeypatch,
        "hubspot_x",
        host=hubspot_emulator.base_url,
        password="test-token",
        extra={"api_version": "2026-03", "max_concurrency": 2},
    )
    hook = HubSpotAssociationsHook("hubspot_x", max_concurrency=6)
    assert (hook.settings.api_version, hook.settings.max_concurrency) == ("2026-03", 6)
    assert hook.transport.session.get_adapter("http://x").poolmanager.connection_pool_kw["maxsize"] == 8


def test_oauth_connection_end_to_end_and_no_secret_anywhere(hubspot_emulator, monkeypatch, caplog, capsys) -> None:
    hubspot_emulator.oauth_client("cid-1", SECRETS[1], SECRETS[2])
    set_connection(
        monkeypatch,
        "hubspot_oauth",
        host=hubspot_emulator.base_url,
        extra={"client_id": "cid-1", "client_secret": SECRETS[1], "refresh_token": SECRETS[2]},
    )
    with caplog.at_level(logging.DEBUG):
        hook = HubSpotAssociationsHook("hubspot_oauth")
        ok, message = hook.test_connection()
        assert ok, message
        access_token = hook.transport.auth.token()
        print(repr(hook), repr(hook.settings), repr(hook.transport), repr(hook.transport.auth))
    out = capsys.readouterr()
    seen = caplog.text + out.out + out.err + message
    for secret in (*SECRETS[1:], access_token):
        assert secret not in seen


def test_secrets_absent_from_errors_logs_and_reprs_on_failures(hubspot_emulator, monkeypatch, caplog, capsys) -> None:
    hubspot_emulator.oauth_client("cid-2", "the-real-secret", "the-real-refresh")
    set_connection(
        monkeypatch,
        "hubspot_badoauth",
        host=hubspot_emulator.base_url,
        extra={"client_id": "cid-2", "client_secret": SECRETS[1], "refresh_token": SECRETS[2]},
    )
    set_connection(monkeypatch, "hubspot_badtoken", host=hubspot_emulator.base_url, password=SECRETS[0])
    texts = []
    with caplog.at_level(logging.DEBUG):
        for conn_id in ("hubspot_badoauth", "hubspot_badtoken"):
            hook = HubSpotAssociationsHook(conn_id)
            with pytest.raises(HubSpotAuthError) as raised:
                hook.transport.request("GET", "/crm/associations/2026-09/contacts/companies/labels")
            texts += [str(raised.value), repr(raised.value), repr(hook), repr(hook.settings), repr(hook.transport)]
    out = capsys.readouterr()
    seen = " ".join(texts) + caplog.text + out.out + out.err
    for secret in SECRETS:
        assert secret not in seen
