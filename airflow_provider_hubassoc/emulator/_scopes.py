"""Which scopes an endpoint needs, for credentials registered with a scope list (service keys, private apps).

HubSpot documents the 403 ``MISSING_SCOPES`` body (reference §11.2) but not the exact scopes each object
pair needs (§13 "Scopes": the specs list any single object scope; "read on both for reads, write for writes" is
unconfirmed). The emulator's model, the same one the README's scope table recommends:

* association reads (batch/read, the per-record list, v3 batch/read) and definition reads (labels, limit
  configurations of a pair, v3 types): ``crm.objects.<type>.read`` on both object types;
* association writes (batch create/archive/labels-archive/associate-default, the per-record PUT/DELETE, v3
  batch create/archive): ``crm.objects.<type>.write`` on both object types (an association shows on both
  records);
* definition writes (labels create/update/delete, limit configurations create/update/purge):
  ``crm.schemas.<type>.write`` on both object types;
* endpoints without an object type in the path (``definitions/configurations/all``, the high-usage report):
  no scope.

``<type>`` is the plural name of a HubSpot-defined object (``contacts``, ``line_items``) and ``custom`` for every
custom object (``crm.objects.custom.read``). Standard library only, like the rest of the emulator.
"""

from __future__ import annotations

import uuid
from typing import Any

from ._types import OBJECT_TYPES

_PLURAL = {type_id: plural for type_id, _singular, plural in OBJECT_TYPES}

_OBJECT_READS = frozenset({"batch.read", "records.list", "v3.batch.read", "labels.list", "limits.list", "v3.types"})
_OBJECT_WRITES = frozenset(
    {
        "batch.create",
        "batch.archive",
        "batch.labels_archive",
        "batch.associate_default",
        "records.put",
        "records.delete",
        "records.default",
        "v3.batch.create",
        "v3.batch.archive",
    }
)
_SCHEMA_WRITES = frozenset(
    {"labels.create", "labels.update", "labels.delete", "limits.create", "limits.update", "limits.purge"}
)

SCOPES_URL = "https://developers.hubspot.com/scopes"


def scope_object(type_id: str) -> str:
    """The object part of a scope name: ``contacts`` for ``0-1``, ``custom`` for any ``2-...``."""
    return _PLURAL.get(type_id, "custom")


def required_scopes(endpoint: str, type_ids: tuple[str, ...]) -> tuple[str, ...]:
    """The scopes the emulator requires for one call to ``endpoint`` (a route name) between ``type_ids``."""
    if endpoint in _OBJECT_READS:
        area, action = "objects", "read"
    elif endpoint in _OBJECT_WRITES:
        area, action = "objects", "write"
    elif endpoint in _SCHEMA_WRITES:
        area, action = "schemas", "write"
    else:
        return ()
    scopes: list[str] = []
    for type_id in type_ids:
        scope = f"crm.{area}.{scope_object(type_id)}.{action}"
        if scope not in scopes:
            scopes.append(scope)
    return tuple(scopes)


def missing_scopes_body(missing: list[str]) -> dict[str, Any]:
    """HubSpot's 403 ``MISSING_SCOPES`` body (reference §11.2), naming the scopes the credential lacks."""
    return {
        "status": "error",
        "message": "This app hasn't been granted all required scopes to make this call. Read more about required "
        f"scopes here: {SCOPES_URL}.",
        "correlationId": str(uuid.uuid4()),
        "errors": [
            {"message": "One or more of the following scopes are required.", "context": {"requiredScopes": missing}}
        ],
        "links": {"scopes": SCOPES_URL},
        "category": "MISSING_SCOPES",
    }
