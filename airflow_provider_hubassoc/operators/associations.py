"""Operators over associations between records: read (export), bulk link, bulk unlink, reconcile.

Each is a thin layer over :class:`HubSpotAssociationsHook`: it reads its inputs (a list, an XCom value or a
CSV/JSONL file), validates all of them before anything is written to HubSpot, hands them to one hook call
(which batches, paces, retries and maps partial failures), writes outputs and failed rows to files, and returns
a small summary to XCom.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterator, Sequence
from itertools import islice
from typing import Any

from airflow_provider_hubassoc._compat import AirflowException, AirflowFailException, Context
from airflow_provider_hubassoc.exceptions import HubSpotCancelledError, HubSpotDailyLimitError, HubSpotInputError
from airflow_provider_hubassoc.hooks._object_types import plural_name
from airflow_provider_hubassoc.hooks.models import AssociationRow, AssociationType, BatchResult
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
    SourcePair,
    check_encoding,
    check_object_types,
    check_shard,
    distinct_ids_from_file,
    file_format,
    parse_ids,
    shard_of,
)

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


def _check_one_source(first: tuple[str, Any], second: tuple[str, Any]) -> None:
    if (first[1] is None) == (second[1] is None):
        raise ValueError(f"give exactly one of {first[0]}= and {second[0]}=")


def _check_input_options(encoding: Any, allow_empty: Any) -> str:
    """Parse-time checks of the input options every file-reading operator has; returns the codec name."""
    if not isinstance(allow_empty, bool):
        raise ValueError(f"allow_empty must be True or False, got {allow_empty!r}")
    try:
        return check_encoding(encoding)
    except HubSpotInputError as error:
        raise ValueError(error.message) from None


def _empty_input(what: str) -> AirflowFailException:
    return AirflowFailException(f"{what} is empty: nothing to do. An empty input fails the task so a broken "
                                "upstream export is noticed; pass allow_empty=True to accept it as a success "
                                "with zero counts")


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
    :return: ``{"records", "skipped", "associations", "failed", "output_path", "rows"?}`` (``rows`` only without
        a file; ``records`` distinct ids read, ``skipped`` repeated ids left out).
    """

    template_fields: Sequence[str] = (
        "from_object_type", "to_object_type", "record_ids", "input_path", "output_path", "hubspot_conn_id",
        "checkpoint_path",
    )
    template_fields_renderers = {"record_ids": "json"}

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
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_object_types(from_object_type, to_object_type)
        _check_one_source(("record_ids", record_ids), ("input_path", input_path))
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

    def _ids(self) -> tuple[Any, int, int]:
        """The distinct ids to read, how many, and how many repeats were left out: a validated list, or the
        file streamed (validated in a first pass). A repeated id is read (and exported) once."""
        try:
            if self.record_ids is not None:
                given = parse_ids(self.record_ids, "record_ids")
                ids: Any = list(dict.fromkeys(given))
                count, repeats = len(ids), len(given) - len(ids)
            else:
                ids, repeats = distinct_ids_from_file(self.input_path, self.id_column, self.input_format,
                                                      encoding=self.encoding)
                count = len(ids)
        except HubSpotInputError as error:
            raise AirflowFailException(error.message) from None
        if not count and not self.allow_empty:
            raise _empty_input("record_ids" if self.record_ids is not None else f"{self.input_path} (no rows)")
        return ids, count, repeats

    def execute(self, context: Context) -> dict[str, Any]:
        ids, count, repeats = self._ids()
        f, t = self.from_object_type, self.to_object_type
        self.log.info("Reading %s→%s associations of %d record(s) into %s", f, t, count,
                      self.output_path or f"XCom (at most {self.max_xcom_rows} rows)")
        summary: dict[str, Any] = {"from_object_type": f, "to_object_type": t, "records": count,
                                   "skipped": repeats}
        # only a file export resumes (an XCom result is small and held in memory)
        checkpoint = self._open_checkpoint(
            context, path=self.input_path, items=self.record_ids, options={
                "from": f, "to": t, "id_column": self.id_column, "format": self.input_format,
                "encoding": self.encoding,
                "output": [self.output_path, self.output_format], "chunk_size": self.chunk_size},
        ) if self.output_path is not None else None
        writer: RowWriter | None = None
        if self.output_path is not None:
            keep = int(checkpoint.extra.get("output_rows", 0)) if checkpoint is not None else 0
            writer = RowWriter(self.output_path, ROW_COLUMNS, self.output_format, keep=keep)
            if keep and writer.set_aside() < keep:
                self.log.warning("The exported rows of the earlier attempt are not all in %s.partial (a store that "
                                 "keeps no half-written files): exporting from the start", self.output_path)
                writer.keep = 0
                checkpoint.state.update(position=0, counts={}, failures=[], extra={})  # type: ignore[union-attr]
        start = checkpoint.position if checkpoint is not None else 0
        report = FailureReport(self.hook, self.failures_path, max_failures=self.max_failures,
                               max_failure_ratio=None, log=self.log,
                               previous=checkpoint.failures if checkpoint is not None else None)
        try:
            with report:
                if writer is None:
                    rows = self.hook.iter_read_associations(
                        f, t, ids, on_failure="collect", failure_callback=report.callback(None, "read"),
                        chunk_size=self.chunk_size)
                    kept = self._rows_for_xcom(rows)
                    summary.update(associations=len(kept), output_path=None, rows=kept)
                else:
                    with writer:
                        rows = self.hook.iter_read_associations(
                            f, t, islice(ids, start, None), on_failure="collect",
                            failure_callback=report.callback(None, "read"), chunk_size=self.chunk_size,
                            chunk_callback=self.chunk_saver(
                                checkpoint, report, offset=start, output=writer,
                                base=checkpoint.counts if checkpoint is not None else {}))
                        for row in rows:
                            writer.write(association_row(row))
                    summary.update(associations=writer.count, output_path=self.output_path, resumed_from=start)
        except HubSpotCancelledError as error:
            raise AirflowException(f"stopped: {error.message}") from None
        except HubSpotDailyLimitError as error:
            saved = checkpoint.extra if checkpoint is not None else {}
            summary.update(associations=int(saved.get("output_rows", 0)), read=checkpoint.position
                           if checkpoint is not None else 0, resumed_from=start, **report.summary())
            self.daily_budget_spent(context, error, summary, checkpoint)
        if checkpoint is not None:
            checkpoint.discard()
        summary.update(report.summary())
        report.enforce(count, context, summary)
        self.log.info("Read %d association(s) of %d record(s); %d record(s) failed",
                      summary["associations"], count, report.count)
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
        "from_object_type", "to_object_type", "pairs", "input_path", "labels", "failures_path", "hubspot_conn_id",
        "checkpoint_path",
    )
    template_fields_renderers = {"pairs": "json"}

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
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_object_types(from_object_type, to_object_type)
        _check_one_source(("pairs", pairs), ("input_path", input_path))
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

    def _source(self) -> PairSource:
        return PairSource(
            pairs=self.pairs, path=self.input_path, fmt=self.input_format, from_column=self.from_id_column,
            to_column=self.to_id_column, label_column=self.label_column,
            shard_index=self.shard_index, shard_count=self.shard_count, encoding=self.encoding,
        )

    def _common_labels(self) -> list[str | int]:
        if self.labels is None or self.labels == "" or self.labels == []:
            return []
        if isinstance(self.labels, (str, int)) and not isinstance(self.labels, bool):
            return [self.labels]
        return list(self.labels)

    def _fingerprint_options(self) -> dict[str, Any]:
        """What changes the writes besides the input's content: a checkpoint of other options is refused."""
        return {"from": self.from_object_type, "to": self.to_object_type, "labels": self._common_labels(),
                "columns": [self.from_id_column, self.to_id_column, self.label_column],
                "format": self.input_format, "encoding": self.encoding,
                "shard": [self.shard_index, self.shard_count], "chunk_size": self.chunk_size}

    def _checkpoint_for(self, context: Context) -> Checkpoint | None:
        """This task run's checkpoint (none for a dry run, which writes nothing)."""
        if self.is_dry_run:
            return None
        return self._open_checkpoint(context, path=self.input_path, items=self.pairs,
                                     options=self._fingerprint_options())

    def _check_inputs(self) -> tuple[PairSource, int, list[AssociationType]]:
        """Every row and every label checked before the first write (reads only); errors name the row.
        An empty input fails unless ``allow_empty`` (reconcile: unless ``source_ids`` name records)."""
        try:
            source = self._source()
            total, row_labels = source.validate()
            resolved = [self.hook.get_label(self.from_object_type, self.to_object_type, label)
                        for label in self._common_labels()]
            for label, row in sorted(row_labels.items(), key=lambda item: item[1]):
                try:
                    resolved.append(self.hook.get_label(self.from_object_type, self.to_object_type, label))
                except HubSpotInputError as error:
                    raise HubSpotInputError(f"{source.name} row {row}: field {self.label_column or 'labels'!r}: "
                                            f"{error.message}", field=self.label_column or "labels") from None
        except HubSpotInputError as error:
            raise AirflowFailException(error.message) from None
        if not source.rows and not self.allow_empty and not getattr(self, "source_ids", None):
            raise _empty_input(f"{source.name} (no rows)" if source.path else "pairs")
        return source, total, resolved



class _PairWriteOperator(_PairInputOperator):
    """Bulk link and unlink: the validated pairs go to one hook call (:meth:`_call`), failures out."""

    verb = "write"

    @abstractmethod
    def _call(self, pairs: SizedStream, source: PairSource, report: FailureReport,
              chunk_callback: Callable[[int, int], None]) -> BatchResult:
        """The one hook call writing ``pairs`` (the pairs of ``source`` not done yet)."""

    def execute(self, context: Context) -> dict[str, Any]:
        checkpoint: Checkpoint | None = None
        summary: dict[str, Any] = {"operation": self.verb, "from_object_type": self.from_object_type,
                                   "to_object_type": self.to_object_type, "dry_run": self.is_dry_run,
                                   "shard_index": self.shard_index, "shard_count": self.shard_count}
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
    def _count(summary: dict[str, Any], counts: dict[str, int], total: int, source: PairSource, start: int,
               report: FailureReport) -> None:
        """The summary over every attempt; pairs repeating an earlier row were never sent: counted once, as
        skipped (``total`` and checkpoints count the pairs sent)."""
        summary.update(counts, not_sent=total - counts["total"], resumed_from=start, **report.summary())
        summary.update(total=counts["total"] + source.duplicates, skipped=counts["skipped"] + source.duplicates)

    def _write_all(self, context: Context, source: PairSource, total: int, resolved: list[AssociationType],
                   checkpoint: Checkpoint | None, summary: dict[str, Any]) -> dict[str, Any]:
        shard = f" (shard {self.shard_index} of {self.shard_count})" if self.shard_count else ""
        label_text = ", ".join(repr(t.label or t.name or t.type_id) for t in resolved) or "none (default)"
        self.log.info("Plan: %s %d pair(s) %s→%s from %s%s; labels: %s%s", self.verb, total, self.from_object_type,
                      self.to_object_type, source.name, shard, label_text, "; DRY RUN, nothing is written"
                      if self.is_dry_run else "")
        if self.is_dry_run:
            summary.update(total=total + source.duplicates, succeeded=0, failed=0, skipped=source.duplicates,
                           requests=0, not_sent=total, labels=[t.as_dict() for t in resolved])
            return summary
        start = checkpoint.position if checkpoint is not None else 0
        base = checkpoint.counts if checkpoint is not None else {}
        report = FailureReport(self.hook, self.failures_path, max_failures=self.max_failures,
                               max_failure_ratio=self.max_failure_ratio, log=self.log,
                               previous=checkpoint.failures if checkpoint is not None else None)
        cancelled = False
        with report:
            saver = self.chunk_saver(checkpoint, report, offset=start, base=base, source=source)
            try:
                result = self._call(SizedStream(source.hook_inputs(start), total - start), source, report, saver)
            except HubSpotCancelledError as error:
                result, cancelled = error.result, True
            except HubSpotDailyLimitError as error:
                self._count(summary, add_counts(base, result_counts(self.hook.batch_result)), total, source, start,
                            report)
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

    def _call(self, pairs: SizedStream, source: PairSource, report: FailureReport,
              chunk_callback: Callable[[int, int], None]) -> BatchResult:
        return self.hook.create_associations(
            self.from_object_type, self.to_object_type, pairs, labels=self._common_labels() or None,
            on_failure="collect", failure_callback=report.callback(source, "create"), chunk_callback=chunk_callback,
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

    def _call(self, pairs: SizedStream, source: PairSource, report: FailureReport,
              chunk_callback: Callable[[int, int], None]) -> BatchResult:
        common = self._common_labels()
        kwargs: dict[str, Any] = dict(
            on_failure="collect", failure_callback=report.callback(source, "archive"),
            chunk_callback=chunk_callback, chunk_size=self.chunk_size,
        )
        if common or self.label_column:
            return self.hook.archive_association_labels(
                self.from_object_type, self.to_object_type, pairs, labels=common or None, **kwargs
            )
        return self.hook.archive_associations(self.from_object_type, self.to_object_type, pairs, **kwargs)


class _ListOrigin:
    """Maps a hook input position back to the desired row it came from (for the failures file)."""

    def __init__(self, pairs: list[SourcePair]) -> None:
        self.pairs = pairs

    def origin(self, position: int | None) -> SourcePair | None:
        return self.pairs[position] if position is not None and 0 <= position < len(self.pairs) else None


class HubSpotSyncAssociationsOperator(_PairInputOperator):
    """Reconcile: make HubSpot's associations of the given source records match a desired set (a warehouse table).

    The desired pairs (and, with ``labels``/``label_column``, their labels) come from a file or list. The
    operator reads the current associations of every source record in the desired set (plus ``source_ids``:
    records whose associations should all go), then creates the missing pairs, adds missing labels and, with
    ``prune=True``, archives pairs that are not desired and removes user-defined labels that are not desired
    (HubSpot-defined types such as primary are never removed). The plan is logged with counts first;
    ``dry_run`` stops there. A second run with the same input writes nothing.

    The desired set is held in memory (about 100 bytes a pair); reconcile shards with ``shard_count`` when
    it runs to many millions of pairs.

    :return: the plan counts and, unless ``dry_run``, the counts of each write.
    """

    template_fields: Sequence[str] = (*_PairInputOperator.template_fields, "source_ids")

    def __init__(self, *, prune: bool = False, source_ids: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.prune = prune
        self.source_ids = source_ids

    def execute(self, context: Context) -> dict[str, Any]:
        checkpoint: Checkpoint | None = None
        try:
            source, total, _resolved = self._check_inputs()
            checkpoint = self._checkpoint_for(context)
            return self._reconcile(context, source, checkpoint)
        except HubSpotDailyLimitError as error:  # before the writes (label look-ups, reads of the plan)
            checkpoint = checkpoint or self._checkpoint_for(context)
            summary = {"operation": "sync", "from_object_type": self.from_object_type,
                       "to_object_type": self.to_object_type}
            if checkpoint is not None:
                summary.update(checkpoint.counts, failed=len(checkpoint.failures))
            self.daily_budget_spent(context, error, summary, checkpoint)

    def _fingerprint_options(self) -> dict[str, Any]:
        return {**super()._fingerprint_options(), "prune": self.prune, "source_ids": self.source_ids}

    def _reconcile(self, context: Context, source: PairSource, checkpoint: Checkpoint | None) -> dict[str, Any]:
        """Plan from the current state, then write. A resumed run plans again (what an earlier attempt wrote
        is no longer missing) and does not resend the changes whose failures the checkpoint holds."""
        f, t = self.from_object_type, self.to_object_type
        # every label was resolved by _check_inputs: these lookups (and the per-row ones below) hit the hook's cache
        common = {self.hook.get_label(f, t, label).key for label in self._common_labels()}
        managed = bool(common) or self.label_column is not None
        desired: dict[int, dict[int, tuple[SourcePair, set[tuple[str | None, int | None]]]]] = {}
        for pair in source:
            keys = common | {self.hook.get_label(f, t, ref).key for ref in pair.labels}
            entry = desired.setdefault(pair.from_id, {}).get(pair.to_id)
            desired[pair.from_id][pair.to_id] = (entry[0] if entry else pair, (entry[1] if entry else set()) | keys)
        try:
            extra_ids = parse_ids(self.source_ids, "source_ids") if self.source_ids is not None else []
        except HubSpotInputError as error:
            raise AirflowFailException(error.message) from None
        if self.shard_count:  # another shard owns the other records: never read or prune them here
            extra_ids = [i for i in extra_ids if shard_of(i, self.shard_count) == self.shard_index]
        record_ids = sorted(set(desired) | set(extra_ids))

        to_create: list[SourcePair] = []
        to_unlabel: list[SourcePair] = []
        to_archive: list[SourcePair] = []
        unchanged = 0
        seen: set[tuple[int, int]] = set()
        for row in self.hook.iter_read_associations(f, t, record_ids, chunk_size=self.chunk_size):
            wanted = desired.get(row.from_id, {}).get(row.to_id)
            current = {x.key for x in row.types}
            if wanted is None:
                if self.prune:
                    to_archive.append(SourcePair(None, row.from_id, row.to_id, (), None))
                continue
            seen.add((row.from_id, row.to_id))
            origin, keys = wanted
            missing = [key[1] for key in keys - current if key[1] is not None]
            extra = [x.type_id for x in row.types if managed and self.prune and x.category == "USER_DEFINED"
                     and x.key not in keys and x.type_id is not None]
            if missing:
                to_create.append(SourcePair(origin.row, row.from_id, row.to_id, tuple(sorted(missing)), origin.source))
            if extra:
                to_unlabel.append(SourcePair(origin.row, row.from_id, row.to_id, tuple(extra), origin.source))
            if not missing and not extra:
                unchanged += 1
        for from_id, targets in desired.items():
            for to_id, (origin, keys) in targets.items():
                if (from_id, to_id) not in seen:
                    labels = tuple(sorted(key[1] for key in keys if key[1] is not None))
                    to_create.append(SourcePair(origin.row, from_id, to_id, labels, origin.source))

        plan = {"records": len(record_ids), "desired": sum(len(v) for v in desired.values()),
                "create": len(to_create), "remove_labels": len(to_unlabel), "archive": len(to_archive),
                "unchanged": unchanged}
        self.log.info("Plan for %s→%s: %s%s", f, t, plan, "; DRY RUN, nothing is written" if self.is_dry_run else
                      ("" if self.prune else " (prune=False: extra associations are kept)"))
        summary: dict[str, Any] = {"operation": "sync", "from_object_type": f, "to_object_type": t,
                                   "dry_run": self.is_dry_run, "prune": self.prune, "plan": plan}
        if self.is_dry_run:
            return summary
        previous = checkpoint.failures if checkpoint is not None else []
        failed_before = {(row["from_id"], row["to_id"], row["operation"]) for row in previous}
        report = FailureReport(self.hook, self.failures_path, max_failures=self.max_failures,
                               max_failure_ratio=self.max_failure_ratio, log=self.log, previous=previous)
        writes = [
            ("created", to_create, lambda pairs, cb: self.hook.create_associations(f, t, pairs, **cb)),
            ("labels_removed", to_unlabel, lambda pairs, cb: self.hook.archive_association_labels(f, t, pairs, **cb)),
            ("archived", to_archive, lambda pairs, cb: self.hook.archive_associations(f, t, pairs, **cb)),
        ]
        writes = [(name, [p for p in pairs if (p.from_id, p.to_id, name) not in failed_before], call)
                  for name, pairs, call in writes]
        done = {name: 0 for name, _p, _c in writes}
        base = checkpoint.counts if checkpoint is not None else {}
        summary.update(created=0, labels_removed=0, archived=0, not_sent=0)
        with report:
            for index, (name, pairs, call) in enumerate(writes):
                if not pairs:
                    continue
                saver = self.chunk_saver(checkpoint, report, offset=0, base=add_counts(base, done),
                                         counts=lambda running, name=name: {name: running.succeeded})
                callbacks = {"on_failure": "collect", "chunk_size": self.chunk_size, "chunk_callback": saver,
                             "failure_callback": report.callback(_ListOrigin(pairs), name)}
                try:
                    result = call([p.hook_input() for p in pairs], callbacks)
                except HubSpotDailyLimitError as error:
                    running = result_counts(self.hook.batch_result)
                    done[name] = running["succeeded"]
                    summary.update(add_counts(base, done), resumed=bool(checkpoint and checkpoint.resumed),
                                   **report.summary())
                    summary["not_sent"] = (len(pairs) - running["total"]
                                           + sum(len(later) for _n, later, _c in writes[index + 1:]))
                    self.daily_budget_spent(context, error, summary, checkpoint)
                except HubSpotCancelledError as error:
                    done[name] = error.result.succeeded
                    summary.update(add_counts(base, done))
                    # this phase's unsent inputs and every later phase: nothing of them was sent
                    summary["not_sent"] = (len(pairs) - error.result.total
                                           + sum(len(later) for _n, later, _c in writes[index + 1:]))
                    if not report.stopped_early:
                        raise AirflowException(f"cancelled during {name}: {error.message}; "
                                               f"{summary['not_sent']} change(s) not sent") from None
                    break
                done[name] = result.succeeded
            else:
                if checkpoint is not None:
                    checkpoint.discard()  # every write phase ran to its end
        summary.update(add_counts(base, done), resumed=bool(checkpoint and checkpoint.resumed))
        writes_total = len(to_create) + len(to_unlabel) + len(to_archive)
        summary.update(report.summary())
        self.log.info("Sync done: created %s, labels removed on %s, archived %s; %d failed",
                      summary.get("created", 0), summary.get("labels_removed", 0), summary.get("archived", 0),
                      report.count)
        report.enforce(writes_total, context, summary)
        return summary
