"""What the pair-writing operators share: pairs in (a list, an XCom value, a CSV/JSONL file or a query), every
row validated and every label resolved before anything is written; the checks of the input options."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from airflow_provider_hubassoc._compat import AirflowFailException, Context
from airflow_provider_hubassoc.exceptions import HubSpotInputError
from airflow_provider_hubassoc.operators._base import ResumableOperator
from airflow_provider_hubassoc.operators._files import (
    SHARD_FUNCTION,
    PairSource,
    check_object_types,
    check_shard,
)
from airflow_provider_hubassoc.operators._job import FailureReport, check_failure_policy
from airflow_provider_hubassoc.operators._lineage import associations_uri, declare, file_uri, literal, record_events
from airflow_provider_hubassoc.operators._rowfiles import check_encoding, file_format
from airflow_provider_hubassoc.operators._sql import DEFAULT_PAGE_SIZE, QuerySpool, optional_spool

if TYPE_CHECKING:
    from airflow_provider_hubassoc.hooks.models import AssociationType
    from airflow_provider_hubassoc.operators._checkpoint import Checkpoint


def check_one_source(*sources: tuple[str, Any]) -> None:
    if sum(value is not None for _name, value in sources) != 1:
        raise ValueError(f"give exactly one of {' and '.join(f'{name}=' for name, _v in sources)}")


def check_input_options(encoding: Any, allow_empty: Any) -> str:
    """Parse-time checks of the input options every file-reading operator has; returns the codec name."""
    if not isinstance(allow_empty, bool):
        raise ValueError(f"allow_empty must be True or False, got {allow_empty!r}")  # noqa: TRY004 - bad options raise ValueError here, as every other option check does
    try:
        return check_encoding(encoding)
    except HubSpotInputError as error:
        raise ValueError(error.message) from None


def empty_input(what: str) -> AirflowFailException:
    return AirflowFailException(
        f"{what} is empty: nothing to do. An empty input fails the task so a broken "
        "upstream export is noticed; pass allow_empty=True to accept it as a success "
        "with zero counts"
    )


def check_file_format(path: str | None, fmt: str | None, field_name: str) -> None:
    """Check a literal path's format at parse time (templated paths are checked when rendered)."""
    if path is not None and "{{" not in str(path):
        try:
            file_format(path, fmt)
        except HubSpotInputError as error:
            raise ValueError(f"{field_name}: {error.message}") from None


class PairInputOperator(ResumableOperator):
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
        sql_shard_filter: bool = True,
        **kwargs: Any,
    ) -> None:
        """Every argument is checked here, at DAG parse time, so a bad one fails the DAG file rather than a run:
        the length is one line per argument.

        :param sql_shard_filter: with ``sql=`` and ``shard_count``: ``True`` (default) wraps the query so the
            database returns only this shard's rows (``from_id % shard_count = shard_index``); ``False`` runs
            the query as written, which must then select this shard's rows itself by that same function. Either
            way a row of another shard fails the task, naming the row and the function."""
        super().__init__(**kwargs)
        check_object_types(from_object_type, to_object_type)
        check_one_source(("pairs", pairs), ("input_path", input_path), ("sql", sql))
        if sql is not None and not sql_conn_id:
            raise ValueError("sql= needs sql_conn_id= (an Airflow connection to the database)")
        if isinstance(sql_page_size, bool) or not isinstance(sql_page_size, int) or sql_page_size < 1:
            raise ValueError(f"sql_page_size must be a positive integer, got {sql_page_size!r}")
        self.sql, self.sql_conn_id, self.sql_parameters = sql, sql_conn_id, sql_parameters
        self.sql_page_size = sql_page_size
        if not isinstance(sql_shard_filter, bool):
            raise ValueError(f"sql_shard_filter must be True or False, got {sql_shard_filter!r}")  # noqa: TRY004 - option checks raise ValueError
        self.sql_shard_filter = sql_shard_filter
        self._spool: QuerySpool | None = None
        self._validated: PairSource | None = None
        self.encoding = check_input_options(encoding, allow_empty)
        self.allow_empty = allow_empty
        check_file_format(input_path, input_format, "input_path")
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
        self.check_locations(context, checkpoint=not self.is_dry_run, failures_path=self.failures_path)
        columns = [c for c in (self.from_id_column, self.to_id_column, self.label_column) if c is not None]
        with optional_spool(
            self.sql_conn_id,
            self.sql,
            parameters=self.sql_parameters,
            required=columns,
            page_size=self.sql_page_size,
            shard=self._query_shard(),
            order_by=columns,  # a stable order across retries: the checkpoint resumes by position
        ) as spool:
            self._spool = spool
            try:
                summary = self._run(context)
            finally:
                self._spool = None
                if self._validated is not None:
                    self._validated.close()  # its spool of validated pairs
                    self._validated = None
            if spool is not None:
                summary["rows_read"] = spool.rows
        if not self.is_dry_run:
            record_events(self, context, summary, self.lineage_uris()[1])
        return summary

    def _query_shard(self) -> tuple[str, int, int] | None:
        """What the query is wrapped in: this shard of the from-id column (see :func:`~._sql.shard_query`)."""
        if self.sql is None or not self.shard_count or not self.sql_shard_filter:
            return None
        return (self.from_id_column, int(self.shard_index or 0), self.shard_count)

    @abstractmethod
    def _run(self, context: Context) -> dict[str, Any]:
        """The operator's work once its input is at hand."""

    @property
    def _input_path(self) -> str | None:
        return self._spool.path if self._spool is not None else self.input_path

    def _source_options(self) -> dict[str, Any]:
        """The :class:`PairSource` arguments of this operator's input."""
        spool = self._spool
        return {
            "pairs": self.pairs,
            "path": self._input_path,
            "fmt": "jsonl" if spool else self.input_format,
            "from_column": self.from_id_column,
            "to_column": self.to_id_column,
            "label_column": self.label_column,
            "shard_index": self.shard_index,
            "shard_count": self.shard_count,
            "encoding": self.encoding,
            "name": spool.name if spool else None,
            "strict_shard": spool is not None,  # a sharded query returns only this shard's rows
        }

    def _source(self) -> PairSource:
        return PairSource(**self._source_options())

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
            "shard": [self.shard_index, self.shard_count, SHARD_FUNCTION],
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
            source = self._validated = self._source()
            staged = self._spool.records() if self._spool is not None and not self._spool.staged else None
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
        empty = not source.rows and not self.allow_empty and not getattr(self, "source_ids", None)
        if empty and not self._an_empty_shard():
            raise empty_input(f"{source.name} (no rows)" if source.path else "pairs")
        return source, total, resolved

    def _an_empty_shard(self) -> bool:
        """Whether a query that returned no rows for this shard returns rows for others (an empty shard is normal;
        an empty input fails): asked of the database only then, one row fetched."""
        spool = self._spool
        if spool is None or spool.shard is None:
            return False
        if spool.whole_query_has_rows():
            self.log.info("No rows of shard %s of %s in the %s", self.shard_index, self.shard_count, spool.name)
            return True
        return False
