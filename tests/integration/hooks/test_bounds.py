"""Bounds on what HubSpot controls, each proved over real HTTP against a small hostile server on 127.0.0.1:

- a paging cursor that changes on every page, or comes back, stops with ``HubSpotPagingError`` after at most
  ``max_pages_per_record`` requests per record (GET list and batch read);
- ``X-HubSpot-RateLimit-Interval-Milliseconds: 999999999`` makes no sender wait more than HubSpot's 10 s window;
- an answer over ``max_response_bytes`` (plain or a gzip bomb) stops with ``HubSpotAnswerTooLargeError`` after
  reading at most the cap plus one chunk, decompressed, and is not retried.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from airflow_provider_hubassoc.exceptions import (
    HubSpotAnswerTooLargeError,
    HubSpotPagingError,
    HubSpotRateLimitError,
)
from airflow_provider_hubassoc.hooks._http import READ_CHUNK_BYTES
from airflow_provider_hubassoc.hooks._ratelimit import MAX_WINDOW_SECONDS

Answer = Callable[[str, str, dict[str, Any]], tuple[int, dict[str, str], bytes]]


class Hostile(ThreadingHTTPServer):
    """Answers every request with ``answer(method, path, body)``; counts what it was asked."""

    daemon_threads = True

    def __init__(self, answer: Answer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answer = answer
        self.requests: list[tuple[str, str]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Hostile
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else {}
        self.server.requests.append((self.command, self.path))
        status, headers, payload = self.server.answer(self.command, self.path, body)
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        with contextlib.suppress(OSError):  # the client stopped reading: that is the point of some tests
            self.wfile.write(payload)

    do_GET = do_POST = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def hostile() -> Iterator[Callable[[Answer], Hostile]]:
    servers: list[Hostile] = []

    def start(answer: Answer) -> Hostile:
        server = Hostile(answer)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _json(value: Any, status: int = 200, **headers: str) -> tuple[int, dict[str, str], bytes]:
    return status, headers, json.dumps(value).encode()


def _row(to_id: int) -> dict[str, Any]:
    return {"toObjectId": to_id, "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 1, "label": None}]}


def _changing_cursor() -> Answer:
    """Every page one row and a fresh cursor: the pages never end."""
    pages = iter(range(1, 10**9))

    def answer(method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        n = next(pages)
        if method == "GET":
            return _json({"results": [_row(n)], "paging": {"next": {"after": f"c{n}"}}})
        results = [
            {"from": {"id": item["id"]}, "to": [_row(n)], "paging": {"next": {"after": f"c{n}"}}}
            for item in body["inputs"]
        ]
        return _json({"status": "COMPLETE", "results": results})

    return answer


def test_a_cursor_changing_on_every_page_stops_at_max_pages_per_record(make_hook, hostile) -> None:
    server = hostile(_changing_cursor())
    hook = make_hook(base_url=server.url, max_pages_per_record=7)
    rows = []
    with pytest.raises(HubSpotPagingError) as raised:
        rows.extend(hook.iter_record_associations("contacts", 5, "companies", page_size=100))
    assert len(server.requests) == 7 and len(rows) == 7  # the bound held: 7 pages, not one more request
    message = str(raised.value)
    assert "contacts 5" in message and "max_pages_per_record=7" in message and "'c7'" in message
    assert raised.value.method == "GET" and raised.value.path.endswith("/0-1/5/associations/0-2")


def test_batch_read_pages_are_bounded_per_record(make_hook, hostile) -> None:
    server = hostile(_changing_cursor())
    hook = make_hook(base_url=server.url, max_pages_per_record=4)
    with pytest.raises(HubSpotPagingError, match=r"contacts \d has more than max_pages_per_record=4"):
        list(hook.iter_read_associations("contacts", "companies", [1, 2, 3]))
    assert len(server.requests) <= 4  # all three records share each page request; none gets a fifth page


def test_a_cursor_sent_again_stops_at_once(make_hook, hostile) -> None:
    server = hostile(lambda m, p, b: _json({"results": [_row(9)], "paging": {"next": {"after": "same"}}}))
    hook = make_hook(base_url=server.url)
    with pytest.raises(HubSpotPagingError, match=r"cursor 'same' for contacts 5 a second time") as raised:
        list(hook.iter_record_associations("contacts", 5, "companies"))
    assert len(server.requests) == 2
    assert raised.value.status is None  # never an HTTP status: nothing to retry


def test_a_huge_rate_limit_window_is_clamped_to_hubspots_ten_seconds(make_hook, hostile) -> None:
    huge = {"X-HubSpot-RateLimit-Interval-Milliseconds": "999999999", "X-HubSpot-RateLimit-Max": "100"}
    state = {"n": 0}

    def answer(method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        state["n"] += 1
        if state["n"] == 1:
            return _json({"results": []}, **huge, **{"X-HubSpot-RateLimit-Remaining": "99"})
        return _json({"status": "error", "message": "slow", "policyName": "TEN_SECONDLY_ROLLING"}, 429, **huge)

    server = hostile(answer)
    hook = make_hook(base_url=server.url, max_retries=0)
    list(hook.iter_record_associations("contacts", 5, "companies"))
    assert hook.transport.limiter.window == MAX_WINDOW_SECONDS  # slots free after 10 s, not 11 days
    with pytest.raises(HubSpotRateLimitError) as raised:
        list(hook.iter_record_associations("contacts", 5, "companies"))
    assert raised.value.retry_after == MAX_WINDOW_SECONDS  # the wait a retry would take


def _stopped_after(error: BaseException) -> int:
    found = re.search(r"reading stopped after (\d+) bytes", str(error))
    assert found, str(error)
    return int(found.group(1))


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip-bomb"])
def test_an_answer_over_max_response_bytes_is_cut_while_it_streams(make_hook, hostile, compressed) -> None:
    cap = 1024 * 1024
    inflated = b'{"results": [' + b" " * (64 * cap) + b"]}"  # 64 MiB of JSON; as gzip about 64 KiB

    def answer(method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        if compressed:
            return 200, {"Content-Encoding": "gzip"}, gzip.compress(inflated, compresslevel=9)
        return 200, {}, inflated

    server = hostile(answer)
    hook = make_hook(base_url=server.url, max_response_bytes=cap)
    with pytest.raises(HubSpotAnswerTooLargeError, match="max_response_bytes=1048576") as raised:
        list(hook.iter_record_associations("contacts", 5, "companies"))
    assert cap < _stopped_after(raised.value) <= cap + READ_CHUNK_BYTES  # the bound held while streaming
    assert len(server.requests) == 1  # not retried: the same request would get the same answer
    assert raised.value.method == "GET" and raised.value.status == 200


def test_an_answer_within_max_response_bytes_is_read_whole(make_hook, hostile) -> None:
    rows = [_row(n) for n in range(1, 2001)]
    server = hostile(
        lambda m, p, b: (200, {"Content-Encoding": "gzip"}, gzip.compress(json.dumps({"results": rows}).encode()))
    )
    hook = make_hook(base_url=server.url, max_response_bytes=1024 * 1024)
    assert [row.to_id for row in hook.iter_record_associations("contacts", 5, "companies")] == list(range(1, 2001))
