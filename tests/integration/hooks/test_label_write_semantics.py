"""Labeled links and the connection's ``label_write_semantics``: exact requests and reads against the emulator.

Under ``replace`` (HubSpot's documented behaviour) a labeled create carries the pair's current types, so they
are read first: each from-id once per chunk, only until its wanted pairs are seen, and never for a pair the
call itself just wrote. Under ``merge`` nothing is read. ``detect_label_write_semantics`` tells which an
account has and leaves the pair as it found it.
"""

from __future__ import annotations

import json

import pytest

from airflow_provider_hubassoc.exceptions import HubSpotInputError


@pytest.fixture(autouse=True)
def _short_backoff(monkeypatch):
    monkeypatch.setattr("airflow_provider_hubassoc.hooks._retry.BACKOFF_BASE_SECONDS", 0.01)


@pytest.fixture
def labels(emu) -> dict[str, int]:
    """Two user labels contact->company; their type ids by text."""
    return {
        text: emu.create_label("contacts", "companies", name, text)[0]["typeId"]
        for name, text in (("billing", "Billing contact"), ("decider", "Decision maker"))
    }


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


@pytest.fixture
def read_ids(observe) -> list[list[int]]:
    """The from-ids of each batch read the emulator served, in order."""
    seen: list[list[int]] = []

    def record(request, response) -> None:
        if response.endpoint == "batch.read":
            seen.append([int(item["id"]) for item in json.loads(request.body)["inputs"]])

    observe(record)
    return seen


def _types(emu, from_id: int, to_id: int) -> set[int]:
    return {t["typeId"] for t in emu.associations("contacts", from_id, "companies").get(to_id, [])}


# -- merge ------------------------------------------------------------------------------------------------


def test_merge_sends_creates_only_and_keeps_existing_labels(make_hook, emu, sent, labels):
    emu.configure(label_write_semantics="merge")
    emu.associate("contacts", 1, "companies", 7, [("USER_DEFINED", labels["Billing contact"])])
    hook = make_hook(label_write_semantics="merge")
    result = hook.create_associations(
        "contacts", "companies", [(i, 7) for i in range(1, 5002)], labels="Decision maker"
    )
    assert (result.total, result.succeeded, result.failed) == (5001, 5001, 0)
    assert (sent("batch.create"), sent("batch.read"), result.requests) == (3, 0, 3)
    assert result.reads_skipped == 5001
    assert _types(emu, 1, 7) == {1, 279, labels["Billing contact"], labels["Decision maker"]}


def test_merge_unlabeled_pairs_still_use_the_default_endpoint(make_hook, emu, sent, labels):
    hook = make_hook(label_write_semantics="merge")
    result = hook.create_associations("contacts", "companies", [(1, 2), (3, 4, "Billing contact")])
    assert (sent("batch.associate_default"), sent("batch.create"), sent("batch.read")) == (1, 1, 0)
    assert result.reads_skipped == 1


def test_merge_chosen_on_a_replace_account_strips_labels_and_detection_says_replace(make_hook, emu, labels):
    """Why ``replace`` is the default: the emulator replaces as HubSpot documents, and a hook told ``merge``
    then drops the labels it does not name. Detection on a test pair reports the account's real behaviour."""
    emu.associate("contacts", 1, "companies", 10, [("USER_DEFINED", labels["Billing contact"])])
    make_hook(label_write_semantics="merge").create_associations("contacts", "companies", [(1, 10, "Decision maker")])
    assert _types(emu, 1, 10) == {279, labels["Decision maker"]}  # Billing contact and Primary gone
    hook = make_hook(label_write_semantics="merge")  # the setting does not steer detection
    assert (
        hook.detect_label_write_semantics("contacts", 2, "companies", 20, "Billing contact", "Decision maker")
        == "replace"
    )


# -- replace: only the reads correctness needs --------------------------------------------------------------


def test_replace_reads_each_from_id_once_per_chunk(make_hook, emu, sent, labels, read_ids):
    pairs = [(1, 10), (1, 11), (1, 12), (2, 10), (3, 10)]
    result = make_hook().create_associations("contacts", "companies", pairs, labels="Billing contact")
    assert read_ids == [[1, 2, 3], [1, 2, 3]]  # before the write, then the verify read (label_verify_rounds)
    assert (sent("batch.create"), result.requests, result.reads_skipped) == (1, 3, 0)


def test_replace_does_not_read_pairs_the_call_just_wrote(make_hook, emu, sent, labels, read_ids):
    """Chunks of two: the second holds (1, 10) again, written by the first: only from-id 3 is read. The
    first write made company 10 the contact's primary (the answer says so): the second keeps it."""
    pairs = [
        (1, 10, "Billing contact"),
        (2, 20, "Billing contact"),
        (1, 10, "Decision maker"),
        (3, 30, "Decision maker"),
    ]
    result = make_hook().create_associations("contacts", "companies", pairs, chunk_size=2)
    assert read_ids == [[1, 2], [1, 2], [3], [1, 3]]  # each chunk: its read, its write, its verify read
    assert (sent("batch.create"), result.requests, result.reads_skipped) == (2, 6, 1)
    assert _types(emu, 1, 10) == {1, 279, labels["Billing contact"], labels["Decision maker"]}


def test_replace_chunk_of_known_pairs_reads_nothing(make_hook, emu, sent, labels):
    emu.associate("contacts", 1, "companies", 10, [("USER_DEFINED", labels["Billing contact"])])
    pairs = [(1, 10, "Decision maker"), (1, 10, "Billing contact"), (1, 10, "Decision maker")]
    result = make_hook().create_associations("contacts", "companies", pairs, chunk_size=1)
    # one read before the first write; each chunk's verify read after its write
    assert (sent("batch.read"), sent("batch.create"), result.reads_skipped) == (1 + 3, 3, 2)
    assert _types(emu, 1, 10) == {1, 279, labels["Billing contact"], labels["Decision maker"]}


def test_replace_a_primary_set_by_the_call_is_not_moved_back_by_memory(make_hook, emu, sent, labels):
    """Company 11 is made the contact's primary in the second chunk: HubSpot moves it off (1, 10), which the
    memory had seen with Primary. The third chunk reads (1, 10) again instead of re-sending a stale Primary."""
    pairs = [(1, 10, "Billing contact"), (1, 11, "Primary"), (1, 10, "Decision maker")]
    result = make_hook().create_associations("contacts", "companies", pairs, chunk_size=1)
    assert (sent("batch.read"), result.reads_skipped) == (3 + 3, 0)  # and each chunk's verify read
    assert 1 in _types(emu, 1, 11)
    assert _types(emu, 1, 10) == {279, labels["Billing contact"], labels["Decision maker"]}


def test_replace_stops_paging_a_record_once_its_wanted_pairs_are_seen(make_hook, emu, sent, labels):
    emu.configure(batch_read_page_size=2)
    for to_id in range(10, 16):
        emu.associate("contacts", 1, "companies", to_id, [("USER_DEFINED", labels["Billing contact"])])
    hook = make_hook()
    hook.create_associations("contacts", "companies", [(1, 11)], labels="Decision maker")
    assert sent("batch.read") == 1 + 1  # (1, 11) is on the first page of three, before the write as in verify
    hook.create_associations("contacts", "companies", [(1, 15), (1, 99)], labels="Decision maker")
    # (1, 99) is on no page: every page is read; the verify read finds it on the last of four
    assert sent("batch.read") == 2 + 3 + 4
    for to_id in (11, 15):
        assert {labels["Billing contact"], labels["Decision maker"]} <= _types(emu, 1, to_id)


def test_replace_after_a_lost_answer_reads_again_instead_of_trusting_memory(make_hook, emu, sent, labels, observe):
    """The second write of (1, 10) loses its answer after HubSpot applied it: the replay re-reads the pair
    (memory is never trusted for a replay) and nothing is lost."""
    state = {"creates": 0}

    def lose_the_second(request, response) -> None:
        if response.endpoint != "batch.create":
            return
        state["creates"] += 1
        if state["creates"] == 1:
            emu.configure(fault_drop_after=1.0, fault_endpoints=["batch.create"])
        elif response.drop:
            emu.configure(fault_drop_after=0.0)

    observe(lose_the_second)
    pairs = [(1, 10, "Billing contact"), (1, 10, "Decision maker")]
    result = make_hook().create_associations("contacts", "companies", pairs, chunk_size=1)
    assert (result.succeeded, result.failed) == (2, 0)
    # the first read, the replay's re-read, and each chunk's verify read
    assert (sent("batch.create"), sent("batch.read"), result.reads_skipped) == (3, 2 + 2, 1)
    assert _types(emu, 1, 10) == {1, 279, labels["Billing contact"], labels["Decision maker"]}


# -- detection ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("semantics", ["replace", "merge"])
def test_detection_reports_the_account_and_restores_the_pair(make_hook, emu, sent, labels, semantics):
    emu.configure(label_write_semantics=semantics)
    emu.associate("contacts", 1, "companies", 10, [("USER_DEFINED", labels["Decision maker"])])
    before = _types(emu, 1, 10)
    assert 1 in before  # the contact's primary company
    hook = make_hook()
    assert (
        hook.detect_label_write_semantics("contacts", 1, "companies", 10, "Billing contact", "Decision maker")
        == semantics
    )
    assert _types(emu, 1, 10) == before
    assert emu.associations("contacts", 1, "companies").keys() == {10}


@pytest.mark.parametrize("semantics", ["replace", "merge"])
def test_detection_on_a_pair_without_association_leaves_none(make_hook, emu, labels, semantics):
    emu.configure(label_write_semantics=semantics)
    hook = make_hook(label_write_semantics="merge")
    assert (
        hook.detect_label_write_semantics("contacts", 5, "companies", 50, "Billing contact", "Decision maker")
        == semantics
    )
    assert emu.associations("contacts", 5, "companies") == {}
    assert emu.associations("companies", 50, "contacts") == {}


@pytest.mark.parametrize(
    ("a", "b"), [("Billing contact", "billing contact"), ("primary", "Decision maker"), ("Billing contact", "nope")]
)
def test_detection_needs_two_user_labels_and_sends_no_write(make_hook, emu, sent, labels, a, b):
    with pytest.raises(HubSpotInputError, match="label"):
        make_hook().detect_label_write_semantics("contacts", 1, "companies", 10, a, b)
    assert sent("batch.create") == sent("batch.read") == 0
