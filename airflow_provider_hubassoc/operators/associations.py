"""Operators over associations between records: bulk link, bulk unlink (and, re-exported, read and reconcile).

The reconcile (warehouse → HubSpot) is in :mod:`airflow_provider_hubassoc.transfers.sql_to_hubspot` and the
read operator in :mod:`.read`; both are re-exported here, so ``operators.associations.HubSpot...Operator``
keeps working.

Each is a thin layer over :class:`HubSpotAssociationsHook`: it reads its inputs (a list, an XCom value or a
CSV/JSONL file), validates all of them before anything is written to HubSpot, hands them to one hook call
(which batches, paces, retries and maps partial failures) and leaves the checkpoint, failures file, daily-budget
stop and summary to :mod:`._job`.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, Any

from airflow_provider_hubassoc.exceptions import HubSpotDailyLimitError
from airflow_provider_hubassoc.links.associations import HubSpotRecordsLink
from airflow_provider_hubassoc.operators._ending import summary_on_failure
from airflow_provider_hubassoc.operators._job import (
    ChunkCallback,
    FailureReport,
    PairCall,
    write_pairs,
)
from airflow_provider_hubassoc.operators._keyed import KeyedPairInputOperator
from airflow_provider_hubassoc.operators.read import (  # moved to .read; these import paths keep working
    ROW_COLUMNS as ROW_COLUMNS,
    HubSpotReadAssociationsOperator as HubSpotReadAssociationsOperator,
    association_row as association_row,
)

# moved to transfers/ (warehouse → HubSpot); this import path keeps working
from airflow_provider_hubassoc.transfers.sql_to_hubspot import (
    HubSpotSyncAssociationsOperator as HubSpotSyncAssociationsOperator,
)

if TYPE_CHECKING:
    from airflow_provider_hubassoc._compat import Context
    from airflow_provider_hubassoc.hooks.models import AssociationType, BatchResult
    from airflow_provider_hubassoc.operators._checkpoint import Checkpoint
    from airflow_provider_hubassoc.operators._files import (
        PairSource,
        SizedStream,
    )


class _PairWriteOperator(KeyedPairInputOperator):
    """Bulk link and unlink: the validated pairs go to one hook call (:meth:`_call`), failures out."""

    verb = "write"

    @abstractmethod
    def _call(
        self, pairs: SizedStream, source: PairSource, report: FailureReport, chunk_callback: ChunkCallback
    ) -> BatchResult:
        """The one hook call writing ``pairs`` (the pairs of ``source`` not done yet)."""

    def _run(self, context: Context) -> dict[str, Any]:
        checkpoint: Checkpoint | None = None
        summary: dict[str, Any] = {
            "operation": self.verb,
            "from_object_type": self.from_object_type,
            "to_object_type": self.to_object_type,
            "dry_run": self.is_dry_run,
            "shard_index": self.shard_index,
            "shard_count": self.shard_count,
        }
        with summary_on_failure(self, context, summary) as ending:
            try:
                source, total, resolved = self._check_inputs()
                checkpoint = ending.checkpoint = self._checkpoint_for(context)
                self._log_plan(source, total, resolved)
                if self.is_dry_run:
                    return self._dry_run_summary(summary, source, total, resolved)
                report = self._failure_report(checkpoint.failures if checkpoint is not None else None)
                return write_pairs(self, context, self._call_for(source), source, total, checkpoint, report, summary)
            except HubSpotDailyLimitError as error:  # before any chunk was sent (label look-ups): nothing new done
                checkpoint = checkpoint or self._checkpoint_for(context)  # the rows were valid: the input is there
                if checkpoint is not None:
                    summary.update(checkpoint.counts, failed=len(checkpoint.failures), resumed_from=checkpoint.position)
                self.daily_budget_spent(context, error, summary, checkpoint)

    def _call_for(self, source: PairSource) -> PairCall:
        """:meth:`_call` over the pairs of ``source``, as :func:`~._job.write_pairs` calls it."""
        return lambda pairs, report, chunk_callback: self._call(pairs, source, report, chunk_callback)

    def _log_plan(self, source: PairSource, total: int, resolved: list[AssociationType]) -> None:
        shard = f" (shard {self.shard_index} of {self.shard_count})" if self.shard_count else ""
        label_text = ", ".join(repr(t.label or t.name or t.type_id) for t in resolved) or "none (default)"
        self.log.info(
            "Plan: %s %d pair(s) %s→%s from %s%s; labels: %s%s",
            self.verb,
            total,
            self.from_object_type,
            self.to_object_type,
            source.name,
            shard,
            label_text,
            "; DRY RUN, nothing is written" if self.is_dry_run else "",
        )

    @staticmethod
    def _dry_run_summary(
        summary: dict[str, Any], source: PairSource, total: int, resolved: list[AssociationType]
    ) -> dict[str, Any]:
        summary.update(
            total=total + source.duplicates,
            succeeded=0,
            failed=0,
            skipped=source.duplicates,
            requests=0,
            not_sent=total,
            labels=[t.as_dict() for t in resolved],
        )
        return summary


class HubSpotCreateAssociationsOperator(_PairWriteOperator):
    """Bulk link: associate many pairs of records, from a list, an XCom value or a CSV/JSONL file.

    Without labels each pair gets HubSpot's default (unlabeled) association, and HubSpot's primary rules apply
    as in its UI. With ``labels`` (every row) and/or ``label_column`` (per row: label text, internal name or
    type id; several as ``a;b``), each pair gets those labels *added*: labels it already has are kept.
    Every row is validated and every label resolved before anything is written; a bad row fails the task
    naming its row number and field. Rows HubSpot refuses go, with its reasons, to ``failures_path``.
    A retried task or a re-run backfill creates no duplicates and keeps every label, HubSpot's primary
    included, also when an answer was lost after HubSpot applied the write (see ``hooks/_writes.py``).

    Scale-out: ``shard_count`` splits the input by from-record id (``from_id % shard_count``) into that many
    disjoint shards and the task writes shard ``shard_index`` (a query is wrapped so it returns only that shard's
    rows; see ``sql_shard_filter``): map it with ``.partial(..., shard_count=8, pool="hubspot").expand(
    shard_index=list(range(8)))``; the shards share the app's rate budget by themselves (HubSpot's headers),
    so ``requests_per_10_seconds`` stays the app's whole budget.

    :param max_failures: fail the task when more rows than this fail (default 0: any failure); once exceeded,
        no further batch is sent. ``None``: never fail for row failures.
    :param max_failure_ratio: fail the task when more than this share of the rows failed (judged at the end).
    :param dry_run: validate rows and resolve labels (reads only), log the plan, write nothing.
    :param encoding: of ``input_path`` (default UTF-8; a byte-order mark is skipped), e.g. ``"cp1252"``.
    :param allow_empty: succeed with zero counts when the input has no rows (default: the task fails).
    :return: ``{"total", "succeeded", "failed", "skipped", "not_sent", "requests", "failures_path",
        "failures_sample", ...}``; by key or with ``check_merged_records`` also ``not_found`` and ``merged``
        (rows whose key or id did not resolve, counted in ``failed`` too).
    """

    verb = "link"
    operator_extra_links = (HubSpotRecordsLink(),)

    def _call(
        self, pairs: SizedStream, source: PairSource, report: FailureReport, chunk_callback: ChunkCallback
    ) -> BatchResult:
        return self.hook.create_associations(
            self.from_object_type,
            self.to_object_type,
            pairs,
            labels=self._common_labels() or None,
            on_failure="collect",
            failure_callback=report.callback(source, "create"),
            chunk_callback=chunk_callback,
            chunk_size=self.chunk_size,
        )


class HubSpotArchiveAssociationsOperator(_PairWriteOperator):
    """Bulk unlink: remove associations between pairs of records (same inputs as the bulk link).

    Without labels every association of each pair goes (``batch/archive``). With ``labels`` and/or
    ``label_column`` only those labels are removed and the pairs stay associated (``batch/labels/archive``);
    removing the unlabeled type removes the pair entirely (HubSpot's rule). Archiving what is not there is a
    no-op, so re-runs are safe.
    """

    verb = "unlink"
    operator_extra_links = (HubSpotRecordsLink(),)

    def _call(
        self, pairs: SizedStream, source: PairSource, report: FailureReport, chunk_callback: ChunkCallback
    ) -> BatchResult:
        common = self._common_labels()
        kwargs: dict[str, Any] = {
            "on_failure": "collect",
            "failure_callback": report.callback(source, "archive"),
            "chunk_callback": chunk_callback,
            "chunk_size": self.chunk_size,
        }
        if common or self.label_column:
            return self.hook.archive_association_labels(
                self.from_object_type, self.to_object_type, pairs, labels=common or None, **kwargs
            )
        return self.hook.archive_associations(self.from_object_type, self.to_object_type, pairs, **kwargs)
