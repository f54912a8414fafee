"""Record look-ups through the hook (``resolve_record_ids``): by a unique property and by id, over real HTTP."""

from __future__ import annotations

import pytest

from airflow_provider_hubassoc.exceptions import HubSpotAnswerError, HubSpotInputError


def test_keys_resolve_100_a_request_misses_are_none(emu, make_hook):
    ids = emu.seed_records("contacts", [{"email": f"u{i}@example.com"} for i in range(150)])
    keys = [f"U{i}@Example.com" for i in range(150)] + ["nobody@example.com"]
    matches = list(make_hook().resolve_record_ids("contacts", "email", keys))
    assert [m.key for m in matches] == keys
    assert [m.id for m in matches] == [*ids, None]
    assert emu.counters()["objects.batch.read"] == {"200": 1, "207": 1}


def test_a_property_that_is_not_unique_is_a_named_input_error(emu, make_hook):
    emu.seed_records("companies", [{"domain": "a.example"}])
    with pytest.raises(HubSpotInputError, match=r"'domain'.*not unique in HubSpot"):
        list(make_hook().resolve_record_ids("companies", "domain", ["a.example"]))


def test_read_by_id_names_the_surviving_record_of_a_merge(emu, make_hook):
    a, b, c = emu.seed_records("contacts", [{"email": "a@x.io"}, {"email": "b@x.io"}, {"email": "c@x.io"}])
    survivor = emu.merge("contacts", a, b)
    matches = {m.key: m for m in make_hook().resolve_record_ids("contacts", None, [str(a), str(b), str(c), "99"])}
    assert matches[str(a)].id == survivor and matches[str(a)].merged
    assert matches[str(b)].id == survivor
    assert matches[str(c)].id == c and not matches[str(c)].merged
    assert matches["99"].id is None


@pytest.mark.parametrize("kind", ["html", "wrong_shape", "null_ids", "non_int_id", "truncated", "empty"])
def test_hostile_answers_are_named_errors(emu, make_hook, kind):
    emu.seed_records("contacts", [{"email": "a@x.io"}])
    emu.hostile(kind, "objects.batch.read")
    with pytest.raises(HubSpotAnswerError):
        list(make_hook(max_retries=1).resolve_record_ids("contacts", "email", ["a@x.io"]))
