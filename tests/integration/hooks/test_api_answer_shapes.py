"""Every endpoint the hook reads checks its answer's documented shape (``hooks/_shapes.py``, issue 21): an HTML
page, an empty body, JSON of the wrong shape, an id that is not an integer, a record or pair the request did
not contain: each raises :class:`HubSpotAnswerError` naming the problem, and nothing is returned, yielded or
counted. Valid variants HubSpot documents (ids as strings, 207 errors naming asked pairs) still pass. And one
read call is bounded in wall time (``read_deadline_seconds``).

The emulator serves each request for real; an observer swaps its 2xx answer (``_answer``), as a gateway would.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_hubassoc.exceptions import (
    HubSpotAnswerError,
    HubSpotAnswerLostError,
    HubSpotReadDeadlineError,
)
from tests.integration.hooks.test_api_answers import HTML, _answer

OBJECT = b'{"status":"COMPLETE"}'


def _calls(hook) -> dict[str, Callable[[], Any]]:
    """One hook call per endpoint; each returns what the caller would get (a list, or the report)."""
    return {
        "labels.list": lambda: hook.list_labels("contacts", "companies"),
        "labels.create": lambda: hook.create_label("contacts", "companies", name="new_one", label="New one"),
        "limits.list": lambda: hook.list_association_limits("contacts", "companies"),
        "limits.all": lambda: hook.list_association_limits(),
        "limits.create": lambda: hook.create_association_limits("contacts", "companies", {"Billing contact": 5}),
        "limits.update": lambda: hook.update_association_limits("contacts", "companies", {"Billing contact": 6}),
        "records.list": lambda: list(hook.iter_record_associations("contacts", 1, "companies")),
        "usage.report": lambda: hook.request_high_usage_report(7),
        "v3.types": lambda: hook.v3_list_types("contacts", "companies"),
        "v3.batch.read": lambda: list(hook.iter_v3_read_associations("contacts", "companies", [1])),
    }


# (endpoint, payload, problem named); every endpoint meets every kind that applies to it
BAD = [
    *[(e, HTML, "not JSON") for e in ("labels.list", "labels.create", "limits.list", "limits.create")],
    *[(e, HTML, "not JSON") for e in ("records.list", "usage.report", "v3.types", "v3.batch.read")],
    *[(e, b"", "empty body") for e in ("labels.list", "labels.create", "limits.all", "limits.create")],
    *[(e, b"", "empty body") for e in ("records.list", "usage.report", "v3.types", "v3.batch.read")],
    *[(e, OBJECT, "'results' missing") for e in ("labels.list", "labels.create", "limits.list", "limits.create")],
    *[(e, OBJECT, "'results' missing") for e in ("records.list", "v3.types", "v3.batch.read")],
    ("usage.report", b"[1, 2]", "expected an object, got list"),
    ("labels.list", b'{"results":[{"category":"USER_DEFINED","typeId":"abc","label":"x"}]}', "'typeId'"),
    ("labels.list", b'{"results":[{"category":"USER_DEFINED","typeId":3,"label":7}]}', "'label' is not"),
    ("labels.create", b'{"results":[{"category":"USER_DEFINED","label":"New one"}]}', "'typeId' missing"),
    ("labels.create", b'{"results":[]}', "'results' is empty"),
    ("limits.list", b'{"results":[{"category":"USER_DEFINED","typeId":1.5}]}', "'typeId'"),
    (
        "limits.create",
        b'{"results":[{"category":"USER_DEFINED","typeId":3,"userEnforcedMaxToObjectIds":"many"}]}',
        "'userEnforcedMaxToObjectIds'",
    ),
    ("records.list", b'{"results":[{"toObjectId":"abc","associationTypes":[]}]}', "'toObjectId'"),
    ("records.list", b'{"results":[{"toObjectId":5,"associationTypes":[{"typeId":"x"}]}]}', "'typeId'"),
    ("records.list", b'{"results":[],"paging":{"next":"abc"}}', "'paging'"),
    ("v3.types", b'{"results":[{"id":"x","name":"contact_to_company"}]}', "'id'"),
    ("v3.batch.read", b'{"results":[{"from":{"id":"1"},"to":[{"id":"x","type":"t"}]}]}', "integer 'id'"),
    ("v3.batch.read", b'{"results":[{"from":{"id":"999"},"to":[]}]}', "record 999 listed"),
]


@pytest.mark.legacy_api  # v3.types and v3.batch.read are v3 paths
@pytest.mark.parametrize(("endpoint", "payload", "problem"), BAD, ids=[f"{e}-{i}" for i, (e, _p, _m) in enumerate(BAD)])
def test_a_bad_answer_of_each_endpoint_is_named_and_nothing_returned(make_hook, emu, sent, endpoint, payload, problem):
    hook = make_hook(max_retries=0)
    emu.associate("contacts", 1, "companies", 11)
    emu.create_label("contacts", "companies", "billing", "Billing contact")
    if endpoint == "limits.update":
        hook.create_association_limits("contacts", "companies", {"Billing contact": 5})
    content_type = "text/html" if payload is HTML else "application/json"
    _answer(emu, endpoint, payload, content_type)
    returned: list[Any] = []
    with pytest.raises(HubSpotAnswerError, match=problem) as caught:
        returned.append(_calls(hook)[endpoint]())
    assert returned == []
    assert caught.value.status in (200, 201, 207) and sent(endpoint) == 1


@pytest.mark.legacy_api
@pytest.mark.parametrize(
    ("endpoint", "payload"),
    [
        ("labels.list", b'{"results":[{"category":"USER_DEFINED","typeId":"28","label":null}],"extra":1}'),
        ("labels.create", b'{"results":[{"category":"USER_DEFINED","typeId":"144","label":"New one"}]}'),
        ("limits.list", b'{"results":[{"category":"USER_DEFINED","typeId":28,"userEnforcedMaxToObjectIds":"5"}]}'),
        (
            "records.list",
            b'{"results":[{"toObjectId":"11","associationTypes":[{"category":"HUBSPOT_DEFINED",'
            b'"typeId":"279","label":null}]}]}',
        ),
        ("v3.types", b'{"results":[{"id":1,"name":"contact_to_company"}]}'),
        ("usage.report", b'{"userId":7}'),
    ],
    ids=["labels-string-ids", "label-created", "limits-string-max", "records-string-ids", "v3-int-id", "report"],
)
def test_documented_variants_still_pass(make_hook, emu, endpoint, payload):
    """Ids as strings or numbers (reference §2), fields we do not read: accepted as before."""
    hook = make_hook(max_retries=0)
    emu.associate("contacts", 1, "companies", 11)
    _answer(emu, endpoint, payload)
    assert _calls(hook)[endpoint]()


# -- writes: an answer naming what was not asked -------------------------------------------------------------


def _created_with(extra: dict[str, Any]) -> Callable[[Any], bytes]:
    def add(body: Any) -> bytes:
        return json.dumps({**body, "results": [*body.get("results", []), extra]}).encode()

    return add


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({"fromObjectId": 99, "toObjectId": 999, "labels": ["Billing contact"]}, "pair 99 -> 999 listed"),
        ({"fromObjectId": 1, "toObjectId": 12, "labels": ["Billing contact"]}, "pair 1 -> 12 listed"),
        ({"fromObjectId": "one", "toObjectId": 11, "labels": []}, "not integers"),
    ],
    ids=["unasked-records", "unasked-pair-of-asked-records", "non-int-id"],
)
def test_a_labeled_create_answer_naming_an_unasked_pair_is_never_success(make_hook, emu, sent, extra, problem):
    """Replace semantics: such an answer is a lost answer (re-read, re-derived, re-sent within the budget), then
    the call fails; nothing is counted as written and the call's memory of written pairs keeps nothing."""
    hook = make_hook(max_retries=1)
    emu.create_label("contacts", "companies", "billing", "Billing contact")
    _answer(emu, "batch.create", _created_with(extra), "application/json")
    with pytest.raises(HubSpotAnswerLostError) as caught:
        hook.create_associations("contacts", "companies", [(1, 11), (2, 13)], labels="Billing contact")
    assert isinstance(caught.value.cause, HubSpotAnswerError) and problem in str(caught.value.cause)
    assert sent("batch.create") == 2 and sent("batch.read") == 2  # each replay re-derived from a re-read
    assert caught.value.result is None or caught.value.result.succeeded == 0


def _errors_naming(context: dict[str, Any]) -> Callable[[Any], bytes]:
    def add(body: Any) -> bytes:
        error = {"status": "error", "category": "VALIDATION_ERROR", "message": "refused", "context": context}
        return json.dumps({"status": "COMPLETE", "results": [], "errors": [error], "numErrors": 1}).encode()

    return add


@pytest.mark.parametrize(
    ("endpoint", "context", "problem"),
    [
        ("batch.associate_default", {"fromObjectId": ["999"]}, "names record 999"),
        ("batch.associate_default", {"toObjectId": ["1"]}, "names record 1"),  # 1 is asked, but as a from id
        ("batch.associate_default", {"objectId": ["CONTACT=abc"]}, "not an integer"),
        ("batch.archive", {"objectId": ["555"], "objectType": ["CONTACT"]}, "names record 555"),
    ],
    ids=["default-unasked-from", "default-wrong-side", "default-non-int", "archive-unasked"],
)
def test_a_write_error_naming_an_unasked_record_is_never_counted(make_hook, emu, sent, endpoint, context, problem):
    """Plain writes replay safely: retried, then the answer error; no input counted as done or failed."""
    hook = make_hook(max_retries=1, api_version="2026-09")
    emu.associate("contacts", 1, "companies", 11)
    _answer(emu, endpoint, _errors_naming(context))
    failures: list[Any] = []
    call = hook.create_associations if endpoint == "batch.associate_default" else hook.archive_associations
    with pytest.raises(HubSpotAnswerError, match=problem) as caught:
        call("contacts", "companies", [(1, 11), (2, 12)], failure_callback=failures.append)
    assert sent(endpoint) == 2 and failures == []
    assert caught.value.result is None or (caught.value.result.succeeded, caught.value.result.failed) == (0, 0)


def test_a_207_naming_asked_pairs_still_maps_its_failures(make_hook, emu):
    """The documented partial answer: an error naming an asked pair fails that input, the other succeeds."""
    hook = make_hook(max_retries=0)
    _answer(emu, "batch.associate_default", _errors_naming({"fromObjectId": ["2"], "toObjectId": ["12"]}))
    result = hook.create_associations("contacts", "companies", [(1, 11), (2, 12)], on_failure="collect")
    assert (result.succeeded, result.failed) == (1, 1)
    assert [f.position for f in result.failures] == [1]


# -- the deadline of one read call -----------------------------------------------------------------------------


def _slow(emu, endpoint: str, seconds: float) -> None:
    def observe(request, response) -> None:
        if response.endpoint == endpoint:
            time.sleep(seconds)

    emu.app.observers.append(observe)


def test_a_record_listing_stops_at_the_read_deadline(make_hook, emu, sent):
    """A server that answers every page, slowly: the call stops once read_deadline_seconds passed, naming
    what was read and the setting; the pages after it are never asked for."""
    hook = make_hook(max_retries=0, read_deadline_seconds=1)
    for to_id in range(11, 31):
        emu.associate("contacts", 1, "companies", to_id)
    _slow(emu, "records.list", 0.3)
    rows: list[Any] = []
    with pytest.raises(HubSpotReadDeadlineError, match="read_deadline_seconds=1") as caught:
        rows.extend(hook.iter_record_associations("contacts", 1, "companies", page_size=1))
    pages = sent("records.list")
    assert 3 <= pages <= 6 and len(rows) == pages  # every page answered was yielded; none after the deadline
    assert f"{pages} request(s) answered, {pages} row(s) read" in str(caught.value)
    assert caught.value.method == "GET" and "Bearer" not in str(caught.value)


def test_a_batch_read_stops_at_the_read_deadline_over_all_its_chunks(make_hook, emu, sent):
    hook = make_hook(max_retries=0, read_deadline_seconds=1, max_concurrency=1)
    for from_id in range(1, 21):
        emu.associate("contacts", from_id, "companies", 100 + from_id)
    _slow(emu, "batch.read", 0.3)
    rows: list[Any] = []
    with pytest.raises(HubSpotReadDeadlineError, match="Raise the connection extra read_deadline_seconds") as caught:
        rows.extend(hook.iter_read_associations("contacts", "companies", range(1, 21), chunk_size=1))
    reads = sent("batch.read")
    assert 3 <= reads <= 6 and len(rows) == reads  # chunks of one record: each answered chunk was yielded
    assert caught.value.result is not None and caught.value.result.succeeded == reads


def test_the_read_deadline_is_a_checked_connection_extra(make_hook):
    from airflow_provider_hubassoc.exceptions import HubSpotInputError

    assert make_hook().settings.read_deadline_seconds == 3600
    with pytest.raises(HubSpotInputError, match="read_deadline_seconds"):
        _ = make_hook(read_deadline_seconds=0).settings
