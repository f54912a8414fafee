"""Airflow discovers the provider through its entry point, with the hubspot connection type and form metadata."""

from __future__ import annotations

from importlib.metadata import entry_points

import airflow_provider_hubassoc
from airflow_provider_hubassoc import get_provider_info


def test_entry_point_points_at_get_provider_info() -> None:
    found = [
        ep for ep in entry_points(group="apache_airflow_provider") if ep.value.startswith("airflow_provider_hubassoc")
    ]
    assert len(found) == 1
    assert found[0].load() is get_provider_info


def test_provider_info_matches_distribution_and_declares_connection_form() -> None:
    info = get_provider_info()
    assert info["package-name"] == "airflow-provider-hubassoc"
    (conn,) = info["connection-types"]
    assert conn["connection-type"] == "hubspot"
    assert conn["hook-class-name"].endswith("hooks.associations.HubSpotAssociationsHook")
    assert conn["ui-field-behaviour"]["relabeling"]["password"] == "Service key or private app token"
    assert conn["conn-fields"]["client_secret"]["schema"]["format"] == "password"
    assert conn["conn-fields"]["refresh_token"]["schema"]["format"] == "password"
    semantics = conn["conn-fields"]["label_write_semantics"]["schema"]
    # exactly two choices in Airflow 3's dropdown, and still optional (no "null" choice; unset means replace)
    assert (semantics["enum"], semantics["default"]) == (["replace", "merge"], "replace")
    assert "null" in semantics["type"]
    assert info["versions"] == [airflow_provider_hubassoc.__version__]


def test_providers_manager_registers_hook_and_form_metadata() -> None:
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    assert "airflow-provider-hubassoc" in manager.providers
    assert manager.providers["airflow-provider-hubassoc"].version == airflow_provider_hubassoc.__version__
    hook_info = manager.hooks["hubspot"]
    assert hook_info is not None
    assert hook_info.hook_class_name == "airflow_provider_hubassoc.hooks.associations.HubSpotAssociationsHook"
    assert hook_info.connection_id_attribute_name == "hubspot_conn_id"
    assert hook_info.connection_testable
    widgets = manager.connection_form_widgets
    assert "extra__hubspot__client_secret" in widgets
    assert widgets["extra__hubspot__client_secret"].is_sensitive
    assert widgets["extra__hubspot__refresh_token"].is_sensitive
    assert manager.field_behaviours["hubspot"]["hidden_fields"] == ["login", "port", "schema"]


def test_provider_info_validates_against_airflows_schema_and_lists_the_transfer() -> None:
    import importlib
    import json
    from pathlib import Path

    import airflow
    import jsonschema

    schema = json.loads((Path(airflow.__file__).parent / "provider_info.schema.json").read_text())
    info = get_provider_info()
    jsonschema.validate(info, schema)
    (transfer,) = info["transfers"]
    assert transfer["target-integration-name"] == info["integrations"][0]["integration-name"]
    assert transfer["source-integration-name"] == "Common SQL"  # apache-airflow-providers-common-sql's integration
    module = importlib.import_module(transfer["python-module"])
    from airflow_provider_hubassoc.operators import associations

    # the warehouse -> HubSpot reconcile lives in transfers/; its old import path keeps working
    assert module.HubSpotSyncAssociationsOperator is associations.HubSpotSyncAssociationsOperator


def test_provider_info_registers_the_hubspot_asset_scheme_and_the_links() -> None:
    info = get_provider_info()
    handler = "airflow_provider_hubassoc.assets.sanitize_uri"
    assert info["asset-uris"] == [{"schemes": ["hubspot"], "handler": handler}]
    assert info["dataset-uris"] == info["asset-uris"]  # Airflow 2.x's name for the same registration
    assert info["extra-links"] == ["airflow_provider_hubassoc.links.associations.HubSpotRecordsLink"]


def test_providers_manager_uses_the_hubspot_uri_handler() -> None:
    from airflow.providers_manager import ProvidersManager

    from airflow_provider_hubassoc._compat import AIRFLOW_V_3_0_PLUS
    from airflow_provider_hubassoc.assets import sanitize_uri

    manager = ProvidersManager()
    handlers = manager.asset_uri_handlers if AIRFLOW_V_3_0_PLUS else getattr(manager, "dataset_uri_handlers")  # noqa: B009 - Airflow 2's name
    assert handlers["hubspot"] is sanitize_uri


def test_every_subpackage_is_in_the_wheel() -> None:
    """pyproject.toml lists the packages by hand (example_dags is mapped from the top-level folder): a new
    subpackage missing there installs from a clone but not from the wheel."""
    from pathlib import Path

    import tomllib

    root = Path(__file__).resolve().parents[2]
    listed = set(tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(root).parts)
        for init in (root / "airflow_provider_hubassoc").rglob("__init__.py")
    }
    assert on_disk <= listed, f"add to [tool.setuptools] packages: {sorted(on_disk - listed)}"
    assert "airflow_provider_hubassoc.example_dags" in listed
