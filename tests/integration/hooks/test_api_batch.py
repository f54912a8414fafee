"""Batch endpoints through the hook: chunking to each limit, paging, 207 mapping, validation, label merging."""

from __future__ import annotations

import pytest

from airflow_provider_hubassoc.exceptions import HubSpotBatchError, HubSpotInputError
from airflow_provider_hubassoc.hooks import AssociationInput

BAD = 2_000_000_000_000  # above the emulator's auto-created record ids: HubSpot answers "is not valid"


def _labels(emu, from_id: int, to_id: int) -> set[str | None]:
    return {t["label"] for t in emu.associations("contacts", from_id, "companies")[to_id]}


def test_5001_default_creates_are_sent_in_1000_input_chunks(hook, emu, sent):
    pairs = ((i, 100_000 + i) for i in range(1, 5002))
    result = hook.create_associations("contacts", "companies", pairs)
    assert (result.total, result.succeeded, result.failed, result.skipped) == (5001, 5001, 0, 0)
    assert sent("batch.associate_default") == 6 == result.requests
    assert 105001 in emu.associations("contacts", 5001, "companies")


def test_5001_labeled_creates_are_sent_in_2000_input_chunks(hook, emu, sent):
    emu.create_label("contacts", "companies", "billing", "Billing contact")
    result = hook.create_associations(
        "contacts", "companies", [(i, 7) for i in range(1, 5002)], labels="Billing contact"
    )
    assert (result.total, result.succeeded, result.failed) == (5001, 5001, 0)
    assert sent("batch.create") == 3
    # existing labels of 2,000 from ids = two reads of 1,000 per chunk, and as many verify reads after its write
    assert sent("batch.read") == 12
    assert "Billing contact" in [t["label"] for t in emu.associations("contacts", 4321, "companies")[7]]


def test_2500_reads_are_sent_in_1000_id_chunks(hook, emu, sent):
    for from_id in (1, 1500, 2500):
        emu.associate("contacts", from_id, "companies", 10 + from_id)
    rows = list(hook.iter_read_associations("contacts", "companies", range(1, 2501)))
    assert [(r.from_id, r.to_id) for r in rows] == [(1, 11), (1500, 1510), (2500, 2510)]
    assert sent("batch.read") == 3  # ids without associations (207 NO_ASSOCIATIONS_FOUND) are not failures


def test_batch_read_follows_each_inputs_paging(hook, emu, sent, api_version):
    emu.configure(batch_read_page_size=4)
    for to_id in range(1, 11):
        emu.associate("companies", 5, "contacts", to_id)
    emu.associate("companies", 6, "contacts", 99)
    rows = list(hook.iter_read_associations("companies", "contacts", [5, 6], api_version=api_version))
    assert sorted((r.from_id, r.to_id) for r in rows) == sorted([(5, i) for i in range(1, 11)] + [(6, 99)])
    assert sent("batch.read") == 3  # first page of both, then id 5 twice more with its cursor


@pytest.mark.parametrize(
    "api_version", [pytest.param("v4", marks=pytest.mark.legacy_api), "2025-09", "2026-03", "2026-09"]
)
def test_207_partial_failures_are_mapped_to_the_exact_inputs(hook, emu, api_version):
    pairs = [(1, 10), (2, BAD), (3, 30), (BAD, 40), (5, 50)]
    failures = []
    result = hook.create_associations(
        "contacts",
        "companies",
        pairs,
        on_failure="collect",
        failure_callback=failures.append,
        api_version=api_version,
    )
    assert (result.total, result.succeeded, result.failed) == (5, 3, 2)
    assert sorted(f.position for f in result.failures) == [1, 3]
    by_position = {f.position: f for f in failures}
    assert by_position[1].input == {"from_id": 2, "to_id": BAD}
    assert by_position[3].input == {"from_id": BAD, "to_id": 40}
    assert by_position[1].status == 207 and by_position[1].category == "VALIDATION_ERROR"
    assert by_position[1].sub_category and by_position[1].message
    assert 50 in emu.associations("contacts", 5, "companies")


def test_labeled_207_failures_are_mapped_too(hook, emu):
    emu.create_label("contacts", "companies", "billing", "Billing contact")
    result = hook.create_associations(
        "contacts", "companies", [(1, 10), (2, BAD), (3, 30)], labels=["billing contact"], on_failure="collect"
    )
    assert [f.position for f in result.failures] == [1]
    assert (result.succeeded, result.failed) == (2, 1)


def test_raise_stops_after_the_chunk_with_the_first_failure(hook, emu, sent):
    pairs = [(1, 10), (2, BAD)] + [(i, 1) for i in range(3, 10)]
    with pytest.raises(HubSpotBatchError, match="input #1") as caught:
        hook.create_associations("contacts", "companies", pairs, chunk_size=2)
    partial = caught.value.result
    assert (partial.total, partial.succeeded, partial.failed) == (2, 1, 1)
    assert sent("batch.associate_default") == 1
    assert emu.associations("contacts", 3, "companies") == {}


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([(1, 2), (3, 0)], "input #1, field 'to_id'"),
        ([(1, 2), (1, 2), ("x", 2)], "input #2, field 'from_id'"),
        ([(1, 2), {"from_id": 1}], "input #1, field 'to_id'"),
        ([(1, 2), {"from_id": 1, "to_id": 2, "colour": 3}], "input #1, field 'colour'"),
        ([(1, 2), (1,)], "input #1"),
        ([(1, 2), (True, 2)], "input #1, field 'from_id'"),
        ([(1, 2), (1, 2, "no such label")], "input #1, field 'labels'"),
    ],
)
def test_validation_errors_name_the_input_and_send_no_write(hook, sent, pairs, message):
    with pytest.raises(HubSpotInputError, match=message):
        hook.create_associations("contacts", "companies", pairs)
    assert sent("batch.associate_default") == sent("batch.create") == sent("batch.read") == 0


def test_validation_errors_before_any_label_lookup_send_nothing_at_all(hook, sent):
    with pytest.raises(HubSpotInputError, match="input #3, field 'from_id'"):
        hook.create_associations("contacts", "companies", [(1, 2)] * 3 + [(-1, 2)])
    with pytest.raises(HubSpotInputError, match="unknown object type"):
        hook.archive_associations("contact", "widgets", [(1, 2)])
    with pytest.raises(HubSpotInputError, match="input #1, field 'id'"):
        list(hook.iter_read_associations("contacts", "companies", ["1", "1.5"]))
    with pytest.raises(HubSpotInputError, match="on_failure"):
        hook.archive_associations("contacts", "companies", [(1, 2)], on_failure="ignore")
    assert sent() == 0


def test_a_generator_chunk_that_fails_validation_is_not_sent(hook, sent, emu):
    def pairs():
        yield from ((i, 1) for i in range(1, 4))
        yield (4, "not an id")

    with pytest.raises(HubSpotInputError, match="input #3"):
        hook.create_associations("contacts", "companies", pairs(), chunk_size=2)
    assert sent("batch.associate_default") == 1  # chunk [0, 2) went out; chunk [2, 4) failed validation
    assert 1 in emu.associations("contacts", 2, "companies")
    assert emu.associations("contacts", 3, "companies") == {}


def test_duplicates_in_a_chunk_are_collapsed_and_counted(hook, emu, sent):
    emu.create_label("contacts", "companies", "billing", "Billing contact")
    emu.create_label("contacts", "companies", "decider", "Decision maker")
    pairs = [(1, 10, "billing contact"), AssociationInput(1, 10, ("decision maker",)), {"from_id": "2", "to_id": 20}]
    result = hook.create_associations("contacts", "companies", pairs, on_failure="collect")
    assert (result.total, result.succeeded, result.skipped) == (3, 2, 1)
    labels = {t["label"] for t in emu.associations("contacts", 1, "companies")[10]}
    assert {"Billing contact", "Decision maker"} <= labels


@pytest.mark.parametrize("semantics", ["replace", "merge"])
def test_batch_create_with_a_label_keeps_existing_labels(hook, emu, semantics):
    emu.configure(label_write_semantics=semantics)
    billing = emu.create_label("contacts", "companies", "billing", "Billing contact")[0]
    emu.create_label("contacts", "companies", "decider", "Decision maker")
    emu.associate("contacts", 1, "companies", 10, [("USER_DEFINED", billing["typeId"])])
    emu.associate("contacts", 1, "companies", 11)
    hook.create_associations("contacts", "companies", [(1, 10), (1, 11), (2, 20)], labels="Decision maker")
    assert {"Billing contact", "Decision maker"} <= _labels(emu, 1, 10)
    assert "Decision maker" in {t["label"] for t in emu.associations("contacts", 1, "companies")[11]}
    assert "Billing contact" not in {t["label"] for t in emu.associations("contacts", 1, "companies")[11]}


def test_existing_labels_are_read_across_pages(make_hook, emu):
    emu.configure(batch_read_page_size=2, label_write_semantics="replace")
    billing = emu.create_label("contacts", "companies", "billing", "Billing contact")[0]
    emu.create_label("contacts", "companies", "decider", "Decision maker")
    for to_id in range(10, 16):
        emu.associate("contacts", 1, "companies", to_id, [("USER_DEFINED", billing["typeId"])])
    make_hook().create_associations("contacts", "companies", [(1, 15)], labels="decision maker")
    assert {"Billing contact", "Decision maker"} <= _labels(emu, 1, 15)


def test_archive_pairs_and_archive_labels(hook, emu, sent, api_version):
    billing = emu.create_label("contacts", "companies", "billing", "Billing contact")[0]
    for to_id in (10, 11):
        emu.associate("contacts", 1, "companies", to_id, [("USER_DEFINED", billing["typeId"])])
    removed = hook.archive_association_labels(
        "contacts", "companies", [(1, 10)], labels="billing contact", api_version=api_version
    )
    assert removed.succeeded == 1
    assert "Billing contact" not in {t["label"] for t in emu.associations("contacts", 1, "companies")[10]}
    assert 10 in emu.associations("contacts", 1, "companies")  # the association itself stays

    archived = hook.archive_associations("contacts", "companies", [(1, 10), (1, 11), (1, 999)], api_version=api_version)
    assert (archived.total, archived.succeeded, archived.failed) == (3, 3, 0)
    assert emu.associations("contacts", 1, "companies") == {}
    assert sent("batch.archive") == 1  # one request, inputs grouped by from id


def test_archive_labels_needs_a_label(hook, sent):
    with pytest.raises(HubSpotInputError, match="input #0, field 'labels'"):
        hook.archive_association_labels("contacts", "companies", [(1, 10)])
    assert sent() == 0


def test_concurrent_chunks_keep_input_order_and_report_each_chunk(make_hook, emu, sent):
    hook = make_hook(max_concurrency=4)
    done = []
    result = hook.create_associations(
        "contacts",
        "companies",
        ((i, 500 + i % 7) for i in range(1, 1001)),
        chunk_size=50,
        chunk_callback=lambda start, end: done.append((start, end)),
    )
    assert result.succeeded == 1000 and sent("batch.associate_default") == 20
    assert done == [(s, s + 50) for s in range(0, 1000, 50)]
    emu.associate("contacts", 3000, "companies", 1)
    read_chunks = []
    rows = list(
        hook.iter_read_associations(
            "contacts", "companies", range(1, 1001), chunk_size=10, chunk_callback=lambda s, e: read_chunks.append(s)
        )
    )
    assert [r.from_id for r in rows] == list(range(1, 1001))
    assert read_chunks == list(range(0, 1000, 10))


def test_a_whole_batch_refused_with_400_fails_every_input_of_the_chunk(make_hook, emu, sent):
    stale, other = make_hook(), make_hook()
    stale.create_label("contacts", "companies", name="gone", label="Gone soon")  # cached by ``stale``
    type_id = stale.get_label("contacts", "companies", "gone soon").type_id
    other.delete_label("contacts", "companies", type_id)  # HubSpot now refuses the type id for the whole batch
    result = stale.create_associations(
        "contacts", "companies", [(1, 10), (2, 20), (3, 30)], labels="gone soon", on_failure="collect", chunk_size=2
    )
    assert (result.total, result.succeeded, result.failed) == (3, 0, 3)
    assert [f.position for f in result.failures] == [0, 1, 2]
    assert {f.status for f in result.failures} == {400}
    assert sent("batch.create") == 2


def test_read_collapses_duplicates_and_skips_records_without_associations(hook, emu, sent):
    emu.associate("contacts", 1, "companies", 10)
    rows = list(hook.iter_read_associations("contacts", "companies", [1, 1, "1", 3]))
    assert [(r.from_id, r.to_id) for r in rows] == [(1, 10)]
    assert sent("batch.read") == 1


def test_raise_with_concurrency_counts_every_chunk_that_was_sent(make_hook, emu, sent):
    hook = make_hook(max_concurrency=4)
    pairs = [(1, BAD)] + [(i, 1) for i in range(2, 200)]
    with pytest.raises(HubSpotBatchError, match="input #0") as caught:
        hook.create_associations("contacts", "companies", pairs, chunk_size=2)
    partial = caught.value.result
    assert partial.requests == sent("batch.associate_default") < 100  # stopped early, nothing sent uncounted
    assert partial.total == 2 * partial.requests
    assert (partial.failed, partial.succeeded) == (1, partial.total - 1)
