"""What a request and its answer are, and HubSpot's bodies every endpoint shares (errors, batch envelopes).

Transport-free: the HTTP server in ``_server.py`` turns bytes into a :class:`Request` and sends a
:class:`Response` back; everything between works on these values.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ._types import UnknownObjectType, object_type_id

if TYPE_CHECKING:
    from ._state import StateError


@dataclass
class Request:
    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    base_url: str = ""


class Response:
    """One answer. ``body`` is the JSON document; a fast path may hand over ``payload`` (the body already
    encoded, as the server sends it) instead, and ``body`` is then decoded from it only when read (observers).
    """

    def __init__(
        self,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        drop: bool = False,
        delay: float = 0.0,
        endpoint: str = "unknown",
        content_type: str = "application/json;charset=utf-8",
        trickle: float = 0.0,
        payload: bytes | None = None,
    ) -> None:
        self.status = status
        self._body = body
        self.payload = payload
        self.headers: dict[str, str] = {} if headers is None else headers
        #: close the connection without answering (fault injection)
        self.drop = drop
        #: seconds the server waits before answering (latency, jitter, slow faults)
        self.delay = delay
        self.endpoint = endpoint
        self.content_type = content_type
        #: seconds between two bytes of the body (fault ``trickle``); 0 = sent at once
        self.trickle = trickle
        #: applied, then answered after ``slow_seconds`` (``fault_slow_after``; counted as "late <status>")
        self.late = False
        #: the hostile kind that rewrote this answer (``_hostile.py``), None for a real one
        self.hostile: str | None = None
        #: a body sent in chunks as they come (``stream_length`` bytes in all), never held whole in memory
        self.stream: Iterator[bytes] | None = None
        self.stream_length = 0

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.endpoint}>"

    @property
    def body(self) -> Any:
        if self._body is None and self.payload is not None:
            self._body = json.loads(self.payload)
        return self._body

    @body.setter
    def body(self, value: Any) -> None:
        self._body, self.payload = value, None

    @property
    def has_body(self) -> bool:
        return self._body is not None or self.payload is not None or self.stream is not None

    def encoded(self) -> bytes:
        """The body as sent: compact JSON, encoded once."""
        if self.payload is None:
            self.payload = b"" if self._body is None else json.dumps(self._body, separators=(",", ":")).encode()
        return self.payload

    @property
    def outcome(self) -> str:
        """How ``counters()`` records this response: its status, "dropped", or, for a request applied before
        its answer was lost, "dropped after <status>" / "late <status>"."""
        if self.drop:
            return f"dropped after {self.status}" if self.status else "dropped"
        return f"late {self.status}" if self.late else str(self.status)


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(body.get("message", ""))
        self.status = status
        self.body = body
        self.headers = headers or {}


def split_target(target: str) -> tuple[str, str]:
    parts = urlsplit(target)
    return parts.path or "/", parts.query


def now_iso() -> str:
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def compact(value: Any) -> str:
    """JSON text exactly as the server encodes bodies (compact separators, ASCII)."""
    return json.dumps(value, separators=(",", ":"))


def error_body(
    message: str, category: str, context: dict[str, list[str]] | None = None, sub_category: str | None = None
) -> dict[str, Any]:
    """HubSpot's top-level error body (reference §11.1)."""
    body: dict[str, Any] = {"status": "error", "message": message, "correlationId": str(uuid.uuid4())}
    if sub_category:
        body["subCategory"] = sub_category
    if context:
        body["context"] = context
    body["category"] = category
    return body


def rate_limit_body(policy: str) -> dict[str, Any]:
    """HubSpot's 429 body (reference §12.3); the ten-secondly message text is unconfirmed at HubSpot."""
    message = (
        "You have reached your daily limit."
        if policy == "DAILY"
        else "You have reached your ten_secondly_rolling limit."
    )
    return {
        "status": "error",
        "message": message,
        "errorType": "RATE_LIMIT",
        "correlationId": str(uuid.uuid4()),
        "policyName": policy,
        "requestId": str(uuid.uuid4()),
    }


def validation_error(message: str, context: dict[str, list[str]] | None = None) -> ApiError:
    return ApiError(400, error_body(message, "VALIDATION_ERROR", context))


def state_error(exc: StateError) -> ApiError:
    """A broken account rule as the whole request's answer: 404, 409 or 400 with HubSpot's category."""
    status = {"not_found": 404, "conflict": 409}.get(exc.kind, 400)
    category = {"not_found": "OBJECT_NOT_FOUND", "conflict": "CONFLICT"}.get(exc.kind, "VALIDATION_ERROR")
    return ApiError(status, error_body(exc.message, category, exc.context, exc.sub_category))


def item_error(exc: StateError) -> dict[str, Any]:
    """One ``errors[]`` entry of a 207 batch response (``StandardError``: the SDK requires every field)."""
    item: dict[str, Any] = {
        "status": "error",
        "category": "OBJECT_NOT_FOUND" if exc.kind == "not_found" else "VALIDATION_ERROR",
    }
    if exc.sub_category:
        item["subCategory"] = exc.sub_category
    item["message"] = exc.message
    item["context"] = exc.context
    item["errors"] = []
    item["links"] = {}
    return item


def envelope(results: list[Any], started: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A batch answer (``BatchResponse...``): results, the per-input errors if any, and its timestamps."""
    body: dict[str, Any] = {"status": "COMPLETE", "results": results}
    if errors:
        body["numErrors"] = len(errors)
        body["errors"] = errors
    body.update({"startedAt": started, "completedAt": now_iso(), "requestedAt": None, "links": {}})
    return body


def encoded_envelope(results: list[str], started: str, errors: list[dict[str, Any]]) -> bytes:
    """:func:`envelope` for results already encoded as JSON text: the same bytes, built by joining."""
    parts = ['{"status":"COMPLETE","results":[', ",".join(results), "]"]
    if errors:
        parts.append(f',"numErrors":{len(errors)},"errors":{compact(errors)}')
    parts.append(
        f',"startedAt":{compact(started)},"completedAt":{compact(now_iso())},"requestedAt":null,"links":{{}}}}'
    )
    return "".join(parts).encode()


def lookup_object_type(value: str, custom_objects: dict[str, str]) -> str:
    """A path's object type (name, id or custom object name) as its type id; HubSpot's 400 otherwise."""
    try:
        return object_type_id(value, custom_objects)
    except UnknownObjectType:
        raise ApiError(
            400,
            {
                "status": "error",
                "message": f"Unable to infer object type from: {value}",
                "correlationId": str(uuid.uuid4()),
                "category": "VALIDATION_ERROR",
            },
        ) from None
