"""SQL tables as inputs and outputs of the operators, through Airflow's common-sql (the ``[sql]`` extra).

Any connection whose hook is a common-sql ``DbApiHook`` works (Postgres, Snowflake, BigQuery, Redshift, MySQL,
SQLite, DuckDB...). A query is read once, in pages (``fetchmany``; a server-side cursor where the driver has
one), into a local JSON Lines spool file, its rows validated as they are staged; the operators then write from
that file exactly as from an input file: the validation pass and the write pass see the same rows, a
checkpoint fingerprints them. A sharded query is wrapped in the shard predicate (:func:`shard_query`), so each
shard reads only its rows. A table is written in pages, all in one transaction, so a failed load leaves it as it was.
This module never talks to HubSpot.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from itertools import islice
from typing import IO, Any

from airflow_provider_hubassoc._compat import AirflowFailException, BaseHook
from airflow_provider_hubassoc.hooks._validation import shown
from airflow_provider_hubassoc.operators._rowfiles import iter_file_records, named_error

#: rows fetched from a cursor (and written to a table) at a time
DEFAULT_PAGE_SIZE = 10_000
#: cell types a spool line gives back as they are (others, such as ``Decimal``, come back as JSON makes them)
_JSON_NATIVE = frozenset({int, str, float, bool, type(None)})
#: ``if_exists`` modes of a table output
TABLE_MODES = ("append", "replace", "upsert")


def db_hook(conn_id: str) -> Any:
    """The common-sql ``DbApiHook`` of an Airflow connection (its type's provider makes it); a clear error when
    common-sql is not installed or the connection's hook is not one."""
    try:
        from airflow.providers.common.sql.hooks.sql import DbApiHook
    except ImportError:
        raise AirflowFailException(
            "reading or writing SQL needs apache-airflow-providers-common-sql: "
            "pip install 'airflow-provider-hubassoc[sql]' (and the provider of your database)"
        ) from None
    connection = BaseHook.get_connection(conn_id)
    hook = connection.get_hook()
    if not isinstance(hook, DbApiHook):
        raise AirflowFailException(
            f"connection {conn_id!r} (type {connection.conn_type!r}) gives a {type(hook).__name__}, not a "
            "common-sql DbApiHook: use a database connection (postgres, snowflake, sqlite, mysql, ...)"
        )
    return hook


def _cursor(connection: Any) -> Any:
    """A server-side (named) cursor where the driver has one (psycopg), so the server streams the rows; else the
    driver's cursor (SQLite, Snowflake and BigQuery stream a plain cursor's result in pages themselves)."""
    try:
        return connection.cursor(name="hubassoc_source")
    except TypeError:
        return connection.cursor()


def iter_query(
    hook: Any,
    sql: str,
    parameters: Any = None,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    name: str = "the query",
) -> Generator[tuple[list[str], list[tuple[Any, ...]]], None, None]:
    """``(column names, page of rows)`` of a query, ``page_size`` rows at a time (never the whole result);
    ``name`` is what an error calls the query."""
    with closing(hook.get_conn()) as connection, closing(_cursor(connection)) as cursor:
        if parameters is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, parameters)
        names: list[str] | None = None
        while True:
            page = cursor.fetchmany(page_size)
            if names is None:  # a named cursor describes its columns after the first fetch
                if cursor.description is None:
                    raise named_error(f"{name}: the query returned no result set (is it a SELECT?)", field="sql")
                names = [str(column[0]) for column in cursor.description]
            if not page:
                yield names, []
                return
            yield names, list(page)


#: dialects (common-sql's ``dialect_name``) whose integer remainder is the ``%`` operator: SQLite's ``mod()`` (where
#: compiled in) works in floating point, wrong past 2^53; SQL Server has no ``MOD()``
_PERCENT_DIALECTS = frozenset({"sqlite", "mssql"})
#: a column name that needs no quoting in any dialect
_PLAIN_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def shard_query(
    sql: str,
    column: str,
    shard_index: int,
    shard_count: int,
    dialect: str | None,
    order_by: Sequence[str] = (),
) -> str:
    """``sql`` wrapped so the database returns only the rows of one shard: ``from_id % shard_count =
    shard_index`` (:func:`~._files.shard_of`), as ``MOD(column, count)``, or ``%`` in :data:`_PERCENT_DIALECTS`.

    The shard numbers are written as integer literals, not bound parameters: they are checked integers, and a
    bound parameter would change how a ``format``-paramstyle driver (psycopg, MySQL) reads the user's own SQL
    (each ``%`` then needs doubling, so a query with ``id % 8`` that ran unbound would fail). A trailing ``;``
    is dropped; the subquery alias takes no ``AS`` (Oracle refuses it). A row no shard would hold (a ``NULL`` or
    negative id, a remainder the database computes as negative) reaches a shard all the same (``IS NULL``,
    ``ABS``), where validation names it: bad input is never dropped unseen.

    ``order_by`` (the pair's columns) makes the order of the rows part of the query: a checkpoint resumes by
    position and fingerprints the rows, and a query without ``ORDER BY`` may answer in another order on a retry
    (PostgreSQL's synchronized scans of a big table start where another scan is: measured, every retried shard
    of a 1M-row backfill was refused its checkpoint). The database sorts one shard's rows; the user's own
    ``ORDER BY``, if any, is inside the subquery and no longer decides."""
    count, index = int(shard_count), int(shard_index)  # integers, never text spliced into SQL
    if not 0 <= index < count:
        raise ValueError(f"shard_index {index} is not in 0..{count - 1}")
    name = _qualified(column)
    remainder = f"ABS({name}) % {count}" if dialect in _PERCENT_DIALECTS else f"MOD(ABS({name}), {count})"
    body = sql.strip().rstrip(";").rstrip()
    order = f" ORDER BY {', '.join(_qualified(c) for c in order_by)}" if order_by else ""
    return f"SELECT * FROM (\n{body}\n) hubassoc_q WHERE {name} IS NULL OR {remainder} = {index}{order}"


def _qualified(column: str) -> str:
    """``column`` of the wrapped subquery, quoted when it is not a plain name."""
    if _PLAIN_COLUMN.match(column):
        return f"hubassoc_q.{column}"
    return f'hubassoc_q."{column.replace(chr(34), 2 * chr(34))}"'


def check_columns(names: Sequence[str], required: Sequence[str], where: str) -> None:
    """A query's columns before its first row is used: each named once, and the ``required`` ones there."""
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise named_error(
            f"{where}: the query returns column {repeated[0]!r} twice (columns: {list(names)}); alias one of them",
            field=repeated[0],
        )
    missing = [name for name in required if name not in names]
    if missing:
        raise named_error(
            f"{where}: the query has no column {missing[0]!r} (columns: {list(names)}); alias "
            "a column or set the *_column argument",
            field=missing[0],
        )


def spooled_row(path: str, position: int) -> Mapping[str, Any] | None:
    """Row ``position`` (1-based) of a spool file, for naming a bad row's values."""
    with open(path, encoding="utf-8") as handle:
        line = next(islice(handle, position - 1, None), None)
    return json.loads(line) if line else None


class QuerySpool:
    """A query's result staged once in a local JSON Lines file for the duration of a task run (then deleted).

    The query runs once, when the operator validates its rows (:meth:`records`): each page is written to the
    spool as it is handed out for validation, so the database is read once and the spool once (by the write
    pass), as often as an input file is read (validation, then writes). Both passes see the same rows however
    the table changes meanwhile, and the file's content fingerprints a checkpoint (a retry re-runs the query:
    if its rows changed, the checkpoint is refused rather than resumed against other rows).
    """

    def __init__(
        self,
        conn_id: str,
        sql: str,
        *,
        parameters: Any = None,
        required: Sequence[str] = (),
        page_size: int = DEFAULT_PAGE_SIZE,
        directory: str | None = None,
        shard: tuple[str, int, int] | None = None,
        order_by: Sequence[str] = (),
    ) -> None:
        self.conn_id, self.sql, self.parameters = conn_id, sql, parameters
        #: ``(from-id column, shard index, shard count)``: the query is run wrapped by :func:`shard_query`
        self.shard = shard
        #: the pair's columns: a sharded query's rows come sorted on them (see :func:`shard_query`)
        self.order_by = tuple(order_by)
        self.required, self.page_size, self.directory = list(required), page_size, directory
        self.path: str | None = None
        #: rows staged so far (all of them once :meth:`records` is exhausted)
        self.rows = 0
        self._dir: str | None = None
        self._handle: IO[str] | None = None
        self._ran = False

    @property
    def name(self) -> str:
        return f"query on {self.conn_id!r}"

    def __enter__(self) -> QuerySpool:
        self._dir = tempfile.mkdtemp(prefix="hubassoc-query-", dir=self.directory)
        self.path = os.path.join(self._dir, "rows.jsonl")
        return self

    def records(self) -> Generator[tuple[int, Mapping[str, Any]], None, None]:
        """Run the query and stage its rows: ``(row number, row keyed by column)`` of each, 1-based, once its
        page is in the spool (line ``n`` is row ``n``). Once only: afterwards read the spool at :attr:`path`."""
        if self.path is None or self._handle is not None or self.rows:
            raise RuntimeError("QuerySpool.records() runs the query once, inside the spool's with-block")
        self._ran = True
        dumps = json.JSONEncoder(separators=(",", ":"), default=str).encode
        with open(self.path, "w", encoding="utf-8") as self._handle:
            try:
                hook = db_hook(self.conn_id)
                sql = (
                    self.sql
                    if self.shard is None
                    else shard_query(self.sql, *self.shard, _dialect(hook), self.order_by)
                )
                pages = iter_query(hook, sql, self.parameters, page_size=self.page_size, name=self.name)
                for names, page in pages:
                    if not self.rows:
                        check_columns(names, self.required, self.name)
                    lines, page_records = [], []
                    for row in page:
                        record = dict(zip(names, row, strict=True))
                        lines.append(dumps(record) + "\n")
                        if not all(type(value) in _JSON_NATIVE for value in row):  # Decimal, date, array...:
                            record = json.loads(lines[-1])  # validated as the write pass will read it
                        page_records.append(record)
                    self._handle.write("".join(lines))
                    self._handle.flush()  # a bad row's values are read back from the file for its error
                    first, self.rows = self.rows, self.rows + len(page_records)
                    yield from enumerate(page_records, start=first + 1)
            finally:
                self._handle = None

    def whole_query_has_rows(self) -> bool:
        """Whether the query as written (every shard) returns a row: what tells an empty shard (normal) from an
        empty input (a broken upstream) once the shard's own query came back empty. Fetches one row."""
        pages = iter_query(db_hook(self.conn_id), self.sql, self.parameters, page_size=1, name=self.name)
        try:
            return bool(next(pages)[1])
        finally:
            pages.close()

    def __exit__(self, *exc: Any) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    @property
    def staged(self) -> bool:
        """The query ran and its rows are in the spool file (:meth:`records` was read)."""
        return self._ran

    def values_of(self, position: int | None) -> str:
        """`` (row values: {...})`` of a bad row, for its error message; empty when unknown."""
        if position is None or self.path is None or not os.path.exists(self.path):
            return ""
        row = spooled_row(self.path, position)
        return f" (row values: {shown(row, limit=300)})" if row is not None else ""


def _dialect(hook: Any) -> str | None:
    """common-sql's dialect name of a hook (``sqlite``, ``postgresql``...), ``None`` where it has none."""
    try:
        return str(hook.dialect_name)
    except Exception:  # an older common-sql, or a hook whose dialect cannot be told: MOD()
        return None


@contextmanager
def optional_spool(conn_id: str | None, sql: str | None, **kwargs: Any) -> Iterator[QuerySpool | None]:
    """A :class:`QuerySpool` when ``sql`` is set, else ``None``."""
    if sql is None:
        yield None
        return
    if not conn_id:
        raise AirflowFailException("sql= needs sql_conn_id= (an Airflow connection to the database)")
    with QuerySpool(conn_id, sql, **kwargs) as spool:
        yield spool


#: a table name: ``name``, ``schema.name`` or ``database.schema.name`` (plain or double-quoted parts)
_TABLE_NAME = re.compile(r'^(?:[A-Za-z_][A-Za-z0-9_$]*|"[^"]+")(?:\.(?:[A-Za-z_][A-Za-z0-9_$]*|"[^"]+")){0,2}$')
#: DDL of the exported columns where ``create_table=True`` creates the table (portable types)
COLUMN_TYPES = {
    "from_object_type": "VARCHAR(100)",
    "from_id": "BIGINT",
    "to_object_type": "VARCHAR(100)",
    "to_id": "BIGINT",
    "type_ids": "VARCHAR(4000)",
    "categories": "VARCHAR(4000)",
    "labels": "VARCHAR(4000)",
}
#: the key of an exported row: one row per pair of records
PAIR_KEY = ("from_object_type", "from_id", "to_object_type", "to_id")


def check_table_options(table: Any, if_exists: Any, key_columns: Sequence[str], columns: Sequence[str]) -> None:
    """Parse-time checks of a table output (a templated table name is checked when rendered)."""
    if not isinstance(table, str) or ("{{" not in table and not _TABLE_NAME.match(table)):
        raise ValueError(f"table must be a table name such as 'crm.contact_company', got {table!r}")
    if if_exists not in TABLE_MODES:
        raise ValueError(f"if_exists must be one of {TABLE_MODES}, got {if_exists!r}")
    unknown = [c for c in key_columns if c not in columns]
    if not key_columns or unknown:
        raise ValueError(f"key_columns must be exported columns {list(columns)}, got {list(key_columns)!r}")


def create_table_sql(table: str, columns: Sequence[str], key_columns: Sequence[str]) -> str:
    cells = ", ".join(f"{name} {COLUMN_TYPES.get(name, 'VARCHAR(4000)')}" for name in columns)
    return f"CREATE TABLE IF NOT EXISTS {table} ({cells}, PRIMARY KEY ({', '.join(key_columns)}))"


def _cell(name: str, value: Any) -> Any:
    """A row value as a table cell: ids as integers, lists joined with ``;`` (as in CSV output)."""
    if isinstance(value, (list, tuple)):
        return ";".join(map(str, value))
    if name in ("from_id", "to_id") and value not in (None, ""):
        return int(value)
    return value


def _pages(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], size: int) -> Iterator[list[tuple[Any, ...]]]:
    iterator = iter(rows)
    while page := [tuple(_cell(c, row.get(c)) for c in columns) for row in islice(iterator, size)]:
        yield page


#: PostgreSQL servers from 9.5 (``ON CONFLICT``) take the rows by ``COPY``; Redshift, reached through the same
#: driver, reports 8.0 and has no ``COPY FROM STDIN``: it keeps ``executemany``
_COPY_SERVER_VERSION = 90500
#: the temporary table an upsert copies into before merging (dropped at commit or rollback)
_STAGE = "hubassoc_stage"


def copies(connection: Any) -> bool:
    """Whether rows go to this connection by ``COPY ... FROM STDIN`` (the bulk path of PostgreSQL, which common-sql's
    ``PostgresHook.bulk_load``/``copy_expert`` use): a psycopg 2 or 3 connection to PostgreSQL 9.5 or later."""
    if not type(connection).__module__.startswith("psycopg"):
        return False
    version = getattr(getattr(connection, "info", None), "server_version", 0)
    return isinstance(version, int) and version >= _COPY_SERVER_VERSION


def _copy_text(value: Any) -> str:
    """A cell in ``COPY``'s text format (what ``bulk_load``'s tab-delimited file holds): ``\\N`` is NULL;
    backslash, tab and line breaks escaped."""
    if value is None:
        return "\\N"
    text = str(value)
    if any(char in text for char in "\\\t\n\r"):
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def copy_page(cursor: Any, table: str, columns: Sequence[str], page: Sequence[Sequence[Any]]) -> None:
    """One ``COPY table (columns) FROM STDIN`` of ``page`` on the task's cursor (so it is part of the load's one
    transaction, unlike ``PostgresHook.copy_expert``, which commits on its own connection)."""
    text = "".join("\t".join(_copy_text(value) for value in row) + "\n" for row in page)
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    if hasattr(cursor, "copy_expert"):  # psycopg 2
        cursor.copy_expert(statement, io.StringIO(text))
    else:  # psycopg 3
        with cursor.copy(statement) as copy:
            copy.write(text)


def merge_sql(table: str, columns: Sequence[str], key_columns: Sequence[str]) -> str:
    """Upsert the staged rows into ``table``: one row per key, the last staged one (as ``executemany`` of the
    rows one after another would leave it), inserted or updated by ``ON CONFLICT``."""
    cells, keys = ", ".join(columns), ", ".join(key_columns)
    others = [c for c in columns if c not in key_columns]
    action = f"DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in others)}" if others else "DO NOTHING"
    return (
        f"INSERT INTO {table} ({cells}) SELECT DISTINCT ON ({keys}) {cells} FROM {_STAGE} "
        f"ORDER BY {keys}, hubassoc_row DESC ON CONFLICT ({keys}) {action}"
    )


def load_table(
    hook: Any,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Mapping[str, Any]],
    *,
    if_exists: str = "append",
    key_columns: Sequence[str] = PAIR_KEY,
    create: bool = False,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> int:
    """Write ``rows`` to ``table`` in pages of ``page_size``, all in one transaction: the table shows every row
    or, after a failure, none of them. ``replace`` deletes the table's rows first (same transaction); ``upsert``
    replaces rows whose ``key_columns`` match (so the key must be the table's primary key or a unique index).

    PostgreSQL takes the pages by ``COPY`` (:func:`copies`; an upsert copies into a temporary table, then one
    ``INSERT ... SELECT ... ON CONFLICT``); other databases by ``executemany`` of the statement common-sql's
    ``insert_rows`` uses for the dialect (``ON CONFLICT``/``MERGE``/``REPLACE`` for an upsert).
    Returns the number of rows written."""
    if not _TABLE_NAME.match(table):
        raise AirflowFailException(f"table must be a table name such as 'crm.contact_company', got {table!r}")
    written = 0
    with closing(hook.get_conn()) as connection:
        if hook.supports_autocommit:
            hook.set_autocommit(connection, False)
        try:
            with closing(connection.cursor()) as cursor:
                if create:
                    cursor.execute(create_table_sql(table, columns, key_columns))
                if if_exists == "replace":
                    cursor.execute(f"DELETE FROM {table}")  # table name checked above
                bulk, target, statement = copies(connection), table, None
                if bulk and if_exists == "upsert":
                    cells = ", ".join(columns)
                    cursor.execute(
                        f"CREATE TEMP TABLE {_STAGE} ON COMMIT DROP AS SELECT {cells} FROM {table} WITH NO DATA"
                    )
                    cursor.execute(f"ALTER TABLE {_STAGE} ADD COLUMN hubassoc_row BIGSERIAL")  # the staging order
                    target = _STAGE
                for page in _pages(rows, columns, page_size):
                    if bulk:
                        copy_page(cursor, target, columns, page)
                    else:
                        if statement is None:
                            statement = hook._generate_insert_sql(  # the statement insert_rows uses, per dialect
                                table,
                                page[0],
                                list(columns),
                                replace=if_exists == "upsert",
                                replace_index=list(key_columns),
                            )
                        cursor.executemany(statement, page)
                    written += len(page)
                if target == _STAGE:
                    cursor.execute(merge_sql(table, columns, key_columns))
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
    return written


class TableOutput:
    """Where an export's rows go in a database: ``table`` at ``conn_id``, loaded from the export's file once
    every HubSpot read is done (so a failed export leaves the table untouched) by :func:`load_table`."""

    def __init__(
        self, conn_id: str, table: str, *, if_exists: str, key_columns: Sequence[str], create: bool, page_size: int
    ) -> None:
        self.conn_id, self.table, self.if_exists = conn_id, table, if_exists
        self.key_columns, self.create, self.page_size = list(key_columns), create, page_size

    def load(self, path: str, fmt: str | None, columns: Sequence[str]) -> int:
        rows = (record for _number, record in iter_file_records(path, fmt))
        return load_table(
            db_hook(self.conn_id),
            self.table,
            columns,
            rows,
            if_exists=self.if_exists,
            key_columns=self.key_columns,
            create=self.create,
            page_size=self.page_size,
        )
