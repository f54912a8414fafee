"""Record-level endpoints (PUT, default PUT, DELETE, GET list with paging) through the hook."""

from __future__ import annotations

import pytest

from airflow_provider_hubassoc.exceptions import HubSpotInputError


def _labels(emu, from_id, to_id):
    return sorted(t["label"] or "" for t in emu.associations("contacts", from_id, "companies").get(to_id, []))


@pytest.mark.parametrize("semantics", ["replace", "merge"])
def test_associate_with_a_label_never_drops_existing_labels(hook, emu, semantics):
    emu.configure(label_write_semantics=semantics)
    billing = emu.create_label("contacts", "companies", "billing", "Billing contact")[0]
    emu.create_label("contacts", "companies", "decider", "Decision maker")
    emu.associate("contacts", 1, "companies", 10, [("USER_DEFINED", billing["typeId"])])

    row = hook.associate("contacts", "1", "companies", 10, ["decision maker"])

    assert "Billing contact" in _labels(emu, 1, 10) and "Decision maker" in _labels(emu, 1, 10)
    assert {"Billing contact", "Decision maker"} <= set(row.labels)
    assert (row.from_id, row.to_id, row.from_object_type, row.to_object_type) == (1, 10, "0-1", "0-2")


def test_associate_default_and_remove(hook, emu, api_version):
    hook.associate_default("contacts", 3, "companies", 30, api_version=api_version)
    assert 279 in [t["typeId"] for t in emu.associations("contacts", 3, "companies")[30]]
    # The inverse direction exists too.
    assert 30 in emu.associations("companies", 30, "contacts") or 3 in emu.associations("companies", 30, "contacts")
    hook.remove_association("contacts", 3, "companies", 30, api_version=api_version)
    assert emu.associations("contacts", 3, "companies") == {}


def test_associate_without_labels_is_the_default_association(hook, emu):
    row = hook.associate("contacts", 4, "companies", 40)
    assert 279 in row.type_ids
    assert 40 in emu.associations("contacts", 4, "companies")


def test_record_listing_follows_every_page(make_hook, emu, sent, api_version):
    emu.configure(batch_read_page_size=3)
    for to_id in range(100, 111):
        emu.associate("contacts", 7, "companies", to_id)
    hook = make_hook()
    rows = list(hook.iter_record_associations("contacts", 7, "companies", page_size=3, api_version=api_version))
    assert [r.to_id for r in rows] == list(range(100, 111))
    assert sent("records.list") == 4  # 3 + 3 + 3 + 2
    assert all(279 in r.type_ids for r in rows)


def test_record_calls_validate_before_sending(hook, sent):
    with pytest.raises(HubSpotInputError, match="from_id"):
        hook.associate("contacts", 0, "companies", 1)
    with pytest.raises(HubSpotInputError, match="to_id"):
        hook.remove_association("contacts", 1, "companies", "12a")
    with pytest.raises(HubSpotInputError, match="page_size"):
        list(hook.iter_record_associations("contacts", 1, "companies", page_size=501))
    with pytest.raises(HubSpotInputError, match="unknown object type"):
        hook.associate_default("contacts", 1, "cars", 1)
    assert sent() == 0
