"""Association labels as code: make HubSpot's label definitions match a list kept in the DAG's repository."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from airflow_provider_hubassoc._compat import AirflowFailException, Context
from airflow_provider_hubassoc._inputs import check_object_types
from airflow_provider_hubassoc.exceptions import HubSpotError, HubSpotInputError
from airflow_provider_hubassoc.hooks._validation import label_length_problem, shown
from airflow_provider_hubassoc.links.associations import HubSpotRecordsLink
from airflow_provider_hubassoc.operators._base import HubSpotBaseOperator
from airflow_provider_hubassoc.operators._ending import summary_on_failure
from airflow_provider_hubassoc.operators._lineage import declare, labels_uri, record_events

if TYPE_CHECKING:
    from airflow_provider_hubassoc.hooks.models import AssociationType

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FIELDS = {"from_object_type", "to_object_type", "name", "label", "inverse_label", "type_id", "previous_labels"}
#: HubSpot allows 10 user-defined labels per object pair
MAX_LABELS_PER_PAIR = 10
#: XCom keys of the operator besides one per label name (``multiple_outputs``): not usable as names
RESERVED_NAMES = frozenset({"return_value", "inverse_type_ids", "plan"})


@dataclass(frozen=True)
class LabelDefinition:
    """One desired label between two object types.

    :param name: internal name (letters, digits, underscores; HubSpot never changes it): the key of the
        returned name → type id map.
    :param label: the label text shown in HubSpot.
    :param inverse_label: for a paired label, the text of the other direction.
    :param type_id: pin the definition to an existing label (then ``label`` may rename it).
    :param previous_labels: earlier texts of this label, so a rename is an update and not a new label.
    """

    index: int
    from_object_type: str
    to_object_type: str
    name: str
    label: str
    inverse_label: str | None = None
    type_id: int | None = None
    previous_labels: tuple[str, ...] = field(default=())

    @property
    def pair(self) -> tuple[str, str]:
        return (self.from_object_type, self.to_object_type)


def parse_definitions(value: Any) -> list[LabelDefinition]:
    """Validate label definitions (a list of mappings, or JSON text of one); errors name the entry and field."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as error:
            raise HubSpotInputError(f"definitions: not valid JSON ({error})", field="definitions") from None
    if isinstance(value, Mapping) and isinstance(value.get("labels"), list):
        value = value["labels"]
    if not isinstance(value, (list, tuple)):
        raise HubSpotInputError("definitions must be a list of label definitions", field="definitions")
    parsed = [_parse_definition(index, item) for index, item in enumerate(value)]
    _check_unique(parsed)
    return parsed


def _parse_definition(index: int, item: Any) -> LabelDefinition:
    """One entry of the definitions, checked field by field; errors name the entry and field."""
    where = f"definitions[{index}]"
    if not isinstance(item, Mapping):
        raise HubSpotInputError(f"{where}: expected an object, got {item!r}", field="definitions")
    unknown = set(item) - _FIELDS
    if unknown:
        raise HubSpotInputError(
            f"{where}: unknown field(s) {sorted(unknown)}; known: {sorted(_FIELDS)}", field=sorted(unknown)[0]
        )
    _check_texts(where, item)
    inverse = item.get("inverse_label")
    if inverse is not None and (not isinstance(inverse, str) or not inverse.strip()):
        raise HubSpotInputError(f"{where}: inverse_label must be a non-empty string or absent", field="inverse_label")
    type_id = item.get("type_id")
    if type_id is not None and (isinstance(type_id, bool) or not isinstance(type_id, int) or type_id < 1):
        raise HubSpotInputError(f"{where}: type_id must be a positive integer", field="type_id")
    previous = item.get("previous_labels") or ()
    if not isinstance(previous, (list, tuple)) or not all(isinstance(p, str) and p.strip() for p in previous):
        raise HubSpotInputError(f"{where}: previous_labels must be a list of label texts", field="previous_labels")
    for position, text in enumerate(previous):  # matched against HubSpot's texts: the same rule as a label's
        problem = label_length_problem(text, what="label")
        if problem:
            raise HubSpotInputError(
                f"{where}: field 'previous_labels'[{position}]: {problem}: {shown(text)}", field="previous_labels"
            )
    return LabelDefinition(
        index,
        item["from_object_type"].strip(),
        item["to_object_type"].strip(),
        item["name"],
        item["label"],
        inverse,
        type_id,
        tuple(previous),
    )


def _check_texts(where: str, item: Mapping[str, Any]) -> None:
    """The text fields of one definition: present, within HubSpot's lengths, a valid and free name."""
    for key in ("from_object_type", "to_object_type", "name", "label"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise HubSpotInputError(f"{where}: field {key!r} must be a non-empty string", field=key)
    try:  # the shared rule of object types: ASCII only (``2-1٢٣`` is no type id)
        check_object_types(item["from_object_type"], item["to_object_type"])
    except ValueError as error:
        key = "from_object_type" if str(error).startswith("from_object_type") else "to_object_type"
        raise HubSpotInputError(f"{where}: field {error}", field=key) from None
    for key in ("name", "label", "inverse_label"):
        too_long = (
            label_length_problem(item[key], what=key if key == "name" else "label")
            if isinstance(item.get(key), str)
            else None
        )
        if too_long:
            raise HubSpotInputError(f"{where}: field {key!r}: {too_long}: {shown(item[key])}", field=key)
    if not _NAME.fullmatch(item["name"]):
        raise HubSpotInputError(
            f"{where}: name {item['name']!r} must be letters, digits and underscores, "
            "not starting with a digit (HubSpot's rule)",
            field="name",
        )
    if item["name"] in RESERVED_NAMES:
        raise HubSpotInputError(
            f"{where}: name {item['name']!r} is one of the operator's own XCom keys "
            f"{sorted(RESERVED_NAMES)}; choose another name",
            field="name",
        )


def _check_unique(parsed: list[LabelDefinition]) -> None:
    """Names unique overall; per object pair at most HubSpot's limit of labels, and no label text twice."""
    names: dict[str, int] = {}
    per_pair: dict[tuple[str, str], list[LabelDefinition]] = {}
    for definition in parsed:
        if definition.name in names:
            raise HubSpotInputError(
                f"definitions[{definition.index}]: name {definition.name!r} is already used by "
                f"definitions[{names[definition.name]}] (the returned name → type id map needs unique names)",
                field="name",
            )
        names[definition.name] = definition.index
        per_pair.setdefault(definition.pair, []).append(definition)
    for pair, group in per_pair.items():
        if len(group) > MAX_LABELS_PER_PAIR:
            extra = group[MAX_LABELS_PER_PAIR]
            raise HubSpotInputError(
                f"definitions[{extra.index}]: {len(group)} labels from {pair[0]} to {pair[1]}: "
                f"HubSpot allows {MAX_LABELS_PER_PAIR} per object pair",
                field="definitions",
            )
        texts: dict[str, int] = {}
        for d in group:
            first = texts.setdefault(d.label.casefold(), d.index)
            if first != d.index:
                raise HubSpotInputError(
                    f"definitions[{d.index}]: field 'label' {d.label!r} from {pair[0]} to "
                    f"{pair[1]} is already used by definitions[{first}]",
                    field="label",
                )


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.casefold() == b.casefold()


@dataclass
class _Step:
    action: str  # create | update | delete | keep
    definition: LabelDefinition | None
    type_id: int | None = None
    current: str | None = None
    inverse_id: int | None = None
    pair: tuple[str, str] | None = None  # of a delete

    def describe(self) -> str:
        if self.definition is None:
            where = f"{self.pair[0]}→{self.pair[1]}" if self.pair else ""
            return (
                f"delete {where} label {self.current!r} (type id {self.type_id}): not in the definitions (prune=True)"
            )
        d = self.definition
        pair = f"{d.from_object_type}→{d.to_object_type}"
        texts = repr(d.label) + (f" / inverse {d.inverse_label!r}" if d.inverse_label else "")
        if self.action == "create":
            return f"create {pair} {d.name}: {texts}"
        if self.action == "update":
            return f"update {pair} {d.name} (type id {self.type_id}): {self.current!r} -> {texts}"
        return f"keep {pair} {d.name} (type id {self.type_id}): {texts}"


class HubSpotSyncLabelsOperator(HubSpotBaseOperator):
    """Keep association label definitions as code: create missing labels, update changed ones and, with
    ``prune=True``, delete labels of the managed object pairs that are not defined.

    ``definitions`` is a list of ``{"from_object_type", "to_object_type", "name", "label", "inverse_label"?,
    "type_id"?, "previous_labels"?}``, JSON text of one, or the path of a ``.json`` file next to the DAG (Airflow
    renders it into the file's content). HubSpot's label listing has no internal names, so an existing label
    is matched by ``type_id`` if given, else by its text (case-insensitive), else by one of
    ``previous_labels``; a paired label's inverse is checked by text on the other direction. The plan is logged
    before anything is written; ``dry_run`` stops there. A second run writes nothing.

    HubSpot-defined types (primary, unlabeled) are never touched; a label still in use cannot be deleted
    (HubSpot refuses; the task fails naming it).

    :return: ``{name: type id}`` of every definition (the forward direction; ``None`` for a label a dry run
        would create); each is also pushed to XCom under its name, so ``sync.output["name"]`` is one type id. XCom ``inverse_type_ids`` holds the inverse direction's ids of paired labels (``None``
        where a dry run would create the label or change its inverse text), ``plan`` the steps.
    """

    template_fields: Sequence[str] = ("definitions", "hubspot_conn_id")
    template_ext: Sequence[str] = (".json",)
    template_fields_renderers: ClassVar[dict[str, str]] = {"definitions": "json"}
    operator_extra_links = (HubSpotRecordsLink(),)

    def __init__(
        self, *, definitions: Any, prune: bool = False, dry_run: bool = False, allow_empty: bool = False, **kwargs: Any
    ) -> None:
        # each name's type id is also its own XCom, so ``task.output["name"]`` feeds a downstream task
        kwargs.setdefault("multiple_outputs", True)
        super().__init__(**kwargs)
        if not isinstance(allow_empty, bool):
            raise ValueError(f"allow_empty must be True or False, got {allow_empty!r}")  # noqa: TRY004 - bad options raise ValueError here, as every other option check does
        self.allow_empty = allow_empty
        if _literal(definitions, self.template_ext):  # a list or JSON text is checked at DAG parse time
            try:
                self._definitions(definitions)
            except HubSpotInputError as error:
                raise ValueError(error.message) from None
        self.definitions = definitions
        self.prune = prune
        self.is_dry_run = dry_run  # BaseOperator.dry_run() is a method: the argument is stored under another name
        if not dry_run and _literal(definitions, self.template_ext):  # a dry run changes nothing: no asset event
            declare(self, outlets=self.lineage_uris()[1])

    def lineage_uris(self) -> tuple[list[str], list[str]]:
        """Out: the label definitions of each object pair managed (``hubspot://<portal>/labels/<from>/<to>``)."""
        try:
            pairs = dict.fromkeys(d.pair for d in parse_definitions(self.definitions))
        except HubSpotInputError:
            return [], []
        return [], [labels_uri(self.portal, *pair) for pair in pairs]

    def _definitions(self, value: Any) -> list[LabelDefinition]:
        """Parsed definitions; none at all is an error unless ``allow_empty`` (the same rule as every operator)."""
        definitions = parse_definitions(value)
        if not definitions and not self.allow_empty:
            raise HubSpotInputError(
                "definitions is empty: nothing to do. An empty input fails the task so a broken "
                "upstream is noticed; pass allow_empty=True to accept it as a success",
                field="definitions",
            )
        return definitions

    def plan(self, definitions: list[LabelDefinition]) -> list[_Step]:
        """What to do, from the current labels (reads only)."""
        listings: dict[tuple[str, str], list[AssociationType]] = {}

        def user_types(f: str, t: str) -> list[AssociationType]:
            if (f, t) not in listings:
                listings[(f, t)] = [x for x in self.hook.list_labels(f, t) if x.category == "USER_DEFINED"]
            return listings[(f, t)]

        steps: list[_Step] = []
        claimed: dict[tuple[str, str], set[int | None]] = {}
        for d in definitions:
            current = user_types(*d.pair)
            taken = claimed.setdefault(d.pair, set())
            found = self._match(d, [x for x in current if x.type_id not in taken])
            if found is None:
                steps.append(_Step("create", d))
                continue
            taken.add(found.type_id)
            inverse_id = None
            changed = found.label != d.label
            if d.inverse_label is not None:
                reverse = user_types(d.to_object_type, d.from_object_type)
                inverse = next((x for x in reverse if x.type_id != found.type_id and x.label == d.inverse_label), None)
                if inverse is None:
                    changed = True
                else:
                    inverse_id = inverse.type_id
                    claimed.setdefault((d.to_object_type, d.from_object_type), set()).add(inverse.type_id)
            steps.append(_Step("update" if changed else "keep", d, found.type_id, found.label, inverse_id))
        if self.prune:
            for pair in dict.fromkeys(d.pair for d in definitions):
                unclaimed = (x for x in user_types(*pair) if x.type_id not in claimed.get(pair, set()))
                steps.extend(_Step("delete", None, x.type_id, x.label, pair=pair) for x in unclaimed)
        return steps

    @staticmethod
    def _match(d: LabelDefinition, current: list[AssociationType]) -> AssociationType | None:
        if d.type_id is not None:
            found = next((x for x in current if x.type_id == d.type_id), None)
            if found is None:
                raise HubSpotInputError(
                    f"definitions[{d.index}] ({d.name}): no user-defined label with type id "
                    f"{d.type_id} from {d.from_object_type} to {d.to_object_type}",
                    field="type_id",
                )
            return found
        for test in (
            lambda x: x.name == d.name,
            lambda x: x.label == d.label,
            lambda x: _same(x.label, d.label),
            lambda x: any(_same(x.label, p) for p in d.previous_labels),
        ):
            found = next((x for x in current if test(x)), None)
            if found is not None:
                return found
        return None

    def _inverse_id(self, d: LabelDefinition, step: _Step, steps: list[_Step]) -> int | None:
        """The inverse type id of a paired label whose inverse text was just updated (the plan could not match
        the old text): the other direction's label that now has the new text."""
        taken = {s.inverse_id for s in steps if s is not step and s.inverse_id is not None}
        reverse = self.hook.list_labels(d.to_object_type, d.from_object_type)
        return next(
            (
                x.type_id
                for x in reverse
                if x.category == "USER_DEFINED"
                and x.type_id != step.type_id
                and x.type_id not in taken
                and x.label == d.inverse_label
            ),
            None,
        )

    def _apply(self, step: _Step, steps: list[_Step]) -> None:
        """One step of the plan against HubSpot; a created or renamed label's type ids are noted on the step."""
        d = step.definition
        if step.action == "create" and d is not None:
            created = self.hook.create_label(
                d.from_object_type, d.to_object_type, name=d.name, label=d.label, inverse_label=d.inverse_label
            )
            step.type_id, step.inverse_id = _created_ids(created, d)
        elif step.action == "update" and d is not None:
            self.hook.update_label(
                d.from_object_type,
                d.to_object_type,
                type_id=step.type_id,  # type: ignore[arg-type]
                label=d.label,
                inverse_label=d.inverse_label,
            )
            if d.inverse_label is not None and step.inverse_id is None:
                step.inverse_id = self._inverse_id(d, step, steps)
        elif step.action == "delete" and step.pair is not None:
            self.hook.delete_label(*step.pair, step.type_id)  # type: ignore[arg-type]

    def execute(self, context: Context) -> dict[str, int | None]:
        """Plan, then apply each step; whatever stops the task, the summary of the steps done goes to XCom
        (``summary``) and the log first (see :mod:`._ending`)."""
        summary: dict[str, Any] = {"operation": "sync_labels", "dry_run": self.is_dry_run}
        with summary_on_failure(self, context, summary):
            return self._sync(context, summary)

    def _sync(self, context: Context, summary: dict[str, Any]) -> dict[str, int | None]:
        try:
            definitions = self._definitions(self.definitions)
            steps = self.plan(definitions)
        except HubSpotInputError as error:
            raise AirflowFailException(error.message) from None
        counts = {a: sum(1 for s in steps if s.action == a) for a in ("create", "update", "delete", "keep")}
        summary.update(plan=counts, succeeded=0, failed=0, not_sent=sum(counts.values()) - counts["keep"])
        self.log.info("Label plan: %s%s", counts, "; DRY RUN, nothing is written" if self.is_dry_run else "")
        for step in steps:
            self.log.info("  %s", step.describe())
        type_ids: dict[str, int | None] = {}
        inverse_ids: dict[str, int | None] = {}
        errors: list[str] = []
        for step in steps:
            d = step.definition
            try:
                if not self.is_dry_run and step.action != "keep":
                    summary["not_sent"] -= 1
                    self._apply(step, steps)
                    summary["succeeded"] += 1
            except HubSpotError as error:
                errors.append(f"{step.describe()}: {error}")
                summary["failed"] += 1
                self.log.error("Failed: %s: %s", step.describe(), error)  # noqa: TRY400 - HubSpot's answer says it all
            if d is not None:
                type_ids[d.name] = step.type_id
                if d.inverse_label is not None:
                    inverse_ids[d.name] = step.inverse_id
        if errors:
            raise AirflowFailException(
                f"{len(errors)} label change(s) failed (the others were applied): " + "; ".join(errors)
            )
        ti = context.get("ti") if context else None
        if ti is not None:
            ti.xcom_push(key="inverse_type_ids", value=inverse_ids)
            ti.xcom_push(key="plan", value=[s.describe() for s in steps])
        self.log.info("Labels in sync: %s", type_ids)
        if not self.is_dry_run:
            record_events(self, context, counts, self.lineage_uris()[1])
        return type_ids


def _literal(definitions: Any, template_ext: Sequence[str]) -> bool:
    """Definitions known at parse time: not a file path, Jinja template or XCom value (those are rendered)."""
    if isinstance(definitions, str):
        return not definitions.endswith(tuple(template_ext)) and not any(m in definitions for m in ("{{", "{%", "{#"))
    return isinstance(definitions, (list, tuple, Mapping))


def _created_ids(created: list[AssociationType], d: LabelDefinition) -> tuple[int | None, int | None]:
    """(forward, inverse) type ids of a label just created (a paired label returns one per direction)."""
    ids = sorted(x.type_id for x in created if x.type_id is not None)
    if d.inverse_label is None or len(ids) < 2:
        return (ids[0] if ids else None), None
    forward = next((x.type_id for x in created if x.label == d.label), None)
    if d.inverse_label == d.label or forward is None:
        return ids[0], ids[1]
    inverse = next((i for i in ids if i != forward), None)
    return forward, inverse
