"""Issue 21, build item 3: settings, ids, object types, label texts and write locations are refused before the
first request, each error naming its field or parameter (the password never shown)."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone

import pytest

from airflow_provider_hubassoc._compat import AIRFLOW_V_3_0_PLUS
from airflow_provider_hubassoc._inputs import check_object_types, label_text_problem
from airflow_provider_hubassoc.exceptions import HubSpotConnectionSettingsError, HubSpotInputError
from airflow_provider_hubassoc.hooks._object_types import normalize_object_type
from airflow_provider_hubassoc.hooks._settings import HubSpotSettings, normalize_api_version
from airflow_provider_hubassoc.hooks.api._inputs import check_label_texts, label_tuple
from airflow_provider_hubassoc.operators._checkpoint import CheckpointCorruptError, CheckpointStore
from airflow_provider_hubassoc.operators._daily_reset import RESET_GRACE, RESET_STEP, daily_budget_retry_at
from airflow_provider_hubassoc.operators._files import parse_labels
from airflow_provider_hubassoc.operators._locations import LocationError, check_writable_location

if AIRFLOW_V_3_0_PLUS:
    from airflow.sdk import Connection
else:  # pragma: no cover
    from airflow.models import Connection


def conn(**kwargs) -> Connection:
    return Connection(conn_id="hubspot_test", conn_type="hubspot", password="pat-na1-token", **kwargs)


# -- host -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "schema", "port", "why"),
    [
        ("https://user:s3cret-pw@proxy.example.com", None, None, "user name or password"),
        ("https://user:s3cret-pw@proxy.example.com:8443/hubspot", None, None, "user name or password"),
        ("user:s3cret-pw@proxy.example.com", "https", None, "user name or password"),
        ("https://proxy.example.com/hubspot?key=s3cret-pw", None, None, "query or a fragment"),
        ("https://proxy.example.com#s3cret-pw", None, None, "query or a fragment"),
        ("https://api.hubapi.com?", None, None, "query or a fragment"),
    ],
)
def test_a_host_with_userinfo_query_or_fragment_is_refused_naming_the_field(host, schema, port, why) -> None:
    with pytest.raises(HubSpotConnectionSettingsError, match=why) as caught:
        HubSpotSettings.from_connection(conn(host=host, schema=schema, port=port))
    assert caught.value.field == "base_url"
    assert "field 'host'" in str(caught.value)
    assert "s3cret-pw" not in str(caught.value) and "s3cret-pw" not in repr(caught.value)


def test_a_hook_argument_base_url_with_userinfo_is_refused_without_the_password() -> None:
    with pytest.raises(HubSpotConnectionSettingsError, match="hook argument 'base_url'") as caught:
        HubSpotSettings.from_connection(conn(), base_url="https://u:s3cret-pw@api.hubapi.com")
    assert "s3cret-pw" not in str(caught.value)


def test_bad_port_error_hides_the_password() -> None:
    with pytest.raises(HubSpotConnectionSettingsError, match="bad port") as caught:
        HubSpotSettings.from_connection(conn(host="https://u:s3cret-pw@h:port"))
    assert "s3cret-pw" not in str(caught.value)


@pytest.mark.parametrize(
    ("host", "schema", "port", "expected"),
    [
        ("http://127.0.0.1:8799", None, None, "http://127.0.0.1:8799"),
        ("127.0.0.1", "http", 8799, "http://127.0.0.1:8799"),
        ("https://proxy.example.com/hubspot/", None, None, "https://proxy.example.com/hubspot"),  # a prefix: kept
    ],
)
def test_emulator_bare_and_prefixed_hosts_still_work(host, schema, port, expected) -> None:
    settings = HubSpotSettings.from_connection(conn(host=host, schema=schema, port=port))
    assert settings.base_url == expected
    assert "pat-na1-token" not in repr(settings)


def test_api_versions_take_ascii_digits_only() -> None:
    with pytest.raises(HubSpotInputError, match="unknown HubSpot API version"):
        normalize_api_version("٢٠٢٦-03")


# -- object types and label texts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["2-1٢٣", "0-\u0661", "p\u0661\u0662_cars", "p12_\u212aars", "tic\u212aets", "contacts\u0660"]
)
def test_object_types_are_ascii_only(value) -> None:
    with pytest.raises(HubSpotInputError) as caught:
        normalize_object_type(value, field="from_object_type")
    assert caught.value.field == "from_object_type"
    with pytest.raises(ValueError, match="to_object_type"):
        check_object_types("contacts", value)


def test_ascii_object_types_still_normalize() -> None:
    assert normalize_object_type("2-123") == "2-123"
    assert normalize_object_type("P12_cars") == "p12_cars"
    assert normalize_object_type("line-items") == "0-8"


@pytest.mark.parametrize("text", ["Man\x00ager", "tab\there", "line\nbreak", "del\x7f", "c\x851", "\x1b[31mred"])
def test_label_texts_with_control_characters_are_refused_naming_the_field(text) -> None:
    assert "control character" in (label_text_problem(text) or "")
    with pytest.raises(HubSpotInputError, match="control character") as caught:
        check_label_texts(name="manager", label=text, inverse_label=None)
    assert caught.value.field == "label"
    with pytest.raises(HubSpotInputError, match="control character") as caught:
        label_tuple([text], 3)
    assert (caught.value.field, caught.value.position) == ("labels", 3)
    with pytest.raises(HubSpotInputError, match=r"pairs.csv row 2: field 'label'.*control character"):
        parse_labels(f"Primary;{text}", "pairs.csv row 2", "label")


def test_printable_labels_still_pass() -> None:
    assert label_text_problem("Décideur — 決定者") is None
    check_label_texts(name="decision_maker", label="Décideur", inverse_label="Entreprise du décideur")


# -- write locations ---------------------------------------------------------------------------------------


def test_a_file_path_that_is_a_directory_is_refused_naming_the_parameter(tmp_path) -> None:
    with pytest.raises(LocationError, match=r"failures_path '.*' is a directory"):
        check_writable_location(str(tmp_path), "failures_path", "file")


def test_a_checkpoint_path_that_is_a_file_is_refused(tmp_path) -> None:
    (tmp_path / "checkpoints").write_text("")
    with pytest.raises(LocationError, match=r"checkpoint_path '.*' is a file"):
        check_writable_location(str(tmp_path / "checkpoints"), "checkpoint_path", "directory")
    with pytest.raises(LocationError, match=r"checkpoint_path .* is a file, not a directory"):
        check_writable_location(str(tmp_path / "checkpoints" / "deeper"), "checkpoint_path", "directory")


def test_a_file_under_a_file_is_refused(tmp_path) -> None:
    (tmp_path / "out").write_text("")
    with pytest.raises(LocationError, match=r"output_path .* cannot be created"):
        check_writable_location(str(tmp_path / "out" / "rows.csv"), "output_path", "file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_parent_is_refused(tmp_path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(LocationError, match=r"output_path .* no write permission"):
            check_writable_location(str(locked / "new" / "rows.csv"), "output_path", "file")
    finally:
        locked.chmod(0o700)


def test_writable_locations_pass_and_create_nothing(tmp_path) -> None:
    check_writable_location(str(tmp_path / "new" / "rows.csv"), "output_path", "file")
    check_writable_location(str(tmp_path / "rows.csv"), "failures_path", "file")
    check_writable_location(str(tmp_path / "checkpoints"), "checkpoint_path", "directory")
    check_writable_location(f"file://{tmp_path}/a/b", "checkpoint_path", "directory")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not AIRFLOW_V_3_0_PLUS, reason="Airflow 2's ObjectStoragePath registers no memory:// store")
def test_an_object_store_is_probed_by_creating_and_removing_an_object(tmp_path, monkeypatch) -> None:
    from airflow_provider_hubassoc._compat import ObjectStoragePath

    bucket = f"memory://{tmp_path.name}"
    check_writable_location(f"{bucket}/exports/rows.csv", "output_path", "file")
    check_writable_location(f"{bucket}/checkpoints", "checkpoint_path", "directory")
    assert not [p for p in ObjectStoragePath(bucket).rglob("*") if ".hubassoc-probe" in str(p)]  # removed

    def refused(self, data):
        raise PermissionError("Access Denied")

    monkeypatch.setattr(ObjectStoragePath, "write_bytes", refused)
    with pytest.raises(LocationError, match=r"output_path 'memory://.*' cannot be written .*Access Denied"):
        check_writable_location(f"{bucket}/exports/rows.csv", "output_path", "file")


# -- corrupt checkpoint ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ['{"version": 1, "fingerprint": "ab', "", "[1, 2]"])
def test_a_corrupt_checkpoint_names_its_path_and_what_to_do(tmp_path, text) -> None:
    store = CheckpointStore(str(tmp_path), dag_id="d", task_id="t", run_id="r", map_index=None)
    store.location.parent.mkdir(parents=True)
    store.location.write_text(text)
    with pytest.raises(CheckpointCorruptError, match="corrupt") as caught:
        store.load()
    assert str(store) in str(caught.value)
    assert "delete it" in str(caught.value) and "resume=False" in str(caught.value)
    assert "JSONDecodeError" not in type(caught.value).__name__


def test_a_sound_checkpoint_still_loads(tmp_path) -> None:
    store = CheckpointStore(str(tmp_path), dag_id="d", task_id="t", run_id="r", map_index=None)
    store.save({"version": 1, "position": 3})
    assert store.load() == {"version": 1, "position": 3}
    assert json.loads(store.location.read_text())["position"] == 3


# -- the late clock ----------------------------------------------------------------------------------------

MIDNIGHT_NY = datetime(2026, 7, 2, 4, 0, tzinfo=timezone.utc)  # 2026-07-02 00:00 in America/New_York


def test_a_resume_just_after_the_reset_waits_a_minute_not_a_day() -> None:
    now = MIDNIGHT_NY + timedelta(seconds=5)
    retry_at, late = daily_budget_retry_at("America/New_York", now, after_reset=True)
    assert late and retry_at == now + RESET_STEP


def test_the_short_steps_end_at_the_grace_window() -> None:
    now = MIDNIGHT_NY + RESET_GRACE - timedelta(seconds=20)
    assert daily_budget_retry_at("America/New_York", now, after_reset=True) == (MIDNIGHT_NY + RESET_GRACE, True)
    later = MIDNIGHT_NY + RESET_GRACE
    assert daily_budget_retry_at("America/New_York", later, after_reset=True) == (
        MIDNIGHT_NY + timedelta(days=1),
        False,
    )


def test_a_first_stop_just_after_midnight_waits_for_the_next_midnight() -> None:
    """Not resumed from a reset deferral: the day's budget really is spent."""
    now = MIDNIGHT_NY + timedelta(minutes=3)
    assert daily_budget_retry_at("America/New_York", now, after_reset=False) == (
        MIDNIGHT_NY + timedelta(days=1),
        False,
    )
