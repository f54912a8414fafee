"""The emulated HubSpot account: records, association definitions (types/labels), associations, limits.

Pure data and rules, no HTTP. Every public method expects the caller to hold :attr:`AccountState.lock`
(the HTTP layer takes it once per request, so a batch is applied atomically as HubSpot's are).

Rules implemented (each from HubSpot's documentation, see the reference sections named):

* Associations are visible from both sides: adding type ``t`` on A->B adds ``t``'s inverse on B->A (§4, §15.2).
* The pair's unlabeled (default) type is always present once two records are associated, alongside any
  label; removing the unlabeled type removes the whole association (§4, §5).
* Paired user labels get two account-unique ids (one per direction). An unpaired label is visible from the
  other side under the same id and text (HubSpot shows single labels on both records; our choice of id).
* The first company associated with a contact, deal or ticket becomes its primary company; a record has at
  most one primary company; setting another primary moves it (§4, [DOC-SCHEMA]).
* Configured limits (``userEnforcedMaxToObjectIds``) are enforced for new associations only (§7).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ._types import COMPANY, DEFINED_PAIRS, PRIMARY_COMPANY_TYPES, object_name

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


@dataclass
class AccountState:
    """Everything the emulated account holds. ``reset()`` brings it back to a fresh account."""

    auto_records: bool = True
    auto_record_max: int = 10**12
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.reset()

    # ------------------------------------------------------------------ set-up
    def reset(self) -> None:
        self.records: dict[str, set[int]] = {}
        self.defs: dict[tuple[str, str], dict[Spec, Definition]] = {}
        #: the unlabeled (default) definition of each direction, for constant-time lookups
        self.unlabeled: dict[tuple[str, str], Definition] = {}
        self.edges: dict[tuple[str, int, str], dict[int, set[Spec]]] = {}
        #: (record type, record id, company type, primary type id) -> the primary company's id
        self.primary_of: dict[tuple[str, int, str, int], int] = {}
        self.limits: dict[tuple[str, str, str, int], int] = {}
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

    # ------------------------------------------------------------------ records
    def create_records(self, object_type: str, ids: Iterable[int]) -> None:
        self.records.setdefault(object_type, set()).update(int(i) for i in ids)

    def delete_records(self, object_type: str, ids: Iterable[int]) -> None:
        """Remove records (and every association they have), e.g. to test missing-record errors."""
        gone = {int(i) for i in ids}
        self.records.setdefault(object_type, set()).difference_update(gone)
        for key in [k for k in self.edges if k[0] == object_type and k[1] in gone]:
            for to_id in list(self.edges.get(key, {})):
                self.remove_pair(key[0], key[1], key[2], to_id)

    def record_exists(self, object_type: str, object_id: int) -> bool:
        if object_id in self.records.get(object_type, ()):
            return True
        return self.auto_records and 1 <= object_id <= self.auto_record_max

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

    def delete_label(self, from_type: str, to_type: str, type_id: int) -> None:
        definition = self._user_definition(from_type, to_type, type_id)
        for key, targets in self.edges.items():
            if key[0] == from_type and key[2] == to_type and any(definition.spec in s for s in targets.values()):
                raise StateError(
                    "validation",
                    f"Association label {type_id} is in use; remove it from all records before deleting it.",
                    {"associationTypeId": [str(type_id)]},
                )
        del self.defs[(from_type, to_type)][definition.spec]
        inverse = self.defs.get((to_type, from_type), {}).get((USER_DEFINED, definition.inverse_id))
        if inverse is not None and (to_type, from_type, inverse.type_id) != (from_type, to_type, type_id):
            del self.defs[(to_type, from_type)][inverse.spec]

    # ------------------------------------------------------------------ associations
    def types_between(self, from_type: str, from_id: int, to_type: str, to_id: int) -> set[Spec]:
        return self.edges.get((from_type, from_id, to_type), {}).get(to_id, set())

    def targets(self, from_type: str, from_id: int, to_type: str) -> dict[int, set[Spec]]:
        return self.edges.get((from_type, from_id, to_type), {})

    def check_records(self, from_type: str, from_id: int, to_type: str, to_id: int) -> None:
        bad = [(t, i) for t, i in ((from_type, from_id), (to_type, to_id)) if not self.record_exists(t, i)]
        if bad:
            texts = [f"{object_name(t).upper()}={i} is not valid" for t, i in bad]
            raise StateError(
                "invalid_object",
                "One or more associations are invalid",
                {
                    "INVALID_OBJECT_IDS": texts,
                    "objectId": [str(i) for _, i in bad],
                    "objectType": [object_name(t).upper() for t, _ in bad],
                },
                sub_category="crm.associations.INVALID_OBJECT_IDS",
            )

    def labels_between(self, from_type: str, from_id: int, to_type: str, to_id: int) -> list[str]:
        """Non-null label texts of the pair (what ``LabelsBetweenObjectPair.labels`` reports)."""
        return self.labels_of(from_type, to_type, self.types_between(from_type, from_id, to_type, to_id))

    def labels_of(self, from_type: str, to_type: str, specs: Iterable[Spec]) -> list[str]:
        """Non-null label texts of a set of types of one direction, ordered by (category, typeId)."""
        pair = self.defs.get((from_type, to_type), {})
        labels = (pair[s].label for s in sorted(specs) if s in pair)
        return [label for label in labels if label is not None]

    def apply_types(
        self, from_type: str, from_id: int, to_type: str, to_id: int, specs: Iterable[Spec], *, replace: bool
    ) -> None:
        """Set (``replace``) or add types on a pair, with inverses, primary moves and limits.

        Validates everything first so a rejected call changes nothing.
        """
        wanted = [self.definition(from_type, to_type, s) for s in specs]
        self.check_records(from_type, from_id, to_type, to_id)
        unlabeled = self.unlabeled_definition(from_type, to_type)
        current = set(self.types_between(from_type, from_id, to_type, to_id))
        target = {d.spec for d in wanted} | {unlabeled.spec}
        if not replace:
            target |= current
        adding = list({d.spec: d for d in [unlabeled, *wanted] if d.spec not in current}.values())
        for definition in adding:
            self._check_limit(definition, from_id, to_id)
        is_new = not current
        for spec in current - target:
            self._remove_type(from_type, from_id, to_type, to_id, self.defs[(from_type, to_type)][spec])
        for definition in adding:
            self._add_type(from_type, from_id, to_type, to_id, definition)
        if is_new:
            self._auto_primary(from_type, from_id, to_type, to_id)

    def pair_writer(
        self, from_type: str, to_type: str, specs: list[Spec], *, replace: bool
    ) -> Callable[[int, int], frozenset[Spec]]:
        """``apply_types`` for many pairs of one direction with the same specs; returns the pair's types after.

        Batches write thousands of pairs with one spec list: the definitions, targets and inverses are looked
        up once here. A new pair without limits or primary types is written directly; everything else (an
        existing pair whose types change, configured limits, primary labels) goes through :meth:`apply_types`,
        so the rules stay in one place. Valid while the caller holds the lock.
        """
        wanted = [self.definition(from_type, to_type, s) for s in specs]
        unlabeled = self.unlabeled_definition(from_type, to_type)
        target = frozenset({d.spec for d in wanted} | {unlabeled.spec})
        inverse_pair = self.defs[(to_type, from_type)]
        inverse_target = frozenset(inverse_pair[(d.category, d.inverse_id)].spec for d in [unlabeled, *wanted])
        direct = not self.limits and not any(d.primary or d.primary_inverse for d in wanted)
        # _auto_primary for new pairs, inline: the first company of a contact/deal/ticket becomes its primary
        owner_is_from = to_type == COMPANY and from_type in PRIMARY_COMPANY_TYPES
        owner_type = from_type if owner_is_from else to_type
        primary_id = PRIMARY_COMPANY_TYPES.get(owner_type) if COMPANY in (from_type, to_type) else None
        if primary_id is not None and owner_type != COMPANY:
            primary = self.defs[(owner_type, COMPANY)][(HUBSPOT_DEFINED, primary_id)]
            primary_back = self.defs[(COMPANY, owner_type)][(HUBSPOT_DEFINED, primary.inverse_id)].spec
            forward_extra, back_extra = (primary.spec, primary_back) if owner_is_from else (primary_back, primary.spec)
            with_primary = target | {forward_extra}
        else:
            primary_id, with_primary = None, target
        primary_of, edges, auto, highest = self.primary_of, self.edges, self.auto_records, self.auto_record_max
        from_records, to_records = self.records.get(from_type, ()), self.records.get(to_type, ())

        def write(from_id: int, to_id: int) -> frozenset[Spec]:
            key = (from_type, from_id, to_type)
            targets = edges.get(key)
            current = targets.get(to_id) if targets is not None else None
            exist = ((auto and 1 <= from_id <= highest) or from_id in from_records) and (
                (auto and 1 <= to_id <= highest) or to_id in to_records
            )
            if direct and exist:
                if not current:
                    if targets is None:
                        targets = edges[key] = {}
                    current = targets[to_id] = set(target)
                    back_key = (to_type, to_id, from_type)
                    back_targets = edges.get(back_key)
                    if back_targets is None:
                        back_targets = edges[back_key] = {}
                    back = back_targets.get(from_id)
                    if back is None:
                        back = back_targets[from_id] = set(inverse_target)
                    else:
                        back.update(inverse_target)
                    if primary_id is not None:
                        owner = (
                            (from_type, from_id, COMPANY, primary_id)
                            if owner_is_from
                            else (to_type, to_id, COMPANY, primary_id)
                        )
                        if owner not in primary_of:
                            primary_of[owner] = to_id if owner_is_from else from_id
                            current.add(forward_extra)
                            back.add(back_extra)
                            return with_primary
                    return target
                if replace and current == target:
                    return target
                if not replace and target <= current:
                    return frozenset(current)
            self.apply_types(from_type, from_id, to_type, to_id, specs, replace=replace)
            return frozenset(self.types_between(from_type, from_id, to_type, to_id))

        return write

    def _check_limit(self, definition: Definition, from_id: int, to_id: int) -> None:
        if not self.limits:
            return
        inverse = self.defs[(definition.to_type, definition.from_type)][(definition.category, definition.inverse_id)]
        for d, record, other in ((definition, from_id, to_id), (inverse, to_id, from_id)):
            limit = self.limits.get((d.from_type, d.to_type, d.category, d.type_id))
            if limit is None:
                continue
            targets = self.edges.get((d.from_type, record, d.to_type), {})
            used = sum(1 for t, specs in targets.items() if d.spec in specs and t != other)
            if used >= limit:
                raise StateError(
                    "limit",
                    f"{object_name(d.from_type).upper()}={record} has reached the association limit of {limit} "
                    f"for association type {d.category}={d.type_id}.",
                    {"fromObjectId": [str(record)], "associationTypeId": [str(d.type_id)], "limit": [str(limit)]},
                    sub_category="crm.associations.ASSOCIATION_LIMIT_EXCEEDED",
                )

    def _add_type(self, from_type: str, from_id: int, to_type: str, to_id: int, definition: Definition) -> None:
        inverse = self.defs[(to_type, from_type)][(definition.category, definition.inverse_id)]
        if definition.primary_inverse:
            # a primary is always recorded from the record that owns it (contact/deal/ticket -> company)
            from_type, from_id, to_type, to_id = to_type, to_id, from_type, from_id
            definition, inverse = inverse, definition
        if definition.primary:
            previous = self.primary_of.get((from_type, from_id, to_type, definition.type_id))
            if previous is not None and previous != to_id:
                self._discard(from_type, from_id, to_type, previous, definition)
                self._discard(to_type, previous, from_type, from_id, inverse)
            self.primary_of[(from_type, from_id, to_type, definition.type_id)] = to_id
        self.edges.setdefault((from_type, from_id, to_type), {}).setdefault(to_id, set()).add(definition.spec)
        self.edges.setdefault((to_type, to_id, from_type), {}).setdefault(from_id, set()).add(inverse.spec)

    def _discard(self, from_type: str, from_id: int, to_type: str, to_id: int, definition: Definition) -> None:
        targets = self.edges.get((from_type, from_id, to_type))
        if targets is None or to_id not in targets:
            return
        targets[to_id].discard(definition.spec)
        if definition.primary and self.primary_of.get((from_type, from_id, to_type, definition.type_id)) == to_id:
            del self.primary_of[(from_type, from_id, to_type, definition.type_id)]

    def _remove_type(self, from_type: str, from_id: int, to_type: str, to_id: int, definition: Definition) -> None:
        if definition.unlabeled:
            self.remove_pair(from_type, from_id, to_type, to_id)
            return
        inverse = self.defs[(to_type, from_type)][(definition.category, definition.inverse_id)]
        self._discard(from_type, from_id, to_type, to_id, definition)
        self._discard(to_type, to_id, from_type, from_id, inverse)

    def _auto_primary(self, from_type: str, from_id: int, to_type: str, to_id: int) -> None:
        """First company of a contact/deal/ticket becomes its primary (either side may be the company)."""
        if COMPANY not in (from_type, to_type):
            return
        for record_type, record_id, other_type, other_id in (
            (from_type, from_id, to_type, to_id),
            (to_type, to_id, from_type, from_id),
        ):
            primary_id = PRIMARY_COMPANY_TYPES.get(record_type)
            if other_type != COMPANY or primary_id is None:
                continue
            if (record_type, record_id, COMPANY, primary_id) in self.primary_of:
                continue
            definition = self.defs[(record_type, COMPANY)][(HUBSPOT_DEFINED, primary_id)]
            self._add_type(record_type, record_id, COMPANY, other_id, definition)

    def remove_types(self, from_type: str, from_id: int, to_type: str, to_id: int, specs: Iterable[Spec]) -> None:
        """Remove the given types; removing the unlabeled type removes the association (labels archive)."""
        definitions = [self.definition(from_type, to_type, s) for s in specs]
        for definition in definitions:
            if definition.spec in self.types_between(from_type, from_id, to_type, to_id):
                self._remove_type(from_type, from_id, to_type, to_id, definition)

    def remove_pair(self, from_type: str, from_id: int, to_type: str, to_id: int) -> None:
        """Remove every association between two records, both directions (records are kept)."""
        for a_type, a_id, b_type, b_id in ((from_type, from_id, to_type, to_id), (to_type, to_id, from_type, from_id)):
            targets = self.edges.get((a_type, a_id, b_type))
            if targets is None:
                continue
            specs = targets.pop(b_id, set())
            if not targets:
                del self.edges[(a_type, a_id, b_type)]
            pair = self.defs.get((a_type, b_type), {})
            for spec in specs:
                definition = pair.get(spec)
                if definition is not None and definition.primary:
                    key = (a_type, a_id, b_type, definition.type_id)
                    if self.primary_of.get(key) == b_id:
                        del self.primary_of[key]

    def primary_company(self, object_type: str, object_id: int) -> int | None:
        type_id = PRIMARY_COMPANY_TYPES.get(object_type)
        if type_id is None:
            return None
        return self.primary_of.get((object_type, object_id, COMPANY, type_id))

    def view(self, from_type: str, from_id: int, to_type: str) -> dict[int, list[dict[str, Any]]]:
        """``{to_id: [{"category", "typeId", "label"}, ...]}`` for tests and the Python API."""
        pair = self.defs.get((from_type, to_type), {})
        out: dict[int, list[dict[str, Any]]] = {}
        for to_id in sorted(self.targets(from_type, from_id, to_type)):
            specs = sorted(
                self.targets(from_type, from_id, to_type)[to_id], key=lambda s: (s[0] != HUBSPOT_DEFINED, s[1])
            )
            out[to_id] = [pair[s].as_label() for s in specs]
        return out

    # ------------------------------------------------------------------ limit configurations
    def set_limit(self, from_type: str, to_type: str, spec: Spec, maximum: int, *, create: bool) -> Definition:
        definition = self.definition(from_type, to_type, spec)
        key = (from_type, to_type, spec[0], spec[1])
        if create and key in self.limits:
            raise StateError(
                "conflict",
                f"A limit is already configured for {spec[0]}={spec[1]}; use batch/update.",
                {"typeId": [str(spec[1])]},
            )
        if not create and key not in self.limits:
            raise StateError(
                "not_found",
                f"No limit is configured for {spec[0]}={spec[1]}; use batch/create.",
                {"typeId": [str(spec[1])]},
            )
        if not 1 <= maximum <= 10_000:
            raise StateError(
                "validation",
                f"Invalid maxToObjectIds {maximum}: the valid range is 1-10000.",
                {"maxToObjectIds": [str(maximum)]},
            )
        self.limits[key] = maximum
        return definition

    def purge_limit(self, from_type: str, to_type: str, spec: Spec) -> None:
        self.definition(from_type, to_type, spec)
        self.limits.pop((from_type, to_type, spec[0], spec[1]), None)

    # ------------------------------------------------------------------ dump
    def dump(self) -> dict[str, Any]:
        labels = [
            {
                "fromObjectTypeId": d.from_type,
                "toObjectTypeId": d.to_type,
                "category": d.category,
                "typeId": d.type_id,
                "label": d.label,
                "name": d.name,
                "inverseTypeId": d.inverse_id,
            }
            for (_, _), defs in sorted(self.defs.items())
            for d in defs.values()
            if d.category == USER_DEFINED
        ]
        associations = []
        for (from_type, from_id, to_type), targets in sorted(self.edges.items()):
            for to_id, specs in sorted(targets.items()):
                associations.append(
                    {
                        "fromObjectTypeId": from_type,
                        "fromObjectId": from_id,
                        "toObjectTypeId": to_type,
                        "toObjectId": to_id,
                        "types": [{"category": c, "typeId": t} for c, t in sorted(specs)],
                    }
                )
        return {
            "records": {t: sorted(ids) for t, ids in sorted(self.records.items())},
            "autoRecords": {"enabled": self.auto_records, "max": self.auto_record_max},
            "labels": labels,
            "associations": associations,
            "limits": [
                {"fromObjectTypeId": f, "toObjectTypeId": t, "category": c, "typeId": i, "max": m}
                for (f, t, c, i), m in sorted(self.limits.items())
            ],
        }


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
