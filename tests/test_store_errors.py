"""SQLite's failures leave the store as IndexStoreErrors that name the file and say what to do.

Each error here is SQLite's own, made for real: a read-only connection, a page limit (SQLite reports it as a
full disk), a lock held by another connection, a garbled file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from embeddings.index import DamagedIndexError, Index, IndexAccessError
from embeddings.ingest import Ingestor
from embeddings.store import DB_NAME, _store_error
from tests.test_cli_errors import garble_tables


def _error_of(db: Path, sql: str, *, uri: str = "", setup: tuple[str, ...] = ()) -> sqlite3.Error:
    conn = sqlite3.connect(f"file:{db}{uri}" if uri else db, uri=bool(uri), timeout=0, isolation_level=None)
    try:
        for statement in setup:
            conn.execute(statement)
        with pytest.raises(sqlite3.Error) as caught:
            conn.execute(sql).fetchall()
        return caught.value
    finally:
        conn.close()


def test_each_kind_of_sqlite_failure_gets_its_own_advice(writable_index_dir: Path) -> None:
    db = writable_index_dir / DB_NAME
    readonly = _store_error(db, _error_of(db, "DELETE FROM releases", uri="?mode=ro"))
    assert isinstance(readonly, IndexAccessError) and "permissions" in str(readonly)
    pages = sqlite3.connect(db).execute("PRAGMA page_count").fetchone()[0]
    full = _store_error(
        db, _error_of(db, "INSERT INTO meta VALUES ('x', zeroblob(1000000))", setup=(f"PRAGMA max_page_count={pages}",))
    )
    assert isinstance(full, IndexAccessError) and "full" in str(full) and "free some space" in str(full)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
    try:
        busy = _store_error(db, _error_of(db, "DELETE FROM meta WHERE key='x'"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert isinstance(busy, IndexAccessError) and "another process" in str(busy)
    garble_tables(db)
    damaged = _store_error(db, _error_of(db, "SELECT count(*) FROM chunks"))
    assert isinstance(damaged, DamagedIndexError) and "ingest the releases again" in str(damaged)
    assert all(str(db) in str(e) for e in (readonly, full, busy, damaged))
    bug = _error_of(db, "SELECT no_such_column FROM meta")
    assert _store_error(db, bug) is None, "a bad query is a bug: it keeps its traceback"


def test_a_damaged_database_fails_every_read_as_an_index_error(writable_index_dir: Path, encoder) -> None:
    garble_tables(writable_index_dir / DB_NAME)
    index = Index.open(writable_index_dir, encoder.name, encoder.dim, create=False)  # the meta table is intact
    for read in (index.stats, lambda: index.release("rta_fares_2024"), lambda: list(index.iter_release_ids())):
        with pytest.raises(DamagedIndexError, match="damaged"):
            read()
    with pytest.raises(DamagedIndexError):
        index.remove("rta_fares_2024")
    index.close()


def test_a_full_disk_while_writing_is_an_index_error_naming_the_file(writable_index_dir: Path, encoder) -> None:
    index = Index.open(writable_index_dir, encoder.name, encoder.dim, create=False)
    # SQLite's own page limit fails a write exactly as a full disk does (SQLITE_FULL), on this connection only.
    pages = index._store._db.execute("PRAGMA page_count").fetchone()[0]
    index._store._db.execute(f"PRAGMA max_page_count={pages}")
    big = writable_index_dir.parent / "big.txt"
    big.write_text("Big release\n\n" + "The council planted another oak tree near the river. " * 4000)
    with pytest.raises(IndexAccessError, match="full") as caught:
        Ingestor(index, encoder).ingest_paths([big])
    assert str(writable_index_dir / "pressqa.sqlite") in str(caught.value)
    index.close()
    reopened = Index.open(writable_index_dir, encoder.name, encoder.dim, create=False)
    assert reopened.stats().releases == 14, "the failed write left the last committed state"
    reopened.close()
