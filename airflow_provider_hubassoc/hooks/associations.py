"""The HubSpot Associations hook: the one door to HubSpot.

Auth, transport, retries and rate limiting live in :mod:`._transport` (built once per hook from the Airflow
connection); this module wires the hook into Airflow (connection type, form, ``test_connection``) and
offers the Associations API on top of the transport.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from airflow_provider_hubassoc import CONNECTION_EXTRA_FIELDS, UI_FIELD_BEHAVIOUR
from airflow_provider_hubassoc._compat import BaseHook
from airflow_provider_hubassoc.exceptions import HubSpotError
from airflow_provider_hubassoc.hooks._settings import HubSpotSettings
from airflow_provider_hubassoc.hooks._transport import HubSpotTransport


class HubSpotAssociationsHook(BaseHook):
    """Talk to the HubSpot CRM Associations API (v3, v4 and date-versioned) through one Airflow connection.

    The connection's password is a private app access token; or its extras hold an OAuth client id, client
    secret and refresh token. Its host (optional) overrides ``https://api.hubapi.com`` so the bundled
    emulator, a proxy or a regional host can be used.

    :param hubspot_conn_id: Airflow connection id of conn type ``hubspot``.
    :param settings_overrides: per-hook overrides of connection extras (for example ``api_version="2026-03"``
        or ``requests_per_10_seconds=50``); they win over the connection's extras.
    """

    conn_name_attr = "hubspot_conn_id"
    default_conn_name = "hubspot_default"
    conn_type = "hubspot"
    hook_name = "HubSpot"

    def __init__(self, hubspot_conn_id: str = default_conn_name, **settings_overrides: Any) -> None:
        super().__init__()
        self.hubspot_conn_id = hubspot_conn_id
        self._settings_overrides = settings_overrides

    def __repr__(self) -> str:
        return f"{type(self).__name__}(hubspot_conn_id={self.hubspot_conn_id!r})"

    # -- Airflow wiring ---------------------------------------------------------------------------------

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Form layout for Airflow 2.x and 3.0/3.1 (3.2+ reads the same data from ``get_provider_info``)."""
        return {key: value for key, value in UI_FIELD_BEHAVIOUR.items()}

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Extra form fields for Airflow 2.x and 3.0/3.1; imports the form libraries lazily."""
        from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget
        from flask_babel import lazy_gettext
        from wtforms import BooleanField, IntegerField, PasswordField, StringField
        from wtforms.validators import NumberRange, Optional

        widgets: dict[str, Any] = {}
        for name, spec in CONNECTION_EXTRA_FIELDS.items():
            schema = spec["schema"]
            types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            label = lazy_gettext(spec["label"])
            description = spec.get("description", "")
            default = schema.get("default")
            if schema.get("format") == "password":
                field = PasswordField(label, widget=BS3PasswordFieldWidget(), description=description)
            elif "boolean" in types:
                field = BooleanField(label, default=default, description=description)
            elif "integer" in types:
                field = IntegerField(
                    label,
                    validators=[Optional(), NumberRange(min=schema.get("minimum"), max=schema.get("maximum"))],
                    widget=BS3TextFieldWidget(),
                    default=default,
                    description=description,
                )
            else:
                field = StringField(label, widget=BS3TextFieldWidget(), default=default, description=description)
            widgets[name] = field
        return widgets

    @cached_property
    def settings(self) -> HubSpotSettings:
        """Connection settings, parsed once: connection extras with this hook's overrides on top."""
        connection = self.get_connection(self.hubspot_conn_id)
        return HubSpotSettings.from_connection(connection, **self._settings_overrides)

    @cached_property
    def transport(self) -> HubSpotTransport:
        """The hook's HTTP transport: one pooled session, auth, retries, the shared rate limiter."""
        return HubSpotTransport(self.settings, logger=self.log)

    def get_conn(self) -> HubSpotTransport:
        return self.transport

    def close(self) -> None:
        """Release the HTTP session (in-flight requests finish or fail); safe to call twice."""
        if "transport" in self.__dict__:
            self.transport.close()

    def test_connection(self) -> tuple[bool, str]:
        """Check credentials and reachability with one cheap authenticated read (a label listing)."""
        try:
            response = self.transport.request("GET", "/crm/v3/associations/contacts/companies/types")
        except HubSpotError as error:
            return False, str(error)
        except Exception as error:  # noqa: BLE001 - the UI wants a message, never a traceback
            return False, f"{type(error).__name__}: {error}"
        return True, f"Connected to {self.settings.base_url} (HTTP {response.status_code})"
