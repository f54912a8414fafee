"""Writes whose answer is lost after HubSpot applied them (the emulator's ``fault_drop_after`` /
``fault_slow_after``): HubSpot-defined types are never lost, under replace and merge semantics.

On main before the replay rule (hooks/_writes.py) these failed under replace semantics: the transport re-sent
the payload built from the read taken before the first attempt, and that second write removed the ``Primary``
HubSpot had set on the first.
"""

from __future__ import annotations

import pytest

from airflow_provider_hubassoc.exceptions import HubSpotAnswerLostError


@pytest.fixture(autouse=True)
def _short_backoff(monkeypatch):
    """Back-off waits of hundredths of a second: these tests count sends, not waits."""
    monkeypatch.setattr("airflow_provider_hubassoc.hooks._retry.BACKOFF_BASE_SECONDS", 0.01)


def _types(emu, from_id: int, to_id: int) -> set[int]:
    return {t["typeId"] for t in emu.associations("contacts", from_id, "companies")[to_id]}


def _lose_answers(emu, endpoint: str, times: int, kind: str = "drop_after") -> None:
    """The next ``times`` requests to ``endpoint`` are applied, then lose their answer."""
    left = [times]
    knob = f"fault_{kind}"

    def observe(request, response) -> None:
        if response.endpoint == endpoint and (response.drop or response.delay > 0):
            left[0] -= 1
            if left[0] == 0:
                emu.configure(**{knob: 0.0})

    emu.configure(**{knob: 1.0}, fault_endpoints=[endpoint])
    emu.app.observers.append(observe)


@pytest.mark.parametrize(("semantics", "told"), [("replace", "replace"), ("merge", "replace"), ("merge", "merge")])
@pytest.mark.parametrize("lost", [1, 3])
def test_batch_create_replayed_after_a_lost_answer_keeps_the_primary(make_hook, emu, sent, semantics, told, lost):
    """``told``: the connection's label_write_semantics. Under merge the replay is a plain retry: no reads."""
    emu.configure(label_write_semantics=semantics)
    billing = emu.create_label("contacts", "companies", "billing", "Billing contact")[0]["typeId"]
    _lose_answers(emu, "batch.create", lost)
    result = make_hook(label_write_semantics=told).create_associations(
        "contacts", "companies", [(i, 500 + i) for i in range(1, 11)], labels="Billing contact"
    )
    assert (result.total, result.succeeded, result.failed) == (10, 10, 0)
    assert sent("batch.create") == lost + 1
    # the first read, one per replay, then the verify read (none under merge)
    assert sent("batch.read") == (0 if told == "merge" else 1 + lost + 1)
    for i in range(1, 11):  # new pairs: HubSpot made each company the contact's primary on the first write
        assert _types(emu, i, 500 + i) == {1, 279, billing}


@pytest.mark.parametrize("kind", ["drop_after", "slow_after"])
def test_labeled_put_replayed_after_a_lost_answer_keeps_the_primary(make_hook, emu, sent, kind):
    hook = make_hook(read_timeout=0.3)
    emu.configure(slow_seconds=1.0)
    billing = emu.create_label("contacts", "companies", "billing", "Billing contact")[0]["typeId"]
    _lose_answers(emu, "records.put", 1, kind)
    row = hook.associate("contacts", 7, "companies", 8, labels="Billing contact")
    assert _types(emu, 7, 8) == {1, 279, billing}
    assert {t.type_id for t in row.types} == {1, 279, billing}
    assert sent("records.put") == 2


def test_lost_answers_beyond_the_retry_budget_raise_answer_lost(make_hook, emu, sent):
    """Every send applied and every answer lost: bounded by max_retries, then a clear error; the state is
    still right (every replay was re-derived)."""
    hook = make_hook(max_retries=2)
    emu.create_label("contacts", "companies", "billing", "Billing contact")
    emu.configure(fault_drop_after=1.0, fault_endpoints=["batch.create"])
    with pytest.raises(HubSpotAnswerLostError, match="answer lost"):
        hook.create_associations("contacts", "companies", [(1, 2)], labels="Billing contact")
    assert sent("batch.create") == 3
    assert 1 in _types(emu, 1, 2)


def test_plain_writes_keep_plain_retries(hook, emu, sent):
    """Default associations and archives cannot change state when replayed: the transport re-sends them and
    no re-read is made."""
    _lose_answers(emu, "batch.associate_default", 1)
    hook.create_associations("contacts", "companies", [(1, 2), (3, 4)])
    assert sent("batch.associate_default") == 2 and sent("batch.read") == 0
    _lose_answers(emu, "batch.archive", 1)
    hook.archive_associations("contacts", "companies", [(1, 2)])
    assert sent("batch.archive") == 2 and sent("batch.read") == 0
    assert emu.associations("contacts", 1, "companies") == {} and _types(emu, 3, 4) == {1, 279}
