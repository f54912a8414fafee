"""The emulator's hostile mode (knob ``hostile``, ``_hostile.py``, issue 21) as a plain HTTP client sees it: each
kind sends what ``docs/emulator.md`` ("Hostile answers") says, only on the endpoints named, for ``times``
requests, switchable over the admin API, and gone with the per-test knob reset.
"""

from __future__ import annotations

import gzip
import json
from typing import TYPE_CHECKING, Any

import pytest
import requests
from emulator_helpers import Client, pair, spec

from airflow_provider_hubassoc.emulator._hostile import KINDS, UNASKED_ID
from airflow_provider_hubassoc.emulator.pytest_plugin import restore_defaults

if TYPE_CHECKING:
    from airflow_provider_hubassoc.emulator import HubSpotEmulator

READ = "/crm/associations/2026-09/contacts/companies/batch/read"
CREATE = "/crm/associations/2026-09/contacts/companies/batch/associate/default"
LIST = "/crm/objects/2026-09/contacts/1/associations/companies"
ONE = {"inputs": [{"id": "1"}]}


@pytest.fixture
def client(hubspot_emulator: HubSpotEmulator) -> Client:
    hubspot_emulator.associate("contacts", 1, "companies", 11)
    return Client(hubspot_emulator)


def _read(client: Client) -> requests.Response:
    return client.post(READ, json=ONE)


@pytest.mark.parametrize(
    ("kind", "content_type", "body"),
    [
        ("html", "text/html; charset=utf-8", b"<html><head><title>503</title></head><body><h1>Down for maintenance"),
        ("empty", "application/json;charset=utf-8", b""),
        ("invalid_json", "application/json;charset=utf-8", b'{"status":"COMPLETE","results":[{"from":'),
        ("wrong_shape", "application/json;charset=utf-8", b'{"results":"x"}'),
    ],
)
def test_body_kinds_answer_200_with_that_body(hubspot_emulator, client, kind, content_type, body) -> None:
    hubspot_emulator.hostile(kind, "batch.read")
    answer = _read(client)
    assert (answer.status_code, answer.headers["Content-Type"]) == (200, content_type)
    assert answer.content.startswith(body) and (body or answer.content == b"")


def test_truncated_is_the_real_answer_cut_in_half(hubspot_emulator, client) -> None:
    whole = _read(client).content
    hubspot_emulator.hostile("truncated", "batch.read")
    cut = _read(client).content
    assert whole.startswith(cut[:40]) and len(cut) in range(len(whole) // 2 - 40, len(whole) // 2 + 40)
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut)


@pytest.mark.parametrize(("kind", "value"), [("null_ids", None), ("non_int_id", "abc")])
def test_id_kinds_replace_every_id(hubspot_emulator, client, kind, value) -> None:
    hubspot_emulator.hostile(kind, "batch.read")
    result = _read(client).json()["results"][0]
    assert result["from"]["id"] == value and result["to"][0]["toObjectId"] == value
    assert {t["typeId"] for t in result["to"][0]["associationTypes"]} == {value}


def test_unasked_record_adds_a_record_no_request_named(hubspot_emulator, client) -> None:
    hubspot_emulator.hostile("unasked_record", "batch.read")
    results = _read(client).json()["results"]
    assert [r["from"]["id"] for r in results] == ["1", str(UNASKED_ID)]


def test_changing_cursor_never_ends_and_repeated_cursor_repeats(hubspot_emulator, client) -> None:
    hubspot_emulator.hostile("changing_cursor", "records.list")
    cursors = []
    after = None
    for _ in range(5):
        page = client.get(LIST, params={"after": after} if after else None).json()
        after = page["paging"]["next"]["after"]
        cursors.append(after)
        assert [row["toObjectId"] for row in page["results"]] == [11]  # the emulator reads it as "from the start"
    assert len(set(cursors)) == 5
    hubspot_emulator.configure(hostile=[{"kind": "repeated_cursor", "endpoints": ["batch.read"]}])
    first, second = (_read(client).json()["results"][0]["paging"]["next"]["after"] for _ in range(2))
    assert first == second


def test_huge_rate_window_and_huge_retry_after(hubspot_emulator, client) -> None:
    hubspot_emulator.hostile("huge_rate_window", "batch.read")
    answer = _read(client)
    assert answer.status_code == 200
    assert answer.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "999999999"
    hubspot_emulator.configure(hostile="huge_retry_after")
    refused = client.post(CREATE, json={"inputs": [pair(2, 12, spec(279))]})
    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "999999999")
    assert refused.json()["policyName"] == "TEN_SECONDLY_ROLLING"
    assert hubspot_emulator.associations("contacts", 2, "companies") == {}  # refused before the endpoint


def test_oversize_streams_size_bytes_of_json(hubspot_emulator, client) -> None:
    hubspot_emulator.hostile("oversize", "batch.read", size=3 * 1024 * 1024 + 5)
    answer = _read(client)
    assert int(answer.headers["Content-Length"]) == len(answer.content) == 3 * 1024 * 1024 + 5
    assert json.loads(answer.content) == {"results": []}


def test_gzip_bomb_is_small_and_inflates_to_size(hubspot_emulator, client) -> None:
    size = 8 * 1024 * 1024
    hubspot_emulator.hostile("gzip_bomb", "batch.read", size=size)
    raw = _read_raw(client)
    assert len(raw) < size // 500  # deflate's ceiling is about 1:1000
    inflated = gzip.decompress(raw)
    assert len(inflated) >= size and json.loads(inflated) == {"results": []}


def _read_raw(client: Client) -> bytes:
    with client.post(READ, json=ONE, stream=True) as answer:
        assert answer.headers["Content-Encoding"] == "gzip"
        return answer.raw.read(decode_content=False)


def test_negative_expires_in(hubspot_emulator: HubSpotEmulator) -> None:
    hubspot_emulator.oauth_client("app-1", "secret-1", "refresh-1")
    hubspot_emulator.hostile("negative_expires_in", "oauth.token")
    grant = {"grant_type": "refresh_token", "client_id": "app-1", "client_secret": "secret-1"}
    answer = requests.post(
        f"{hubspot_emulator.base_url}/oauth/2026-03/token", data={**grant, "refresh_token": "refresh-1"}, timeout=10
    )
    assert answer.status_code == 200 and answer.json()["expires_in"] == -3600


def test_only_the_endpoints_named_and_only_times_requests(hubspot_emulator, client) -> None:
    hubspot_emulator.hostile("html", "batch.read", times=2)
    assert client.get(LIST).headers["Content-Type"].startswith("application/json")  # another endpoint
    assert [_read(client).headers["Content-Type"][:9] for _ in range(3)] == ["text/html", "text/html", "applicati"]
    assert hubspot_emulator.counters()["batch.read"] == {"200": 3}


def test_a_hostile_write_is_applied_then_its_answer_spoiled(hubspot_emulator, client) -> None:
    """A gateway page after the write landed: what makes such an answer ambiguous for a client."""
    hubspot_emulator.hostile("html", "batch.associate_default")
    answer = client.post(CREATE, json={"inputs": [pair(2, 12)]})
    assert answer.headers["Content-Type"].startswith("text/html")
    assert 12 in hubspot_emulator.associations("contacts", 2, "companies")


def test_switched_over_the_admin_api(hubspot_emulator, client) -> None:
    admin = f"{hubspot_emulator.base_url}/_emulator/hostile"
    set_ = requests.post(admin, json={"kind": "wrong_shape", "endpoints": ["batch.read"], "times": 1}, timeout=10)
    assert set_.json() == {"hostile": [{"kind": "wrong_shape", "endpoints": ["batch.read"], "times": 1, "size": None}]}
    assert _read(client).json() == {"results": "x"}
    assert "results" in _read(client).json() and _read(client).json()["results"] != "x"  # times=1: behaves again
    requests.post(f"{hubspot_emulator.base_url}/_emulator/config", json={"hostile": "empty"}, timeout=10)
    assert _read(client).content == b""
    assert requests.delete(admin, timeout=10).json() == {"hostile": []}
    assert _read(client).json()["results"][0]["from"]["id"] == "1"
    bad = requests.post(admin, json={"kind": "nope"}, timeout=10)
    assert bad.status_code == 400 and "unknown hostile kind 'nope'" in bad.json()["message"]


@pytest.mark.parametrize(
    "value",
    ["nope", {"kind": "html", "extra": 1}, {"kind": "oversize", "size": 0}, {"kind": "html", "times": True}, 5],
)
def test_bad_rules_are_refused_and_change_nothing(hubspot_emulator, value: Any) -> None:
    with pytest.raises(ValueError, match="hostile"):
        hubspot_emulator.configure(hostile=value)
    assert hubspot_emulator.config["hostile"] == []


def test_the_per_test_reset_ends_hostility(hubspot_emulator, client) -> None:
    """What the pytest plugin does between tests: one test's hostility never reaches the next."""
    hubspot_emulator.hostile("html")
    restore_defaults(hubspot_emulator)
    assert hubspot_emulator.config["hostile"] == []
    assert _read(client).headers["Content-Type"].startswith("application/json")


def test_every_kind_is_documented() -> None:
    from pathlib import Path

    text = (Path(__file__).parents[3] / "docs" / "emulator.md").read_text()
    assert all(f"`{kind}`" in text for kind in KINDS)
