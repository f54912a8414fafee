"""Service keys as a credential: the connection form names them, ``test_connection`` reads the labels listing at
the connection's own API version, and a credential missing scopes gets an error naming the scopes to add."""

from __future__ import annotations

import json
import logging

import pytest
from transport_helpers import fresh_limiters  # noqa: F401 - the fixture is used by name

from airflow_provider_hubassoc.exceptions import HubSpotAuthError, HubSpotMissingScopesError
from airflow_provider_hubassoc.hooks.associations import HubSpotAssociationsHook

pytestmark = pytest.mark.usefixtures("fresh_limiters")

SERVICE_KEY = "svc-key-do-not-print-7f3a"
READ_BOTH = ["crm.objects.contacts.read", "crm.objects.companies.read"]


def service_key_connection(monkeypatch, emulator, conn_id: str, key: str = SERVICE_KEY, **extra) -> str:
    """An Airflow connection whose password is ``key`` (how a user stores a service key)."""
    connection = {"conn_type": "hubspot", "host": emulator.base_url, "password": key, "extra": extra}
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(connection))
    return conn_id


@pytest.fixture
def served(hubspot_emulator):
    """``(method, path, endpoint, status)`` of every API request the emulator answered during the test."""
    seen: list[tuple[str, str, str, int]] = []

    def observe(request, response) -> None:
        seen.append((request.method, request.path, response.endpoint, response.status))

    hubspot_emulator.app.observers.append(observe)
    yield seen
    hubspot_emulator.app.observers.remove(observe)


# -- the connection form -------------------------------------------------------------------------------------


# -- test_connection: the labels listing at the connection's version --------------------------------------------


@pytest.mark.parametrize(
    ("api_version", "path", "endpoint"),
    [
        ("2026-09", "/crm/associations/2026-09/contacts/companies/labels", "labels.list"),
        ("2026-03", "/crm/associations/2026-03/contacts/companies/labels", "labels.list"),
        pytest.param(
            "v4", "/crm/v4/associations/contacts/companies/labels", "labels.list", marks=pytest.mark.legacy_api
        ),
        pytest.param("v3", "/crm/v3/associations/contacts/companies/types", "v3.types", marks=pytest.mark.legacy_api),
    ],
)
def test_test_connection_reads_the_labels_listing_at_the_connection_version(
    hubspot_emulator, monkeypatch, served, api_version, path, endpoint
) -> None:
    conn_id = service_key_connection(monkeypatch, hubspot_emulator, "hubspot_ver", api_version=api_version)
    hubspot_emulator.add_token(SERVICE_KEY, scopes=READ_BOTH)
    hook = HubSpotAssociationsHook(conn_id)
    ok, message = hook.test_connection()
    assert ok, message
    assert served == [("GET", path, endpoint, 200)]
    assert hubspot_emulator.counters() == {endpoint: {"200": 1}}
    assert message == f"Connected to {hubspot_emulator.base_url} (GET {path}: HTTP 200)"
    hook.close()


def test_test_connection_names_the_scopes_a_service_key_lacks(hubspot_emulator, monkeypatch, served, caplog) -> None:
    conn_id = service_key_connection(monkeypatch, hubspot_emulator, "hubspot_noscope", api_version="2026-03")
    hubspot_emulator.add_token(SERVICE_KEY, scopes=["crm.objects.contacts.read", "crm.objects.deals.read"])
    with caplog.at_level(logging.DEBUG):
        hook = HubSpotAssociationsHook(conn_id)
        ok, message = hook.test_connection()
    assert not ok
    assert message.startswith(
        "HubSpot refused: the credential lacks scopes crm.objects.companies.read; add them to the service key "
        "(or private app, or the OAuth app's scopes) and try again (HTTP 403 MISSING_SCOPES on GET "
        "/crm/associations/2026-03/contacts/companies/labels, correlationId="
    )
    assert served == [("GET", "/crm/associations/2026-03/contacts/companies/labels", "labels.list", 403)]
    assert hook.transport.stats.requests_sent == 1  # a 403 is not retried
    assert SERVICE_KEY not in message + caplog.text
    hook.close()


def test_test_connection_with_a_key_lacking_both_read_scopes(hubspot_emulator, monkeypatch) -> None:
    conn_id = service_key_connection(monkeypatch, hubspot_emulator, "hubspot_none", api_version="2026-09")
    hubspot_emulator.add_token(SERVICE_KEY, scopes=[])
    ok, message = HubSpotAssociationsHook(conn_id).test_connection()
    assert not ok
    assert "lacks scopes crm.objects.contacts.read, crm.objects.companies.read;" in message
    assert SERVICE_KEY not in message


# -- the hook's error on any MISSING_SCOPES refusal ------------------------------------------------------------


def test_a_write_with_a_read_only_key_raises_an_error_naming_the_write_scopes(
    hubspot_emulator, monkeypatch, served
) -> None:
    conn_id = service_key_connection(monkeypatch, hubspot_emulator, "hubspot_ro", api_version="2026-03")
    hubspot_emulator.add_token(SERVICE_KEY, scopes=READ_BOTH)
    hook = HubSpotAssociationsHook(conn_id, label_write_semantics="merge")
    assert hook.test_connection()[0]  # reading is allowed
    with pytest.raises(HubSpotMissingScopesError) as raised:
        hook.create_associations("contacts", "companies", [(1, 501)])
    error = raised.value
    assert isinstance(error, HubSpotAuthError)  # callers catching the broader class keep working
    assert (error.status, error.category) == (403, "MISSING_SCOPES")
    assert error.required_scopes == ["crm.objects.contacts.write", "crm.objects.companies.write"]
    text = str(error)
    assert text.startswith(
        "HubSpot 403 MISSING_SCOPES on POST /crm/associations/2026-03/0-1/0-2/batch/associate/default: "
        "This app hasn't been granted all required scopes"
    )
    assert text.endswith(
        " -- the credential lacks scopes crm.objects.contacts.write, crm.objects.companies.write; add them to the "
        "service key (or private app, or the OAuth app's scopes) and try again"
    )
    assert SERVICE_KEY not in text + repr(error)
    assert hubspot_emulator.associations("contacts", 1, "companies") == {}  # nothing was written
    assert [s for *_, s in served] == [200, 403]
    hook.close()


def test_a_key_with_every_scope_it_needs_links_and_reads(hubspot_emulator, monkeypatch) -> None:
    conn_id = service_key_connection(monkeypatch, hubspot_emulator, "hubspot_rw", api_version="2026-03")
    write_both = ["crm.objects.contacts.write", "crm.objects.companies.write"]
    hubspot_emulator.add_token(SERVICE_KEY, scopes=READ_BOTH + write_both)
    hook = HubSpotAssociationsHook(conn_id)
    result = hook.create_associations("contacts", "companies", [(1, 501)])
    assert (result.succeeded, result.failed) == (1, 0)
    rows = list(hook.iter_read_associations("contacts", "companies", [1]))
    assert [(r.from_id, r.to_id) for r in rows] == [(1, 501)]
    hook.close()
