"""The 2026-09 write rules through the hook (reference §20.4): a write refused for a permission is a failure of
exactly the inputs HubSpot names, with its category and message; a refusal of the whole request raises an error
naming the permission. Also the date-version answer shapes: 200 with a body for archives, ``paging`` absent on
the last page, the ``{createdResourceId, entity, location}`` wrapper.

HubSpot's status and body for a refused association write are unknown (§20.10 item 5): the emulator's shapes
(``association_permission_rule``) stand in for them.
"""

from __future__ import annotations

import pytest

from airflow_provider_hubassoc.exceptions import HubSpotAuthError, HubSpotValidationError
from airflow_provider_hubassoc.hooks._writes import send

GA = "2026-09"
SUB = "crm.associations.USER_DOES_NOT_HAVE_PERMISSIONS"
PAIRS = [(i, 10 + i) for i in range(1, 6)]  # from-ids 2 and 4 are refused below


@pytest.fixture(autouse=True)
def _short_backoff(monkeypatch):
    monkeypatch.setattr("airflow_provider_hubassoc.hooks._retry.BACKOFF_BASE_SECONDS", 0.01)


@pytest.fixture
def observe(emu):
    """``observe(callback)``: run ``callback(request, response)`` after each answer, for this test only."""
    added = []

    def add(callback) -> None:
        emu.app.observers.append(callback)
        added.append(callback)

    yield add
    for callback in added:
        emu.app.observers.remove(callback)


def _types(emu, from_id: int, to_id: int) -> set[int]:
    return {t["typeId"] for t in emu.associations("contacts", from_id, "companies").get(to_id, [])}


def _refuse(emu, rule: str = "refuse_inputs", ids: tuple[int, ...] = (2, 4)) -> None:
    emu.configure(association_permission_rule=rule, association_permission_from_ids=list(ids))


def _assert_refused(failures, expected: list[tuple[int, int, int]], status: int) -> None:
    """``expected``: (position, from_id, to_id) of each refused input, in order; HubSpot's fields kept."""
    assert [(f.position, f.input, f.status, f.category, f.sub_category) for f in failures] == [
        (position, {"from_id": fid, "to_id": tid}, status, "VALIDATION_ERROR", SUB) for position, fid, tid in expected
    ]
    for f in failures:
        assert "'Edit Associations' permission" in f.message and f"CONTACT {f.input['from_id']} " in f.message
        assert f.context["requiredPermissions"] == ["Edit Associations"]


@pytest.mark.parametrize("how", ["default", "replace", "merge"])
def test_permission_refused_creates_fail_exactly_the_refused_rows(make_hook, emu, sent, how):
    """Unlabeled (batch/associate/default) and labeled (batch/create, replace re-reads; merge does not)."""
    billing = emu.create_label("contacts", "companies", "billing", "Billing contact")[0]["typeId"]
    decider = emu.create_label("contacts", "companies", "decider", "Decision maker")[0]["typeId"]
    emu.associate("contacts", 2, "companies", 12, types=[("USER_DEFINED", decider)])  # a refused pair held labels
    held = _types(emu, 2, 12)
    assert decider in held
    if how == "merge":
        emu.configure(label_write_semantics="merge")
    _refuse(emu)
    hook = make_hook(label_write_semantics="merge" if how == "merge" else "replace")
    failures = []
    result = hook.create_associations(
        "contacts",
        "companies",
        PAIRS,
        labels=None if how == "default" else "Billing contact",
        on_failure="collect",
        failure_callback=failures.append,
        api_version=GA,
    )
    assert (result.total, result.succeeded, result.failed) == (5, 3, 2)
    assert result.failures == failures
    _assert_refused(failures, [(1, 2, 12), (3, 4, 14)], 207)
    endpoint = "batch.associate_default" if how == "default" else "batch.create"
    assert sent(endpoint) == result.requests - sent("batch.read") == 1  # refusals are answers: never re-sent
    wanted = {1, 279} if how == "default" else {1, 279, billing}
    assert [_types(emu, i, 10 + i) for i in (1, 3, 5)] == [wanted] * 3
    assert _types(emu, 2, 12) == held and _types(emu, 4, 14) == set()  # untouched


def test_a_refused_labeled_replace_after_a_lost_answer_still_ends_exact(make_hook, emu, sent, observe):
    """The first batch/create is applied (refused inputs not) and its answer lost: the hook re-reads the pairs,
    re-derives and re-sends; the second answer's refusals fail exactly the refused rows, counted once."""
    billing = emu.create_label("contacts", "companies", "billing", "Billing contact")[0]["typeId"]
    _refuse(emu)
    emu.configure(fault_drop_after=1.0, fault_endpoints=["batch.create"])

    def lose_only_the_first(request, response) -> None:
        if response.endpoint == "batch.create" and response.drop:
            emu.configure(fault_drop_after=0.0)

    observe(lose_only_the_first)
    failures = []
    result = make_hook().create_associations(
        "contacts",
        "companies",
        PAIRS,
        labels="Billing contact",
        on_failure="collect",
        failure_callback=failures.append,
        api_version=GA,
    )
    assert (result.total, result.succeeded, result.failed) == (5, 3, 2)
    _assert_refused(failures, [(1, 2, 12), (3, 4, 14)], 207)
    assert (sent("batch.create"), sent("batch.read")) == (2, 3)  # the first read, one re-read, the verify read
    # new pairs: HubSpot made each company the contact's primary on the lost write; the replay kept it
    assert [_types(emu, i, 10 + i) for i in (1, 3, 5)] == [{1, 279, billing}] * 3
    assert _types(emu, 2, 12) == _types(emu, 4, 14) == set()


@pytest.mark.parametrize("version", ["2026-09", "2026-09-beta", "2027-03"])
def test_permission_refused_archives_fail_exactly_the_refused_rows(hook, emu, version):
    """Archives answer 200 with a BatchResponse body at dated versions: its errors are mapped the same way. The
    pairs of one from-id travel as one archive input, so HubSpot's error names both of (2, 12) and (2, 16)."""
    for from_id, to_id in [*PAIRS, (2, 16)]:
        emu.associate("contacts", from_id, "companies", to_id)
    _refuse(emu)
    failures = []
    result = hook.archive_associations(
        "contacts",
        "companies",
        [*PAIRS, (2, 16)],
        on_failure="collect",
        failure_callback=failures.append,
        api_version=version,
    )
    assert (result.total, result.succeeded, result.failed) == (6, 3, 3)
    _assert_refused(sorted(failures, key=lambda f: f.position), [(1, 2, 12), (3, 4, 14), (5, 2, 16)], 200)
    assert [bool(emu.associations("contacts", i, "companies")) for i in range(1, 6)] == [
        False,
        True,
        False,
        True,
        False,
    ]
    assert sorted(emu.associations("contacts", 2, "companies")) == [12, 16]

    failures.clear()
    labels = hook.archive_association_labels(
        "contacts", "companies", [(2, 12), (4, 14)], labels="Primary", on_failure="collect",
        failure_callback=failures.append, api_version=version,
    )  # fmt: skip
    assert (labels.succeeded, labels.failed) == (0, 2)
    _assert_refused(failures, [(0, 2, 12), (1, 4, 14)], 200)


@pytest.mark.parametrize("labels", [None, "Billing contact"])
def test_a_400_naming_the_refused_inputs_fails_them_and_sends_the_rest(make_hook, emu, sent, labels):
    """``refuse_batch``: the whole batch refused (400 ``VALIDATION_ERROR``) naming the refused from-ids, as
    §20.4 documents for the other 2026-09 rules: those inputs fail, the rest is sent again and applied."""
    emu.create_label("contacts", "companies", "billing", "Billing contact")
    _refuse(emu, "refuse_batch")
    failures = []
    result = make_hook().create_associations(
        "contacts",
        "companies",
        PAIRS,
        labels=labels,
        on_failure="collect",
        failure_callback=failures.append,
        api_version=GA,
    )
    assert (result.total, result.succeeded, result.failed) == (5, 3, 2)
    assert [(f.position, f.input, f.status, f.category, f.sub_category) for f in failures] == [
        (1, {"from_id": 2, "to_id": 12}, 400, "VALIDATION_ERROR", SUB),
        (3, {"from_id": 4, "to_id": 14}, 400, "VALIDATION_ERROR", SUB),
    ]
    assert all("'Edit Associations' permission" in f.message for f in failures)
    assert sent("batch.create" if labels else "batch.associate_default") == 2
    assert [bool(_types(emu, i, 10 + i)) for i in range(1, 6)] == [True, False, True, False, True]


def test_a_refused_single_pair_write_raises_hubspots_reason(hook, emu):
    _refuse(emu, ids=(7,))
    with pytest.raises(HubSpotValidationError, match="'Edit Associations' permission") as caught:
        hook.associate_default("contacts", 7, "companies", 70, api_version=GA)
    assert caught.value.status == 400 and caught.value.sub_category == SUB
    hook.associate_default("contacts", 8, "companies", 80, api_version=GA)
    assert _types(emu, 8, 80) == {1, 279} and _types(emu, 7, 70) == set()


@pytest.mark.parametrize(
    "write",
    [
        lambda hook: hook.create_associations("contacts", "companies", PAIRS, api_version=GA),
        lambda hook: hook.create_associations("contacts", "companies", PAIRS, labels="Primary", api_version=GA),
        lambda hook: hook.archive_associations("contacts", "companies", PAIRS, api_version=GA),
        lambda hook: hook.associate("contacts", 1, "companies", 11, labels="Primary", api_version=GA),
        lambda hook: hook.remove_association("contacts", 1, "companies", 11, api_version=GA),
    ],
    ids=["default", "labeled", "archive", "record-put", "record-delete"],
)
def test_a_refused_request_raises_an_error_naming_the_permission(make_hook, emu, write):
    """403 for the whole request: raised (not a row failure, not a success), HubSpot's category, message and
    correlation id kept, never retried."""
    emu.associate("contacts", 1, "companies", 11)
    _refuse(emu, "refuse_request", ids=())
    hook = make_hook()
    with pytest.raises(HubSpotAuthError) as caught:
        write(hook)
    error = caught.value
    assert (error.status, error.category) == (403, "USER_DOES_NOT_HAVE_PERMISSIONS")
    assert "'Edit Associations' permission" in error.message and error.correlation_id
    assert str(error).startswith("HubSpot 403 USER_DOES_NOT_HAVE_PERMISSIONS on ")
    assert "'Edit Associations' permission" in str(error) and f"[correlationId={error.correlation_id}]" in str(error)
    refused = {k: v for k, v in emu.counters().items() if "403" in v}
    assert list(refused.values()) == [{"403": 1}]  # one request, not retried
    assert hook.transport.stats.retries == 0
    assert sorted(emu.associations("contacts", 1, "companies")) == [11]  # nothing applied
    assert all(not emu.associations("contacts", i, "companies") for i in range(2, 6))


@pytest.mark.parametrize("version", [pytest.param("v4", marks=pytest.mark.legacy_api), "2025-09", "2026-03"])
def test_versions_before_2026_09_are_not_refused(hook, emu, version):
    _refuse(emu, "refuse_request", ids=())
    result = hook.create_associations("contacts", "companies", PAIRS, labels="Primary", api_version=version)
    assert (result.succeeded, result.failed) == (5, 0)
    hook.associate_default("contacts", 1, "companies", 99, api_version=version)
    archived = hook.archive_associations("contacts", "companies", PAIRS, api_version=version)
    assert (archived.succeeded, archived.failed) == (5, 0)
    assert sorted(emu.associations("contacts", 1, "companies")) == [99]


# -- date-version answer shapes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [pytest.param("v4", marks=pytest.mark.legacy_api), "2025-09", "2026-03", "2026-09"])
def test_archives_and_purges_succeed_on_204_and_on_200_with_a_body(hook, emu, version):
    """v4 answers 204 without a body; the dated versions 200 with a BatchResponse body (§20.3)."""
    hook.create_associations("contacts", "companies", [(1, 10), (1, 11)], labels="Primary", api_version=version)
    labels = hook.archive_association_labels("contacts", "companies", [(1, 11)], labels="Primary", api_version=version)
    archived = hook.archive_associations("contacts", "companies", [(1, 10)], api_version=version)
    assert [(r.succeeded, r.failed, r.requests) for r in (labels, archived)] == [(1, 0, 1), (1, 0, 1)]
    assert {k: v for k, v in emu.counters().items() if "archive" in k} == {
        "batch.archive": {"204" if version == "v4" else "200": 1},
        "batch.labels_archive": {"204" if version == "v4" else "200": 1},
    }
    assert emu.associations("contacts", 1, "companies") == {11: [emu.associations("contacts", 1, "companies")[11][0]]}
    assert _types(emu, 1, 11) == {279}
    hook.create_association_limits("contacts", "companies", {"Primary": 1}, api_version=version)
    hook.purge_association_limits("contacts", "companies", ["Primary"], api_version=version)
    assert hook.list_association_limits("contacts", "companies", api_version=version) == []
    assert emu.counters()["limits.purge"] == {"204" if version == "v4" else "200": 1}


@pytest.mark.parametrize("version", [pytest.param("v4", marks=pytest.mark.legacy_api), "2025-09", "2026-03", "2026-09"])
def test_paging_absent_on_the_last_page_ends_each_listing(make_hook, emu, sent, version):
    emu.configure(batch_read_page_size=3)
    for to_id in range(100, 107):
        emu.associate("contacts", 7, "companies", to_id)
    emu.associate("contacts", 8, "companies", 200)
    hook = make_hook()
    rows = list(hook.iter_record_associations("contacts", 7, "companies", page_size=3, api_version=version))
    assert [r.to_id for r in rows] == list(range(100, 107))
    assert sent("records.list") == 3  # 3 + 3 + 1: the last page has no paging, so no fourth request
    read = list(hook.iter_read_associations("contacts", "companies", [7, 8], api_version=version))
    assert sorted((r.from_id, r.to_id) for r in read) == [(7, i) for i in range(100, 107)] + [(8, 200)]
    assert sent("batch.read") == 3  # both ids, then 7 twice with its cursor; 8's result had no paging


@pytest.mark.parametrize("version", ["2025-09", "2026-03", "2026-09"])
def test_the_created_resource_wrapper_is_unwrapped(make_hook, emu, version):
    emu.configure(wrap_created_resource=True)
    hook = make_hook()
    path = f"/crm/objects/{version}/0-1/5/associations/0-2/6"
    status, body = send(
        hook.transport, "PUT", path, json=[{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}]
    )
    assert status == 201
    assert body == {
        "fromObjectTypeId": "0-1",
        "fromObjectId": 5,
        "toObjectTypeId": "0-2",
        "toObjectId": 6,
        "labels": ["Primary"],
    }
    row = hook.associate("contacts", 5, "companies", 6, labels="Primary", api_version=version)
    assert {t.type_id for t in row.types} == {1, 279} == _types(emu, 5, 6)
