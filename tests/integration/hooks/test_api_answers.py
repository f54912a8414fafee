"""The gate for HubSpot's 2xx answers (``hooks/_answers.py``, issue 21): an answer not of the documented shape
is never read as "no associations" nor counted as written. The emulator serves each request for real; an
observer then swaps its answer for a hostile one (a proxy's HTML page, truncated JSON, an empty body, a record
that was not asked for, a row missing a field), as a gateway between us and HubSpot would.

On main before the gate: the bad reads yielded 0 rows without an error, the HTML create counted
``succeeded: 3``, the unasked record was yielded, the bad rows raised a bare ``KeyError`` / ``ValueError``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_hubassoc.exceptions import HubSpotAnswerError, HubSpotAnswerLostError


@pytest.fixture(autouse=True)
def _short_backoff(monkeypatch):
    """Back-off waits of hundredths of a second: these tests count sends, not waits."""
    monkeypatch.setattr("airflow_provider_hubassoc.hooks._retry.BACKOFF_BASE_SECONDS", 0.01)


@pytest.fixture(autouse=True)
def _observers_removed(emu):
    """The emulator outlives the test: the hostile answers it was given go with the test."""
    before = list(emu.app.observers)
    yield
    emu.app.observers[:] = before


HTML = b"<html><body><h1>Down for maintenance</h1></body></html>"


def _answer(emu, endpoint: str, payload: bytes | Callable[[Any], bytes], content_type: str = "application/json"):
    """Every 2xx answer of ``endpoint`` replaced: by ``payload``, or by ``payload(the real body)``."""

    def observe(request, response) -> None:
        if response.endpoint == endpoint and 200 <= response.status < 300:
            response.payload = payload if isinstance(payload, bytes) else payload(response.body)
            response.content_type = content_type

    emu.app.observers.append(observe)


def _read(hook, ids) -> list[Any]:
    return list(hook.iter_read_associations("contacts", "companies", ids))


@pytest.mark.parametrize(
    ("payload", "content_type", "problem"),
    [
        (HTML, "text/html", "not JSON"),
        (b'{"status":"COMPLETE","results":[{"from":{"id":"1"},"to":[', "application/json", "invalid JSON"),
        (b"", "application/json", "empty body"),
        (b'{"status":"COMPLETE"}', "application/json", "'results' missing"),
    ],
    ids=["html", "truncated", "empty", "no-results"],
)
def test_a_bad_read_answer_is_an_error_not_no_associations(make_hook, emu, sent, payload, content_type, problem):
    """Retried like a 5xx (a proxy's page is usually brief), then raised naming what came back; no row."""
    hook = make_hook(max_retries=2)
    emu.associate("contacts", 1, "companies", 11)
    _answer(emu, "batch.read", payload, content_type)
    rows: list[Any] = []
    with pytest.raises(HubSpotAnswerError, match=problem) as caught:
        rows.extend(hook.iter_read_associations("contacts", "companies", [1]))
    error = caught.value
    assert rows == []
    assert sent("batch.read") == 3  # retried within the connection's budget, never read as empty
    assert (error.method, error.status, error.content_type) == ("POST", 200, content_type)
    assert error.path.endswith("/0-1/0-2/batch/read")
    assert error.head == payload[:200].decode()
    assert "Bearer" not in str(error) and "Authorization" not in str(error)


def test_a_long_bad_answer_is_quoted_up_to_200_bytes(make_hook, emu):
    hook = make_hook(max_retries=0)
    _answer(emu, "batch.read", b"<html>" + b"x" * 5000, "text/html; charset=utf-8")
    with pytest.raises(HubSpotAnswerError) as caught:
        _read(hook, [1])
    assert len(caught.value.head) == 200 and "5006 bytes" in str(caught.value)


def test_a_bad_read_answer_that_clears_is_read(make_hook, emu, sent):
    """One HTML page, then HubSpot's answer: the retry reads every row."""
    hook = make_hook(max_retries=2)
    emu.associate("contacts", 1, "companies", 11)
    left = [1]

    def observe(request, response) -> None:
        if response.endpoint == "batch.read" and left[0]:
            left[0] -= 1
            response.payload, response.content_type = HTML, "text/html"

    emu.app.observers.append(observe)
    assert [(r.from_id, r.to_id) for r in _read(hook, [1])] == [(1, 11)]
    assert sent("batch.read") == 2


def _with_record(extra: dict[str, Any]) -> Callable[[Any], bytes]:
    def add(body: Any) -> bytes:
        return json.dumps({**body, "results": [*body.get("results", []), extra]}).encode()

    return add


def test_a_record_not_asked_for_is_never_yielded(make_hook, emu):
    hook = make_hook(max_retries=0)
    emu.associate("contacts", 1, "companies", 11)
    _answer(emu, "batch.read", _with_record({"from": {"id": "999"}, "to": [{"toObjectId": 5, "associationTypes": []}]}))
    rows: list[Any] = []
    with pytest.raises(HubSpotAnswerError, match="record 999 listed, which the request did not ask for"):
        rows.extend(hook.iter_read_associations("contacts", "companies", [1]))
    assert rows == []


def _rows_replaced(rows: list[Any]) -> Callable[[Any], bytes]:
    def replace(body: Any) -> bytes:
        results = [{**item, "to": rows} for item in body["results"]]
        return json.dumps({**body, "results": results}).encode()

    return replace


@pytest.mark.parametrize(
    ("rows", "field"),
    [
        ([{"associationTypes": []}], "'toObjectId' missing"),
        ([{"toObjectId": 11, "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": "abc"}]}], "'typeId'"),
        (["11"], "not an object"),
    ],
    ids=["no-toObjectId", "typeId-not-int", "row-not-object"],
)
def test_a_row_missing_a_field_names_the_field(make_hook, emu, rows, field):
    """Instead of ``KeyError: 'toObjectId'`` or ``ValueError``: the answer error, naming the field."""
    hook = make_hook(max_retries=0)
    emu.associate("contacts", 1, "companies", 11)
    _answer(emu, "batch.read", _rows_replaced(rows))
    with pytest.raises(HubSpotAnswerError, match=field) as caught:
        _read(hook, [1])
    assert caught.value.method == "POST" and caught.value.status == 200


def test_an_html_labeled_create_is_never_success(make_hook, emu, sent):
    """Replace semantics: the HTML answer is a lost answer, so each replay is re-derived (the pairs re-read
    first); when the budget is spent the call fails, with nothing counted as succeeded."""
    hook = make_hook(max_retries=2)
    emu.create_label("contacts", "companies", "billing", "Billing contact")
    _answer(emu, "batch.create", HTML, "text/html")
    pairs = [(1, 11), (2, 12), (3, 13)]
    with pytest.raises(HubSpotAnswerLostError) as caught:
        hook.create_associations("contacts", "companies", pairs, labels="Billing contact")
    assert isinstance(caught.value.cause, HubSpotAnswerError)
    assert sent("batch.create") == 3
    assert sent("batch.read") == 3  # the read before the first send, one re-read before each replay
    assert caught.value.result is None or caught.value.result.succeeded == 0


def test_an_html_default_create_is_retried_plainly_and_never_success(make_hook, emu, sent):
    """Add-only writes replay safely: plain retries, no re-read, then the answer error; nothing succeeded."""
    hook = make_hook(max_retries=2)
    _answer(emu, "batch.associate_default", HTML, "text/html")
    with pytest.raises(HubSpotAnswerError, match="not JSON") as caught:
        hook.create_associations("contacts", "companies", [(1, 11), (2, 12), (3, 13)])
    assert sent("batch.associate_default") == 3 and sent("batch.read") == 0
    assert caught.value.result is None or caught.value.result.succeeded == 0


def test_an_html_write_answer_without_errors_is_not_taken_as_json(make_hook, emu):
    """A page served as ``application/json`` to a write is refused as invalid JSON, never taken as success."""
    hook = make_hook(max_retries=0)
    _answer(emu, "batch.associate_default", HTML)
    with pytest.raises(HubSpotAnswerError, match="invalid JSON"):
        hook.create_associations("contacts", "companies", [(1, 11)])
