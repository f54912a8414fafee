"""Service keys in the emulator: static tokens registered with a scope list get HubSpot's 403 MISSING_SCOPES
(reference §11.2) for a call whose endpoint needs a scope they lack; tokens without a list keep full access."""

from __future__ import annotations

import pytest

from airflow_provider_hubassoc.emulator._scopes import required_scopes


@pytest.mark.parametrize(
    ("endpoint", "types", "scopes"),
    [
        ("batch.read", ("0-1", "0-2"), ("crm.objects.contacts.read", "crm.objects.companies.read")),
        ("records.list", ("0-3", "0-3"), ("crm.objects.deals.read",)),
        ("labels.list", ("0-5", "2-123"), ("crm.objects.tickets.read", "crm.objects.custom.read")),
        ("v3.types", ("0-1", "0-8"), ("crm.objects.contacts.read", "crm.objects.line_items.read")),
        ("batch.archive", ("0-1", "0-2"), ("crm.objects.contacts.write", "crm.objects.companies.write")),
        ("records.default", ("0-1", "0-3"), ("crm.objects.contacts.write", "crm.objects.deals.write")),
        ("labels.create", ("0-1", "0-2"), ("crm.schemas.contacts.write", "crm.schemas.companies.write")),
        ("limits.purge", ("2-7", "0-2"), ("crm.schemas.custom.write", "crm.schemas.companies.write")),
        ("limits.all", (), ()),
        ("usage.report", (), ()),
    ],
)
def test_the_emulators_scope_model(endpoint: str, types: tuple[str, ...], scopes: tuple[str, ...]) -> None:
    assert required_scopes(endpoint, types) == scopes
