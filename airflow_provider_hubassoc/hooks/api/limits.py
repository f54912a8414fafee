"""Association limits per label (HubSpot's *definitions/configurations*)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_hubassoc.exceptions import HubSpotInputError, HubSpotValidationError
from airflow_provider_hubassoc.hooks import _shapes as shapes
from airflow_provider_hubassoc.hooks._object_types import normalize_object_type
from airflow_provider_hubassoc.hooks.api._context import ApiContext, association_path
from airflow_provider_hubassoc.hooks.api._inputs import label_tuple, positive_int
from airflow_provider_hubassoc.hooks.models import AssociationLimit

if TYPE_CHECKING:
    from airflow_provider_hubassoc.hooks.api.labels import LabelsApi

Limits = Mapping[str | int, int] | Iterable[tuple[str | int, int]]


class LimitsApi:
    """``.../associations/definitions/configurations/...``: list, create, update and purge limits."""

    def __init__(self, ctx: ApiContext, labels: LabelsApi) -> None:
        self.ctx = ctx
        self.labels = labels

    def list_association_limits(
        self, from_type: str | None, to_type: str | None, api_version: str | None
    ) -> list[AssociationLimit]:
        """The limits of one object pair (``.../{f}/{t}``), or of every pair (``.../all``)."""
        version = self.ctx.api_version(api_version)
        if (from_type is None) != (to_type is None):
            raise HubSpotInputError("give both from_type and to_type, or neither", field="to_type")
        if from_type is None:
            endpoint = "associations/definitions/configurations/all"
        else:
            f = normalize_object_type(from_type, "from_type")
            t = normalize_object_type(to_type or "", "to_type")
            endpoint = f"associations/definitions/configurations/{f}/{t}"
        _status, body = self.ctx.send("GET", association_path(version, endpoint), required=True, shape=shapes.limits)
        return [AssociationLimit.from_api(item) for item in body["results"]]

    def purge_association_limits(
        self, from_type: str, to_type: str, labels: Iterable[str | int], api_version: str | None
    ) -> None:
        """``batch/purge`` of the limits of these labels."""
        version, f, t = self.ctx.object_pair(from_type, to_type, api_version)
        types = self.labels.resolve(version, f, t, label_tuple(labels, None), None)
        inputs = [{"category": x.category, "typeId": x.type_id} for x in types]
        path = association_path(version, f"associations/definitions/configurations/{f}/{t}/batch/purge")
        self.ctx.send("POST", path, json={"inputs": inputs})

    def write_limits(
        self, action: str, from_type: str, to_type: str, limits: Any, api_version: str | None
    ) -> list[AssociationLimit]:
        """``batch/create`` or ``batch/update`` of ``{label or type id: max to-object ids}``; a refusal raises."""
        version, f, t = self.ctx.object_pair(from_type, to_type, api_version)
        entries = list(limits.items()) if isinstance(limits, Mapping) else list(limits)
        inputs = []
        for position, entry in enumerate(entries):
            try:
                label, maximum = entry
            except (TypeError, ValueError):
                raise HubSpotInputError("expected (label, max)", position=position) from None
            found = self.labels.resolve(version, f, t, (label,), position)[0]
            inputs.append(
                {
                    "category": found.category,
                    "typeId": found.type_id,
                    "maxToObjectIds": positive_int(maximum, position, "max"),
                }
            )
        path = association_path(version, f"associations/definitions/configurations/{f}/{t}/batch/{action}")
        status, body = self.ctx.send("POST", path, json={"inputs": inputs}, required=True, shape=shapes.limits)
        errors = body.get("errors") or []
        if errors:
            first = errors[0]
            raise HubSpotValidationError(
                str(first.get("message") or "limit refused"),
                status=status,
                category=first.get("category"),
                errors=errors,
            )
        return [AssociationLimit.from_api(item) for item in body["results"]]
