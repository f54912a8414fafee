"""Operators over associations between records: read (export), bulk link, bulk unlink, reconcile.

Each is a thin layer over :class:`HubSpotAssociationsHook`: it reads its inputs (a list, an XCom value or a
CSV/JSONL file), validates all of them before anything is written to HubSpot, hands them to one hook call
(which batches, paces, retries and maps partial failures), writes outputs and failed rows to files, and returns
a small summary to XCom.
"""

from __future__ import annotations

import functools
import os
import tempfile
from abc import abstractmethod
from collections.abc import Callable, Iterator, Sequence
from itertools import islice
from typing import TYPE_CHECKING, Any, ClassVar

from airflow_provider_hubassoc._compat import AirflowException, AirflowFailException, Context, ObjectStoragePath
from airflow_provider_hubassoc.exceptions import HubSpotCancelledError, HubSpotDailyLimitError, HubSpotInputError
from airflow_provider_hubassoc.hooks._object_types import plural_name
from airflow_provider_hubassoc.operators._base import (
    FailureReport,
    ResumableOperator,
    check_failure_policy,
    result_counts,
    summary_line,
)
from airflow_provider_hubassoc.operators._checkpoint import Checkpoint, add_counts
from airflow_provider_hubassoc.operators._files import (
    PairSource,
    RowWriter,
    SizedStream,
    check_encoding,
    check_object_types,
    check_shard,
    distinct_ids_from_file,
    file_format,
    parse_ids,
    shard_of,
)
from airflow_provider_hubassoc.operators._lineage import (
    associations_uri,
    declare,
    file_uri,
    literal,
    record_events,
    table_uri,
)
from airflow_provider_hubassoc.operators._reconcile import PHASES, Plan, StreamOrigin, plan_directory, plan_reconcile
from airflow_provider_hubassoc.operators._sql import (
    DEFAULT_PAGE_SIZE,
    PAIR_KEY,
    QuerySpool,
    TableOutput,
    check_table_options,
    optional_spool,
)

if TYPE_CHECKING:
    from airflow_provider_hubassoc.hooks.models import AssociationRow, AssociationType, BatchResult, ChunkCallback

#: columns of exported association rows (CSV joins list cells with ";")
ROW_COLUMNS = ("from_object_type", "from_id", "to_object_type", "to_id", "type_ids", "categories", "labels")


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


def _phase_counts(name: str, running: BatchResult) -> dict[str, int]:
    """A reconcile phase's counts for its checkpoint: what it has written so far, under the phase's name."""
    return {name: running.succeeded}


def _check_one_source(*sources: tuple[str, Any]) -> None:
    if sum(value is not None for _name, value in sources) != 1:
        raise ValueError(f"give exactly one of {' and '.join(f'{name}=' for name, _v in sources)}")


def _check_input_options(encoding: Any, allow_empty: Any) -> str:
    """Parse-time checks of the input options every file-reading operator has; returns the codec name."""
    if not isinstance(allow_empty, bool):
        raise ValueError(f"allow_empty must be True or False, got {allow_empty!r}")  # noqa: TRY004 - bad options raise ValueError here, as every other option check does
    try:
        return check_encoding(encoding)
    except HubSpotInputError as error:
        raise ValueError(error.message) from None


def _empty_input(what: str) -> AirflowFailException:
    return AirflowFailException(
        f"{what} is empty: nothing to do. An empty input fails the task so a broken "
        "upstream export is noticed; pass allow_empty=True to accept it as a success "
        "with zero counts"
    )


def _check_file_format(path: str | None, fmt: str | None, field_name: str) -> None:
    """Check a literal path's format at parse time (templated paths are checked when rendered)."""
    if path is not None and "{{" not in str(path):
        try:
            file_format(path, fmt)
        except HubSpotInputError as error:
            raise ValueError(f"{field_name}: {error.message}") from None


class HubSpotReadAssociationsOperator(ResumableOperator):
    """Export the associations of many records towards one object type (every page of every record).

    Small results go to XCom (at most ``max_xcom_rows`` rows, else the task fails and says to set
    ``output_path``); large ones stream to a CSV or JSONL file at ``output_path`` (a local path or any
    ``ObjectStoragePath`` URL, e.g. ``s3://aws_default@bucket/exports/{{ ds }}/contact_company.jsonl``).
    Each row has from/to object type and id, ``type_ids`` with their ``categories``, and the ``labels``.

    :param record_ids: ids of the ``from_object_type`` records: a list, one id, ``"1,2,3"``, or an XCom value.
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
        "output_path",
        "hubspot_conn_id",
        "checkpoint_path",
        "table",
        "sql_conn_id",
    )
    template_fields_renderers: ClassVar[dict[str, str]] = {"record_ids": "json"}

    def __init__(
        self,
        *,
        from_object_type: str,
        to_object_type: str,
        record_ids: Any = None,
        input_path: str | None = None,
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
        _check_one_source(("record_ids", record_ids), ("input_path", input_path))
        if (table is None) != (sql_conn_id is None):
            raise ValueError("a table output needs both table= and sql_conn_id=")
        if table is not None:
            check_table_options(table, if_exists, key_columns, ROW_COLUMNS)
        self.sql_conn_id, self.table, self.if_exists = sql_conn_id, table, if_exists
        self.key_columns, self.create_table, self.sql_page_size = list(key_columns), create_table, sql_page_size
        self.encoding = _check_input_options(encoding, allow_empty)
        self.allow_empty = allow_empty
        _check_file_format(input_path, input_format, "input_path")
        _check_file_format(output_path, output_format, "output_path")
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
            raise _empty_input("record_ids" if self.record_ids is not None else f"{self.input_path} (no rows)")
        return ids, count, repeats

    def execute(self, context: Context) -> dict[str, Any]:
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
                    table_rows=output.load(path, self.output_format, ROW_COLUMNS),
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
        ids, count, repeats = self._ids()
        f, t = self.from_object_type, self.to_object_type
        self.log.info(
            "Reading %s→%s associations of %d record(s) into %s",
            f,
            t,
            count,
            output_path or f"XCom (at most {self.max_xcom_rows} rows)",
        )
        summary: dict[str, Any] = {"from_object_type": f, "to_object_type": t, "records": count, "skipped": repeats}
        # only a file export resumes (an XCom result is small and held in memory)
        checkpoint = (
            self._open_checkpoint(
                context,
                path=self.input_path,
                items=self.record_ids,
                options={
                    "from": f,
                    "to": t,
                    "id_column": self.id_column,
                    "format": self.input_format,
                    "encoding": self.encoding,
                    "output": [self.output_path, self.output_format, self.table],
                    "chunk_size": self.chunk_size,
                },
            )
            if output_path is not None
            else None
        )
        writer: RowWriter | None = None
        if output_path is not None:
            keep = int(checkpoint.extra.get("output_rows", 0)) if checkpoint is not None else 0
            writer = RowWriter(output_path, ROW_COLUMNS, self.output_format, keep=keep)
            if keep and writer.set_aside() < keep:
                self.log.warning(
                    "The exported rows of the earlier attempt are not all in %s.partial (a store that "
                    "keeps no half-written files): exporting from the start",
                    output_path,
                )
                writer.keep = 0
                checkpoint.state.update(position=0, counts={}, failures=[], extra={})  # type: ignore[union-attr]
        start = checkpoint.position if checkpoint is not None else 0
        report = FailureReport(
            self.hook,
            self.failures_path,
            max_failures=self.max_failures,
            max_failure_ratio=None,
            log=self.log,
            previous=checkpoint.failures if checkpoint is not None else None,
        )
        try:
            with report:
                if writer is None:
                    rows = self.hook.iter_read_associations(
                        f,
                        t,
                        ids,
                        on_failure="collect",
                        failure_callback=report.callback(None, "read"),
                        chunk_size=self.chunk_size,
                    )
                    kept = self._rows_for_xcom(rows)
                    summary.update(associations=len(kept), output_path=None, rows=kept)
                else:
                    with writer:
                        rows = self.hook.iter_read_associations(
                            f,
                            t,
                            islice(ids, start, None),
                            on_failure="collect",
                            failure_callback=report.callback(None, "read"),
                            chunk_size=self.chunk_size,
                            chunk_callback=self.chunk_saver(
                                checkpoint,
                                report,
                                offset=start,
                                output=writer,
                                base=checkpoint.counts if checkpoint is not None else {},
                            ),
                        )
                        for row in rows:
                            writer.write(association_row(row))
                    summary.update(associations=writer.count, output_path=output_path, resumed_from=start)
        except HubSpotCancelledError as error:
            raise AirflowException(f"stopped: {error.message}") from None
        except HubSpotDailyLimitError as error:
            saved = checkpoint.extra if checkpoint is not None else {}
            summary.update(
                associations=int(saved.get("output_rows", 0)),
                read=checkpoint.position if checkpoint is not None else 0,
                resumed_from=start,
                **report.summary(),
            )
            self.daily_budget_spent(context, error, summary, checkpoint)
        if checkpoint is not None and load is None:
            checkpoint.discard()
        summary.update(report.summary())
        try:
            report.enforce(count, context, summary)
        except AirflowFailException:
            if checkpoint is not None:  # too many failures: a re-run starts over, as without a table
                checkpoint.discard()
            raise
        if load is not None:
            load(summary)
            if checkpoint is not None:
                checkpoint.discard()
        self.log.info(
            "Read %d association(s) of %d record(s); %d record(s) failed", summary["associations"], count, report.count
        )
        return summary

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
            kept.append(association_row(row))
        return kept


class _PairInputOperator(ResumableOperator):
    """Shared by bulk link, unlink and reconcile: pairs in (list, XCom or file), every row validated and every
    label resolved before anything is written; failures file and policy arguments."""

    template_fields: Sequence[str] = (
        "from_object_type",
        "to_object_type",
        "pairs",
        "input_path",
        "labels",
        "failures_path",
        "hubspot_conn_id",
        "checkpoint_path",
        "sql",
        "sql_conn_id",
        "sql_parameters",
    )
    template_ext: Sequence[str] = (".sql",)
    template_fields_renderers: ClassVar[dict[str, str]] = {"pairs": "json", "sql": "sql"}

    def __init__(
        self,
        *,
        from_object_type: str,
        to_object_type: str,
        pairs: Any = None,
        input_path: str | None = None,
        input_format: str | None = None,
        from_id_column: str = "from_id",
        to_id_column: str = "to_id",
        label_column: str | None = None,
        labels: str | int | list[str | int] | None = None,
        dry_run: bool = False,
        failures_path: str | None = None,
        max_failures: int | None = 0,
        max_failure_ratio: float | None = None,
        shard_index: int | None = None,
        shard_count: int | None = None,
        chunk_size: int | None = None,
        encoding: str = "utf-8",
        allow_empty: bool = False,
        sql: str | None = None,
        sql_conn_id: str | None = None,
        sql_parameters: Any = None,
        sql_page_size: int = DEFAULT_PAGE_SIZE,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_object_types(from_object_type, to_object_type)
        _check_one_source(("pairs", pairs), ("input_path", input_path), ("sql", sql))
        if sql is not None and not sql_conn_id:
            raise ValueError("sql= needs sql_conn_id= (an Airflow connection to the database)")
        if isinstance(sql_page_size, bool) or not isinstance(sql_page_size, int) or sql_page_size < 1:
            raise ValueError(f"sql_page_size must be a positive integer, got {sql_page_size!r}")
        self.sql, self.sql_conn_id, self.sql_parameters = sql, sql_conn_id, sql_parameters
        self.sql_page_size = sql_page_size
        self._spool: QuerySpool | None = None
        self.encoding = _check_input_options(encoding, allow_empty)
        self.allow_empty = allow_empty
        _check_file_format(input_path, input_format, "input_path")
        check_failure_policy(max_failures, max_failure_ratio)
        check_shard(shard_index, shard_count)
        self.from_object_type = from_object_type
        self.to_object_type = to_object_type
        self.pairs = pairs
        self.input_path = input_path
        self.input_format = input_format
        self.from_id_column = from_id_column
        self.to_id_column = to_id_column
        self.label_column = label_column
        self.labels = labels
        # not ``self.dry_run``: that is BaseOperator.dry_run(), which ``airflow tasks test --dry-run`` calls
        self.is_dry_run = dry_run
        self.failures_path = failures_path
        self.max_failures = max_failures
        self.max_failure_ratio = max_failure_ratio
        self.shard_index = shard_index
        self.shard_count = shard_count
        self.chunk_size = chunk_size
        if not dry_run:  # a dry run changes nothing: no asset event
            inputs, outputs = self.lineage_uris(parsing=True)
            declare(self, inlets=inputs, outlets=outputs)

    def lineage_uris(self, parsing: bool = False) -> tuple[list[str], list[str]]:
        """In: the pairs file (a query's tables are named by the SQL facet); out: the object pair's associations."""
        pair = (self.portal, self.from_object_type, self.to_object_type)
        path = self.input_path
        inputs = [file_uri(path)] if path is not None and (not parsing or literal(path)) else []
        return inputs, [associations_uri(*pair)] if not parsing or literal(*pair) else []

    def execute(self, context: Context) -> dict[str, Any]:
        """A query (``sql=``) is staged once in a spool file while its rows are validated, written from like an
        input file, and deleted after."""
        columns = [c for c in (self.from_id_column, self.to_id_column, self.label_column) if c is not None]
        with optional_spool(
            self.sql_conn_id, self.sql, parameters=self.sql_parameters, required=columns, page_size=self.sql_page_size
        ) as spool:
            self._spool = spool
            try:
                summary = self._run(context)
            finally:
                self._spool = None
        if not self.is_dry_run:
            record_events(self, context, summary, self.lineage_uris()[1])
        return summary

    @abstractmethod
    def _run(self, context: Context) -> dict[str, Any]:
        """The operator's work once its input is at hand."""

    @property
    def _input_path(self) -> str | None:
        return self._spool.path if self._spool is not None else self.input_path

    def _source(self) -> PairSource:
        spool = self._spool
        return PairSource(
            pairs=self.pairs,
            path=self._input_path,
            fmt="jsonl" if spool else self.input_format,
            from_column=self.from_id_column,
            to_column=self.to_id_column,
            label_column=self.label_column,
            shard_index=self.shard_index,
            shard_count=self.shard_count,
            encoding=self.encoding,
            name=spool.name if spool else None,
        )

    def _common_labels(self) -> list[str | int]:
        if self.labels is None or self.labels == "" or self.labels == []:
            return []
        if isinstance(self.labels, bool):  # neither a label nor a type id (True would pass for type id 1)
            raise HubSpotInputError(f"bad label {self.labels!r}", field="labels")
        if isinstance(self.labels, (str, int)):
            return [self.labels]
        return list(self.labels)

    def _fingerprint_options(self) -> dict[str, Any]:
        """What changes the writes besides the input's content: a checkpoint of other options is refused."""
        return {
            "from": self.from_object_type,
            "to": self.to_object_type,
            "labels": self._common_labels(),
            "columns": [self.from_id_column, self.to_id_column, self.label_column],
            "format": self.input_format,
            "encoding": self.encoding,
            "shard": [self.shard_index, self.shard_count],
            "chunk_size": self.chunk_size,
        }

    def _checkpoint_for(self, context: Context) -> Checkpoint | None:
        """This task run's checkpoint (none for a dry run, which writes nothing)."""
        if self.is_dry_run:
            return None
        return self._open_checkpoint(
            context, path=self._input_path, items=self.pairs, options=self._fingerprint_options()
        )

    def _failure_report(self, previous: list[dict[str, Any]] | None) -> FailureReport:
        """The failures file and policy of this task, continuing ``previous`` (a checkpoint's refused rows)."""
        return FailureReport(
            self.hook,
            self.failures_path,
            max_failures=self.max_failures,
            max_failure_ratio=self.max_failure_ratio,
            log=self.log,
            previous=previous,
        )

    def _check_inputs(self) -> tuple[PairSource, int, list[AssociationType]]:
        """Every row and every label checked before the first write (reads only); errors name the row.
        An empty input fails unless ``allow_empty`` (reconcile: unless ``source_ids`` name records)."""
        try:
            source = self._source()
            staged = self._spool.records() if self._spool is not None else None
            try:
                total, row_labels = source.validate(staged)
            finally:
                if staged is not None:
                    staged.close()  # a bad row stops the query: its cursor and connection close now
            if self._spool is not None:
                self.log.info("Read %d row(s) from the %s", self._spool.rows, self._spool.name)
            resolved = [
                self.hook.get_label(self.from_object_type, self.to_object_type, label)
                for label in self._common_labels()
            ]
            for label, row in sorted(row_labels.items(), key=lambda item: item[1]):
                try:
                    resolved.append(self.hook.get_label(self.from_object_type, self.to_object_type, label))
                except HubSpotInputError as error:  # noqa: PERF203 - the error names the label's row
                    raise HubSpotInputError(
                        f"{source.name} row {row}: field {self.label_column or 'labels'!r}: {error.message}",
                        field=self.label_column or "labels",
                    ) from None
        except HubSpotInputError as error:
            values = self._spool.values_of(error.position) if self._spool is not None else ""
            raise AirflowFailException(error.message + values) from None
        if not source.rows and not self.allow_empty and not getattr(self, "source_ids", None):
            raise _empty_input(f"{source.name} (no rows)" if source.path else "pairs")
        return source, total, resolved


class _PairWriteOperator(_PairInputOperator):
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
        try:
            source, total, resolved = self._check_inputs()
            checkpoint = self._checkpoint_for(context)
            return self._write_all(context, source, total, resolved, checkpoint, summary)
        except HubSpotDailyLimitError as error:  # before any chunk was sent (label look-ups): nothing new done
            checkpoint = checkpoint or self._checkpoint_for(context)  # the rows were valid: the input is there
            if checkpoint is not None:
                summary.update(checkpoint.counts, failed=len(checkpoint.failures), resumed_from=checkpoint.position)
            self.daily_budget_spent(context, error, summary, checkpoint)

    @staticmethod
    def _count(
        summary: dict[str, Any],
        counts: dict[str, int],
        total: int,
        source: PairSource,
        start: int,
        report: FailureReport,
    ) -> None:
        """The summary over every attempt; pairs repeating an earlier row were never sent: counted once, as
        skipped (``total`` and checkpoints count the pairs sent)."""
        summary.update(counts, not_sent=total - counts["total"], resumed_from=start, **report.summary())
        summary.update(total=counts["total"] + source.duplicates, skipped=counts["skipped"] + source.duplicates)

    def _write_all(
        self,
        context: Context,
        source: PairSource,
        total: int,
        resolved: list[AssociationType],
        checkpoint: Checkpoint | None,
        summary: dict[str, Any],
    ) -> dict[str, Any]:
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
        if self.is_dry_run:
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
        start = checkpoint.position if checkpoint is not None else 0
        base = checkpoint.counts if checkpoint is not None else {}
        report = self._failure_report(checkpoint.failures if checkpoint is not None else None)
        cancelled = False
        with report:
            saver = self.chunk_saver(checkpoint, report, offset=start, base=base, source=source)
            try:
                result = self._call(SizedStream(source.hook_inputs(start), total - start), source, report, saver)
            except HubSpotCancelledError as error:
                result, cancelled = error.result, True
            except HubSpotDailyLimitError as error:
                self._count(summary, add_counts(base, result_counts(error.result)), total, source, start, report)
                self.daily_budget_spent(context, error, summary, checkpoint)
        self._count(summary, add_counts(base, result_counts(result)), total, source, start, report)
        self.log.info("Done: %s", summary_line(summary))
        if cancelled and not report.stopped_early:
            raise AirflowException(f"cancelled; {summary_line(summary)}; the rest was not sent")
        if checkpoint is not None and not cancelled:
            checkpoint.discard()  # the whole input is done: a later run of this task starts over
        report.enforce(total, context, summary)
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

    Scale-out: ``shard_count`` splits the input by from-record id into that many disjoint shards and the task
    writes shard ``shard_index``: map it with ``.partial(..., shard_count=8, pool="hubspot").expand(
    shard_index=list(range(8)))``, and give each shard its share of the rate limit through ``hook_params``.

    :param max_failures: fail the task when more rows than this fail (default 0: any failure); once exceeded,
        no further batch is sent. ``None``: never fail for row failures.
    :param max_failure_ratio: fail the task when more than this share of the rows failed (judged at the end).
    :param dry_run: validate rows and resolve labels (reads only), log the plan, write nothing.
    :param encoding: of ``input_path`` (default UTF-8; a byte-order mark is skipped), e.g. ``"cp1252"``.
    :param allow_empty: succeed with zero counts when the input has no rows (default: the task fails).
    :return: ``{"total", "succeeded", "failed", "skipped", "not_sent", "requests", "failures_path",
        "failures_sample", ...}``.
    """

    verb = "link"

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


class HubSpotSyncAssociationsOperator(_PairInputOperator):
    """Reconcile: make HubSpot's associations of the given source records match a desired set (a warehouse table).

    The desired pairs (and, with ``labels``/``label_column``, their labels) come from a file or list. The
    operator reads the current associations of every source record in the desired set (plus ``source_ids``:
    records whose associations should all go), then creates the missing pairs, adds missing labels and, with
    ``prune=True``, archives pairs that are not desired and removes user-defined labels that are not desired
    (HubSpot-defined types such as primary are never removed). The plan is logged with counts first;
    ``dry_run`` stops there. A second run with the same input writes nothing.

    Memory stays flat however many pairs are desired: they are sorted by from-id on disk and diffed against
    the current associations a window of records at a time, and the planned changes are spilled to local files
    (see :mod:`._reconcile`); the plan counts are exact. ``shard_count`` still spreads a large reconcile over
    workers.

    :return: the plan counts and, unless ``dry_run``, the counts of each write.
    """

    template_fields: Sequence[str] = (*_PairInputOperator.template_fields, "source_ids")

    def __init__(self, *, prune: bool = False, source_ids: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.prune = prune
        self.source_ids = source_ids

    def _run(self, context: Context) -> dict[str, Any]:
        checkpoint: Checkpoint | None = None
        try:
            source, _total, _resolved = self._check_inputs()
            checkpoint = self._checkpoint_for(context)
            return self._reconcile(context, source, checkpoint)
        except HubSpotDailyLimitError as error:  # before the writes (label look-ups, reads of the plan)
            checkpoint = checkpoint or self._checkpoint_for(context)
            summary: dict[str, Any] = {
                "operation": "sync",
                "from_object_type": self.from_object_type,
                "to_object_type": self.to_object_type,
            }
            if checkpoint is not None:
                summary.update(checkpoint.counts, failed=len(checkpoint.failures))
            self.daily_budget_spent(context, error, summary, checkpoint)

    def _fingerprint_options(self) -> dict[str, Any]:
        return {**super()._fingerprint_options(), "prune": self.prune, "source_ids": self.source_ids}

    def _reconcile(self, context: Context, source: PairSource, checkpoint: Checkpoint | None) -> dict[str, Any]:
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
                lambda ids: self.hook.iter_read_associations(f, t, ids, chunk_size=self.chunk_size),
                source,
                lambda pair: common | {self.hook.get_label(f, t, ref).key for ref in pair.labels},
                extra_ids=extra_ids,
                prune=self.prune,
                managed=managed,
                directory=directory,
                skip={(row["from_id"], row["to_id"], row["operation"]) for row in previous},
            )
            return self._apply(context, planned, checkpoint, previous)

    def _apply(
        self, context: Context, planned: Plan, checkpoint: Checkpoint | None, previous: list[dict[str, Any]]
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
        summary: dict[str, Any] = {
            "operation": "sync",
            "from_object_type": f,
            "to_object_type": t,
            "dry_run": self.is_dry_run,
            "prune": self.prune,
            "plan": plan,
        }
        if self.is_dry_run:
            return summary
        report = self._failure_report(previous)
        calls = {
            "created": lambda pairs, cb: self.hook.create_associations(f, t, pairs, **cb),
            "labels_removed": lambda pairs, cb: self.hook.archive_association_labels(f, t, pairs, **cb),
            "archived": lambda pairs, cb: self.hook.archive_associations(f, t, pairs, **cb),
        }
        writes = [(name, planned.phases[name], calls[name]) for name in PHASES]
        done = {name: 0 for name, _p, _c in writes}
        base = checkpoint.counts if checkpoint is not None else {}
        summary.update(created=0, labels_removed=0, archived=0, not_sent=0)
        with report:
            for index, (name, phase, call) in enumerate(writes):
                if not phase.count:
                    continue
                saver = self.chunk_saver(
                    checkpoint,
                    report,
                    offset=0,
                    base=add_counts(base, done),
                    counts=functools.partial(_phase_counts, name),
                )
                stream = StreamOrigin(phase.pairs())
                callbacks = {
                    "on_failure": "collect",
                    "chunk_size": self.chunk_size,
                    "chunk_callback": saver,
                    "failure_callback": report.callback(stream, name),
                }
                try:
                    result = call(SizedStream(stream, phase.count), callbacks)
                except HubSpotDailyLimitError as error:
                    running = result_counts(error.result)
                    # Chunks still in flight when the budget ran out were applied past the finished prefix: a
                    # resumed plan finds their pairs done and never counts them, so they are counted here.
                    in_flight = result_counts(error.in_flight)
                    done[name] = running["succeeded"] + in_flight["succeeded"]
                    if checkpoint is not None and in_flight["total"]:
                        report.flush()
                        checkpoint.save(
                            position=checkpoint.position, counts=add_counts(base, done), failures=report.rows
                        )
                    summary.update(
                        add_counts(base, done), resumed=bool(checkpoint and checkpoint.resumed), **report.summary()
                    )
                    summary["not_sent"] = (
                        phase.count
                        - running["total"]
                        - in_flight["total"]
                        + sum(later.count for _n, later, _c in writes[index + 1 :])
                    )
                    self.daily_budget_spent(context, error, summary, checkpoint)
                except HubSpotCancelledError as error:
                    done[name] = error.result.succeeded
                    summary.update(add_counts(base, done))
                    # this phase's unsent inputs and every later phase: nothing of them was sent
                    summary["not_sent"] = (
                        phase.count - error.result.total + sum(later.count for _n, later, _c in writes[index + 1 :])
                    )
                    if not report.stopped_early:
                        raise AirflowException(
                            f"cancelled during {name}: {error.message}; {summary['not_sent']} change(s) not sent"
                        ) from None
                    break
                done[name] = result.succeeded
            else:
                if checkpoint is not None:
                    checkpoint.discard()  # every write phase ran to its end
        summary.update(add_counts(base, done), resumed=bool(checkpoint and checkpoint.resumed))
        writes_total = plan["create"] + plan["remove_labels"] + plan["archive"]
        summary.update(report.summary())
        self.log.info(
            "Sync done: created %s, labels removed on %s, archived %s; %d failed",
            summary.get("created", 0),
            summary.get("labels_removed", 0),
            summary.get("archived", 0),
            report.count,
        )
        report.enforce(writes_total, context, summary)
        return summary
