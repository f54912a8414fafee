"""v3 endpoints through the hook: types, batch create/read/archive and v3's documented quirks."""

from __future__ import annotations

import pytest

from airflow_provider_hubassoc.exceptions import HubSpotBatchError, HubSpotInputError

#: v3 is the subject of this module (HubSpot retires it in September 2027)
pytestmark = pytest.mark.legacy_api

BAD = 2_000_000_000_000


def test_v3_types_have_ids_and_names(hook):
    types = {t.name: t.type_id for t in hook.v3_list_types("contacts", "companies")}
    assert types["contact_to_company"] == 1
    assert types["contact_to_company_unlabeled"] == 279


def test_v3_create_read_archive(hook, emu, sent):
    result = hook.v3_create_associations("deals", "contacts", [(1, 10), ("1", "11"), (2, 20)])
    assert (result.total, result.succeeded) == (3, 3)
    assert set(emu.associations("deals", 1, "contacts")) == {10, 11}

    rows = list(hook.iter_v3_read_associations("deals", "contacts", [1, 2, 3]))
    assert sorted((r.from_id, r.to_id) for r in rows) == [(1, 10), (1, 11), (2, 20)]
    assert all(t.name for r in rows for t in r.types)

    archived = hook.v3_archive_associations("deals", "contacts", [(1, 10)])
    assert archived.succeeded == 1
    assert set(emu.associations("deals", 1, "contacts")) == {11}
    assert sent("v3.batch.create") == sent("v3.batch.read") == sent("v3.batch.archive") == 1


def test_v3_create_chunks_at_2000(hook, sent):
    result = hook.v3_create_associations("contacts", "deals", [(i, 1) for i in range(1, 2002)])
    assert result.succeeded == 2001 and sent("v3.batch.create") == 2


def test_v3_reads_towards_companies_return_only_the_primary_company(hook, emu, monkeypatch):
    emu.associate("contacts", 1, "companies", 10, [("HUBSPOT_DEFINED", 1)])
    emu.associate("contacts", 1, "companies", 11)
    warnings = []
    monkeypatch.setattr(hook.log, "warning", lambda msg, *args: warnings.append(msg % args if args else msg))
    v3_rows = list(hook.iter_v3_read_associations("contacts", "companies", [1]))
    assert [r.to_id for r in v3_rows] == [10]
    assert any("primary company" in w for w in warnings)
    # v4, the default for reads, returns every company.
    assert sorted(r.to_id for r in hook.iter_read_associations("contacts", "companies", [1])) == [10, 11]


def test_v3_read_does_not_loop_on_its_ignored_cursor(hook, emu, sent, monkeypatch):
    emu.configure(v3_page_size=2)
    for to_id in range(10, 15):
        emu.associate("deals", 1, "contacts", to_id)
    warnings = []
    monkeypatch.setattr(hook.log, "warning", lambda msg, *args: warnings.append(msg % args if args else msg))
    rows = list(hook.iter_v3_read_associations("deals", "contacts", [1]))
    assert len(rows) == 2 and sent("v3.batch.read") == 1
    assert any("more associations than one page" in w for w in warnings)


def test_v3_failures_are_mapped_and_custom_objects_need_a_type_name(hook, sent):
    with pytest.raises(HubSpotBatchError) as caught:
        hook.v3_create_associations("deals", "contacts", [(1, 10), (2, BAD)])
    assert [f.position for f in caught.value.result.failures] == [1]
    with pytest.raises(HubSpotInputError, match="association_type"):
        hook.v3_create_associations("2-123", "contacts", [(1, 2)])
    assert sent("v3.batch.create") == 1
