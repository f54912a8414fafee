"""JSON in and out of the hook, and the cheap way to build batch bodies.

Decoding answers was the largest part of the hook's CPU, so it is done here, only when needed
(:func:`may_name_errors`), and in C when the ``fast`` extra (``orjson``) is installed; the standard library
decodes whatever orjson refuses (NaN, integers beyond 64 bits, UTF-16), so the result never depends on the extra.
Request bodies are encoded by the standard library (compact), except batch writes of thousands of inputs, whose
bodies are built as text directly (:func:`batch_inputs`): ids are validated integers, so nothing needs escaping,
and building 1,000 nested dicts only to encode them would cost more than the request itself.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable
from typing import Any

try:  # the optional ``fast`` extra
    _orjson: Any = importlib.import_module("orjson")
except ImportError:
    _orjson = None


def loads(data: bytes | str) -> Any:
    """Parse JSON; raises ``ValueError`` on bad input (as ``json.loads`` does)."""
    if _orjson is not None:
        try:
            return _orjson.loads(data)
        except _orjson.JSONDecodeError:
            pass  # the standard library decides: the same answer with or without the extra
    return json.loads(data)


def dumps(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON; NaN and infinity refused, as requests' ``json=`` refuses them."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()


def batch_inputs(items: Iterable[str]) -> bytes:
    """``{"inputs":[...]}`` from inputs already encoded as JSON text."""
    return ('{"inputs":[' + ",".join(items) + "]}").encode()


def may_name_errors(body: bytes) -> bool:
    """Whether a batch answer can carry an ``errors`` list: the key spelled out, or a ``\\u`` escape (which could
    spell it). Otherwise every input succeeded and nothing else in the answer (each pair, with its labels) is
    needed, so it is not decoded."""
    return b'"errors"' in body or b"\\u" in body
