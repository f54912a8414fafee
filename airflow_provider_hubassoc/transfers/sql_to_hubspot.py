"""Warehouse → HubSpot: reconcile HubSpot's associations with a desired set read from a table (or a file).

Airflow's ``transfers`` hold the operators that move data from one system into another; this one reads the
desired pairs (``sql=`` and ``sql_conn_id=``, any common-sql database, or a CSV/JSONL file or a list), plans
against HubSpot's current associations and writes only the difference. The old import path
``airflow_provider_hubassoc.operators.associations.HubSpotSyncAssociationsOperator`` keeps working.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_hubassoc._compat import AirflowFailException, Context
from airflow_provider_hubassoc.exceptions import HubSpotDailyLimitError, HubSpotInputError
from airflow_provider_hubassoc.links.associations import HubSpotRecordsLink
from airflow_provider_hubassoc.operators._ending import summary_on_failure
from airflow_provider_hubassoc.operators._files import PairSource, parse_ids, shard_of
from airflow_provider_hubassoc.operators._keyed import KeyedPairInputOperator
from airflow_provider_hubassoc.operators._locations import check_writable_location
from airflow_provider_hubassoc.operators._phases import PhaseCall, write_phases
from airflow_provider_hubassoc.transfers._merged import MergeMap
from airflow_provider_hubassoc.transfers._reconcile import PHASES, Plan, plan_directory, plan_reconcile, spill_base

if TYPE_CHECKING:
    from airflow_provider_hubassoc.operators._checkpoint import Checkpoint
    from airflow_provider_hubassoc.operators._keys import KeySide


class HubSpotSyncAssociationsOperator(KeyedPairInputOperator):
    """Reconcile: make HubSpot's associations of the given source records match a desired set (a warehouse table).

    The desired pairs (and, with ``labels``/``label_column``, their labels) come from a file or list. The
    operator reads the current associations of every source record in the desired set (plus ``source_ids``:
    records whose associations should all go), then creates the missing pairs, adds missing labels and, with
    ``prune=True``, archives pairs that are not desired and removes user-defined labels that are not desired
    (HubSpot-defined types such as primary are never removed). The plan is logged with counts first;
    ``dry_run`` stops there. A second run with the same input writes nothing.

    Memory stays flat however many pairs are desired: they are sorted by from-id on disk and diffed against
    the current associations a window of records at a time, and the planned changes are spilled to local files
    (see :mod:`._reconcile`; the writes run through :func:`~airflow_provider_hubassoc.operators._phases.write_phases`); the plan counts are exact. ``shard_count`` still spreads a large reconcile over
    workers.

    By key: ``from_id_property``/``to_id_property`` name the desired pairs by a unique HubSpot property (an
    email, an external id) instead of record ids (see :class:`~airflow_provider_hubassoc.operators._keyed.KeyedPairInputOperator`); keys HubSpot
    does not know are ``NOT_FOUND`` failures and their rows are left out of the plan (nothing pruned for them).

    Merged records (reference §20.8: a merged-away id reads back as the surviving record): desired pairs that
    name a merged-away id are planned under the surviving record (``merged_remapped`` in the plan and summary
    counts the input rows moved), so a warehouse that still names the old id makes no write on the next run and
    ``prune`` never archives the survivor's copy of such a pair. A merged-away *from* id needs no option: the
    association read answers it under its survivor (one objects ``batch/read`` per 100 such ids, only then). A
    merged-away *to* id shows in no association answer, but its from record holds a to id nobody desires (the
    survivor): the to ids of the planned creates of such records are read by id (100 a request, each once a run)
    and mapped the same way (in a reconcile a merged id is never a ``MERGED`` failure). None are read when the
    pairs are in sync or on a first backfill; an ordinary move costs one objects read per 100 moved pairs.
    ``check_merged_records=True`` reads the to id of every planned create. See :mod:`._merged`.

    :return: the plan counts and, unless ``dry_run``, the counts of each write.
    """

    template_fields: Sequence[str] = (*KeyedPairInputOperator.template_fields, "source_ids")
    operator_extra_links = (HubSpotRecordsLink(),)

    def __init__(self, *, prune: bool = False, source_ids: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.prune = prune
        self.source_ids = source_ids

    def _key_sides(self) -> list[KeySide]:
        """Only the sides given by key: merged ids are mapped by the plan (:mod:`._merged`), not failed."""
        return [side for side in super()._key_sides() if side.id_property]

    def _merge_map(self) -> MergeMap:
        """Where the plan finds merged-away ids: the objects ``batch/read`` by id of either side, on demand."""

        def survivors(object_type: str) -> Callable[[list[int]], dict[int, int]]:
            def read(ids: list[int]) -> dict[int, int]:
                matches = self.hook.resolve_record_ids(object_type, None, [str(i) for i in ids])
                return {int(match.key): match.id for match in matches if match.id is not None}

            return read

        return MergeMap(survivors(self.from_object_type), survivors(self.to_object_type), self.check_merged_records)

    def execute(self, context: Context) -> dict[str, Any]:
        """The plan's spill directory (the local temporary directory) is checked with the other locations,
        before HubSpot is touched."""
        check_writable_location(spill_base(), "the reconcile's spill directory (TMPDIR)", "directory")
        return super().execute(context)

    def _run(self, context: Context) -> dict[str, Any]:
        checkpoint: Checkpoint | None = None
        summary: dict[str, Any] = {
            "operation": "sync",
            "from_object_type": self.from_object_type,
            "to_object_type": self.to_object_type,
        }
        with summary_on_failure(self, context, summary) as ending:
            try:
                source, _total, _resolved = self._check_inputs()
                checkpoint = ending.checkpoint = self._checkpoint_for(context)
                return self._reconcile(context, source, checkpoint, summary)
            except HubSpotDailyLimitError as error:  # before the writes (label look-ups, reads of the plan)
                checkpoint = checkpoint or self._checkpoint_for(context)
                if checkpoint is not None and "plan" not in summary:
                    summary.update(checkpoint.counts, failed=len(checkpoint.failures))
                self.daily_budget_spent(context, error, summary, checkpoint)

    def _fingerprint_options(self) -> dict[str, Any]:
        return {**super()._fingerprint_options(), "prune": self.prune, "source_ids": self.source_ids}

    def _reconcile(
        self, context: Context, source: PairSource, checkpoint: Checkpoint | None, summary: dict[str, Any]
    ) -> dict[str, Any]:
        """Plan from the current state, then write. A resumed run plans again (what an earlier attempt wrote
        is no longer missing) and does not resend the changes whose failures the checkpoint holds. So a chunk
        HubSpot applied must be counted by the attempt that sent it: on a budget stop the chunks still in flight
        are drained and counted into the checkpoint; only a kill mid-chunk can leave such a chunk uncounted (its
        pairs are then planned, and counted, as unchanged)."""
        f, t = self.from_object_type, self.to_object_type
        # every label was resolved by _check_inputs: these lookups (and the per-row ones below) hit the hook's cache
        common = frozenset(self.hook.get_label(f, t, label).key for label in self._common_labels())
        managed = bool(common) or self.label_column is not None
        try:
            extra_ids = parse_ids(self.source_ids, "source_ids") if self.source_ids is not None else []
        except HubSpotInputError as error:
            raise AirflowFailException(error.message) from None
        if self.shard_count:  # another shard owns the other records: never read or prune them here
            extra_ids = [i for i in extra_ids if shard_of(i, self.shard_count) == self.shard_index]
        previous = checkpoint.failures if checkpoint is not None else []
        with plan_directory() as directory:
            planned = plan_reconcile(
                lambda ids: self.hook.iter_read_associations(f, t, ids, chunk_size=self.chunk_size, follow_merges=True),
                source,
                lambda pair: common | {self.hook.get_label(f, t, ref).key for ref in pair.labels},
                extra_ids=extra_ids,
                prune=self.prune,
                managed=managed,
                directory=directory,
                skip={(row["from_id"], row["to_id"], row["operation"]) for row in previous},
                merges=self._merge_map(),
            )
            return self._apply(context, planned, checkpoint, previous, summary)

    def _apply(
        self,
        context: Context,
        planned: Plan,
        checkpoint: Checkpoint | None,
        previous: list[dict[str, Any]],
        summary: dict[str, Any],
    ) -> dict[str, Any]:
        f, t = self.from_object_type, self.to_object_type
        plan = planned.counts()
        self.log.info(
            "Plan for %s→%s: %s%s",
            f,
            t,
            plan,
            "; DRY RUN, nothing is written"
            if self.is_dry_run
            else ("" if self.prune else " (prune=False: extra associations are kept)"),
        )
        summary.update(dry_run=self.is_dry_run, prune=self.prune, plan=plan)
        if planned.merged_remapped:
            summary["merged_remapped"] = planned.merged_remapped
        if self.is_dry_run:
            return summary
        report = self._failure_report(previous)
        calls: dict[str, PhaseCall] = {
            "created": lambda pairs, arguments: self.hook.create_associations(f, t, pairs, **arguments),
            "labels_removed": lambda pairs, arguments: self.hook.archive_association_labels(f, t, pairs, **arguments),
            "archived": lambda pairs, arguments: self.hook.archive_associations(f, t, pairs, **arguments),
        }
        phases = [(name, planned.phases[name], calls[name]) for name in PHASES]
        write_phases(self, context, phases, checkpoint, report, summary, chunk_size=self.chunk_size)
        apart = ", ".join(
            f"{key}={summary[key]}" for key in ("not_found", "merged", "merged_remapped") if key in summary
        )
        self.log.info(
            "Sync done: created %s, labels removed on %s, archived %s; %d failed%s",
            summary.get("created", 0),
            summary.get("labels_removed", 0),
            summary.get("archived", 0),
            report.count,
            f" ({apart})" if apart else "",
        )
        report.enforce(plan["create"] + plan["remove_labels"] + plan["archive"], context, summary)
        return summary
