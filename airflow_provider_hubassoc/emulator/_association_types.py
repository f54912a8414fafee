"""The emulated account's association types: HubSpot's, the unlabeled types it creates on demand for pairs
its table lacks (custom objects), and the user-defined labels (reference §4, §6, §9).

* Paired user labels get two account-unique ids (one per direction). An unpaired label is visible from the
  other side under the same id and text (HubSpot shows single labels on both records; our choice of id).
* User label ids skip the ids HubSpot defines, so a type id is never ambiguous within a pair.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ._types import DEFINED_PAIRS, object_name

HUBSPOT_DEFINED = "HUBSPOT_DEFINED"
USER_DEFINED = "USER_DEFINED"
CATEGORIES = ("HUBSPOT_DEFINED", "USER_DEFINED", "INTEGRATOR_DEFINED", "WORK")
MAX_LABELS_PER_PAIR = 10
#: HubSpot documents no length limit for label names and texts; the emulator enforces the bounds the provider
#: chose (README, "Bad input"), answering 400 VALIDATION_ERROR as HubSpot answers other invalid label input
MAX_LABEL_NAME_LENGTH = 100
MAX_LABEL_TEXT_LENGTH = 255
#: "Association labels are supported between contacts, companies, deals, and tickets" (v4 guide), and custom
#: objects (limits-tracking guide, reference §6)
LABEL_OBJECT_TYPES = frozenset({"0-1", "0-2", "0-3", "0-5"})
_LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Ids for unlabeled types of pairs HubSpot's table does not list (custom objects ...): allocated lazily.
_LAZY_TYPE_ID_START = 100_001

Spec = tuple[str, int]  # (category, typeId)


class StateError(Exception):
    """A rule violation; the HTTP layer turns it into HubSpot's error body.

    :param kind: ``invalid_type``, ``invalid_object``, ``limit``, ``not_found``, ``conflict``, ``validation``.
    """

    def __init__(
        self, kind: str, message: str, context: dict[str, list[str]] | None = None, sub_category: str | None = None
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.context = context or {}
        self.sub_category = sub_category


@dataclass
class Definition:
    """One association type in one direction (what ``GET .../labels`` lists)."""

    category: str
    type_id: int
    from_type: str
    to_type: str
    label: str | None
    name: str
    inverse_id: int
    unlabeled: bool = False
    #: this type marks the to-object (a company) as the from-record's primary company
    primary: bool = False
    #: this type is the inverse of a primary type (company -> its primary contacts/deals/tickets)
    primary_inverse: bool = False
    #: user labels keep the name they were created with; the paired inverse shares it
    user_name: str | None = None

    @property
    def spec(self) -> Spec:
        return self._spec

    def __post_init__(self) -> None:
        self._spec: Spec = (self.category, self.type_id)

    def as_label(self) -> dict[str, Any]:
        return {"category": self.category, "typeId": self.type_id, "label": self.label}


class AssociationTypes:
    """The association types of one account, by direction; :class:`~._state.AccountState` builds on them.

    Callers hold the account's lock, as for every state method.
    """

    #: ``(from type, to type) -> {(category, type id): definition}``
    defs: dict[tuple[str, str], dict[Spec, Definition]]
    #: the unlabeled (default) definition of each direction, for constant-time lookups
    unlabeled: dict[tuple[str, str], Definition]
    next_user_type_id: int
    next_lazy_type_id: int
    hubspot_ids: set[int]

    def reset_types(self) -> None:
        """HubSpot's table of types only: no user labels, no types created on demand."""
        self.defs = {}
        self.unlabeled = {}
        self.next_user_type_id = 1
        self.next_lazy_type_id = _LAZY_TYPE_ID_START
        self.hubspot_ids = {p.type_id for p in DEFINED_PAIRS} | {p.inverse_id for p in DEFINED_PAIRS}
        for pair in DEFINED_PAIRS:
            self._define_hubspot_pair(
                pair.from_type,
                pair.to_type,
                pair.type_id,
                pair.inverse_id,
                pair.label,
                pair.inverse_label,
                pair.primary,
                pair.name,
                pair.inverse_name,
            )

    def _define_hubspot_pair(
        self,
        from_type: str,
        to_type: str,
        type_id: int,
        inverse_id: int,
        label: str | None,
        inverse_label: str | None,
        primary: bool,
        name: str | None,
        inverse_name: str | None,
    ) -> None:
        unlabeled = label is None
        fwd = Definition(
            HUBSPOT_DEFINED,
            type_id,
            from_type,
            to_type,
            label,
            name or f"{object_name(from_type)}_to_{object_name(to_type)}",
            inverse_id,
            unlabeled=unlabeled,
            primary=primary,
        )
        self.defs.setdefault((from_type, to_type), {})[fwd.spec] = fwd
        if unlabeled:
            self.unlabeled[(from_type, to_type)] = fwd
        if (from_type, to_type) == (to_type, from_type) and type_id == inverse_id:
            return
        inv = Definition(
            HUBSPOT_DEFINED,
            inverse_id,
            to_type,
            from_type,
            inverse_label,
            inverse_name or f"{object_name(to_type)}_to_{object_name(from_type)}",
            type_id,
            unlabeled=unlabeled,
            primary_inverse=primary,
        )
        self.defs.setdefault((to_type, from_type), {})[inv.spec] = inv
        if unlabeled:
            self.unlabeled[(to_type, from_type)] = inv

    # ------------------------------------------------------------------ definitions
    def pair_definitions(self, from_type: str, to_type: str) -> list[Definition]:
        """Definitions of one direction, HubSpot-defined first (ids ascending), then user labels."""
        self.unlabeled_definition(from_type, to_type)
        defs = self.defs.get((from_type, to_type), {}).values()
        return sorted(defs, key=lambda d: (d.category != HUBSPOT_DEFINED, d.type_id))

    def unlabeled_definition(self, from_type: str, to_type: str) -> Definition:
        """The pair's default type; pairs absent from HubSpot's table get one lazily (custom objects)."""
        cached = self.unlabeled.get((from_type, to_type))
        if cached is not None:
            return cached
        type_id = self.next_lazy_type_id
        inverse_id = type_id if from_type == to_type else type_id + 1
        self.next_lazy_type_id += 1 if from_type == to_type else 2
        self._define_hubspot_pair(from_type, to_type, type_id, inverse_id, None, None, False, None, None)
        return self.defs[(from_type, to_type)][(HUBSPOT_DEFINED, type_id)]

    def definition(self, from_type: str, to_type: str, spec: Spec) -> Definition:
        self.unlabeled_definition(from_type, to_type)
        found = self.defs.get((from_type, to_type), {}).get(spec)
        if found is None:
            text = f"{spec[0]}={spec[1]}"
            raise StateError(
                "invalid_type",
                "One or more associations are invalid",
                {
                    "associationSpec": [text],
                    "INVALID_ASSOCIATION_TYPE_ID": [f"{text} is not a valid association definition id"],
                },
            )
        return found

    def definition_by_name(self, from_type: str, to_type: str, name: str) -> Definition | None:
        for definition in self.pair_definitions(from_type, to_type):
            if definition.name == name:
                return definition
        return None

    def create_label(
        self, from_type: str, to_type: str, name: str, label: str, inverse_label: str | None = None
    ) -> list[Definition]:
        """Create a user-defined label; a paired label (``inverse_label``) gets a second id for the inverse."""
        _check_lengths(name=name, label=label, inverseLabel=inverse_label)
        if not name or not _LABEL_NAME.match(name):
            raise StateError(
                "validation",
                f"Invalid label name '{name}': a name may contain letters, digits and "
                "underscores and cannot start with a digit.",
                {"name": [name]},
            )
        if not label:
            raise StateError("validation", "label is required", {"label": [""]})
        unsupported = [t for t in (from_type, to_type) if t not in LABEL_OBJECT_TYPES and not t.startswith("2-")]
        if unsupported:
            raise StateError(
                "validation",
                f"Association labels are not supported between {object_name(from_type)} "
                f"and {object_name(to_type)}: labels are supported between contacts, companies, deals, "
                "tickets and custom objects.",
                {"objectType": [object_name(t) for t in unsupported]},
            )
        existing = [d for d in self.defs.get((from_type, to_type), {}).values() if d.category == USER_DEFINED]
        if any(d.user_name == name for d in existing):
            raise StateError("conflict", f"An association label with name {name} already exists.", {"name": [name]})
        if len(existing) >= MAX_LABELS_PER_PAIR:
            raise StateError(
                "validation",
                f"You can have at most {MAX_LABELS_PER_PAIR} association labels between "
                f"{object_name(from_type)} and {object_name(to_type)}.",
            )
        self.unlabeled_definition(from_type, to_type)
        self.unlabeled_definition(to_type, from_type)
        fwd_id = self._allocate_user_id()
        if inverse_label is None:
            fwd = Definition(USER_DEFINED, fwd_id, from_type, to_type, label, name, fwd_id, user_name=name)
            self.defs.setdefault((from_type, to_type), {})[fwd.spec] = fwd
            if from_type != to_type:
                back = Definition(USER_DEFINED, fwd_id, to_type, from_type, label, name, fwd_id, user_name=name)
                self.defs.setdefault((to_type, from_type), {})[back.spec] = back
            return [fwd]
        inv_id = self._allocate_user_id()
        fwd = Definition(USER_DEFINED, fwd_id, from_type, to_type, label, name, inv_id, user_name=name)
        inv = Definition(USER_DEFINED, inv_id, to_type, from_type, inverse_label, name, fwd_id, user_name=name)
        self.defs.setdefault((from_type, to_type), {})[fwd.spec] = fwd
        self.defs.setdefault((to_type, from_type), {})[inv.spec] = inv
        return [inv, fwd]

    def _allocate_user_id(self) -> int:
        """Next account-unique label id, skipping ids HubSpot defines so a typeId is never ambiguous in a pair."""
        while self.next_user_type_id in self.hubspot_ids:
            self.next_user_type_id += 1
        self.next_user_type_id += 1
        return self.next_user_type_id - 1

    def _user_definition(self, from_type: str, to_type: str, type_id: int) -> Definition:
        spec = (USER_DEFINED, type_id)
        found = self.defs.get((from_type, to_type), {}).get(spec)
        if found is None:
            hubspot = self.defs.get((from_type, to_type), {}).get((HUBSPOT_DEFINED, type_id))
            if hubspot is not None:
                raise StateError(
                    "validation",
                    f"Association type {type_id} is defined by HubSpot and cannot be changed or deleted.",
                    {"associationTypeId": [str(type_id)]},
                )
            raise StateError(
                "not_found",
                f"No association label with id {type_id} exists between "
                f"{object_name(from_type)} and {object_name(to_type)}.",
                {"associationTypeId": [str(type_id)]},
            )
        return found

    def update_label(
        self, from_type: str, to_type: str, type_id: int, label: str, inverse_label: str | None = None
    ) -> None:
        definition = self._user_definition(from_type, to_type, type_id)
        if not label:
            raise StateError("validation", "label is required", {"label": [""]})
        _check_lengths(label=label, inverseLabel=inverse_label)
        definition.label = label
        inverse = self.defs.get((to_type, from_type), {}).get((USER_DEFINED, definition.inverse_id))
        if inverse is not None:
            if inverse.type_id == definition.type_id:
                inverse.label = label
            elif inverse_label is not None:
                inverse.label = inverse_label

    def labels_of(self, from_type: str, to_type: str, specs: Iterable[Spec]) -> list[str]:
        """Non-null label texts of a set of types of one direction, ordered by (category, typeId)."""
        pair = self.defs.get((from_type, to_type), {})
        labels = (pair[s].label for s in sorted(specs) if s in pair)
        return [label for label in labels if label is not None]


def _check_lengths(**fields: str | None) -> None:
    """Refuse a label name or text longer than the bounds (the error names the field and both lengths)."""
    for name, value in fields.items():
        bound = MAX_LABEL_NAME_LENGTH if name == "name" else MAX_LABEL_TEXT_LENGTH
        if isinstance(value, str) and len(value) > bound:
            raise StateError(
                "validation",
                f"Invalid {name}: {len(value)} characters; the maximum is {bound}.",
                {name: [f"{value[:40]}..."], "maxLength": [str(bound)]},
            )
