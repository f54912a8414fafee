"""Service keys as a credential: the connection form names them, ``test_connection`` reads the labels listing at
the connection's own API version, and a credential missing scopes gets an error naming the scopes to add."""

from __future__ import annotations

import pytest
from transport_helpers import fresh_limiters  # noqa: F401 - the fixture is used by name

from airflow_provider_hubassoc import get_provider_info
from airflow_provider_hubassoc.exceptions import HubSpotAuthError, HubSpotMissingScopesError, named_scopes
from airflow_provider_hubassoc.hooks.associations import HubSpotAssociationsHook

pytestmark = pytest.mark.usefixtures("fresh_limiters")

# -- the connection form -------------------------------------------------------------------------------------


def test_airflow_3_form_names_service_keys_beside_private_app_tokens() -> None:
    (conn,) = get_provider_info()["connection-types"]
    behaviour = conn["ui-field-behaviour"]
    assert behaviour["relabeling"]["password"] == "Service key or private app token"
    assert behaviour["placeholders"]["password"] == "service key, or a pat-na1-... private app token (empty for OAuth)"
    assert "service key" in conn["conn-fields"]["client_id"]["description"]
    # OAuth stays a choice of its own
    assert {"client_id", "client_secret", "refresh_token"} <= set(conn["conn-fields"])


def test_airflow_2_form_names_service_keys() -> None:
    behaviour = HubSpotAssociationsHook.get_ui_field_behaviour()
    assert behaviour["relabeling"]["password"] == "Service key or private app token"
    assert behaviour["placeholders"]["password"].startswith("service key")
    pytest.importorskip("flask_appbuilder", reason="Airflow 2.x UI only (Airflow 3 reads declarative conn-fields)")
    widgets = HubSpotAssociationsHook.get_connection_form_widgets()
    assert "service key" in widgets["client_id"].kwargs["description"]
    assert widgets["client_secret"].field_class.__name__ == "PasswordField"


# -- test_connection: the labels listing at the connection's version --------------------------------------------


# -- the hook's error on any MISSING_SCOPES refusal ------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "scopes"),
    [
        # HubSpot's documented body (reference §11.2): the scopes are in errors[].context.requiredScopes
        (
            {"errors": [{"context": {"requiredScopes": ["crm.objects.custom.read", "crm.schemas.custom.read"]}}]},
            ["crm.objects.custom.read", "crm.schemas.custom.read"],
        ),
        # newer answers reportedly say requiredGranularScopes; a top-level context is read too
        (
            {
                "context": {"requiredScopes": ["a.read"]},
                "errors": [{"context": {"requiredGranularScopes": ["b.read", "a.read"]}}, "not a mapping"],
            },
            ["a.read", "b.read"],
        ),
        ({"errors": [{"message": "no context"}]}, []),
    ],
)
def test_scopes_are_read_from_every_place_hubspot_names_them(body, scopes) -> None:
    assert named_scopes(body.get("context"), body.get("errors")) == scopes
    error = HubSpotMissingScopesError(
        "This app hasn't been granted all required scopes to make this call.",
        status=403,
        category="MISSING_SCOPES",
        context=body.get("context"),
        errors=body.get("errors"),
    )
    assert error.required_scopes == scopes
    assert ("-- the credential lacks scopes" in str(error)) is bool(scopes)


def test_other_403s_carry_no_scope_hint() -> None:
    error = HubSpotAuthError(
        "no permission",
        status=403,
        category="USER_DOES_NOT_HAVE_PERMISSIONS",
        errors=[{"context": {"requiredScopes": ["x.read"]}}],
    )
    assert error.required_scopes == []
    assert str(error) == "HubSpot 403 USER_DOES_NOT_HAVE_PERMISSIONS: no permission"
