"""Record ids without an id list (``hooks/api/object_listing.py``) and merged records in association reads
(``hooks/api/_merges.py``), against the emulator over HTTP: the paths and bodies sent, the 10,000 cap split on
the id, a resumed listing, and a merged answer accepted only when the survivor lists the asked id."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from airflow_provider_hubassoc.exceptions import HubSpotAnswerError, HubSpotInputError, HubSpotPagingError
from airflow_provider_hubassoc.hooks.api import object_listing

JAN_1 = datetime(2026, 1, 1, tzinfo=timezone.utc)
JAN_2 = datetime(2026, 1, 2, tzinfo=timezone.utc)


@pytest.fixture
def seen(emu) -> list[tuple[str, str, Any]]:
    """``(endpoint, path, JSON body)`` of each request the emulator answers."""
    requests: list[tuple[str, str, Any]] = []

    def observe(request, response) -> None:
        body = json.loads(request.body) if getattr(request, "body", None) else None
        requests.append((response.endpoint, request.path, body))

    emu.app.observers.append(observe)
    return requests


def test_every_record_id_page_by_page_on_the_dated_path(make_hook, emu, seen):
    emu.configure(search_requests_per_second=None)
    ids = emu.seed_records("companies", [{"name": f"c{n}"} for n in range(230)])
    listed = list(make_hook().iter_record_ids("companies"))
    assert [x.id for x in listed] == ids
    assert [x.page for x in listed][:101:100] == [None, listed[100].page] and listed[100].page is not None
    assert [p for _e, p, _b in seen] == ["/crm/objects/2026-09/0-2"] * 3


def test_a_resumed_listing_starts_at_its_page_past_the_last_id_done(make_hook, emu):
    ids = emu.seed_records("contacts", [{} for _ in range(150)])
    hook = make_hook()
    listed = list(hook.iter_record_ids("contacts"))
    again = list(hook.iter_record_ids("contacts", after=listed[120].page, after_id=listed[120].id))
    assert [x.id for x in again] == ids[121:]


@pytest.mark.legacy_api
def test_the_v4_setting_lists_records_on_v3_objects(make_hook, emu, seen):
    emu.seed_records("contacts", [{}])
    assert len(list(make_hook(api_version="v4").iter_record_ids("contacts"))) == 1
    assert seen[0][1] == "/crm/v3/objects/0-1"


def test_modified_search_filters_the_window_on_the_types_modified_property(make_hook, emu, seen):
    emu.configure(search_requests_per_second=None)
    inside = emu.seed_records("companies", [{} for _ in range(3)], modified=JAN_1)
    emu.seed_records("companies", [{}], modified=JAN_2)
    assert list(make_hook().iter_modified_record_ids("companies", JAN_1, JAN_2)) == inside
    (endpoint, path, body), *_ = seen
    assert (endpoint, path) == ("objects.search", "/crm/objects/2026-09/0-2/search")
    assert body["filterGroups"] == [
        {
            "filters": [
                {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": str(int(JAN_1.timestamp() * 1000))},
                {"propertyName": "hs_lastmodifieddate", "operator": "LT", "value": str(int(JAN_2.timestamp() * 1000))},
            ]
        }
    ]
    assert body["sorts"] == [{"propertyName": "hs_object_id", "direction": "ASCENDING"}] and body["limit"] == 200


def test_the_cap_starts_a_new_query_after_the_last_id(make_hook, emu, seen, monkeypatch):
    emu.configure(search_requests_per_second=None, search_results_cap=100)
    monkeypatch.setattr(object_listing, "SEARCH_RESULTS_CAP", 100)
    monkeypatch.setattr(object_listing, "SEARCH_PAGE_SIZE", 50)
    ids = emu.seed_records("contacts", [{} for _ in range(230)], modified=JAN_1)
    assert list(make_hook().iter_modified_record_ids("contacts", JAN_1, JAN_2)) == ids
    splits = [b["filterGroups"][0]["filters"][2:] for _e, _p, b in seen]
    assert [s[0]["value"] if s else None for s in splits] == [None, None, str(ids[99]), str(ids[99]), str(ids[199])]
    assert all(s[0]["operator"] == "GT" and s[0]["propertyName"] == "hs_object_id" for s in splits if s)
    assert seen[0][2]["filterGroups"][0]["filters"][0]["propertyName"] == "lastmodifieddate"  # contacts


def test_a_search_cursor_that_does_not_move_is_a_paging_error(make_hook, emu):
    emu.configure(search_requests_per_second=None)
    emu.seed_records("contacts", [{} for _ in range(3)], modified=JAN_1)

    def observe(request, response) -> None:
        if response.endpoint == "objects.search" and response.status == 200:
            response.body = {**response.body, "paging": {"next": {"after": "0"}}}

    emu.app.observers.append(observe)
    with pytest.raises(HubSpotPagingError, match="does not move"):
        list(make_hook().iter_modified_record_ids("contacts", JAN_1, JAN_2))


def test_an_empty_window_is_refused_before_anything_is_sent(make_hook, emu, seen):
    with pytest.raises(HubSpotInputError, match="must be after"):
        list(make_hook().iter_modified_record_ids("contacts", JAN_2, JAN_1))
    assert seen == []


# ---------------------------------------------------------------------- merged records
def test_a_merged_id_reads_as_its_survivor_keeping_the_asked_id(make_hook, emu):
    a, b = emu.seed_records("contacts", [{}, {}])
    emu.associate("contacts", a, "companies", 11)
    emu.associate("contacts", b, "companies", 12)
    survivor = emu.merge("contacts", a, b)
    rows = list(make_hook().iter_read_associations("contacts", "companies", [a], follow_merges=True))
    assert sorted((r.from_id, r.to_id, r.asked_from_id) for r in rows) == [(survivor, 11, a), (survivor, 12, a)]


def test_without_follow_merges_nothing_changes_for_an_unmerged_read(make_hook, emu):
    emu.associate("contacts", 1, "companies", 11)
    rows = list(make_hook().iter_read_associations("contacts", "companies", [1]))
    assert [(r.from_id, r.to_id, r.asked_from_id) for r in rows] == [(1, 11, None)]


def test_an_answer_under_a_record_that_lists_no_asked_id_is_refused(make_hook, emu):
    """Merged in appearance only: HubSpot answers ``a`` under ``other``, whose hs_merged_object_ids are empty."""
    a, other = emu.seed_records("contacts", [{}, {}])
    emu.associate("contacts", a, "companies", 11)

    def observe(request, response) -> None:
        if response.endpoint == "batch.read" and response.status == 200:
            for item in response.body["results"]:
                item["from"]["id"] = str(other)

    emu.app.observers.append(observe)
    rows: list[Any] = []
    with pytest.raises(HubSpotAnswerError, match=f"record {other} listed, which the request did not ask for"):
        rows.extend(make_hook(max_retries=0).iter_read_associations("contacts", "companies", [a], follow_merges=True))
    assert rows == []
