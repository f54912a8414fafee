"""Real databases for the SQL source and sink tests: an SQLite file, and a PostgreSQL server started by the run.

``warehouse`` is parametrized over both: it sets ``AIRFLOW_CONN_WAREHOUSE`` to a fresh database and gives a
small helper that talks to it through the same Airflow hook the operators use. PostgreSQL comes from the
``pgserver`` wheel (a server bundled in the wheel: it needs no system package and runs as root, as CI does),
one server per session, one database per test.
"""

from __future__ import annotations

import json
import logging
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

CONN_ID = "warehouse"


class Warehouse:
    """A test database behind the Airflow connection ``warehouse``."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.conn_id = CONN_ID

    @property
    def hook(self) -> Any:
        from airflow_provider_hubassoc.operators._sql import db_hook

        return db_hook(self.conn_id)

    def run(self, sql: str) -> None:
        self.hook.run(sql, autocommit=True)

    def load(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        self.hook.insert_rows(table, rows, target_fields=list(columns), commit_every=10_000, executemany=True)

    def records(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.hook.get_records(sql)]

    def series(self, n: int) -> str:
        """A query of the integers 1..n (column ``i``), generated in the database."""
        if self.kind == "postgres":
            return f"SELECT i FROM generate_series(1, {n}) AS i"
        return f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) SELECT i FROM s"


@pytest.fixture(scope="session")
def _postgres_server() -> Iterator[Any]:
    try:
        import pgserver
    except ImportError:  # the test extra installs it; a bare checkout without it still runs the SQLite cases
        pytest.skip("pgserver is not installed (pip install -e '.[test]'): no PostgreSQL server to test against")
    directory = tempfile.mkdtemp(prefix="hubassoc-pg-")
    server = pgserver.get_server(directory, cleanup_mode="stop")
    try:
        yield server
    finally:
        server.cleanup()
        logging.getLogger("pgserver").disabled = True  # its atexit hook logs after pytest closed the streams


def _postgres_connection(server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from urllib.parse import parse_qs, urlparse

    uri = urlparse(server.get_uri())
    socket_dir = parse_qs(uri.query)["host"][0]
    name = f"t_{uuid.uuid4().hex[:12]}"
    server.psql(f"CREATE DATABASE {name};")
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{CONN_ID.upper()}",
        json.dumps({"conn_type": "postgres", "host": socket_dir, "login": uri.username or "postgres", "schema": name}),
    )


@pytest.fixture(params=["sqlite", "postgres"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Warehouse:
    """A fresh, empty database (SQLite file or PostgreSQL database) at connection ``warehouse``."""
    if request.param == "postgres":
        _postgres_connection(request.getfixturevalue("_postgres_server"), monkeypatch)
    else:
        monkeypatch.setenv(
            f"AIRFLOW_CONN_{CONN_ID.upper()}",
            json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "warehouse.db")}),
        )
    return Warehouse(request.param)
