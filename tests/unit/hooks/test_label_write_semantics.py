"""Labeled links and the connection's ``label_write_semantics``: exact requests and reads against the emulator.

Under ``replace`` (HubSpot's documented behaviour) a labeled create carries the pair's current types, so they
are read first: each from-id once per chunk, only until its wanted pairs are seen, and never for a pair the
call itself just wrote. Under ``merge`` nothing is read. ``detect_label_write_semantics`` tells which an
account has and leaves the pair as it found it.
"""

from __future__ import annotations

import pytest

from airflow_provider_hubassoc.hooks._writes import WrittenPairs, _Pair
from airflow_provider_hubassoc.hooks.models import AssociationType


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


# -- merge ------------------------------------------------------------------------------------------------


# -- replace: only the reads correctness needs --------------------------------------------------------------


def test_written_pairs_is_bounded_and_forgets_what_it_cannot_map() -> None:
    unlabeled = AssociationType("HUBSPOT_DEFINED", 279, None, "unlabeled")
    a = AssociationType("USER_DEFINED", 100, "A")
    twin = [AssociationType("USER_DEFINED", 101, "Twin"), AssociationType("USER_DEFINED", 102, "Twin")]
    memory = WrittenPairs(lambda: [unlabeled, a, *twin], size=2)

    def answer(*pairs: tuple[int, int, list[str]]) -> dict:
        return {"results": [{"fromObjectId": f, "toObjectId": t, "labels": texts} for f, t, texts in pairs]}

    sent = [_Pair(i, i, 10 + i, (), (a,)) for i in range(3)]
    memory.record(sent, answer(*[(i, 10 + i, ["A"]) for i in range(3)]), failed=set(), generation=0)
    assert len(memory) == 2 and set(memory.known(sent)) == {(1, 11), (2, 12)}
    assert memory.known(sent[1:2])[(1, 11)] == (unlabeled, a)
    memory.record(sent[1:], answer((1, 11, ["A", "Twin"]), (2, 12, ["A"])), failed={2}, generation=0)
    assert memory.known(sent) == {}  # an ambiguous text, a failed input: both forgotten


def test_written_pairs_forgets_everything_when_a_primary_is_set() -> None:
    unlabeled = AssociationType("HUBSPOT_DEFINED", 279, None, "unlabeled")
    primary = AssociationType("HUBSPOT_DEFINED", 1, "Primary", "primary")
    a = AssociationType("USER_DEFINED", 100, "A")
    memory = WrittenPairs(lambda: [unlabeled, primary, a])
    first = [_Pair(0, 1, 10, (), (a,))]
    started = memory.moving(first)
    memory.record(
        first, {"results": [{"fromObjectId": 1, "toObjectId": 10, "labels": ["A", "Primary"]}]}, set(), started
    )
    assert memory.known(first) == {(1, 10): (unlabeled, a, primary)}
    assert memory.moving([_Pair(1, 1, 11, (), (primary,))]) == started + 1  # a Primary moves: all forgotten
    assert memory.known(first) == {}
    memory.record(first, {"results": [{"fromObjectId": 1, "toObjectId": 10, "labels": ["A"]}]}, set(), started)
    assert memory.known(first) == {}  # an answer to a write sent before the Primary moved is not kept


# -- detection ---------------------------------------------------------------------------------------------
