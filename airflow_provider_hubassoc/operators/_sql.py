"""SQL tables as inputs and outputs of the operators, through Airflow's common-sql (the ``[sql]`` extra).

Any connection whose hook is a common-sql ``DbApiHook`` works (Postgres, Snowflake, BigQuery, Redshift, MySQL,
SQLite, DuckDB...). A query is read once, in pages (``fetchmany``; a server-side cursor where the driver has
one), into a local JSON Lines spool file; the operators then read that file exactly as they read an input file:
the validation pass and the write pass see the same rows, a checkpoint fingerprints them, and sharding works
as for files. A table is written in pages, all in one transaction, so a failed load leaves it as it was.
This module never talks to HubSpot.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from itertools import islice
from typing import Any

from airflow_provider_hubassoc._compat import AirflowFailException, BaseHook
from airflow_provider_hubassoc.exceptions import HubSpotInputError
from airflow_provider_hubassoc.hooks._validation import shown

#: rows fetched from a cursor (and written to a table) at a time
DEFAULT_PAGE_SIZE = 10_000
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
            "pip install 'airflow-provider-hubassoc[sql]' (and the provider of your database)") from None
    connection = BaseHook.get_connection(conn_id)
    hook = connection.get_hook()
    if not isinstance(hook, DbApiHook):
        raise AirflowFailException(
            f"connection {conn_id!r} (type {connection.conn_type!r}) gives a {type(hook).__name__}, not a "
            "common-sql DbApiHook: use a database connection (postgres, snowflake, sqlite, mysql, ...)")
    return hook


def _cursor(connection: Any) -> Any:
    """A server-side (named) cursor where the driver has one (psycopg), so the server streams the rows; else the
    driver's cursor (SQLite, Snowflake and BigQuery stream a plain cursor's result in pages themselves)."""
    try:
        return connection.cursor(name="hubassoc_source")
    except TypeError:
        return connection.cursor()


def iter_query(hook: Any, sql: str, parameters: Any = None, *, page_size: int = DEFAULT_PAGE_SIZE,
               ) -> Iterator[tuple[list[str], list[tuple[Any, ...]]]]:
    """``(column names, page of rows)`` of a query, ``page_size`` rows at a time (never the whole result)."""
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
                    raise HubSpotInputError("the query returned no result set (is it a SELECT?)", field="sql")
                names = [str(column[0]) for column in cursor.description]
            if not page:
                yield names, []
                return
            yield names, list(page)


def spool_query(hook: Any, sql: str, path: str, *, parameters: Any = None, required: Sequence[str] = (),
                page_size: int = DEFAULT_PAGE_SIZE) -> int:
    """Write a query's rows to a JSON Lines file (one object per row, keyed by column name; line ``n`` is query
    row ``n``); returns the row count. ``required`` columns are checked before any row is written."""
    count = 0
    with open(path, "w", encoding="utf-8") as handle:
        for names, page in iter_query(hook, sql, parameters, page_size=page_size):
            if count == 0:
                repeated = sorted({name for name in names if names.count(name) > 1})
                if repeated:
                    raise HubSpotInputError(f"the query returns column {repeated[0]!r} twice (columns: {names}); "
                                            "alias one of them", field=repeated[0])
                missing = [name for name in required if name not in names]
                if missing:
                    raise HubSpotInputError(f"the query has no column {missing[0]!r} (columns: {names}); alias "
                                            "a column or set the *_column argument", field=missing[0])
            for row in page:
                handle.write(json.dumps(dict(zip(names, row)), separators=(",", ":"), default=str) + "\n")
            count += len(page)
    return count


def spooled_row(path: str, position: int) -> Mapping[str, Any] | None:
    """Row ``position`` (1-based) of a spool file, for naming a bad row's values."""
    with open(path, encoding="utf-8") as handle:
        line = next(islice(handle, position - 1, None), None)
    return json.loads(line) if line else None


class QuerySpool:
    """A query's result staged once in a local JSON Lines file for the duration of a task run (then deleted).

    The operators validate every row from it, then write from it: one query, so both passes see the same
    rows however the table changes meanwhile, and the file's content fingerprints a checkpoint (a retry re-runs
    the query: if its rows changed, the checkpoint is refused rather than resumed against other rows).
    """

    def __init__(self, conn_id: str, sql: str, *, parameters: Any = None, required: Sequence[str] = (),
                 page_size: int = DEFAULT_PAGE_SIZE, directory: str | None = None) -> None:
        self.conn_id, self.sql, self.parameters = conn_id, sql, parameters
        self.required, self.page_size, self.directory = list(required), page_size, directory
        self.path: str | None = None
        self.rows = 0
        self._dir: str | None = None

    @property
    def name(self) -> str:
        return f"query on {self.conn_id!r}"

    def __enter__(self) -> QuerySpool:
        self._dir = tempfile.mkdtemp(prefix="hubassoc-query-", dir=self.directory)
        self.path = os.path.join(self._dir, "rows.jsonl")
        try:
            self.rows = spool_query(db_hook(self.conn_id), self.sql, self.path, parameters=self.parameters,
                                    required=self.required, page_size=self.page_size)
        except HubSpotInputError as error:
            self.__exit__(None, None, None)
            raise AirflowFailException(f"{self.name}: {error.message}") from None
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def values_of(self, position: int | None) -> str:
        """`` (row values: {...})`` of a bad row, for its error message; empty when unknown."""
        if position is None or self.path is None or not os.path.exists(self.path):
            return ""
        row = spooled_row(self.path, position)
        return f" (row values: {shown(row, limit=300)})" if row is not None else ""


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
