"""Operators over associations between records: read (export), bulk link, bulk unlink.

The reconcile (warehouse → HubSpot) is in :mod:`airflow_provider_hubassoc.transfers.sql_to_hubspot`; it is
re-exported here, so ``operators.associations.HubSpotSyncAssociationsOperator`` keeps working.

Each is a thin layer over :class:`HubSpotAssociationsHook`: it reads its inputs (a list, an XCom value or a
CSV/JSONL file), validates all of them before anything is written to HubSpot, hands them to one hook call
(which batches, paces, retries and maps partial failures) and leaves the checkpoint, failures file, daily-budget
stop and summary to :mod:`._job`; the read operator's records without an id list come from
:mod:`._record_sources`. Over 500 lines: three operators that share one input and job machinery.
"""

from __future__ import annotations

import os
import tempfile
from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import TYPE_CHECKING, Any, ClassVar

from airflow_provider_hubassoc._compat import AirflowException, AirflowFailException, Context, ObjectStoragePath
from airflow_provider_hubassoc.exceptions import HubSpotCancelledError, HubSpotDailyLimitError, HubSpotInputError
from airflow_provider_hubassoc.hooks._object_types import plural_name
from airflow_provider_hubassoc.links.associations import HubSpotRecordsLink
from airflow_provider_hubassoc.operators._base import ResumableOperator
from airflow_provider_hubassoc.operators._ending import summary_on_failure
from airflow_provider_hubassoc.operators._files import (
    PairSource,
    SizedStream,
    check_object_types,
    distinct_ids_from_file,
    parse_ids,
)
from airflow_provider_hubassoc.operators._job import (
    ChunkCallback,
    FailureReport,
    PairCall,
    check_failure_policy,
    export_stopped,
    finish_export,
    write_pairs,
)
from airflow_provider_hubassoc.operators._keyed import KeyedPairInputOperator
from airflow_provider_hubassoc.operators._lineage import (
    associations_uri,
    declare,
    file_uri,
    literal,
    record_events,
    table_uri,
)
from airflow_provider_hubassoc.operators._pair_input import (
    check_file_format,
    check_input_options,
    empty_input,
)
from airflow_provider_hubassoc.operators._record_sources import (
    EXPORT_COLUMNS,
    RESUME_KEY,
    RecordSource,
    check_records,
    export_columns,
    modified_window,
    with_asked,
)
from airflow_provider_hubassoc.operators._rowfiles import RowWriter
from airflow_provider_hubassoc.operators._sql import DEFAULT_PAGE_SIZE, PAIR_KEY, TableOutput, check_table_options

# moved to transfers/ (warehouse → HubSpot); this import path keeps working
from airflow_provider_hubassoc.transfers.sql_to_hubspot import (
    HubSpotSyncAssociationsOperator as HubSpotSyncAssociationsOperator,
)

if TYPE_CHECKING:
    from airflow_provider_hubassoc.hooks.models import AssociationRow, AssociationType, BatchResult
    from airflow_provider_hubassoc.operators._checkpoint import Checkpoint

#: columns of exported association rows (CSV joins list cells with ";"); ``with_asked_id`` adds ``asked_from_id``
ROW_COLUMNS = EXPORT_COLUMNS


def association_row(row: AssociationRow) -> dict[str, Any]:
    """One exported row: a pair of records with every association type (label) it carries."""
    return {
        "from_object_type": plural_name(row.from_object_type),
        "from_id": row.from_id,
        "to_object_type": plural_name(row.to_object_type),
        "to_id": row.to_id,
        "type_ids": [t.type_id for t in row.types],
        "categories": [t.category for t in row.types],
        "labels": list(row.labels),
    }


class HubSpotReadAssociationsOperator(ResumableOperator):
    """Export the associations of many records towards one object type (every page of every record).

    Small results go to XCom (at most ``max_xcom_rows`` rows, else the task fails and says to set
    ``output_path``); large ones stream to a CSV or JSONL file at ``output_path`` (a local path or any
    ``ObjectStoragePath`` URL, e.g. ``s3://aws_default@bucket/exports/{{ ds }}/contact_company.jsonl``).
    Each row has from/to object type and id, ``type_ids`` with their ``categories``, and the ``labels``.

    :param record_ids: ids of the ``from_object_type`` records: a list, one id, ``"1,2,3"``, or an XCom value.
    :param records: or no id list: ``"all"`` (every record of ``from_object_type``, HubSpot's list) or
        ``"modified"`` (those modified in ``[modified_since, modified_until)``, by default the run's data
        interval; HubSpot's search). A record whose associations changed but not its modified time is not in a
        "modified" export: see docs/operators/read.md.
    :param with_asked_id: add column ``asked_from_id``: the id asked for, which differs from ``from_id`` when
        HubSpot answered it under the record it was merged into (rows are then written under the surviving id).
    :param input_path: or a CSV/JSONL file of ids, in column ``id_column``.
    :param encoding: of ``input_path`` (default UTF-8, a byte-order mark is skipped), e.g. ``"cp1252"``.
    :param allow_empty: succeed with zero counts when there are no ids (default: the task fails).
    :param output_path: where to write the rows (format from the suffix or ``output_format``; ``.gz`` compresses).
    :param table: or (also) write the rows to this table at ``sql_conn_id`` (a common-sql database connection),
        same columns as the file, in pages and one transaction, once every read is done (without ``output_path``
        the rows are staged beside the checkpoint, so a retry resumes the reads); ``if_exists``:
        ``append`` (default), ``replace`` (the table's rows are deleted first) or ``upsert`` (rows with the same
        ``key_columns``, default the pair, are replaced); ``create_table`` creates it if missing.
    :return: ``{"records", "skipped", "associations", "failed", "output_path", "rows"?}`` (``rows`` only without
        a file; ``records`` distinct ids read, ``skipped`` repeated ids left out).
    """

    template_fields: Sequence[str] = (
        "from_object_type",
        "to_object_type",
        "record_ids",
        "input_path",
        "modified_since",
        "modified_until",
        "output_path",
        "hubspot_conn_id",
        "checkpoint_path",
        "table",
        "sql_conn_id",
    )
    template_fields_renderers: ClassVar[dict[str, str]] = {"record_ids": "json"}
    operator_extra_links = (HubSpotRecordsLink(),)
    _window: tuple[int, int] | None = None  # ``records="modified"``: the run's window, once known

    def __init__(
        self,
        *,
        from_object_type: str,
        to_object_type: str,
        record_ids: Any = None,
        input_path: str | None = None,
        records: str | None = None,
        modified_since: Any = None,
        modified_until: Any = None,
        with_asked_id: bool = False,
        id_column: str = "id",
        input_format: str | None = None,
        output_path: str | None = None,
        output_format: str | None = None,
        max_xcom_rows: int = 1000,
        failures_path: str | None = None,
        max_failures: int | None = 0,
        chunk_size: int | None = None,
        encoding: str = "utf-8",
        allow_empty: bool = False,
        sql_conn_id: str | None = None,
        table: str | None = None,
        if_exists: str = "append",
        key_columns: Sequence[str] = PAIR_KEY,
        create_table: bool = False,
        sql_page_size: int = DEFAULT_PAGE_SIZE,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_object_types(from_object_type, to_object_type)
        check_records(records, modified_since, modified_until, record_ids=record_ids, input_path=input_path)
        self.records, self.modified_since, self.modified_until = records, modified_since, modified_until
        self.with_asked_id, self.columns = with_asked_id, export_columns(with_asked_id)
        if (table is None) != (sql_conn_id is None):
            raise ValueError("a table output needs both table= and sql_conn_id=")
        if table is not None:
            check_table_options(table, if_exists, key_columns, self.columns)
        self.sql_conn_id, self.table, self.if_exists = sql_conn_id, table, if_exists
        self.key_columns, self.create_table, self.sql_page_size = list(key_columns), create_table, sql_page_size
        self.encoding = check_input_options(encoding, allow_empty)
        self.allow_empty = allow_empty
        check_file_format(input_path, input_format, "input_path")
        check_file_format(output_path, output_format, "output_path")
        check_failure_policy(max_failures, None)
        if isinstance(max_xcom_rows, bool) or not isinstance(max_xcom_rows, int) or max_xcom_rows < 0:
            raise ValueError(f"max_xcom_rows must be an integer >= 0, got {max_xcom_rows!r}")
        self.from_object_type = from_object_type
        self.to_object_type = to_object_type
        self.record_ids = record_ids
        self.input_path = input_path
        self.id_column = id_column
        self.input_format = input_format
        self.output_path = output_path
        self.output_format = output_format
        self.max_xcom_rows = max_xcom_rows
        self.failures_path = failures_path
        self.max_failures = max_failures
        self.chunk_size = chunk_size
        inputs, outputs = self.lineage_uris(parsing=True)
        declare(self, inlets=inputs, outlets=outputs)

    def lineage_uris(self, parsing: bool = False) -> tuple[list[str], list[str]]:
        """In: the object pair (and the ids file); out: the file and/or table written. At parse time only the
        URIs whose parts are literal (a templated path has none until the run)."""
        pair, ids, path, table = (
            (self.portal, self.from_object_type, self.to_object_type),
            self.input_path,
            self.output_path,
            self.table,
        )
        inputs = [associations_uri(*pair)] if not parsing or literal(*pair) else []
        if ids is not None and (not parsing or literal(ids)):
            inputs.append(file_uri(ids))
        outputs = [file_uri(path)] if path is not None and (not parsing or literal(path)) else []
        conn_id = self.sql_conn_id  # given with a table: __init__ checks both come together
        if table is not None and conn_id is not None and (not parsing or literal(table, conn_id)):
            outputs.append(table_uri(conn_id, table))
        return inputs, outputs

    def _ids(self) -> tuple[Any, int, int]:
        """The distinct ids to read, how many, and how many repeats were left out: a validated list, or the
        file streamed (validated in a first pass). A repeated id is read (and exported) once."""
        try:
            if self.record_ids is not None:
                given = parse_ids(self.record_ids, "record_ids")
                ids: Any = list(dict.fromkeys(given))
                count, repeats = len(ids), len(given) - len(ids)
            else:
                assert self.input_path is not None  # __init__: exactly one of record_ids and input_path
                ids, repeats = distinct_ids_from_file(
                    self.input_path, self.id_column, self.input_format, encoding=self.encoding
                )
                count = len(ids)
        except HubSpotInputError as error:
            raise AirflowFailException(error.message) from None
        if not count and not self.allow_empty:
            raise empty_input("record_ids" if self.record_ids is not None else f"{self.input_path} (no rows)")
        return ids, count, repeats

    def execute(self, context: Context) -> dict[str, Any]:
        self.check_locations(
            context,
            checkpoint=self.output_path is not None or self.table is not None,
            output_path=self.output_path,
            failures_path=self.failures_path,
        )
        summary = self._export_to_table(context) if self.table is not None else self._export(context, self.output_path)
        record_events(self, context, summary, self.lineage_uris()[1])
        return summary

    def _export_to_table(self, context: Context) -> dict[str, Any]:
        """Rows to a file (``output_path``, else a spool file beside the checkpoint, so a retry resumes it), then
        the file to the table. The checkpoint goes only once the table's load has committed: a retry after a
        failed load loads again without reading HubSpot again."""
        assert self.sql_conn_id is not None and self.table is not None  # execute() comes here only with a table
        output = TableOutput(
            self.sql_conn_id,
            self.table,
            if_exists=self.if_exists,
            key_columns=self.key_columns,
            create=self.create_table,
            page_size=self.sql_page_size,
        )
        store = self._checkpoint_store(context)
        with tempfile.TemporaryDirectory(prefix="hubassoc-export-") as local:
            spool = None
            if self.output_path is None:  # beside the checkpoint; without a task instance (no checkpoint): local
                spool = store.beside("rows.jsonl") if store is not None else os.path.join(local, "rows.jsonl")
            path: str = self.output_path or spool  # type: ignore[assignment]  # one of them is set

            def load(summary: dict[str, Any]) -> None:
                summary.update(
                    output_path=self.output_path,
                    table=self.table,
                    if_exists=self.if_exists,
                    table_rows=output.load(path, self.output_format, self.columns),
                )
                self.log.info("Wrote %d row(s) to table %s (%s)", summary["table_rows"], self.table, self.if_exists)

            try:
                summary = self._export(context, path, load=load)
            finally:
                if spool is not None and (store is None or store.load() is None):  # no checkpoint resumes it
                    for name in (spool, f"{spool}.partial"):
                        if ObjectStoragePath(name).exists():
                            ObjectStoragePath(name).unlink()
        return summary

    def _export(
        self, context: Context, output_path: str | None, load: Callable[[dict[str, Any]], None] | None = None
    ) -> dict[str, Any]:
        """Read every record's associations to ``output_path`` (resumable) or XCom; then ``load`` the file
        elsewhere (a table) before the checkpoint is discarded."""
        window = (
            modified_window(context, self.modified_since, self.modified_until) if self.records == "modified" else None
        )
        self._window = window
        ids, count, repeats = self._ids() if self.records is None else (None, 0, 0)
        f, t = self.from_object_type, self.to_object_type
        self.log.info(
            "Reading %s→%s associations of %s into %s",
            f,
            t,
            f"{count} record(s)" if self.records is None else f"{self.records} records (window {window})",
            output_path or f"XCom (at most {self.max_xcom_rows} rows)",
        )
        summary: dict[str, Any] = {"from_object_type": f, "to_object_type": t, "records": count, "skipped": repeats}
        # only a file export resumes (an XCom result is small and held in memory)
        checkpoint = self._export_checkpoint(context) if output_path is not None else None
        writer = self._row_writer(output_path, checkpoint) if output_path is not None else None
        start = checkpoint.position if checkpoint is not None else 0
        source = None
        if self.records is not None:  # after the writer: it may have rewound the checkpoint
            resume = checkpoint.extra.get(RESUME_KEY) if checkpoint is not None else None
            ids = source = RecordSource(self.hook, f, self.records, window, resume)
        report = FailureReport(
            self.hook,
            self.failures_path,
            max_failures=self.max_failures,
            max_failure_ratio=None,
            log=self.log,
            previous=checkpoint.failures if checkpoint is not None else None,
        )
        with summary_on_failure(self, context, summary) as ending:
            ending.checkpoint = checkpoint
            try:
                self._read_into(ids, writer, report, checkpoint, start, summary, source)
            except HubSpotCancelledError as error:
                export_stopped(self, context, error, checkpoint, report, start, summary)
                summary["stopped"] = "cancelled"
                raise AirflowException(f"stopped: {error.message}") from None
            except Exception as error:  # a spent budget stops there; anything else: the ending's summary
                export_stopped(self, context, error, checkpoint, report, start, summary)
                raise
            if source is not None:
                summary["records"] = count = start + source.count
            return finish_export(self, context, checkpoint, report, summary, count, load)

    def _read_into(
        self,
        ids: Any,
        writer: RowWriter | None,
        report: FailureReport,
        checkpoint: Checkpoint | None,
        start: int,
        summary: dict[str, Any],
        source: RecordSource | None = None,
    ) -> None:
        """Every record's associations to ``writer`` (from ``start``, checkpointed per chunk), or into the
        summary's ``rows`` for XCom; a ``source`` (no id list) resumes by itself and saves its resume point."""
        with report:
            if writer is None:
                kept = self._rows_for_xcom(self._read(ids, report))
                summary.update(associations=len(kept), output_path=None, rows=kept)
                return
            with writer:
                saver = self.chunk_saver(
                    checkpoint,
                    report,
                    offset=start,
                    output=writer,
                    base=checkpoint.counts if checkpoint is not None else {},
                )
                if source is not None:
                    saver = source.saver(checkpoint, saver)
                for row in self._read(ids if source is not None else islice(ids, start, None), report, saver):
                    writer.write(self._row(row))
            summary.update(associations=writer.count, output_path=writer.path, resumed_from=start)

    def _read(
        self, ids: Iterable[int], report: FailureReport, saver: ChunkCallback | None = None
    ) -> Iterator[AssociationRow]:
        """The hook's read of ``ids``: failed records go to ``report``; ``saver`` checkpoints each chunk."""
        return self.hook.iter_read_associations(
            self.from_object_type,
            self.to_object_type,
            ids,
            on_failure="collect",
            failure_callback=report.callback(None, "read"),
            chunk_size=self.chunk_size,
            chunk_callback=saver,
            follow_merges=True,
        )

    def _row(self, row: AssociationRow) -> dict[str, Any]:
        return with_asked(association_row(row), row) if self.with_asked_id else association_row(row)

    def _export_checkpoint(self, context: Context) -> Checkpoint | None:
        return self._open_checkpoint(
            context,
            path=self.input_path,
            items=self.record_ids,
            options={
                "from": self.from_object_type,
                "to": self.to_object_type,
                "id_column": self.id_column,
                "format": self.input_format,
                "encoding": self.encoding,
                "output": [self.output_path, self.output_format, self.table],
                "chunk_size": self.chunk_size,
                **({"records": [self.records, self._window], "asked": self.with_asked_id} if self.records else {}),
            },
        )

    def _row_writer(self, output_path: str, checkpoint: Checkpoint | None) -> RowWriter:
        """The output file, keeping the rows an earlier attempt exported (the checkpoint says how many)."""
        keep = int(checkpoint.extra.get("output_rows", 0)) if checkpoint is not None else 0
        writer = RowWriter(output_path, self.columns, self.output_format, keep=keep)
        if keep and writer.set_aside() < keep:
            self.log.warning(
                "The exported rows of the earlier attempt are not all in %s.partial (a store that "
                "keeps no half-written files): exporting from the start",
                output_path,
            )
            writer.keep = 0
            checkpoint.state.update(position=0, counts={}, failures=[], extra={})  # type: ignore[union-attr]
        return writer

    def _rows_for_xcom(self, rows: Iterator[AssociationRow]) -> list[dict[str, Any]]:
        kept: list[dict[str, Any]] = []
        for row in rows:
            if len(kept) >= self.max_xcom_rows:
                rows.close()  # type: ignore[attr-defined]  # stops the hook's reads at once
                raise AirflowFailException(
                    f"more than max_xcom_rows={self.max_xcom_rows} associations: too many for XCom. Set "
                    "output_path= to stream them to a CSV/JSONL file (a local path or an object storage URL "
                    "such as s3://conn_id@bucket/key.jsonl), or raise max_xcom_rows"
                )
            kept.append(self._row(row))
        return kept


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
