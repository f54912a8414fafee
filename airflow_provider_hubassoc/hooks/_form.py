"""The connection form of Airflow 2.x and 3.0/3.1, built from the same field list as ``get_provider_info``
(Airflow 3.2+ reads that list itself). Imported only when the webserver asks the hook for its widgets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def form_widgets(fields: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """One WTForms field per connection extra: passwords, choices (text checked against the enum), booleans,
    integers with their bounds, text."""
    from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget
    from flask_babel import lazy_gettext
    from wtforms import BooleanField, IntegerField, PasswordField, StringField
    from wtforms.validators import AnyOf, NumberRange, Optional

    widgets: dict[str, Any] = {}
    for name, spec in fields.items():
        schema = spec["schema"]
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        label = lazy_gettext(spec["label"])
        description = spec.get("description", "")
        default = schema.get("default")
        if schema.get("format") == "password":
            field = PasswordField(label, widget=BS3PasswordFieldWidget(), description=description)
        elif schema.get("enum"):  # Airflow 2's form takes text, integer, password and boolean fields only
            choices = [value for value in schema["enum"] if value is not None]
            field = StringField(
                label,
                validators=[Optional(), AnyOf(choices)],
                widget=BS3TextFieldWidget(),
                default=default,
                description=description,
            )
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
