"""Pairs given by the warehouse's own keys (an email, an external id in a unique HubSpot property) instead of
record ids: the distinct keys of each side, kept on disk, resolved 100 a request, and the rows mapped to ids.

Memory stays flat however many rows: the distinct keys live in a SQLite file in the temporary directory, and
the rows are streamed (the input is read once to collect, then per pass as before). What each request resolved
is saved beside the checkpoint (one small JSON Lines part per 1,000 keys, on the checkpoint's storage), so a
resumed run does not ask HubSpot again for what an earlier attempt resolved. Each side's keys are looked up
through :meth:`~airflow_provider_hubassoc.hooks.associations.HubSpotAssociationsHook.resolve_record_ids`; a
side of record ids may be checked the same way for merged-away ids (``check_merged_records``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_hubassoc._compat import ObjectStoragePath
from airflow_provider_hubassoc._inputs import parse_id, parse_key
from airflow_provider_hubassoc.exceptions import HubSpotInputError
from airflow_provider_hubassoc.hooks._object_types import plural_name
from airflow_provider_hubassoc.hooks.api._object_shapes import value_key
from airflow_provider_hubassoc.operators._files import PairSource, shard_of

#: keys resolved per part file saved beside the checkpoint
PART_KEYS = 1000
#: keys gathered in a list before one insert into the store (the only Python memory that grows with the input)
FLUSH_KEYS = 10_000
#: the record id put in place of a key while the rows are validated (before any key is resolved)
_PLACEHOLDER = 1


@dataclass(frozen=True)
class KeySide:
    """One side of the pairs read by key (``id_property`` set) or by id checked for merges (``None``)."""

    side: str  # "from" or "to"
    column: str
    object_type: str
    id_property: str | None

    @property
    def parameter(self) -> str:
        return f"{self.side}_id_property" if self.id_property else "check_merged_records"


class KeyStore:
    """The distinct keys of each side and what they resolved to, in a SQLite file (deleted on :meth:`close`).

    Its memory is bounded whatever the input: SQLite's page cache at 8 MiB (``cache_size``), temporary tables
    and sorts on disk (``temp_store=FILE``, whatever the build's default), every query walking the
    ``(side, key)`` primary key (no sort of all keys), at most :data:`FLUSH_KEYS` keys waiting in Python.
    ``tests/unit/operators/test_key_store_memory.py`` pins each bound.
    """

    def __init__(self) -> None:
        handle, self.path = tempfile.mkstemp(prefix="hubassoc-keys-", suffix=".sqlite")
        os.close(handle)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-8000; PRAGMA temp_store=FILE;"
            "CREATE TABLE keys (side TEXT, key TEXT, id INTEGER, done INTEGER NOT NULL DEFAULT 0,"
            " PRIMARY KEY (side, key)) WITHOUT ROWID;"
        )
        self._pending: list[tuple[str, str]] = []
        self.db.execute("BEGIN")

    def add(self, side: str, key: str) -> None:
        self._pending.append((side, key))
        if len(self._pending) >= FLUSH_KEYS:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            self.db.executemany("INSERT OR IGNORE INTO keys (side, key) VALUES (?, ?)", self._pending)
            self._pending = []
        if self.db.in_transaction:
            self.db.execute("COMMIT")

    def count(self, side: str, *, pending: bool = False) -> int:
        done = " AND done = 0" if pending else ""
        return int(self.db.execute(f"SELECT COUNT(*) FROM keys WHERE side = ?{done}", (side,)).fetchone()[0])

    def unresolved(self, side: str, after: str, limit: int) -> list[str]:
        rows = self.db.execute(
            "SELECT key FROM keys WHERE side = ? AND done = 0 AND key > ? ORDER BY key LIMIT ?", (side, after, limit)
        )
        return [row[0] for row in rows]

    def resolved(self, side: str, matches: list[tuple[str, int | None]]) -> None:
        self.db.executemany(
            "UPDATE keys SET id = ?, done = 1 WHERE side = ? AND key = ?", [(i, side, k) for k, i in matches]
        )

    def lookup(self, side: str, key: str) -> tuple[bool, int | None]:
        """``(resolved, id)`` of a key collected before."""
        row = self.db.execute("SELECT done, id FROM keys WHERE side = ? AND key = ?", (side, key)).fetchone()
        return (bool(row[0]), row[1]) if row is not None else (False, None)

    def close(self) -> None:
        self.db.close()
        if os.path.exists(self.path):
            os.remove(self.path)


class ResolvedParts:
    """What earlier attempts resolved, saved beside the checkpoint: ``part-NNNNNN.jsonl`` files of
    ``{"side", "key", "id"}`` lines in one directory of the checkpoint's storage (``id`` null: not found)."""

    def __init__(self, location: str | None) -> None:
        self.location = ObjectStoragePath(location) if location is not None else None
        self._count = 0

    def load(self, store: KeyStore) -> int:
        """Mark what earlier attempts resolved in ``store``; returns how many keys."""
        if self.location is None or not self.location.exists():
            return 0
        loaded = 0
        for part in sorted(self.location.iterdir(), key=lambda p: p.name):
            if not part.name.startswith("part-") or not part.name.endswith(".jsonl"):
                continue
            self._count += 1
            lines = [json.loads(line) for line in part.read_text().splitlines() if line.strip()]
            for side in {line["side"] for line in lines}:
                store.resolved(side, [(line["key"], line["id"]) for line in lines if line["side"] == side])
            loaded += len(lines)
        return loaded

    def save(self, side: str, matches: list[tuple[str, int | None]]) -> None:
        if self.location is None or not matches:
            return
        self._count += 1
        self.location.mkdir(parents=True, exist_ok=True)
        text = "".join(json.dumps({"side": side, "key": k, "id": i}) + "\n" for k, i in matches)
        (self.location / f"part-{self._count:06d}.jsonl").write_text(text)

    def discard(self) -> None:
        if self.location is not None and self.location.exists():
            for part in self.location.iterdir():
                part.unlink()
            self.location.rmdir()


class KeyedPairSource(PairSource):
    """A :class:`PairSource` whose key cells are mapped to record ids (:class:`KeyStore`) as rows are read;
    rows with a key HubSpot does not know (or a merged-away id) are left out: :meth:`failures` reports them."""

    def __init__(self, sides: list[KeySide], store: KeyStore, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sides, self.store = sides, store
        self.collecting = False

    def _cell(self, record: Any, side: str) -> Any:
        """The cell of side ``"from"`` or ``"to"`` (``None`` when missing: the row's own check names it)."""
        index = 0 if side == "from" else 1
        if isinstance(record, Mapping):
            return record.get(self.columns[index])
        return record[index] if isinstance(record, (list, tuple)) and len(record) in (2, 3) else None

    def _with(self, record: Any, values: dict[str, int]) -> Any:
        if isinstance(record, Mapping):
            mapped = dict(record)
            for side in self.sides:
                if side.side in values:
                    mapped[side.column] = values[side.side]
            return mapped
        if isinstance(record, (list, tuple)) and len(record) in (2, 3):
            items = list(record)
            for side in self.sides:
                if side.side in values:
                    items[0 if side.side == "from" else 1] = values[side.side]
            return items
        return record

    def key_of(self, record: Any, side: KeySide, where: str) -> str:
        """The key a side's cell stands for (validated): a property value, or a record id as text."""
        cell = self._cell(record, side.side)
        if side.id_property is None:
            return str(parse_id(cell, where, side.column))
        return value_key(parse_key(cell, where, side.column), side.id_property)

    def _records(self) -> Iterator[tuple[int, Any]]:
        for row, record in super()._records():
            if self.collecting or not isinstance(record, (Mapping, list, tuple)):
                yield row, record
                continue
            values: dict[str, int] = {}
            for side in self.sides:
                key = self.key_of(record, side, f"{self.name} row {row}")
                _done, record_id = self.store.lookup(side.side, key)
                if record_id is None or (side.id_property is None and str(record_id) != key):
                    break
                values[side.side] = record_id
            else:
                yield row, self._with(record, values)

    def collect(self) -> int:
        """Read every row once: validate it whole (key cells by :func:`parse_key`, the rest as ever) and keep
        each side's distinct keys; returns the rows read. Errors name the row and field."""
        self.collecting = True
        rows = 0
        try:
            for row, record in self._records():
                rows += 1
                where = f"{self.name} row {row}"
                values = {}
                if isinstance(record, (Mapping, list, tuple)):
                    for side in self.sides:
                        if isinstance(record, Mapping) and side.column not in record:
                            break  # _parse names the missing field
                        self.store.add(side.side, self.key_of(record, side, where))
                        values[side.side] = _PLACEHOLDER
                try:
                    self._parse(row, self._with(record, values))
                except HubSpotInputError as error:
                    error.position = error.position or row
                    raise
        finally:
            self.collecting = False
            self.store.flush()
        return rows

    def failures(self) -> Iterator[dict[str, Any]]:
        """A failure row per input row with a key HubSpot does not know (``NOT_FOUND``) or a merged-away id
        (``MERGED``, naming the surviving record); in this shard (a row whose from side is unknown: shard 0)."""
        for row, record in super()._records():
            cells: dict[str, Any] = {"from": self._cell(record, "from"), "to": self._cell(record, "to")}
            for side in self.sides:
                key = self.key_of(record, side, f"{self.name} row {row}")
                _done, record_id = self.store.lookup(side.side, key)
                if record_id is not None and (side.id_property is not None or str(record_id) == key):
                    continue
                if not self._in_shard(record):
                    break
                yield self._failure(row, cells, side, key, record_id)
                break

    def _in_shard(self, record: Any) -> bool:
        if self.shard is None:
            return True
        from_side = next((s for s in self.sides if s.side == "from"), None)
        if from_side is None:
            return shard_of(parse_id(self._cell(record, "from"), "", "from_id"), self.shard[1]) == self.shard[0]
        _done, from_id = self.store.lookup("from", self.key_of(record, from_side, ""))
        return shard_of(from_id or 0, self.shard[1]) == self.shard[0]

    def _failure(
        self, row: int, cells: dict[str, Any], side: KeySide, key: str, record_id: int | None
    ) -> dict[str, Any]:
        records = plural_name(side.object_type)
        if record_id is None and side.id_property:
            category, message = "NOT_FOUND", f"no {records} record has {side.id_property}={key!r} in HubSpot"
        elif record_id is None:
            category, message = "NOT_FOUND", f"{records} {key} does not exist in HubSpot (deleted?)"
        else:
            category = "MERGED"
            message = f"{records} {key} was merged into {records} {record_id}: not written under its old id"
        return {
            "row": row,
            "from_id": cells["from"],
            "to_id": cells["to"],
            "labels": [],
            "status": "error",
            "category": category,
            "sub_category": str(record_id) if record_id is not None else None,
            "message": f"{side.side} side ({side.column}): {message}",
            "operation": "resolve",
        }
