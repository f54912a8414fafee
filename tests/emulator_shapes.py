"""JSON Schema check of emulator responses: which ``$defs`` entry each endpoint/status must match.

The schemas (``schemas/responses.schema.json``) are written from the reference, not from the emulator.
"""

from __future__ import annotations

import functools
import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import jsonschema

if TYPE_CHECKING:
    from airflow_provider_hubassoc.emulator._app import Request, Response

_SCHEMA = json.loads((Path(__file__).parent / "schemas" / "responses.schema.json").read_text())
jsonschema.Draft202012Validator.check_schema(_SCHEMA)
#: the CRM objects API's answers (written from HubSpot's SDK models, see its title); shares ``standardError``
_OBJECTS_SCHEMA = json.loads((Path(__file__).parent / "schemas" / "objects.schema.json").read_text())
jsonschema.Draft202012Validator.check_schema(_OBJECTS_SCHEMA)
_DEFS = {**_SCHEMA["$defs"], **_OBJECTS_SCHEMA["$defs"]}


@functools.cache
def _validator(name: str) -> jsonschema.Draft202012Validator:
    """One validator per ``$defs`` entry (``jsonschema.validate`` re-checks the whole schema on every call)."""
    return jsonschema.Draft202012Validator({"$ref": f"#/$defs/{name}", "$defs": _DEFS})


#: endpoint name -> {status: schema $def} for 2xx answers; None = no body allowed
SUCCESS_SCHEMAS: dict[str, dict[int, str | None]] = {
    "batch.create": {201: "batchLabelsBetweenObjectPair", 207: "batchLabelsBetweenObjectPairWithErrors"},
    "batch.read": {200: "batchMultiWithLabel", 207: "batchMultiWithLabelWithErrors"},
    "batch.archive": {204: None, 200: "batchEmpty"},
    "batch.labels_archive": {204: None, 200: "batchEmpty"},
    "batch.associate_default": {200: "batchDefaultAssociation", 207: "batchDefaultAssociationWithErrors"},
    "records.put": {201: "labelsBetweenObjectPair"},  # or its wrapper: see expected_schema
    "records.delete": {204: None},
    "records.default": {200: "batchDefaultAssociation"},
    "records.list": {200: "recordList"},
    "labels.list": {200: "labelsCollection"},
    "labels.create": {200: "labelsCollection"},
    "labels.update": {204: None},
    "labels.delete": {204: None},
    "limits.all": {200: "limitCollection"},
    "limits.list": {200: "limitCollection"},
    "limits.create": {200: "batchLimitConfig", 201: "batchLimitConfig", 207: "batchLimitConfigWithErrors"},
    "limits.update": {200: "batchLimitUpdateResult", 207: "batchLimitUpdateResultWithErrors"},
    "limits.purge": {204: None, 200: "batchEmpty"},
    "usage.report": {200: "highUsageReport"},
    "v3.types": {200: "v3Types"},
    "v3.batch.create": {200: "batchV3Association", 201: "batchV3Association", 207: "batchV3AssociationWithErrors"},
    "v3.batch.read": {200: "batchV3Multi", 207: "batchV3MultiWithErrors"},
    "v3.batch.archive": {204: None},
    "oauth.token": {200: "oauthToken", 400: "oauthError"},
    "oauth.introspect": {200: "oauthIntrospection", 400: "oauthError"},
    # 200 without a body: the 2026-03 revoke (no documented body, §20.10 item 3); 204: legacy v1 DELETE
    "oauth.revoke": {200: None, 204: None, 400: "oauthError"},
}
#: the CRM objects API's endpoints (kept apart: ``test_emulator_objects.py`` exercises each of these pairs)
OBJECT_SCHEMAS: dict[str, dict[int, str | None]] = {
    "objects.create": {201: "simplePublicObject"},
    "objects.batch.create": {201: "batchSimplePublicObject"},
    "objects.read": {200: "simplePublicObjectWithAssociations"},
    "objects.batch.read": {200: "batchSimplePublicObject", 207: "batchSimplePublicObjectWithErrors"},
    "objects.list": {200: "objectsPage"},
    "objects.search": {200: "searchPage"},
    "objects.merge": {200: "simplePublicObject"},
}
#: 200 answers that carry errors: 2025-09 limit configurations (no 207 in that spec), and dated archives with
#: inputs refused by the 2026-09 permission rule (the archive endpoints list only 200, reference §20.3)
_DATED_200_WITH_ERRORS = {
    "batch.archive": "batchEmptyWithErrors",
    "batch.labels_archive": "batchEmptyWithErrors",
    "limits.create": "batchLimitConfigWithErrors",
    "limits.update": "batchLimitUpdateResultWithErrors",
}


def expected_schema(response: Response) -> str | None:
    """The ``$defs`` entry a response must match (``None``: it must have no body)."""
    if response.status == 429:  # search has its own per-second limit (policy SECONDLY, reference §20.8)
        return "searchRateLimitError" if response.endpoint == "objects.search" else "rateLimitError"
    if 300 <= response.status < 400:  # the redirect fault: a Location and no body
        return None
    by_status = SUCCESS_SCHEMAS.get(response.endpoint) or OBJECT_SCHEMAS.get(response.endpoint, {})
    if response.status in by_status:
        name = by_status[response.status]
        if response.endpoint == "records.put" and isinstance(response.body, dict) and "entity" in response.body:
            return "createdLabelsBetweenObjectPair"  # knob wrap_created_resource (reference §20.3)
        if response.status == 200 and isinstance(response.body, dict) and "errors" in response.body:
            return _DATED_200_WITH_ERRORS.get(response.endpoint, name)
        return name
    if response.status >= 400:
        return "error"
    raise AssertionError(f"unexpected status {response.status} from {response.endpoint}")


class ShapeChecker:
    """Observer installed on the emulator: validates each response, keeps the failures for the test."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.checked = 0
        #: (endpoint, status) pairs validated so far
        self.seen: set[tuple[str, int]] = set()
        self._lock = threading.Lock()

    def __call__(self, request: Request, response: Response) -> None:
        if response.drop or response.hostile:  # a hostile answer (knob ``hostile``) is off-shape on purpose
            return
        try:
            name = expected_schema(response)
            if name is None:
                assert response.body is None, "body not allowed"
            else:
                error = jsonschema.exceptions.best_match(_validator(name).iter_errors(response.body))
                if error is not None:
                    raise error
        except (AssertionError, jsonschema.ValidationError) as exc:
            with self._lock:
                self.failures.append(f"{request.method} {request.path} -> {response.status}: {exc}")
        with self._lock:
            self.checked += 1
            self.seen.add((response.endpoint, response.status))
