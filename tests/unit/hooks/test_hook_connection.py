"""The hook as Airflow uses it: connection → settings → transport, test_connection, form metadata, and secrets
that never reach logs, exceptions, reprs or printed output."""

from __future__ import annotations

import json

import pytest
from transport_helpers import fresh_limiters  # noqa: F401 - the fixture is used by name

from airflow_provider_hubassoc.hooks.associations import HubSpotAssociationsHook

SECRETS = ("pat-na1-very-secret-token", "oauth-client-secret-xyz", "oauth-refresh-token-abc")


pytestmark = pytest.mark.usefixtures("fresh_limiters")


def set_connection(monkeypatch, conn_id: str, **connection) -> None:
    connection.setdefault("conn_type", "hubspot")
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(connection))


def test_secrets_are_registered_with_airflows_masker(monkeypatch) -> None:
    from airflow_provider_hubassoc import _compat

    masked: list[str] = []
    monkeypatch.setattr("airflow_provider_hubassoc.hooks._auth.mask_secret", masked.append)
    set_connection(
        monkeypatch,
        "hubspot_mask",
        password=SECRETS[0],
        extra={"client_id": "c", "client_secret": SECRETS[1], "refresh_token": SECRETS[2]},
    )
    HubSpotAssociationsHook("hubspot_mask").transport  # noqa: B018 - building it registers the secrets
    # the private app token wins, and the unused OAuth secrets of the connection are masked all the same
    assert set(masked) == set(SECRETS)
    assert _compat.mask_secret is not None


def test_form_metadata_for_older_uis() -> None:
    behaviour = HubSpotAssociationsHook.get_ui_field_behaviour()
    assert behaviour["relabeling"]["password"] == "Service key or private app token"
    assert "login" in behaviour["hidden_fields"]


def test_form_widgets_for_airflow_2_ui() -> None:
    """Airflow 2.x's Flask UI builds the form from WTForms widgets; Airflow 3 reads conn-fields instead."""
    pytest.importorskip("flask_appbuilder", reason="Airflow 2.x UI only (Airflow 3 reads declarative conn-fields)")
    widgets = HubSpotAssociationsHook.get_connection_form_widgets()
    assert {"client_id", "client_secret", "refresh_token", "api_version", "requests_per_10_seconds"} <= set(widgets)
    # unbound WTForms fields (the form class binds them): the field class is what the UI renders
    assert widgets["client_secret"].field_class.__name__ == "PasswordField"
    assert widgets["refresh_token"].field_class.__name__ == "PasswordField"
    assert widgets["requests_per_10_seconds"].field_class.__name__ == "IntegerField"
    semantics = widgets["label_write_semantics"]
    assert semantics.field_class.__name__ == "StringField"  # Airflow 2 renders no select fields
    assert semantics.kwargs["validators"][1].values == ["replace", "merge"]
    assert semantics.kwargs["default"] == "replace"
