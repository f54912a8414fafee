"""The emulator's transport faults (``fault_redirect``, ``fault_trickle``) as a plain HTTP client sees them."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import pytest
import requests
from emulator_helpers import Client, pair, spec

if TYPE_CHECKING:
    from airflow_provider_hubassoc.emulator import HubSpotEmulator

#: the provider's default version (reference §20.3); transport faults do not depend on it
CREATE = "/crm/associations/2026-09/contacts/companies/batch/create"
LABELS = "/crm/associations/2026-09/contacts/companies/labels"


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_answers_status_and_location_and_applies_nothing(
    hubspot_emulator: HubSpotEmulator, status: int
) -> None:
    client = Client(hubspot_emulator)
    base = hubspot_emulator.base_url
    cases = [
        ("", f"{base}{CREATE}?x=1"),
        ("/elsewhere", f"{base}/elsewhere"),
        ("http://127.0.0.1:9/steal", "http://127.0.0.1:9/steal"),
    ]
    for location, expected in cases:
        hubspot_emulator.configure(fault_redirect=1.0, redirect_status=status, redirect_location=location)
        answer = client.post(CREATE + "?x=1", json={"inputs": [pair(1, 2, spec(279))]}, allow_redirects=False)
        assert (answer.status_code, answer.headers["Location"], answer.content) == (status, expected, b"")
    assert hubspot_emulator.associations("contacts", 1, "companies") == {}
    assert hubspot_emulator.counters() == {"batch.create": {str(status): 3}}
    assert hubspot_emulator.write_requests() == 0


def test_redirect_knobs_are_validated_and_settable_over_the_admin_api(hubspot_emulator: HubSpotEmulator) -> None:
    admin = f"{hubspot_emulator.base_url}/_emulator/config"
    refused = requests.post(admin, json={"redirect_status": 304}, timeout=10)
    assert refused.status_code == 400 and "redirect_status" in refused.text
    knobs = {
        "fault_redirect": 0.5,
        "redirect_status": 308,
        "redirect_location": "/x",
        "fault_trickle": 0.5,
        "trickle_interval": 0.01,
    }
    assert requests.post(admin, json=knobs, timeout=10).json().items() >= knobs.items()
    assert requests.post(admin, json={"fault_trickle": 0.6}, timeout=10).status_code == 400  # shares > 1


def test_trickled_answer_is_complete_and_arrives_in_pieces(hubspot_emulator: HubSpotEmulator) -> None:
    """The whole body arrives, a byte per ``trickle_interval`` (so in many separate reads)."""
    expected = Client(hubspot_emulator).get(LABELS).content
    hubspot_emulator.configure(fault_trickle=1.0, trickle_interval=0.005, fault_endpoints=["labels.list"])
    pieces = received(hubspot_emulator)
    assert pieces[0].startswith(b"HTTP/1.1 200") and pieces[0].endswith(b"\r\n\r\n")
    assert b"".join(pieces[1:]) == expected
    assert len(pieces) > 10  # ~190 bytes sent one at a time: never in one read


def received(emulator: HubSpotEmulator) -> list[bytes]:
    """What one GET of the labels receives, read by read (the head first)."""
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=10) as connection:
        connection.sendall(
            f"GET {LABELS} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            f"Authorization: Bearer {emulator.token}\r\n\r\n".encode()
        )
        pieces = []
        while chunk := connection.recv(65536):
            pieces.append(chunk)
    head, _, rest = b"".join(pieces[:1]).partition(b"\r\n\r\n")
    return [head + b"\r\n\r\n"] + ([rest] if rest else []) + pieces[1:]
