"""JSON in and out of the hook, and the cheap way to build batch bodies.

Every answer is decoded and checked (``_answers``; a write answer is not taken on trust since issue 21). Request bodies are encoded once per call (compact), except batch bodies of
thousands of inputs, which are built as text directly (:func:`batch_inputs`): ids are validated integers, so
nothing needs escaping, and building 1,000 nested dicts only to encode them costs more than the request itself.

Standard library only: orjson decodes HubSpot's read answers only ~1.7x faster (most of the time goes into
building the dicts), and it turns integers beyond 64 bits into floats, so a guard would be needed to keep the
answers the same, and scanning for long digit runs costs more than it saves.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable
from typing import Any

#: answers at least this long are decoded with the cyclic garbage collector paused (see :func:`loads`)
PAUSE_GC_FROM = 64 * 1024


def loads(data: bytes | str) -> Any:
    """Parse JSON (UTF-8, -16 or -32 bytes, or text); raises ``ValueError`` on bad input.

    A large answer (a 1,000-id read builds ~10k dicts) is decoded with the cyclic garbage collector paused:
    while the parser builds it, each young-generation pass walks the half-built tree and promotes it, so one
    answer pushes thousands of objects towards the oldest generation and brings on full collections of the
    whole process heap, Airflow's included. Decoded JSON holds no reference cycles (reference counting frees it),
    so pausing loses nothing; a collector someone else paused is left alone.
    """
    if len(data) < PAUSE_GC_FROM or not gc.isenabled():
        return json.loads(data)
    gc.disable()
    try:
        return json.loads(data)
    finally:
        gc.enable()


def dumps(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON; NaN and infinity refused, as requests' ``json=`` refuses them."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()


def batch_inputs(items: Iterable[str]) -> bytes:
    """``{"inputs":[...]}`` from inputs already encoded as JSON text."""
    return ('{"inputs":[' + ",".join(items) + "]}").encode()
