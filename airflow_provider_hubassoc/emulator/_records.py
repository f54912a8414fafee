"""The account's CRM records with properties (the CRM objects API's data), beside the association state.

Pure data and rules, no HTTP; the caller holds :attr:`~._state.AccountState.lock`. Records created here are
also added to the association state's record sets, so associations to them work as to any seeded record;
the id-range "auto records" stay association-only (no properties: the objects endpoints do not serve them).

Rules (reference §20.8 unless named otherwise):

* ``hs_object_id``, ``createdate`` and the modified time are maintained: ``lastmodifieddate`` for contacts,
  ``hs_lastmodifieddate`` for every other type (the split is third-party, supaglue PR #478, as §20.8 says).
* Unique-value properties are declared per type (``email`` for contacts always); a value held by another
  record is a conflict (HubSpot's 409 ``CONFLICT`` "Contact already exists. Existing ID: N",
  HubSpot/hubspot-api-python#51). Emails are compared case-insensitively (HubSpot stores them lowercased;
  unconfirmed for other properties, compared exactly).
* A contact or company merge creates a new record with a new id; both old ids then read back as it, and it
  lists them in ``hs_merged_object_ids`` (§20.8 [CL-MERGE], [KB-MERGE]). Other types keep the primary's id
  (HubSpot documents the new id for contacts and companies only). Associations move to the surviving record.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ._association_types import StateError
from ._types import COMPANY, object_name

if TYPE_CHECKING:
    from ._state import AccountState

CONTACT = "0-1"
#: merges that create a new record id (reference §20.8 [CL-MERGE])
NEW_ID_MERGES = frozenset({CONTACT, COMPANY})
#: the first id a created record gets: above the default auto-record range (1..10**12), so a created record is
#: never mistaken for an auto record
FIRST_RECORD_ID = 10**12 + 1
MERGED_IDS = "hs_merged_object_ids"
#: properties HubSpot maintains: a create or update cannot set them
READ_ONLY = frozenset({"hs_object_id", "createdate", "lastmodifieddate", "hs_lastmodifieddate", MERGED_IDS})


def modified_property(object_type: str) -> str:
    """The property holding a record's last modified time: ``lastmodifieddate`` for contacts only."""
    return "lastmodifieddate" if object_type == CONTACT else "hs_lastmodifieddate"


def iso_millis(millis: int) -> str:
    """HubSpot's datetime text (``2024-04-24T19:21:09.694Z``) of epoch milliseconds."""
    moment = datetime.fromtimestamp(millis / 1000.0, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}Z"


def now_millis() -> int:
    return int(time.time() * 1000)


class Record:
    """One record: its id, its properties as HubSpot's strings, and its times as epoch milliseconds."""

    __slots__ = ("created", "id", "modified", "properties")

    def __init__(self, record_id: int, properties: dict[str, str], created: int, modified: int) -> None:
        self.id = record_id
        self.properties = properties
        self.created = created
        self.modified = modified

    def value(self, object_type: str, name: str) -> str | None:
        """A property's value as HubSpot answers it (maintained ones computed), None when the record has none."""
        if name == "hs_object_id":
            return str(self.id)
        if name == "createdate":
            return iso_millis(self.created)
        if name == modified_property(object_type):
            return iso_millis(self.modified)
        return self.properties.get(name)

    def raw(self, object_type: str, name: str) -> str | int | None:
        """A value for comparing (search): maintained ids and times as integers (ms), others as stored."""
        if name == "hs_object_id":
            return self.id
        if name == "createdate":
            return self.created
        if name == modified_property(object_type):
            return self.modified
        return self.properties.get(name)


class RecordStore:
    """Every record with properties, per object type id; merged-away ids; the unique-value indexes."""

    def __init__(self, state: AccountState) -> None:
        self.state = state
        self.by_type: dict[str, dict[int, Record]] = {}
        #: merged-away id -> the id of the record it reads back as, per type
        self.aliases: dict[str, dict[int, int]] = {}
        #: unique properties declared through the Python/admin API, per type (the knob adds more)
        self.declared: dict[str, set[str]] = {}
        #: (type, property) -> {normalised value: record id}; built on first use, then kept up to date
        self.indexes: dict[tuple[str, str], dict[str, int]] = {}
        self.next_id = FIRST_RECORD_ID
        #: monotonic times of the account's recent search requests (HubSpot's per-second search limit)
        self.search_calls: deque[float] = deque()

    # ------------------------------------------------------------------ unique values
    def unique_properties(self, object_type: str, configured: Mapping[str, Iterable[str]] | None = None) -> set[str]:
        """The type's unique-value properties: ``hs_object_id``, contacts' ``email``, declared and configured."""
        names = {"hs_object_id", *self.declared.get(object_type, ())}
        if object_type == CONTACT:
            names.add("email")
        names.update((configured or {}).get(object_type, ()))
        return names

    def declare_unique(self, object_type: str, name: str) -> None:
        self.declared.setdefault(object_type, set()).add(name)

    def index(self, object_type: str, name: str) -> dict[str, int]:
        """The value -> id index of a property (built from the records on first use)."""
        key = (object_type, name)
        found = self.indexes.get(key)
        if found is None:
            found = {}
            for record in self.by_type.get(object_type, {}).values():
                value = record.properties.get(name)
                if value not in (None, ""):
                    found.setdefault(_normal(name, value), record.id)
            self.indexes[key] = found
        return found

    def find(self, object_type: str, name: str, value: Any) -> Record | None:
        """The live record whose unique property ``name`` is ``value`` (an id for ``hs_object_id``)."""
        if name == "hs_object_id":
            return self.get(object_type, value)
        record_id = self.index(object_type, name).get(_normal(name, str(value)))
        return None if record_id is None else self.get(object_type, record_id)

    def _check_unique(self, object_type: str, rows: list[dict[str, str]], unique: set[str]) -> None:
        """Refuse rows whose unique values another record (or an earlier row) holds: nothing is written then."""
        for name in sorted(unique - {"hs_object_id"}):
            index = self.index(object_type, name)
            seen: set[str] = set()
            for row in rows:
                value = row.get(name)
                if value in (None, ""):
                    continue
                normal = _normal(name, value)
                holder = index.get(normal)
                if holder is not None or normal in seen:
                    raise _conflict(object_type, name, value, holder)
                seen.add(normal)

    # ------------------------------------------------------------------ create, read, stamp
    def create(
        self,
        object_type: str,
        rows: list[dict[str, str]],
        unique: set[str],
        *,
        ids: list[int] | None = None,
        modified: int | None = None,
    ) -> list[Record]:
        """Create records (all or none: a conflict writes nothing); ``ids`` picks their ids (seeding)."""
        self._check_unique(object_type, rows, unique)
        if ids is not None:
            taken = [i for i in ids if i in self.by_type.get(object_type, {})]
            if taken or len(set(ids)) != len(ids) or len(ids) != len(rows):
                raise StateError("validation", f"Record ids already taken or repeated: {taken[:5]}", {})
        now = now_millis()
        records = self.by_type.setdefault(object_type, {})
        created = []
        for n, row in enumerate(rows):
            record_id = ids[n] if ids is not None else self._allocate()
            props = {k: str(v) for k, v in row.items() if k not in READ_ONLY and v is not None}
            record = Record(record_id, props, now, now if modified is None else modified)
            records[record_id] = record
            self._index_add(object_type, record)
            created.append(record)
        if ids:
            self.next_id = max(self.next_id, max(ids) + 1)
        self.state.create_records(object_type, (r.id for r in created))
        return created

    def _allocate(self) -> int:
        record_id = self.next_id
        self.next_id += 1
        return record_id

    def _index_add(self, object_type: str, record: Record) -> None:
        for (index_type, name), index in self.indexes.items():
            value = record.properties.get(name) if index_type == object_type else None
            if value not in (None, ""):
                index.setdefault(_normal(name, value), record.id)

    def live_id(self, object_type: str, record_id: int) -> int:
        """The id a record id reads back as: itself, or the surviving record of a merge."""
        return self.aliases.get(object_type, {}).get(record_id, record_id)

    def get(self, object_type: str, raw_id: Any) -> Record | None:
        """The live record of an id (digits), following merges; None when there is none."""
        text = str(raw_id)
        if not text.isascii() or not text.isdigit():
            return None
        return self.by_type.get(object_type, {}).get(self.live_id(object_type, int(text)))

    def records(self, object_type: str) -> dict[int, Record]:
        return self.by_type.get(object_type, {})

    def stamp(self, object_type: str, ids: Iterable[int], modified: int) -> int:
        """Give records one modified time (HubSpot's bulk jobs do: >10,000 records with one timestamp)."""
        count = 0
        for record_id in ids:
            record = self.get(object_type, record_id)
            if record is not None:
                record.modified = modified
                count += 1
        return count

    # ------------------------------------------------------------------ merge
    def merge(self, object_type: str, primary_id: Any, merged_id: Any) -> Record:
        """Merge ``merged_id`` into ``primary_id`` (the primary's values win); the surviving record."""
        primary, merged = self.get(object_type, primary_id), self.get(object_type, merged_id)
        missing = [str(raw) for raw, rec in ((primary_id, primary), (merged_id, merged)) if rec is None]
        if missing or primary is None or merged is None:
            raise StateError("not_found", f"Could not find {object_name(object_type)} {', '.join(missing)}", {})
        if primary.id == merged.id:
            raise StateError("validation", "Cannot merge an object with itself", {"ids": [str(primary.id)]})
        earlier = [i for r in (primary, merged) for i in (r.properties.get(MERGED_IDS) or "").split(";") if i]
        props = {**merged.properties, **primary.properties}
        props[MERGED_IDS] = ";".join(dict.fromkeys([*earlier, str(primary.id), str(merged.id)]))
        if object_type == CONTACT and merged.properties.get("email") not in (None, "", primary.properties.get("email")):
            extra = [e for e in (props.get("hs_additional_emails") or "").split(";") if e]
            props["hs_additional_emails"] = ";".join([*extra, merged.properties["email"]])
        records = self.by_type[object_type]
        del records[primary.id], records[merged.id]
        new_id = self._allocate() if object_type in NEW_ID_MERGES else primary.id
        survivor = Record(new_id, props, min(primary.created, merged.created), now_millis())
        records[new_id] = survivor
        aliases = self.aliases.setdefault(object_type, {})
        for old in (primary.id, merged.id):
            if old != new_id:
                aliases[old] = new_id
        for old, target in list(aliases.items()):
            if target in (primary.id, merged.id) and old != new_id:
                aliases[old] = new_id
        self._repoint_indexes(object_type, {primary.id, merged.id}, survivor)
        self._move_associations(object_type, [primary.id, merged.id], new_id)
        return survivor

    def _repoint_indexes(self, object_type: str, old_ids: set[int], survivor: Record) -> None:
        """Values of the merged records resolve to the survivor (a secondary's email too: a choice, §20.8)."""
        for (index_type, _name), index in self.indexes.items():
            if index_type == object_type:
                for value, holder in list(index.items()):
                    if holder in old_ids:
                        index[value] = survivor.id
        self._index_add(object_type, survivor)

    def _move_associations(self, object_type: str, old_ids: list[int], new_id: int) -> None:
        """Every association of the merged records, with its types, now on the surviving record."""
        state = self.state
        moves = []
        for from_type, from_id, to_type in [k for k in state.edges if k[0] == object_type and k[1] in old_ids]:
            for to_id, specs in list(state.targets(from_type, from_id, to_type).items()):
                moves.append((to_type, to_id, set(specs)))
                state.remove_pair(from_type, from_id, to_type, to_id)
        state.delete_records(object_type, [i for i in old_ids if i != new_id])
        state.create_records(object_type, [new_id])
        for to_type, to_id, specs in moves:
            if (to_type, to_id) != (object_type, new_id):
                state.apply_types(object_type, new_id, to_type, to_id, specs, replace=False)

    def dump(self) -> dict[str, Any]:
        return {
            object_name(t): {"count": len(records), "merged": len(self.aliases.get(t, {}))}
            for t, records in sorted(self.by_type.items())
        }


def _normal(name: str, value: str) -> str:
    return value.lower() if name == "email" else value


def _conflict(object_type: str, name: str, value: str, holder: int | None) -> StateError:
    """HubSpot's 409 for a unique value already held (contacts' wording, HubSpot/hubspot-api-python#51)."""
    existing = f" Existing ID: {holder}" if holder is not None else ""
    if object_type == CONTACT and name == "email":
        message = f"Contact already exists.{existing}"
    else:
        message = f"A {object_name(object_type)} with {name} '{value}' already exists.{existing}"
    return StateError("conflict", message, {name: [value]})
