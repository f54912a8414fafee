"""The pair operators' options to name records by the warehouse's keys (``from_id_property``/``to_id_property``)
and to check record ids for merges (``check_merged_records``); the machinery is :mod:`._keys`.

Order of a run: every row validated (key cells included) while the distinct keys are collected on disk; then
the keys resolved (reads only; what earlier attempts resolved is taken from beside the checkpoint); then the
rows mapped to ids and written as ever. Rows whose key HubSpot does not know (``NOT_FOUND``) or whose id was
merged into another record (``MERGED``, with the surviving id) go to the failures file, never written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_hubassoc._compat import AirflowException, AirflowFailException, Context
from airflow_provider_hubassoc.exceptions import HubSpotInputError
from airflow_provider_hubassoc.operators._checkpoint import input_fingerprint
from airflow_provider_hubassoc.operators._job import UNRESOLVED, FailureReport
from airflow_provider_hubassoc.operators._keys import PART_KEYS, KeyedPairSource, KeySide, KeyStore, ResolvedParts
from airflow_provider_hubassoc.operators._pair_input import PairInputOperator

if TYPE_CHECKING:
    from airflow_provider_hubassoc.hooks.models import AssociationType
    from airflow_provider_hubassoc.operators._files import PairSource


def _check_property(value: Any, name: str) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ValueError(f"{name} must be None (record ids) or a property name such as 'email', got {value!r}")


class KeyedPairInputOperator(PairInputOperator):
    """:class:`PairInputOperator` whose sides may be given by a unique property instead of record ids.

    :param from_id_property: the ``from_id_column`` holds values of this unique HubSpot property of the
        from-records (HubSpot's ``idProperty``: ``email`` for contacts, or any property HubSpot marks unique,
        e.g. ``external_company_id``) instead of record ids; ``None`` (default): record ids.
    :param to_id_property: the same for the to-records (``to_id_column``).
    :param check_merged_records: read each distinct record id of an id side once (100 a request) before writing:
        an id HubSpot reads back under another id (a merge) fails with ``MERGED`` naming the surviving id, an id
        it does not know with ``NOT_FOUND``. Default ``False``: no extra requests (a key side needs no check:
        a key resolves to the surviving record). The reconcile maps merged ids onto the survivor instead.

    The summary counts the rows that did not resolve apart: ``not_found`` and ``merged`` (also in ``failed``).
    """

    def __init__(
        self,
        *,
        from_id_property: str | None = None,
        to_id_property: str | None = None,
        check_merged_records: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        _check_property(from_id_property, "from_id_property")
        _check_property(to_id_property, "to_id_property")
        if not isinstance(check_merged_records, bool):
            raise ValueError(f"check_merged_records must be True or False, got {check_merged_records!r}")  # noqa: TRY004 - option checks raise ValueError
        if from_id_property and getattr(self, "shard_count", None):
            # a shard is a function of the from record's id (``from_id % shard_count``), which a key does not
            # have until it is resolved: every shard would read and resolve every row's key
            raise ValueError(
                "from_id_property cannot be combined with shard_count: shards are cut by the from record's id "
                "(from_id % shard_count); resolve the keys once upstream, or run one task (the to side may be "
                "a key: to_id_property works with shards)"
            )
        self.from_id_property = from_id_property
        self.to_id_property = to_id_property
        self.check_merged_records = check_merged_records
        self._keys: tuple[KeyStore, KeyedPairSource, ResolvedParts] | None = None
        self._key_failures: list[dict[str, Any]] = []
        self._key_context: Context | None = None

    def _key_sides(self) -> list[KeySide]:
        sides = []
        for side, column, object_type, prop in (
            ("from", self.from_id_column, self.from_object_type, self.from_id_property),
            ("to", self.to_id_column, self.to_object_type, self.to_id_property),
        ):
            if prop or self.check_merged_records:
                sides.append(KeySide(side, column, object_type, prop or None))
        return sides

    def execute(self, context: Context) -> dict[str, Any]:
        self._key_context = context
        try:
            summary = super().execute(context)
            if self._keys is not None:
                self._keys[2].discard()  # the run is done: a later run resolves afresh
            return summary
        finally:
            if self._keys is not None:
                self._keys[0].close()
            self._keys, self._key_context = None, None

    def _fingerprint_options(self) -> dict[str, Any]:
        options = super()._fingerprint_options()
        if self._key_sides():
            options.update(id_properties=[self.from_id_property, self.to_id_property], merged=self.check_merged_records)
        return options

    def _source(self) -> PairSource:
        return self._keys[1] if self._keys is not None else super()._source()

    def _check_inputs(self) -> tuple[PairSource, int, list[AssociationType]]:
        """Validate every row and collect the keys, resolve them (before any write), then the usual checks."""
        sides = self._key_sides()
        if not sides:
            return super()._check_inputs()
        if self._spool is not None and not self._spool.staged:
            for _row in self._spool.records():  # run the query once, staging its rows; then read the spool
                pass
        store = KeyStore()
        source = KeyedPairSource(sides, store, **self._source_options())
        self._keys = (store, source, ResolvedParts(None))
        try:
            source.collect()
        except HubSpotInputError as error:
            values = self._spool.values_of(error.position) if self._spool is not None else ""
            raise AirflowFailException(error.message + values) from None
        parts = ResolvedParts(self._parts_location())
        self._keys = (store, source, parts)
        if not self.resume and not self._after_reset:
            parts.discard()
        loaded = parts.load(store)
        if loaded:
            self.log.info("%d key(s) resolved by an earlier attempt, taken from %s", loaded, parts.location)
        for side in sides:
            self._resolve_side(side, store, parts)
        self._key_failures = list(source.failures())
        if self._key_failures:
            self.log.warning(
                "%d row(s) name a record HubSpot does not know or a merged-away id: not written, in the failures "
                "(first: %s)",
                len(self._key_failures),
                self._key_failures[0]["message"],
            )
        return super()._check_inputs()

    def _parts_location(self) -> str | None:
        """Beside this task run's checkpoint, keyed by the input and options (another input resolves afresh)."""
        store = self._checkpoint_store(self._key_context) if self._key_context is not None else None
        if store is None or self.is_dry_run:
            return None
        options = {"operator": type(self).__name__, **self._fingerprint_options()}
        fingerprint = input_fingerprint(path=self._input_path, items=self.pairs, options=options)
        return store.beside(f"keys-{fingerprint[:16]}")

    def _resolve_side(self, side: KeySide, store: KeyStore, parts: ResolvedParts) -> None:
        """Every unresolved key of ``side``, 100 a request; saved beside the checkpoint per 1,000 keys (and
        when stopped), so a resumed run asks only for the rest."""
        pending = store.count(side.side, pending=True)
        if not pending:
            return
        what = f"{side.id_property} values" if side.id_property else "record ids (merge check)"
        self.log.info("Resolving %d distinct %s of %s", pending, what, side.object_type)
        after = ""
        while keys := store.unresolved(side.side, after, PART_KEYS):
            after = keys[-1]
            matches: list[tuple[str, int | None]] = []
            try:
                matches.extend(
                    (match.key, match.id)
                    for match in self.hook.resolve_record_ids(side.object_type, side.id_property, keys)
                )
            except HubSpotInputError as error:
                raise AirflowFailException(f"{side.parameter}={side.id_property!r}: {error.message}") from None
            finally:
                store.resolved(side.side, matches)
                parts.save(side.side, matches)
        if store.count(side.side, pending=True):
            raise AirflowException("cancelled while resolving keys: nothing was written")

    def _failure_report(self, previous: list[dict[str, Any]] | None) -> FailureReport:
        """The rows whose keys did not resolve are this run's first failures (a resumed checkpoint has them)."""
        if self._key_failures and not previous:
            previous = self._key_failures
        report = super()._failure_report(previous)
        if self._key_sides():  # by key or merge-checked: the unresolved rows counted apart in the summary
            report.unresolved = dict.fromkeys(UNRESOLVED.values(), 0)
        return report
