"""Hooks of the HubSpot Associations provider: the hook and its public result types.

The hook is imported lazily so ``from airflow_provider_hubassoc.hooks import BatchResult`` does not load
Airflow or the HTTP stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_hubassoc.hooks._object_types import normalize_object_type
from airflow_provider_hubassoc.hooks.models import (
    AssociationInput,
    AssociationLimit,
    AssociationRow,
    AssociationType,
    BatchResult,
    ChunkCallback,
    FailureCallback,
    InputFailure,
)

if TYPE_CHECKING:
    from airflow_provider_hubassoc.hooks.associations import HubSpotAssociationsHook

__all__ = [
    "AssociationInput",
    "AssociationLimit",
    "AssociationRow",
    "AssociationType",
    "BatchResult",
    "ChunkCallback",
    "FailureCallback",
    "HubSpotAssociationsHook",
    "InputFailure",
    "normalize_object_type",
]


def __getattr__(name: str) -> Any:
    if name == "HubSpotAssociationsHook":
        from airflow_provider_hubassoc.hooks.associations import HubSpotAssociationsHook

        return HubSpotAssociationsHook
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
