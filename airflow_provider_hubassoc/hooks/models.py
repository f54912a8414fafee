"""Public result types of the HubSpot Associations hook.

Small frozen dataclasses with ``as_dict()`` so results can go to XCom or a file as plain JSON. Record ids are
ints (HubSpot sends them as numbers or strings depending on the endpoint; the hook converts once).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class AssociationType:
    """One association type (label) between two object types.

    :param category: ``HUBSPOT_DEFINED``, ``USER_DEFINED``, ``INTEGRATOR_DEFINED`` or ``WORK``; ``None`` for
        v3 types, which have names instead of categories.
    :param type_id: HubSpot's ``associationTypeId``; same in every account for HubSpot-defined types.
    :param label: the label text, ``None`` for the unlabeled (default) type.
    :param name: an internal name where one is known (the ``name`` of a created label, ``primary`` and
        ``unlabeled`` for HubSpot-defined types, the v3 type name such as ``contact_to_company``).
    """

    category: str | None
    type_id: int | None
    label: str | None
    name: str | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any], name: str | None = None) -> AssociationType:
        """Parse HubSpot's ``AssociationSpecWithLabel`` or ``AssociationSpec`` (both field spellings)."""
        type_id = data.get("typeId", data.get("associationTypeId"))
        category = data.get("category", data.get("associationCategory"))
        return cls(
            category=str(category) if category is not None else None,
            type_id=int(type_id) if type_id is not None else None,
            label=data.get("label"),
            name=name,
        )

    def spec(self) -> dict[str, Any]:
        """The request form HubSpot expects (``AssociationSpec``)."""
        return {"associationCategory": self.category, "associationTypeId": self.type_id}

    @property
    def key(self) -> tuple[str | None, int | None]:
        """Identity of a type regardless of its (changeable) label text."""
        return (self.category, self.type_id)

    def as_dict(self) -> dict[str, Any]:
        return {"category": self.category, "type_id": self.type_id, "label": self.label, "name": self.name}


@dataclass(frozen=True)
class AssociationRow:
    """The associations between one record and one other record, with every type (label) they carry."""

    from_object_type: str
    from_id: int
    to_object_type: str
    to_id: int
    types: tuple[AssociationType, ...] = ()
    #: the id an export asked for, when HubSpot answered it under a merged record's id (``from_id``)
    asked_from_id: int | None = None

    @property
    def labels(self) -> tuple[str, ...]:
        """Label texts of the labeled types (the unlabeled type has none)."""
        return tuple(t.label for t in self.types if t.label)

    @property
    def type_ids(self) -> tuple[int, ...]:
        return tuple(t.type_id for t in self.types if t.type_id is not None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "from_object_type": self.from_object_type,
            "from_id": self.from_id,
            "to_object_type": self.to_object_type,
            "to_id": self.to_id,
            "types": [t.as_dict() for t in self.types],
            "labels": list(self.labels),
        }


@dataclass(frozen=True)
class AssociationInput:
    """One pair to write: ``labels`` are label texts, internal names or type ids (resolved per object pair)."""

    from_id: int | str
    to_id: int | str
    labels: tuple[str | int, ...] = ()


@dataclass(frozen=True)
class AssociationLimit:
    """A configured association limit (``userEnforcedMaxToObjectIds``) of one type between two object types."""

    category: str | None
    type_id: int | None
    label: str | None
    max_to_object_ids: int | None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> AssociationLimit:
        limit = data.get("userEnforcedMaxToObjectIds", data.get("maxToObjectIds"))
        type_id = data.get("typeId")
        return cls(
            category=data.get("category"),
            type_id=int(type_id) if type_id is not None else None,
            label=data.get("label"),
            max_to_object_ids=int(limit) if limit is not None else None,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "type_id": self.type_id,
            "label": self.label,
            "max_to_object_ids": self.max_to_object_ids,
        }


@dataclass(frozen=True)
class InputFailure:
    """One input HubSpot refused, with HubSpot's reasons.

    :param position: 0-based position of the input in the caller's iterable; ``None`` when HubSpot reported an
        error the hook could not tie to an input (it is still reported, never dropped).
    :param input: the input as normalised by the hook (for example ``{"from_id": 1, "to_id": 2}``).
    :param status: HTTP status of the response that carried the error (207 for partial failures).
    """

    position: int | None
    input: Any
    status: int | None
    category: str | None
    sub_category: str | None
    message: str
    context: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "input": self.input,
            "status": self.status,
            "category": self.category,
            "sub_category": self.sub_category,
            "message": self.message,
            "context": dict(self.context),
        }


MAX_FAILURES_KEPT = 1000


@dataclass
class BatchResult:
    """Outcome of one batch call over all its chunks.

    ``total`` inputs were read from the caller; ``skipped`` were duplicates collapsed into an earlier input;
    ``succeeded + failed + skipped == total`` once the call finished. ``failures`` keeps the first
    :data:`MAX_FAILURES_KEPT` failures (every failure also goes to the call's ``failure_callback``), so a
    million failed inputs never sit in memory; ``failures_dropped`` counts the rest.
    """

    operation: str
    total: int = 0
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    requests: int = 0
    failures: list[InputFailure] = field(default_factory=list)
    failures_dropped: int = 0
    #: labeled pairs sent without a read of their current labels first (``label_write_semantics="merge"``, or
    #: types known from this call's own earlier write of the pair)
    reads_skipped: int = 0

    @property
    def ok(self) -> bool:
        return self.failed == 0 and not any(f.position is None for f in self.failures)

    def add_failure(self, failure: InputFailure) -> None:
        if len(self.failures) < MAX_FAILURES_KEPT:
            self.failures.append(failure)
        else:
            self.failures_dropped += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "total": self.total,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "skipped": self.skipped,
            "requests": self.requests,
            "failures": [f.as_dict() for f in self.failures],
            "failures_dropped": self.failures_dropped,
            "reads_skipped": self.reads_skipped,
        }


#: receives each failed input of a batch call as it is found (``failure_callback=``)
FailureCallback = Callable[[InputFailure], None]
#: receives ``(start, end)`` input positions of each finished chunk of a batch call, in order, or
#: ``(start, end, result)`` with the call's running :class:`BatchResult` when it takes three arguments
#: (``chunk_callback=``; the point to checkpoint)
ChunkCallback = Callable[[int, int], None] | Callable[[int, int, BatchResult], None]
