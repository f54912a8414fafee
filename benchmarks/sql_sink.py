"""Table loads on PostgreSQL: ``COPY`` (what the export uses there) against ``executemany`` (every other database).

Run: ``.venv/bin/python benchmarks/sql_sink.py [--rows 100000] [--rounds 2]``. Starts a PostgreSQL server from
the ``pgserver`` wheel (the test extra), then loads the same ``--rows`` exported rows with ``load_table`` in
each mode (``append`` into an emptied table, ``upsert`` over the rows already there), alternating the two
paths, ``--rounds`` times each; prints the best time of each and the ratio executemany time / COPY time per
mode (how many times faster COPY is). The rows are built once, so both paths pay the same page building.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from urllib.parse import parse_qs, urlparse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="hubassoc-bench-home-"))
    import pgserver

    server = pgserver.get_server(tempfile.mkdtemp(prefix="hubassoc-bench-pg-"), cleanup_mode="delete")
    try:
        uri = urlparse(server.get_uri())
        os.environ["AIRFLOW_CONN_WAREHOUSE"] = json.dumps(
            {
                "conn_type": "postgres",
                "host": parse_qs(uri.query)["host"][0],
                "login": uri.username or "postgres",
                "schema": "postgres",
            }
        )
        from airflow_provider_hubassoc.operators import _sql
        from airflow_provider_hubassoc.operators.associations import ROW_COLUMNS

        rows = [
            {
                "from_object_type": "contacts",
                "from_id": i,
                "to_object_type": "companies",
                "to_id": 10**9 + i,
                "type_ids": [1, 279],
                "categories": ["HUBSPOT_DEFINED", "USER_DEFINED"],
                "labels": ["Primary", "Billing contact"],
            }
            for i in range(1, args.rows + 1)
        ]
        hook = _sql.db_hook("warehouse")
        copies = _sql.copies
        best: dict[tuple[str, str], float] = {}
        for _round in range(args.rounds):
            for path in ("executemany", "COPY"):
                _sql.copies = lambda connection, path=path: path == "COPY" and copies(connection)  # type: ignore[misc]
                for mode in ("append", "upsert"):
                    if mode == "append":
                        hook.run("DROP TABLE IF EXISTS contact_company", autocommit=True)
                    started = time.perf_counter()
                    written = _sql.load_table(hook, "contact_company", ROW_COLUMNS, rows, if_exists=mode, create=True)
                    seconds = time.perf_counter() - started
                    assert written == args.rows
                    best[path, mode] = min(best.get((path, mode), seconds), seconds)
                    print(f"{mode:6s} {args.rows:,} rows by {path:11s}: {seconds:6.2f} s", flush=True)
        _sql.copies = copies
        count = hook.get_first("SELECT COUNT(*) FROM contact_company")[0]
        assert count == args.rows, count
        for mode in ("append", "upsert"):
            print(
                f"{mode}: executemany / COPY = {best['executemany', mode] / best['COPY', mode]:.2f} "
                f"(best of {args.rounds}: executemany {best['executemany', mode]:.2f} s, "
                f"COPY {best['COPY', mode]:.2f} s)"
            )
    finally:
        server.cleanup()


if __name__ == "__main__":
    main()
