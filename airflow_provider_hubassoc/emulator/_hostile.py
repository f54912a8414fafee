"""A hostile HubSpot on demand (issue 21): answers a proxy, a WAF, a half-broken gateway or a buggy HubSpot could
send, so a client's checks and bounds are proved over real HTTP.

Switched on by the ``hostile`` knob (``configure(hostile=...)``, ``HubSpotEmulator.hostile(...)``, or the admin
API's ``POST /_emulator/hostile``), a list of rules ``{"kind", "endpoints", "times", "size"}``; the first rule
matching a request's endpoint (route name, or a regex searched in the path; none = every API endpoint) decides.
Being a knob, it goes back to "off" with the others (the pytest plugin's per-test reset). ``times`` makes a rule
hostile to its first N matching requests only, then the emulator behaves (to prove a retry clears).

Every kind but ``huge_retry_after`` is applied to the real answer: the request went through the pipeline (a
write was applied), then its answer is rewritten. Body kinds replace 2xx answers only and answer ``200``.
The kinds, and what each sends, are listed in :data:`KINDS` and ``docs/emulator.md``.
"""

from __future__ import annotations

import copy
import gzip
import re
import threading
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from ._endpoints import encode_cursor
from ._http import Request, Response, rate_limit_body

#: kind -> what the emulator sends (also the documentation's table)
KINDS: dict[str, str] = {
    "html": "200 text/html: a maintenance page",
    "empty": "200 application/json with no body",
    "invalid_json": '200 application/json: {"status":"COMPLETE","results":[{"from":',
    "truncated": "200: the real JSON answer cut in half",
    "wrong_shape": '200: {"results": "x"}',
    "null_ids": "200: the real answer with every id (id, toObjectId, fromObjectId, typeId, ...) null",
    "non_int_id": '200: the real answer with every id "abc"',
    "unasked_record": f"200: the real answer plus a result for record {987654321} (batch reads: from.id; "
    "writes: fromObjectId/from.id), which no request asks for",
    "changing_cursor": "200: the real answer with a new paging cursor on every page (never ending)",
    "repeated_cursor": "200: the real answer with the same paging cursor on every page",
    "huge_rate_window": "the real answer with X-HubSpot-RateLimit-Interval-Milliseconds: 999999999 "
    "(Max 100, Remaining 99 when absent)",
    "huge_retry_after": "429 TEN_SECONDLY_ROLLING with Retry-After: 999999999; nothing applied",
    "oversize": '200: {"results":[ + spaces + ]} of ``size`` bytes (default 64 MiB), streamed',
    "gzip_bomb": "200 Content-Encoding: gzip: ``size`` bytes (default 64 MiB) inflated, about size/1000 sent",
    "negative_expires_in": "the OAuth token answer with expires_in: -3600",
}
#: the record id ``unasked_record`` adds (tests must not ask for it)
UNASKED_ID = 987654321
DEFAULT_SIZE = 64 * 1024 * 1024
HTML_PAGE = b"<html><head><title>503</title></head><body><h1>Down for maintenance</h1></body></html>"
INVALID_JSON = b'{"status":"COMPLETE","results":[{"from":'
HUGE_INTERVAL_MS = "999999999"
HUGE_RETRY_AFTER = "999999999"
#: the keys whose values are record or type ids in HubSpot's answers
ID_KEYS = frozenset({"id", "toObjectId", "fromObjectId", "typeId", "associationTypeId"})
_STREAM_CHUNK = 64 * 1024
_BOMB_BLOCK = 1024 * 1024
_RULE_FIELDS = ("kind", "endpoints", "times", "size")


def normalize_rules(value: Any) -> list[dict[str, Any]]:
    """The ``hostile`` knob as a list of complete rules; a kind name alone, one rule or a list are accepted.

    :raises ValueError: an unknown kind or field, or a bad ``endpoints``/``times``/``size``.
    """
    if value is None:
        return []
    if isinstance(value, (str, dict)):
        value = [value]
    if not isinstance(value, list):
        raise ValueError("hostile must be a kind name, a rule {kind, endpoints, times, size} or a list of them")  # noqa: TRY004 - a bad knob is a ValueError, as every knob check
    return [_rule(item) for item in value]


def _rule(item: Any) -> dict[str, Any]:
    rule = {"kind": item} if isinstance(item, str) else item
    if not isinstance(rule, dict):
        raise ValueError(f"a hostile rule must be a kind name or an object, got {item!r}")  # noqa: TRY004 - as above
    unknown = sorted(set(rule) - set(_RULE_FIELDS))
    if unknown:
        raise ValueError(f"unknown hostile rule field(s): {', '.join(unknown)}")
    kind = rule.get("kind")
    if kind not in KINDS:
        raise ValueError(f"unknown hostile kind {kind!r}; one of {', '.join(KINDS)}")
    endpoints = rule.get("endpoints") or []
    if isinstance(endpoints, str):
        endpoints = [endpoints]
    if not isinstance(endpoints, list) or not all(isinstance(e, str) for e in endpoints):
        raise ValueError("hostile endpoints must be a list of endpoint names or path regexes")
    for pattern in endpoints:
        re.compile(pattern)
    times, size = rule.get("times"), rule.get("size")
    for name, number in (("times", times), ("size", size)):
        if number is not None and (isinstance(number, bool) or not isinstance(number, int) or number < 1):
            raise ValueError(f"hostile {name} must be an integer >= 1 or None, got {number!r}")
    return {"kind": kind, "endpoints": list(endpoints), "times": times, "size": size}


class Hostility:
    """How many requests each rule has spoiled (for ``times``); reset with the knob and the account."""

    def __init__(self) -> None:
        self._spoiled: dict[int, int] = {}
        self._cursors = 0
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._spoiled.clear()

    def pick(self, rules: list[dict[str, Any]], name: str, path: str) -> dict[str, Any] | None:
        """The rule that spoils this request (counted against its ``times``), or None."""
        for index, rule in enumerate(rules):
            endpoints = rule["endpoints"]
            if endpoints and not any(p == name or re.search(p, path) for p in endpoints):
                continue
            with self._lock:
                done = self._spoiled.get(index, 0)
                if rule["times"] is not None and done >= rule["times"]:
                    return None
                self._spoiled[index] = done + 1
            return rule
        return None

    def next_cursor(self) -> str:
        """A cursor never sent before, that the emulator reads as "from the start" (the pages never end)."""
        with self._lock:
            self._cursors += 1
            return encode_cursor(f"hostile{self._cursors}", 0)


def refusal(rule: dict[str, Any]) -> Response | None:
    """The answer of a kind that refuses before the endpoint runs (nothing applied), else None."""
    if rule["kind"] != "huge_retry_after":
        return None
    headers = {"Retry-After": HUGE_RETRY_AFTER}
    return Response(429, rate_limit_body("TEN_SECONDLY_ROLLING"), headers=headers)


def spoil(rule: dict[str, Any], request: Request, response: Response, hostility: Hostility) -> None:
    """Rewrite the real ``response`` as ``rule`` says (see :data:`KINDS`); marks it ``response.hostile``."""
    kind = rule["kind"]
    response.hostile = kind
    if kind == "huge_rate_window":
        response.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] = HUGE_INTERVAL_MS
        response.headers.setdefault("X-HubSpot-RateLimit-Max", "100")
        response.headers.setdefault("X-HubSpot-RateLimit-Remaining", "99")
        return
    if kind == "huge_retry_after" or not 200 <= response.status < 300:
        return
    body = response.body if response.has_body else None
    response.status, response.content_type = 200, "application/json;charset=utf-8"
    if kind == "html":
        response.payload, response.content_type = HTML_PAGE, "text/html; charset=utf-8"
    elif kind == "empty":
        response.payload = b""
    elif kind == "invalid_json":
        response.payload = INVALID_JSON
    elif kind == "truncated":
        whole = response.encoded() if body is not None else b'{"status":"COMPLETE","results":[]}'
        response.payload = whole[: len(whole) // 2]
    elif kind == "wrong_shape":
        response.body = {"results": "x"}
    elif kind in ("null_ids", "non_int_id"):
        response.body = _ids_replaced(body, None if kind == "null_ids" else "abc")
    elif kind == "unasked_record":
        response.body = _with_unasked(body)
    elif kind in ("changing_cursor", "repeated_cursor"):
        cursor = hostility.next_cursor() if kind == "changing_cursor" else encode_cursor("hostile", 0)
        response.body = _with_cursor(body, cursor)
    elif kind == "negative_expires_in":
        response.body = {**body, "expires_in": -3600} if isinstance(body, dict) else body
    else:  # oversize, gzip_bomb: streamed, never built in memory
        size = rule["size"] or DEFAULT_SIZE
        response.body = None
        if kind == "oversize":
            response.stream, response.stream_length = _oversize(size), size
        else:
            bomb = _bomb_parts(size)
            response.headers["Content-Encoding"] = "gzip"
            response.stream = _bomb(size)
            response.stream_length = len(bomb[0]) + len(bomb[1]) * (size // _BOMB_BLOCK) + len(bomb[2])


def _ids_replaced(value: Any, replacement: Any) -> Any:
    if isinstance(value, dict):
        return {k: replacement if k in ID_KEYS else _ids_replaced(v, replacement) for k, v in value.items()}
    if isinstance(value, list):
        return [_ids_replaced(v, replacement) for v in value]
    return value


def _with_unasked(body: Any) -> Any:
    """The answer plus one result naming :data:`UNASKED_ID` (a copy of the first, or a batch-read row)."""
    if not isinstance(body, dict):
        body = {"status": "COMPLETE"}
    results = body.get("results") if isinstance(body.get("results"), list) else []
    extra: dict[str, Any]
    if results and isinstance(results[0], dict):
        extra = copy.deepcopy(results[0])
        if isinstance(extra.get("from"), dict):
            extra["from"]["id"] = str(UNASKED_ID)
        if "fromObjectId" in extra:
            extra["fromObjectId"] = UNASKED_ID
        extra.pop("paging", None)
    else:
        row = {"toObjectId": UNASKED_ID + 1, "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 1}]}
        extra = {"from": {"id": str(UNASKED_ID)}, "to": [row]}
    return {**body, "results": [*results, extra]}


def _with_cursor(body: Any, cursor: str) -> Any:
    """A ``paging.next.after`` on each batch-read result, or on the answer (one record's list)."""
    if not isinstance(body, dict):
        return body
    paging = {"next": {"after": cursor}}
    results = body.get("results")
    if isinstance(results, list) and results and all(isinstance(r, dict) and "from" in r for r in results):
        return {**body, "results": [{**r, "paging": paging} for r in results]}
    return {**body, "paging": paging}


def _oversize(size: int) -> Iterator[bytes]:
    head, tail = b'{"results":[', b"]}"
    yield head
    left = max(0, size - len(head) - len(tail))
    block = b" " * _STREAM_CHUNK
    while left > 0:
        yield block[: min(left, _STREAM_CHUNK)]
        left -= _STREAM_CHUNK
    yield tail


@lru_cache(maxsize=4)
def _bomb_parts(size: int) -> tuple[bytes, bytes, bytes]:
    """Gzip members: the head, one MiB of spaces (repeated), the tail. Concatenated members are one gzip
    stream (RFC 1952 §2.2) that decoders such as urllib3's inflate whole, so nothing huge is ever compressed."""
    return (
        gzip.compress(b'{"results":[', compresslevel=9),
        gzip.compress(b" " * _BOMB_BLOCK, compresslevel=9),
        gzip.compress(b" " * (size % _BOMB_BLOCK) + b"]}", compresslevel=9),
    )


def _bomb(size: int) -> Iterator[bytes]:
    head, block, tail = _bomb_parts(size)
    yield head
    for _ in range(size // _BOMB_BLOCK):
        yield block
    yield tail
