"""The 2026-09 write rules through the hook (reference §20.4): a write refused for a permission is a failure of
exactly the inputs HubSpot names, with its category and message; a refusal of the whole request raises an error
naming the permission. Also the date-version answer shapes: 200 with a body for archives, ``paging`` absent on
the last page, the ``{createdResourceId, entity, location}`` wrapper.

HubSpot's status and body for a refused association write are unknown (§20.10 item 5): the emulator's shapes
(``association_permission_rule``) stand in for them.
"""

from __future__ import annotations

import pytest

from airflow_provider_hubassoc.hooks._writes import unwrap_created


@pytest.fixture(autouse=True)
def _short_backoff(monkeypatch):
    monkeypatch.setattr("airflow_provider_hubassoc.hooks._retry.BACKOFF_BASE_SECONDS", 0.01)


# -- date-version answer shapes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"createdResourceId": "6", "entity": {"toObjectId": 6}, "location": "x"}, {"toObjectId": 6}),
        ({"entity": {"toObjectId": 6}, "location": "x"}, {"toObjectId": 6}),
        ({"entity": "a property named entity"}, {"entity": "a property named entity"}),
        ({"results": []}, {"results": []}),
        ([1], [1]),
        (None, None),
    ],
)
def test_unwrap_created_takes_the_entity_only_out_of_the_wrapper(body, expected):
    assert unwrap_created(body) == expected
