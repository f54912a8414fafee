"""Record look-ups in the CRM objects API: which record a key names, and which record an id reads back as.

``POST /crm/objects/{V}/{type}/batch/read`` (reference §20.8), 100 inputs a request: by a unique property
(``idProperty``, e.g. contacts by ``email``) to turn warehouse keys into record ids, or by record id to find
merged-away ids (a merged-away id reads back as the surviving record, under its id, listing the asked id in
``hs_merged_object_ids``). Misses come back as a 207 with ``OBJECT_NOT_FOUND`` errors naming them in
``context.ids``. Every answer passes the gate with a shape that checks each record against what was asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any

from airflow_provider_hubassoc.exceptions import HubSpotInputError, HubSpotValidationError
from airflow_provider_hubassoc.hooks._object_types import normalize_object_type, plural_name
from airflow_provider_hubassoc.hooks.api._context import association_path
from airflow_provider_hubassoc.hooks.api._object_shapes import MERGED_IDS, batch_read_shape, merged_ids, value_key

if TYPE_CHECKING:
    from airflow_provider_hubassoc.hooks.api._context import ApiContext

#: inputs per objects ``batch/read`` (§20.8: the spec gives none; 100 is HubSpot's figure for look-ups by email)
MAX_LOOKUP_INPUTS = 100


@dataclass(frozen=True, slots=True)
class RecordMatch:
    """What HubSpot answered for one asked key or id.

    :param key: as asked (a property value, or a record id as a string).
    :param id: the record's id now (after a merge: the surviving record's), ``None`` when HubSpot knows none.
    """

    key: str
    id: int | None

    @property
    def merged(self) -> bool:
        """An id read back under another id: the asked record was merged into :attr:`id`."""
        return self.id is not None and self.key != str(self.id)


class ObjectsApi:
    """Batch look-ups of records by unique property or id, v3 and dated versions."""

    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx

    def resolve(
        self, object_type: str, id_property: str | None, keys: Iterable[str], api_version: str | None
    ) -> Iterator[RecordMatch]:
        """One :class:`RecordMatch` per distinct key of each request (100 keys a request), in request order.

        A key repeated inside one request is asked once; callers with millions of keys pass each once (the
        operators keep them in a disk-backed set). ``id_property`` ``None`` reads by record id (merge check).

        :raises HubSpotInputError: ``id_property`` is not a unique-value property of the object (HubSpot's 400).
        """
        if id_property is not None and (not isinstance(id_property, str) or not id_property.strip()):
            raise HubSpotInputError(f"id_property must be a property name, got {id_property!r}", field="id_property")
        object_type = normalize_object_type(object_type, "object_type")
        version = self.ctx.api_version(api_version, allow_v3=True)
        version = "v3" if version == "v4" else version  # the legacy objects API is v3 (there is no v4 of it)
        path = association_path(version, f"objects/{object_type}/batch/read")
        it = iter(keys)
        while chunk := list(dict.fromkeys(islice(it, MAX_LOOKUP_INPUTS))):
            if self.ctx.cancelled:
                return
            yield from self._read(path, object_type, id_property, chunk)

    def merged_into(self, object_type: str, ids: set[int], api_version: str | None) -> dict[int, set[int]]:
        """``{surviving id: the asked ids merged into it}`` (an asked id read back as itself maps to an empty set):
        what a batch read of associations needs to tell a merge survivor from a record it did not ask for
        (:mod:`._merges`); the same read by id as :meth:`resolve`."""
        merged: dict[int, set[int]] = {}
        for match in self.resolve(object_type, None, [str(i) for i in sorted(ids)], api_version):
            if match.id is not None:
                merged.setdefault(match.id, set()).update([int(match.key)] if match.merged else [])
        return merged

    def _read(self, path: str, object_type: str, id_property: str | None, keys: list[str]) -> Iterator[RecordMatch]:
        properties = [id_property, MERGED_IDS] if id_property else [MERGED_IDS]
        body: dict[str, Any] = {
            "inputs": [{"id": key} for key in keys],
            "properties": properties,
            "propertiesWithHistory": [],
        }
        if id_property:  # "Do not include this parameter if retrieving by record ID" (§20.8)
            body["idProperty"] = id_property
        try:
            _status, answer = self.ctx.send(
                "POST", path, json=body, required=True, shape=batch_read_shape(keys, id_property)
            )
        except HubSpotValidationError as error:
            if id_property is None:
                raise
            raise HubSpotInputError(
                f"{id_property!r} cannot name {plural_name(object_type)}: HubSpot refused it as idProperty (400: "
                f"{error.message}). Keys are looked up by a property HubSpot marks unique (hasUniqueValue), such "
                "as contacts' email; this one is not unique in HubSpot, so its records cannot be told apart by it",
                field="id_property",
            ) from None
        found: dict[str, int] = {}
        for record in answer["results"]:  # the gate checked each record against the keys asked
            properties = record["properties"]
            if id_property:
                found.setdefault(value_key(properties.get(id_property), id_property), int(record["id"]))
            else:
                found[str(int(record["id"]))] = int(record["id"])
        if not id_property:  # an asked id answered under another: merged into it (exact ids first, above)
            for record in answer["results"]:
                for old in merged_ids(record["properties"].get(MERGED_IDS)):
                    found.setdefault(old, int(record["id"]))
        for key in keys:
            yield RecordMatch(key, found.get(value_key(key, id_property)))
