"""Many writers, one account: tasks labeling the same pairs at once under ``replace`` (issue 23, item 3).

Each writer is its own hook (own session, own connection settings), on its own thread, as two Airflow tasks on
two workers would be; the emulator answers with latency and jitter so every writer's read->write window
overlaps the others' writes. Without the verify pass a stale read replaces the other writer's label (and the
``Primary`` HubSpot set when the other writer created the pair); with it every label each writer asked for ends
present and Primary is kept on every pair. The verify pass is on by default; the tests marked ``verify_settle``
keep the connection's real 2 s settle (the others get 0 from the root conftest, or set their own).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

PAIRS = [(contact, 100_000 + contact) for contact in range(1, 2001)]
LABELS = (("billing", "Billing contact"), ("decider", "Decision maker"), ("payer", "Payer"))
PRIMARY = 1  # contact -> company primary (reference §6)
#: the default verify rounds: what converges with two and three writers at the default settle
DEFAULT_ROUNDS = 2


@pytest.fixture
def labels(emu) -> dict[str, int]:
    return {text: emu.create_label("contacts", "companies", name, text)[0]["typeId"] for name, text in LABELS}


def _run_at_once(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Start every job on its own thread behind one barrier; return their results (re-raise the first error)."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = jobs[index]()
        except BaseException as error:  # handed to the test thread below
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def _writer(make_hook, label: str, **extras: Any) -> Callable[[], Any]:
    hook = make_hook(max_concurrency=2, **extras)
    return lambda: hook.create_associations("contacts", "companies", PAIRS, labels=label, chunk_size=100)


def _lost(emu, wanted: set[int]) -> tuple[int, int]:
    """(pairs missing a wanted label, pairs without Primary)."""
    missing = no_primary = 0
    for contact, company in PAIRS:
        held = {t["typeId"] for t in emu.associations("contacts", contact, "companies").get(company, [])}
        missing += not wanted <= held
        no_primary += PRIMARY not in held
    return missing, no_primary


#: the verify settings of the tests: settle well past the emulator's slowest read answer (latency + jitter), so a
#: loaded CI machine does not stretch a writer's read->write gap past it (waiting holds no slot: cheap)
VERIFY = {"label_verify_rounds": 4, "label_verify_settle_seconds": 0.5}


def _requests_within_cost(result: Any) -> None:
    """The docs' cost: per chunk of 100 pairs (100 from-ids) one read and one create, plus at most rounds + 1
    verify reads and ``rounds`` repair creates."""
    chunks = len(PAIRS) // 100
    assert 2 * chunks <= result.requests <= chunks * (2 + VERIFY["label_verify_rounds"] * 2 + 1)


@pytest.mark.parametrize("writers", [2, 3])
def test_writers_at_once_keep_every_label_and_primary_with_verify(make_hook, emu, labels, writers):
    emu.configure(latency=0.01, jitter=0.03, seed=7)
    texts = [text for _name, text in LABELS[:writers]]
    results = _run_at_once([_writer(make_hook, text, **VERIFY) for text in texts])
    assert _lost(emu, {labels[text] for text in texts}) == (0, 0)
    for result in results:
        assert (result.succeeded, result.failed) == (len(PAIRS), 0)
        _requests_within_cost(result)


@pytest.mark.verify_settle
def test_two_writers_with_default_settings_keep_every_label_and_primary(make_hook, emu, labels):
    """The default connection (no verify setting given; the real 2 s settle): two tasks labeling the same pairs
    at once under ``replace`` end with both labels and Primary on every pair."""
    from airflow_provider_hubassoc.hooks._settings import HubSpotSettings

    assert (HubSpotSettings.label_verify_rounds, HubSpotSettings.label_verify_settle_seconds) == (DEFAULT_ROUNDS, 2.0)
    emu.configure(latency=0.01, jitter=0.03, seed=7)
    texts = [text for _name, text in LABELS[:2]]
    hooks = [make_hook(max_concurrency=2) for _text in texts]
    assert {(h.settings.label_write_semantics, h.settings.label_verify_rounds) for h in hooks} == {
        ("replace", DEFAULT_ROUNDS)
    }
    results = _run_at_once(
        [
            partial(hook.create_associations, "contacts", "companies", PAIRS, labels=text, chunk_size=100)
            for hook, text in zip(hooks, texts, strict=True)
        ]
    )
    assert _lost(emu, {labels[text] for text in texts}) == (0, 0)
    for result in results:
        assert (result.succeeded, result.failed) == (len(PAIRS), 0)


@pytest.mark.verify_settle
def test_a_chunk_waiting_to_verify_does_not_hold_a_slot(make_hook, emu, labels):
    """``max_concurrency`` 2, six chunks, the real settle: chunks 3 to 6 write while chunks 1 and 2 wait to
    verify (with the settle inside the slot, chunk 3's write would follow chunk 1's verify read); every chunk is
    still verified, and counted done only after its verify."""
    seen: list[tuple[str, int]] = []  # (endpoint, first from-id of the request), in the order served

    def record(request, response) -> None:
        if response.endpoint in ("batch.read", "batch.create"):
            inputs = json.loads(request.body)["inputs"]
            first = inputs[0]["id"] if response.endpoint == "batch.read" else inputs[0]["from"]["id"]
            seen.append((response.endpoint, int(first)))

    emu.app.observers.append(record)
    checkpoints: list[tuple[int, int]] = []
    pairs = PAIRS[:600]
    result = make_hook(max_concurrency=2).create_associations(
        "contacts",
        "companies",
        pairs,
        labels="Billing contact",
        chunk_size=100,
        chunk_callback=lambda start, end: checkpoints.append((start, end)),
    )
    assert (result.succeeded, result.failed) == (600, 0)
    firsts = [pairs[i][0] for i in range(0, 600, 100)]  # each chunk's first from-id
    reads = [seen.index(("batch.read", first)) for first in firsts]  # the read before each chunk's write
    verifies = [seen.index(("batch.read", first), read + 1) for first, read in zip(firsts, reads, strict=True)]
    writes = [seen.index(("batch.create", first)) for first in firsts]
    assert writes[2] < verifies[0] and writes[3] < verifies[1]
    assert all(write < verify for write, verify in zip(writes, verifies, strict=True))
    # the honest cost: per chunk its read, its write and one verify read
    assert (len(seen), result.requests) == (18, 18)
    assert checkpoints == [(i, i + 100) for i in range(0, 600, 100)]


def test_verify_alone_costs_one_read_per_chunk(make_hook, emu, labels, sent):
    hook = make_hook(**VERIFY)
    result = hook.create_associations("contacts", "companies", PAIRS, labels="Billing contact", chunk_size=1000)
    assert (result.succeeded, result.failed) == (len(PAIRS), 0)
    # per chunk of 1,000: the read before the write, the write, one verify read
    assert (sent("batch.read"), sent("batch.create"), result.requests) == (4, 2, 6)


def test_verify_does_not_re_add_a_label_it_did_not_ask_for(make_hook, emu, labels):
    """Another task removes a label this run did not ask for while it runs: it stays removed."""
    emu.associate("contacts", 1, "companies", 100_001, [("USER_DEFINED", labels["Payer"])])
    removed = []

    def remove_payer(request, response) -> None:  # once, right after our labeled write landed
        if response.endpoint == "batch.create" and not removed:
            removed.append(True)
            with emu.app.state.lock:
                emu.app.state.remove_types("0-1", 1, "0-2", 100_001, [("USER_DEFINED", labels["Payer"])])

    emu.app.observers.append(remove_payer)
    try:
        make_hook(**VERIFY).create_associations("contacts", "companies", [(1, 100_001)], labels="Billing contact")
    finally:
        emu.app.observers.remove(remove_payer)
    held = {t["typeId"] for t in emu.associations("contacts", 1, "companies")[100_001]}
    assert held == {PRIMARY, 279, labels["Billing contact"]}


def test_a_label_still_lost_after_the_last_round_is_a_named_failure(make_hook, emu, labels):
    """A writer that never verifies keeps replacing: the pair fails naming the cause, never a silent success."""

    def clobber(request, response) -> None:  # another tool, replacing after each of our creates
        if response.endpoint == "batch.create":
            with emu.app.state.lock:
                emu.app.state.apply_types("0-1", 1, "0-2", 100_001, [("USER_DEFINED", labels["Payer"])], replace=True)

    emu.app.observers.append(clobber)
    try:
        result = make_hook(label_verify_rounds=2, label_verify_settle_seconds=0).create_associations(
            "contacts", "companies", [(1, 100_001)], labels="Billing contact", on_failure="collect"
        )
    finally:
        emu.app.observers.remove(clobber)
    assert (result.succeeded, result.failed) == (0, 1)
    assert result.failures[0].sub_category == "crm.associations.LABEL_LOST_TO_CONCURRENT_WRITER"
