"""Operators on a HubSpot whose 2xx answers are not as documented (``hooks/_answers.py``, issue 21): the task
fails naming the answer, and nothing is exported or counted as written.

On main before the gate: the export of an HTML page succeeded with 0 rows; the link counted ``succeeded: 3``.
"""

from __future__ import annotations

import pytest

from airflow_provider_hubassoc.exceptions import HubSpotAnswerError
from airflow_provider_hubassoc.operators.associations import (
    HubSpotCreateAssociationsOperator,
    HubSpotReadAssociationsOperator,
)


@pytest.fixture(autouse=True)
def _short_backoff(monkeypatch):
    monkeypatch.setattr("airflow_provider_hubassoc.hooks._retry.BACKOFF_BASE_SECONDS", 0.01)


@pytest.fixture
def html_from(hubspot_emulator):
    """``html_from("batch.read")``: every 2xx answer of that endpoint becomes a maintenance page (the emulator's
    ``hostile`` knob, kind ``html``; the plugin resets it after the test)."""

    def install(endpoint: str) -> None:
        hubspot_emulator.hostile("html", endpoint)

    return install


def test_an_export_answered_with_html_fails_and_exports_nothing(
    hubspot_connection, hubspot_emulator, html_from, tmp_path
):
    hubspot_emulator.associate("contacts", 1, "companies", 11)
    html_from("batch.read")
    out = tmp_path / "out.csv"
    operator = HubSpotReadAssociationsOperator(
        task_id="read", from_object_type="contacts", to_object_type="companies", record_ids=[1], output_path=str(out)
    )
    with pytest.raises(HubSpotAnswerError, match=r"not JSON.*Down for maintenance"):
        operator.execute({})
    assert not out.exists() or out.read_text().strip() in ("", "from_object_type,from_id,to_object_type,to_id")


def test_a_link_answered_with_html_is_never_counted_as_written(hubspot_connection, hubspot_emulator, html_from):
    html_from("batch.associate_default")
    operator = HubSpotCreateAssociationsOperator(
        task_id="link", from_object_type="contacts", to_object_type="companies", pairs=[(1, 11), (2, 12), (3, 13)]
    )
    with pytest.raises(HubSpotAnswerError) as caught:
        operator.execute({})
    result = caught.value.result
    assert result is None or result.succeeded == 0
