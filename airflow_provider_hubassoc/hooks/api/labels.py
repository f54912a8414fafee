"""Association types and labels between two object types (HubSpot's *definitions*: ``.../labels``).

The area keeps the label listing cached per object pair (in the shared :class:`~._context.ApiContext`), so
the batch, records and limits areas resolve a label text to its type id without a request each time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from airflow_provider_hubassoc.exceptions import HubSpotInputError, HubSpotNotFoundError, HubSpotValidationError
from airflow_provider_hubassoc.hooks import _shapes as shapes
from airflow_provider_hubassoc.hooks._object_types import HUBSPOT_DEFINED_TYPES, hubspot_defined_type_id, plural_name
from airflow_provider_hubassoc.hooks.api._context import ApiContext, association_path
from airflow_provider_hubassoc.hooks.api._inputs import check_label_texts, positive_int
from airflow_provider_hubassoc.hooks.models import AssociationType


class LabelsApi:
    """``GET/POST/PUT/DELETE .../associations/{from}/{to}/labels`` and the label cache."""

    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx

    def list_labels(self, from_type: str, to_type: str, *, api_version: str | None = None) -> list[AssociationType]:
        """Every association type between two object types; refreshes the cache."""
        version, f, t = self.ctx.object_pair(from_type, to_type, api_version)
        path = association_path(version, f"associations/{f}/{t}/labels")
        _status, body = self.ctx.send("GET", path, required=True, shape=shapes.labels_listing)
        known = {v: k for k, v in HUBSPOT_DEFINED_TYPES.get((f, t), {}).items()}
        types = []
        for item in body["results"]:  # the gate checked them: ``typeId`` integers, ``category`` strings
            parsed = AssociationType.from_api(item)
            defined = parsed.category == "HUBSPOT_DEFINED"
            name = known.get(parsed.type_id) if defined and parsed.type_id is not None else None
            if parsed.category == "HUBSPOT_DEFINED" and parsed.label is None and name is None:
                name = "unlabeled"
            if name is None and parsed.type_id is not None:
                name = self.ctx.label_names.get((version, f, t), {}).get(parsed.type_id)
            types.append(AssociationType(parsed.category, parsed.type_id, parsed.label, name))
        with self.ctx.label_lock:
            self.ctx.label_cache[(version, f, t)] = types
        return list(types)

    def get_label(
        self, from_type: str, to_type: str, label: str | int, *, api_version: str | None = None
    ) -> AssociationType:
        """A label by text, name or type id: from the cache, else after one refresh of the listing."""
        version, f, t = self.ctx.object_pair(from_type, to_type, api_version)
        with self.ctx.label_lock:
            cached = self.ctx.label_cache.get((version, f, t))
        if cached is not None:
            found = find_label(cached, label, f, t)
            if found is not None:
                return found
        types = self.list_labels(f, t, api_version=version)
        found = find_label(types, label, f, t)
        if found is None:
            known = ", ".join(repr(x.label or x.name or x.type_id) for x in types)
            raise HubSpotInputError(
                f"no association label {label!r} from {plural_name(f)} to {plural_name(t)}; known: {known}",
                field="labels",
            )
        return found

    def create_label(
        self, from_type: str, to_type: str, name: str, label: str, inverse_label: str | None, api_version: str | None
    ) -> list[AssociationType]:
        """``POST .../labels``; a 409 for this very label adopts it (replay-safe)."""
        version, f, t = self.ctx.object_pair(from_type, to_type, api_version)
        check_label_texts(name=name, label=label, inverse_label=inverse_label)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise HubSpotInputError(
                f"label name {name!r} must be letters, digits and underscores, not starting with a digit", field="name"
            )
        body: dict[str, Any] = {"name": name, "label": label}
        if inverse_label is not None:
            body["inverseLabel"] = inverse_label
        path = association_path(version, f"associations/{f}/{t}/labels")
        try:
            _status, response = self.ctx.send("POST", path, json=body, required=True, shape=shapes.label_created)
            created = [AssociationType.from_api(item, name=name) for item in response["results"]]
        except HubSpotValidationError as error:
            created = self._existing_label(version, f, t, name, label, inverse_label) if error.status == 409 else []
            if not created:
                raise
            self.ctx.log.info(
                "Label %r (%s) already exists, adopted: type id(s) %s", name, label, [x.type_id for x in created]
            )
        with self.ctx.label_lock:
            names = self.ctx.label_names.setdefault((version, f, t), {})
            names.update({x.type_id: name for x in created if x.type_id is not None})
        self.forget(version, f, t)
        return created

    def _existing_label(
        self, version: str, f: str, t: str, name: str, label: str, inverse_label: str | None
    ) -> list[AssociationType]:
        """The user-defined label(s) a create of ``label`` (and ``inverse_label``) would have made, in create's
        shape (one per direction); empty unless exactly one label per direction has that text."""
        self.forget(version, f, t)

        def only(types: list[AssociationType], text: str, exclude: int | None = None) -> AssociationType | None:
            found = [x for x in types if x.category == "USER_DEFINED" and x.label == text and x.type_id != exclude]
            if len(found) != 1:
                return None
            return AssociationType(found[0].category, found[0].type_id, found[0].label, name)

        forward = only(self.list_labels(f, t, api_version=version), label)
        if forward is None:
            return []
        if inverse_label is None:
            return [forward]
        inverse = only(
            self.list_labels(t, f, api_version=version), inverse_label, exclude=forward.type_id if f == t else None
        )
        return [forward, inverse] if inverse is not None else []

    def update_label(
        self, from_type: str, to_type: str, type_id: int, label: str, inverse_label: str | None, api_version: str | None
    ) -> None:
        """``PUT .../labels``: a label's text; its name and type id stay."""
        version, f, t = self.ctx.object_pair(from_type, to_type, api_version)
        check_label_texts(label=label, inverse_label=inverse_label)
        body: dict[str, Any] = {"associationTypeId": positive_int(type_id, None, "type_id"), "label": label}
        if inverse_label is not None:
            body["inverseLabel"] = inverse_label
        self.ctx.send("PUT", association_path(version, f"associations/{f}/{t}/labels"), json=body)
        self.forget(version, f, t)

    def delete_label(self, from_type: str, to_type: str, type_id: int, api_version: str | None) -> None:
        """``DELETE .../labels/{typeId}``; a 404 for a label that is gone is done (replay-safe)."""
        version, f, t = self.ctx.object_pair(from_type, to_type, api_version)
        type_id = positive_int(type_id, None, "type_id")
        try:
            self.ctx.send("DELETE", association_path(version, f"associations/{f}/{t}/labels/{type_id}"))
        except HubSpotNotFoundError:
            if any(x.type_id == type_id for x in self.list_labels(f, t, api_version=version)):
                raise
            self.ctx.log.info(
                "Label %s from %s to %s is already gone: nothing to delete", type_id, plural_name(f), plural_name(t)
            )
        self.forget(version, f, t)

    def resolve(
        self, version: str, f: str, t: str, labels: Iterable[str | int], position: int | None
    ) -> tuple[AssociationType, ...]:
        """Labels of one input as types, duplicates dropped; an unknown label fails naming the input."""
        resolved: dict[tuple[str | None, int | None], AssociationType] = {}
        for label in labels:
            try:
                found = self.get_label(f, t, label, api_version=version)
            except HubSpotInputError as error:
                raise HubSpotInputError(error.message, position=position, field="labels") from None
            resolved.setdefault(found.key, found)
        return tuple(resolved.values())

    def cached(self, version: str, f: str, t: str) -> list[AssociationType]:
        """The cached listing of one object pair (empty when not listed yet)."""
        with self.ctx.label_lock:
            return list(self.ctx.label_cache.get((version, f, t)) or [])

    def forget(self, version: str, f: str, t: str) -> None:
        """Drop the cached listing of both directions (after a label changed)."""
        with self.ctx.label_lock:
            self.ctx.label_cache.pop((version, f, t), None)
            self.ctx.label_cache.pop((version, t, f), None)


def find_label(types: list[AssociationType], label: str | int, f: str, t: str) -> AssociationType | None:
    """Find a label by type id, HubSpot-defined name, label text or internal name (case-insensitive)."""
    if isinstance(label, bool):
        return None
    if isinstance(label, int) or (isinstance(label, str) and label.strip().isdigit()):
        wanted = int(label)
        matches = [x for x in types if x.type_id == wanted]
        return matches[0] if matches else None
    text = str(label).strip().lower()
    if text in ("default",):
        text = "unlabeled"
    defined = hubspot_defined_type_id(f, t, text)
    if defined is not None:
        for item in types:
            if item.type_id == defined and item.category == "HUBSPOT_DEFINED":
                return AssociationType(item.category, item.type_id, item.label, text)
        return AssociationType("HUBSPOT_DEFINED", defined, "Primary" if text == "primary" else None, text)
    if text == "unlabeled":
        for item in types:
            if item.category == "HUBSPOT_DEFINED" and item.label is None:
                return AssociationType(item.category, item.type_id, None, "unlabeled")
        return None
    for item in types:
        if (item.label or "").strip().lower() == text or (item.name or "").lower() == text:
            return item
    return None
