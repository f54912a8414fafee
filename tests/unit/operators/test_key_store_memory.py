"""The key store's memory stays bounded however many keys (issue 22: memory flat for millions of rows).

The distinct keys live in a temporary SQLite file; what it may hold in memory is SQLite's page cache (capped by
``cache_size``), the rows not yet flushed (at most ``_keys.FLUSH_KEYS``) and one batch of unresolved keys. These tests
pin each bound, so a change that lets one grow with the input (a bigger cache, temporary tables in memory, a
query that sorts every key, a batch that is never flushed) fails here rather than only at 1M rows.
"""

from __future__ import annotations

import tracemalloc

import pytest

from airflow_provider_hubassoc.operators import _keys
from airflow_provider_hubassoc.operators._keys import PART_KEYS, KeyStore


@pytest.fixture
def store():
    keys = KeyStore()
    yield keys
    keys.close()


def test_sqlite_holds_at_most_eight_mib_of_pages_and_nothing_temporary_in_memory(store):
    cache_size = store.db.execute("PRAGMA cache_size").fetchone()[0]
    page_size = store.db.execute("PRAGMA page_size").fetchone()[0]
    cache_bytes = -cache_size * 1024 if cache_size < 0 else cache_size * page_size
    assert 0 < cache_bytes <= 8 * 2**20
    assert store.db.execute("PRAGMA temp_store").fetchone()[0] == 1  # FILE, whatever the build's default


@pytest.mark.parametrize(
    ("query", "arguments"),
    [
        (
            "SELECT key FROM keys WHERE side = ? AND done = 0 AND key > ? ORDER BY key LIMIT ?",
            ("from", "", PART_KEYS),
        ),
        ("SELECT done, id FROM keys WHERE side = ? AND key = ?", ("from", "a@example.com")),
        ("SELECT COUNT(*) FROM keys WHERE side = ? AND done = 0", ("from",)),
    ],
)
def test_no_query_of_the_store_sorts_the_keys_in_a_temporary_tree(store, query, arguments):
    """Each query walks the (side, key) primary key: a temporary B-tree would be every key of a side."""
    plan = " | ".join(row[-1] for row in store.db.execute(f"EXPLAIN QUERY PLAN {query}", arguments))
    assert "TEMP B-TREE" not in plan, plan
    assert "PRIMARY KEY" in plan, plan


def test_python_memory_does_not_grow_with_the_number_of_keys(store, monkeypatch):
    """Adding 20x the keys costs the same Python memory: at most ``_keys.FLUSH_KEYS`` wait in a list (made small
    here so the test is quick under tracemalloc)."""
    flush_keys = 500
    monkeypatch.setattr(_keys, "FLUSH_KEYS", flush_keys)

    def peak(first: int, count: int) -> int:
        tracemalloc.start()
        try:
            for n in range(first, first + count):
                store.add("from", f"user{n}@example.com")
            store.flush()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small = peak(0, 2 * flush_keys)
    large = peak(2 * flush_keys, 40 * flush_keys)
    assert store.count("from") == 42 * flush_keys
    assert large <= small * 1.25 + 256 * 1024, (small, large)
    assert len(store.unresolved("from", "", PART_KEYS)) == PART_KEYS
