"""Seeding records with properties: the Python API (:class:`RecordOperations`, mixed into
:class:`~._server.HubSpotEmulator`) and the admin routes ``/_emulator/objects...`` over the same operations.

Seeding bypasses the API's rate limits and input caps (100k+ records in one call) but keeps HubSpot's rules:
unique values are refused when held (``StateError`` "conflict" → admin 409), merges create new ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ._http import Response
from ._objects import store, unique_properties
from ._search import comparable

if TYPE_CHECKING:
    from ._app import EmulatorApp


def _millis(modified: Any) -> int | None:
    """Epoch milliseconds of ``modified``: an int (ms), a ``datetime``, or ISO text; None stays None."""
    if modified is None:
        return None
    if isinstance(modified, datetime):
        return int(modified.timestamp() * 1000)
    kind, value = comparable(modified)
    if kind != 0:
        raise ValueError(f"modified must be epoch milliseconds or an ISO datetime, got {modified!r}")
    return int(value)


def seed(
    app: EmulatorApp,
    object_type: str,
    rows: Iterable[Mapping[str, Any]],
    ids: Iterable[int] | None = None,
    modified: Any = None,
) -> list[int]:
    type_id = app.object_type(object_type)
    clean = [{str(k): str(v) for k, v in row.items() if v is not None} for row in rows]
    with app.state.lock:
        created = store(app).create(
            type_id,
            clean,
            unique_properties(app, type_id),
            ids=None if ids is None else [int(i) for i in ids],
            modified=_millis(modified),
        )
    return [r.id for r in created]


class RecordOperations:
    """The Python API of records with properties (``HubSpotEmulator`` inherits it)."""

    app: EmulatorApp

    def create_record(self, object_type: str, properties: Mapping[str, Any], *, record_id: int | None = None) -> int:
        """Create one record (``email`` unique for contacts: a held value raises ``StateError``); its id."""
        return seed(self.app, object_type, [properties], None if record_id is None else [record_id])[0]

    def seed_records(
        self,
        object_type: str,
        rows: Iterable[Mapping[str, Any]],
        *,
        ids: Iterable[int] | None = None,
        modified: Any = None,
    ) -> list[int]:
        """Create many records at once (no rate limit, no cap): their ids, in order.

        :param ids: the ids to give them (default: allocated from 1,000,000,000,001 up)
        :param modified: one modified time for all (epoch ms, ``datetime`` or ISO text; default now)
        """
        return seed(self.app, object_type, rows, ids, modified)

    def record(self, object_type: str, record_id: int) -> dict[str, Any] | None:
        """A record's properties as HubSpot answers them (maintained ones included), following merges."""
        type_id = self.app.object_type(object_type)
        with self.app.state.lock:
            found = store(self.app).get(type_id, record_id)
            if found is None:
                return None
            names = {*found.properties, "hs_object_id", "createdate", "lastmodifieddate", "hs_lastmodifieddate"}
            values = {name: found.value(type_id, name) for name in sorted(names)}
        return {k: v for k, v in values.items() if v is not None}

    def merge(self, object_type: str, primary_id: int, merged_id: int) -> int:
        """Merge as ``POST .../merge`` does; the surviving record's id (new for contacts and companies)."""
        type_id = self.app.object_type(object_type)
        with self.app.state.lock:
            return store(self.app).merge(type_id, primary_id, merged_id).id

    def stamp_modified(self, object_type: str, ids: Iterable[int], modified: Any) -> int:
        """Give records one identical modified time (as HubSpot's bulk jobs do); how many were stamped."""
        type_id = self.app.object_type(object_type)
        millis = _millis(modified)
        if millis is None:
            raise ValueError("modified is required")
        with self.app.state.lock:
            return store(self.app).stamp(type_id, [int(i) for i in ids], millis)

    def declare_unique(self, object_type: str, name: str) -> None:
        """Make a property unique-valued for a type (as ``hasUniqueValue`` custom properties are)."""
        type_id = self.app.object_type(object_type)
        with self.app.state.lock:
            store(self.app).declare_unique(type_id, name)


# ---------------------------------------------------------------------- admin routes
def create_objects(app: EmulatorApp, data: dict[str, Any]) -> Response:
    """``POST /_emulator/objects`` ``{objectType, records: [{properties...}], ids?, modified?}``."""
    created = seed(app, data["objectType"], data["records"], data.get("ids"), data.get("modified"))
    return Response(200, {"ids": created})


def merge_objects(app: EmulatorApp, data: dict[str, Any]) -> Response:
    """``POST /_emulator/objects/merge`` ``{objectType, primaryObjectId, objectIdToMerge}``."""
    type_id = app.object_type(data["objectType"])
    with app.state.lock:
        survivor = store(app).merge(type_id, data["primaryObjectId"], data["objectIdToMerge"])
    return Response(200, {"id": survivor.id})


def stamp_objects(app: EmulatorApp, data: dict[str, Any]) -> Response:
    """``POST /_emulator/objects/stamp`` ``{objectType, ids, modified}``."""
    millis = _millis(data["modified"])
    type_id = app.object_type(data["objectType"])
    with app.state.lock:
        count = store(app).stamp(type_id, [int(i) for i in data["ids"]], int(millis or 0))
    return Response(200, {"stamped": count})


def declare_unique(app: EmulatorApp, data: dict[str, Any]) -> Response:
    """``POST /_emulator/objects/unique`` ``{objectType, property}``."""
    type_id = app.object_type(data["objectType"])
    with app.state.lock:
        store(app).declare_unique(type_id, str(data["property"]))
    return Response(200, {"status": "declared"})
