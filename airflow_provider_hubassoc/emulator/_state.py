"""The emulated HubSpot account: records, associations, primary companies and limits, over its association
types (``_association_types.py``).

Pure data and rules, no HTTP. Every public method expects the caller to hold :attr:`AccountState.lock`
(the HTTP layer takes it once per request, so a batch is applied atomically as HubSpot's are).

Rules implemented (each from HubSpot's documentation, see the reference sections named):

* Associations are visible from both sides: adding type ``t`` on A->B adds ``t``'s inverse on B->A (§4, §15.2).
* The pair's unlabeled (default) type is always present once two records are associated, alongside any
  label; removing the unlabeled type removes the whole association (§4, §5).
* The first company associated with a contact, deal or ticket becomes its primary company; a record has at
  most one primary company; setting another primary moves it (§4, [DOC-SCHEMA]).
* Configured limits (``userEnforcedMaxToObjectIds``) are enforced for new associations only (§7).
* A user label in use on any record cannot be deleted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ._association_types import (
    CATEGORIES,
    HUBSPOT_DEFINED,
    LABEL_OBJECT_TYPES,
    MAX_LABEL_NAME_LENGTH,
    MAX_LABEL_TEXT_LENGTH,
    MAX_LABELS_PER_PAIR,
    USER_DEFINED,
    AssociationTypes,
    Definition,
    Spec,
    StateError,
)
from ._records import RecordStore
from ._types import COMPANY, PRIMARY_COMPANY_TYPES, object_name

__all__ = [  # the association types' names moved to _association_types.py, kept importable from here
    "CATEGORIES",
    "HUBSPOT_DEFINED",
    "LABEL_OBJECT_TYPES",
    "MAX_LABELS_PER_PAIR",
    "MAX_LABEL_NAME_LENGTH",
    "MAX_LABEL_TEXT_LENGTH",
    "USER_DEFINED",
    "AccountState",
    "Definition",
    "Spec",
    "StateError",
]


@dataclass
class AccountState(AssociationTypes):
    """Everything the emulated account holds. ``reset()`` brings it back to a fresh account."""

    auto_records: bool = True
    auto_record_max: int = 10**12
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.reset()

    # ------------------------------------------------------------------ set-up
    def reset(self) -> None:
        self.reset_types()
        self.records: dict[str, set[int]] = {}
        self.edges: dict[tuple[str, int, str], dict[int, set[Spec]]] = {}
        #: (record type, record id, company type, primary type id) -> the primary company's id
        self.primary_of: dict[tuple[str, int, str, int], int] = {}
        self.limits: dict[tuple[str, str, str, int], int] = {}
        #: records with properties (the CRM objects API), see ``_records.py``
        self.objects = RecordStore(self)

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

    # ------------------------------------------------------------------ labels in use
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
        so the rules stay in one place. Valid while the caller holds the lock. Longer than most on purpose: the
        closure reads every lookup from its own locals (the hot loop of bulk loads).
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
