"""The SQLite store: releases, their chunks and vectors, the index's metadata and its generation number.

SQLite is the single source of truth and every change is one transaction, so a process killed mid-ingest
leaves the last committed state. Each committed change bumps the generation, which names the search files
derived from the store (embeddings/search_files.py). Other processes commit to the same file: `reading()`
gives one consistent snapshot of it, so search structures built from it match the generation they are named by.
SQLite's errors never leave the store as they are: a damaged file, a full disk, a folder without permission
or a lock held too long each become an IndexStoreError that names the file and says what to do (`_store_error`).
"""

from __future__ import annotations

import functools
import inspect
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import numpy as np

from embeddings import date_table, name_table, quote_table, release_text_index
from embeddings.index_types import (
    DamagedIndexError,
    Filters,
    IndexAccessError,
    IndexStoreError,
    MissingIndexError,
    ModelMismatchError,
    NamedIn,
    PendingRelease,
    ReleaseInfo,
    StoredChunk,
    StoredQuote,
    Written,
)
from embeddings.reissues import Published, Signature, signature
from embeddings.types import Release

SCHEMA_VERSION = 1
# What ingest reads out of each release besides its chunks and signature, each kept in tables of its own by
# one module with one interface (NAME, SCHEMA, put, delete, unread).
RELEASE_READERS = (quote_table, date_table, name_table)
# The readers read this much of a release: the longest DOJ or ISAF release is 112,000 characters, and the
# name rules compare every name with every other, so a 20 MB text file read whole took minutes.
READ_CHARS = 200_000
# A write that adds more chunks than this does not hand its vectors on for updating the loaded FAISS structure
# in place: holding them would make a long release's write cost its whole vectors in memory (440 MB for a
# 200 MB text file), and rebuilding from the store after such a write costs about as much time as adding.
KEPT_ADDED_VECTORS = 50_000
DB_NAME = "pressqa.sqlite"
# Vectors read from the database at a time: 4,096 rows are ~20 MB in their three forms (rows, joined bytes,
# array), beside the graph's own ~100 MB of working memory while it is built.
VECTOR_BLOCK_ROWS = 4_096

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS releases (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    date TEXT,
    organisation TEXT,
    origin TEXT NOT NULL,
    text TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id TEXT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_release ON chunks(release_id);
CREATE INDEX IF NOT EXISTS chunks_text_hash ON chunks(text_hash);
CREATE INDEX IF NOT EXISTS releases_date ON releases(date);
CREATE TABLE IF NOT EXISTS signatures (
    release_id TEXT PRIMARY KEY REFERENCES releases(id) ON DELETE CASCADE,
    minhash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS signature_bands (
    release_id TEXT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    band INTEGER NOT NULL,
    key INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS signature_bands_key ON signature_bands(band, key);
CREATE INDEX IF NOT EXISTS signature_bands_release ON signature_bands(release_id);
"""


def _parse_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _damaged(db_path: Path, exc: sqlite3.Error) -> DamagedIndexError:
    return DamagedIndexError(
        f"The index database {db_path} is damaged and unreadable ({exc}): "
        f"move the folder {db_path.parent} aside and ingest the releases again."
    )


def _generation(db: sqlite3.Connection) -> int:
    row = db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
    return int(row[0]) if row else 0


def _chunk_count(db: sqlite3.Connection) -> int:
    return db.execute("SELECT count(*) FROM chunks").fetchone()[0]


def _all_vectors(db: sqlite3.Connection, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Filled row by row into arrays sized first, so that loading costs the vectors' own bytes once (fetching
    all rows, then stacking them, held each vector three times)."""
    count = _chunk_count(db)  # the caller's read transaction keeps it equal to the rows below
    ids = np.empty(count, dtype=np.int64)
    vectors = np.empty((count, dim), dtype=np.float32)
    n = 0
    for block_ids, block in _vector_blocks(db, dim, VECTOR_BLOCK_ROWS):
        ids[n : n + len(block_ids)] = block_ids
        vectors[n : n + len(block_ids)] = block
        n += len(block_ids)
    return ids[:n], vectors[:n]


def _vector_blocks(db: sqlite3.Connection, dim: int, rows: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(chunk ids, vectors) in id order, `rows` at a time: a structure built from them never waits on a copy of
    every vector (440 MB for a 200 MB text file's chunks, the structure's own size again)."""
    cursor = db.execute("SELECT id, vector FROM chunks ORDER BY id")
    while batch := cursor.fetchmany(rows):
        ids = np.fromiter((r[0] for r in batch), dtype=np.int64, count=len(batch))
        vectors = np.frombuffer(b"".join(r[1] for r in batch), dtype=np.float32).reshape(len(batch), dim)
        yield ids, vectors


def _vector_sample(db: sqlite3.Connection, dim: int, n: int) -> np.ndarray:
    """About `n` vectors spread evenly over the chunk ids (every k-th row), for training codes on."""
    step = max(1, _chunk_count(db) // max(1, n))
    rows = db.execute("SELECT vector FROM chunks WHERE id % ? = 0 LIMIT ?", (step, n)).fetchall()
    if not rows:
        rows = db.execute("SELECT vector FROM chunks LIMIT ?", (n,)).fetchall()
    return np.frombuffer(b"".join(r[0] for r in rows), dtype=np.float32).reshape(len(rows), dim)


def _engine_rows(db: sqlite3.Connection, where: str = "", params: Sequence[object] = ()) -> Iterator[tuple]:
    """(chunk id, release id, title + chunk text, vector bytes, date, organisation, event day) in id order: what
    a search engine keeps of each chunk."""
    yield from db.execute(
        "SELECT c.id, c.release_id, r.title || char(10) || c.text, c.vector, r.date, r.organisation, d.event_day "
        "FROM chunks c JOIN releases r ON r.id = c.release_id LEFT JOIN date_scans d ON d.release_id = r.id "
        f"{where} ORDER BY c.id",
        params,
    )


def _lexical_rows(db: sqlite3.Connection) -> Iterator[tuple[int, str]]:
    """(chunk id, title + chunk text) in id order, one row at a time."""
    rows = db.execute("SELECT c.id, r.title, c.text FROM chunks c JOIN releases r ON r.id = c.release_id ORDER BY c.id")
    for chunk_id, title, text in rows:
        yield chunk_id, f"{title}\n{text}"


class StoreView:
    """One read transaction: every call sees the database as it was at the first, whatever commits meanwhile."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self.generation = _generation(db)  # the first read fixes the snapshot (WAL)

    def chunk_count(self) -> int:
        return _chunk_count(self._db)

    def all_vectors(self, dim: int) -> tuple[np.ndarray, np.ndarray]:
        """Every chunk id and its vector (`dim` wide), in id order."""
        return _all_vectors(self._db, dim)

    def vector_blocks(self, dim: int, rows: int = VECTOR_BLOCK_ROWS) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Every chunk id and its vector, in id order, `rows` at a time."""
        return _vector_blocks(self._db, dim, rows)

    def vector_sample(self, dim: int, n: int) -> np.ndarray:
        """About `n` vectors spread over the store, for training the graph's 8-bit codes."""
        return _vector_sample(self._db, dim, n)

    def chunk_ids(self) -> np.ndarray:
        return np.fromiter((r[0] for r in self._db.execute("SELECT id FROM chunks ORDER BY id")), dtype=np.int64)

    def engine_rows(self, chunk_ids: Sequence[int] | None = None) -> Iterator[tuple]:
        """What a search engine keeps of each chunk (`_engine_rows`): of these chunks, or of all."""
        if chunk_ids is None:
            yield from _engine_rows(self._db)
            return
        ids = list(chunk_ids)
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            yield from _engine_rows(self._db, f"WHERE c.id IN ({','.join('?' * len(part))})", part)

    def lexical_rows(self) -> Iterator[tuple[int, str]]:
        """Every chunk id and the text BM25 indexes for it (the release title, then the chunk), in id order."""
        return _lexical_rows(self._db)


def _store_error(db_path: Path, exc: sqlite3.Error) -> IndexStoreError | None:
    """The IndexStoreError SQLite's `exc` stands for, by its result code; None for a bug of ours (a bad query, a
    closed connection), which stays the traceback it is."""
    folder = db_path.parent
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF  # the primary code, without the extended bits
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return _damaged(db_path, exc)
    if code == sqlite3.SQLITE_FULL:
        return IndexAccessError(
            f"The disk holding the index database {db_path} is full ({exc}): free some space and run the command "
            "again (the index keeps its last complete state)."
        )
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_AUTH):
        return IndexAccessError(
            f"Cannot open or write the index database {db_path} ({exc}): check the permissions of {folder}, "
            "or use another index folder (--index)."
        )
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return IndexAccessError(
            f"The index database {db_path} is locked by another process ({exc}): try again when it has finished."
        )
    if code == sqlite3.SQLITE_IOERR:
        return IndexAccessError(
            f"Reading or writing the index database {db_path} failed ({exc}): check the disk, its free space and "
            f"the permissions of {folder}, then try again."
        )
    return None


def _guarded(method: Callable) -> Callable:
    """`method` of a Store, raising the IndexStoreError for an SQLite error (generators too, as they run)."""
    if inspect.isgeneratorfunction(method):

        @functools.wraps(method)
        def generate(self: Store, *args: object, **kwargs: object) -> Iterator[object]:
            try:
                yield from method(self, *args, **kwargs)
            except sqlite3.Error as exc:
                raise (_store_error(self.db_path, exc) or exc) from exc

        return generate

    @functools.wraps(method)
    def call(self: Store, *args: object, **kwargs: object) -> object:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise (_store_error(self.db_path, exc) or exc) from exc

    return call


def _guard_public(cls: type) -> type:
    """Guards every public method and property of `cls`: one mechanism, so that no query added later can let a
    raw sqlite3 error through. Static methods open their own connection and translate for themselves."""
    for name, member in list(vars(cls).items()):
        if name.startswith("_"):
            continue
        if isinstance(member, property) and member.fget is not None:
            setattr(cls, name, property(_guarded(member.fget), member.fset, member.fdel, member.__doc__))
        elif inspect.isfunction(member):
            setattr(cls, name, _guarded(member))
    return cls


class _Tx:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


@_guard_public
class Store:
    """The database of one index folder. Callers share `lock` (re-entrant) with their own derived state."""

    def __init__(self, db_path: Path, lock: threading.RLock) -> None:
        self.db_path = db_path
        self.lock = lock
        self._db = self._connect(db_path)

    @staticmethod
    def stored_model(db_path: Path) -> str | None:
        """The embedding model the database at `db_path` was built with (None for no database yet)."""
        if not db_path.exists():
            return None
        try:
            with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
                row = db.execute("SELECT value FROM meta WHERE key='embedding_model'").fetchone()
        except sqlite3.Error as exc:
            raise (_store_error(db_path, exc) or _damaged(db_path, exc)) from exc
        return row[0] if row else None

    @staticmethod
    def _connect(db_path: Path) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA + "".join(reader.SCHEMA for reader in RELEASE_READERS) + release_text_index.SCHEMA)
        except sqlite3.Error as exc:
            raise (_store_error(db_path, exc) or _damaged(db_path, exc)) from exc
        return db

    def check_model(self, folder: Path, model_name: str, dim: int, create: bool) -> bool:
        """Records the model of a new index (True: the database was new), or refuses one built with another model."""
        meta = self._meta()
        if "embedding_model" not in meta:
            if not create:
                raise MissingIndexError(f"The index at {folder} is empty: add releases with `pressqa ingest`.")
            with self._transaction():
                self._set_meta("embedding_model", model_name)
                self._set_meta("dimension", str(dim))
                self._set_meta("schema_version", str(SCHEMA_VERSION))
                self._set_meta("generation", "0")
            return True
        if meta["embedding_model"] != model_name or int(meta["dimension"]) != dim:
            raise ModelMismatchError(
                f"The index at {folder} was built with {meta['embedding_model']} ({meta['dimension']}-d), "
                f"not {model_name} ({dim}-d): use that model or build a new index."
            )
        return False

    def close(self) -> None:
        with self.lock:
            self._db.close()

    # ---------------------------------------------------------------- metadata

    def meta_value(self, key: str) -> str | None:
        with self.lock:
            return self._meta().get(key)

    def set_meta_value(self, key: str, value: str) -> None:
        """One metadata value, in a transaction of its own that leaves the generation as it is."""
        with self.lock, self._transaction():
            self._set_meta(key, value)

    def _meta(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        """The generation committed last, by this process or another: one primary-key read, cheap per search."""
        with self.lock:
            return _generation(self._db)

    def _bump_generation(self) -> tuple[int, int]:
        """(the generation before, the new one), inside the caller's transaction."""
        before = self.generation
        self._set_meta("generation", str(before + 1))
        return before, before + 1

    @contextmanager
    def reading(self) -> Iterator[StoreView]:
        """A consistent snapshot on a connection of its own, so that building search structures from it neither
        holds the shared connection's lock (other requests keep reading) nor mixes two generations."""
        try:
            db = sqlite3.connect(self.db_path, check_same_thread=False, isolation_level=None)
        except sqlite3.DatabaseError as exc:
            raise (_store_error(self.db_path, exc) or _damaged(self.db_path, exc)) from exc
        try:
            db.execute("PRAGMA query_only=ON")
            db.execute("BEGIN")
            yield StoreView(db)
        except sqlite3.DatabaseError as exc:
            raise (_store_error(self.db_path, exc) or _damaged(self.db_path, exc)) from exc
        finally:
            db.close()

    def _transaction(self) -> _Tx:
        return _Tx(self._db)

    # ---------------------------------------------------------------- reading

    def _rows_where_in(self, sql: str, values: Iterable[object]) -> list[tuple]:
        """`sql` (ending in "IN ({marks})") run over `values` in slices that stay under SQLite's variable limit."""
        values = list(values)
        rows: list[tuple] = []
        with self.lock:
            for start in range(0, len(values), 500):
                part = values[start : start + 500]
                rows += self._db.execute(sql.format(marks=",".join("?" * len(part))), part).fetchall()
        return rows

    def release_hashes(self, ids: Iterable[str]) -> dict[str, str]:
        return dict(self._rows_where_in("SELECT id, hash FROM releases WHERE id IN ({marks})", ids))

    def vectors_for_text_hashes(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors already stored for identical chunk texts, so they are never embedded twice."""
        rows = self._rows_where_in(
            "SELECT text_hash, vector FROM chunks WHERE text_hash IN ({marks}) GROUP BY text_hash", set(hashes)
        )
        return {text_hash: np.frombuffer(blob, dtype=np.float32) for text_hash, blob in rows}

    def release(self, release_id: str) -> Release | None:
        row = self._db.execute(
            "SELECT id, title, text, date, organisation, origin FROM releases WHERE id=?", (release_id,)
        ).fetchone()
        if row is None:
            return None
        return Release(row[0], row[1], row[2], _parse_date(row[3]), row[4], row[5])

    def release_infos(self, ids: Iterable[str] | None = None) -> list[ReleaseInfo]:
        sql = "SELECT id, title, date, organisation, origin FROM releases"
        if ids is None:
            with self.lock:
                rows = self._db.execute(sql + " ORDER BY date DESC, title").fetchall()
        else:
            rows = self._rows_where_in(sql + " WHERE id IN ({marks})", dict.fromkeys(ids))
        return [ReleaseInfo(r[0], r[1], _parse_date(r[2]), r[3], r[4]) for r in rows]

    def find_releases(self, query: str, limit: int = 20) -> list[ReleaseInfo]:
        """Releases whose id or title contains every word of `query` (for pickers and `--release`)."""
        words = [w for w in re.split(r"\s+", query.strip().lower()) if w]
        sql = "SELECT id, title, date, organisation, origin FROM releases"
        params: list[str] = []
        if words:
            sql += " WHERE " + " AND ".join("(instr(lower(title), ?) > 0 OR lower(id) = ?)" for _ in words)
            for w in words:
                params += [w, w]
        sql += " ORDER BY date DESC, title LIMIT ?"
        with self.lock:
            rows = self._db.execute(sql, [*params, limit]).fetchall()
        return [ReleaseInfo(r[0], r[1], _parse_date(r[2]), r[3], r[4]) for r in rows]

    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, StoredChunk]:
        rows = self._rows_where_in(
            "SELECT id, release_id, ordinal, start, end, text FROM chunks WHERE id IN ({marks})", chunk_ids
        )
        return {row[0]: StoredChunk(*row) for row in rows}

    def release_chunks(self, release_id: str) -> list[StoredChunk]:
        rows = self._db.execute(
            "SELECT id, release_id, ordinal, start, end, text FROM chunks WHERE release_id=? ORDER BY ordinal",
            (release_id,),
        ).fetchall()
        return [StoredChunk(*r) for r in rows]

    @staticmethod
    def _filter_clause(filters: Filters) -> tuple[str, list[object]] | None:
        """SQL over `releases r LEFT JOIN date_scans d` true for the releases `filters` lets through; None when
        none can pass (a name of titles only identifies no one)."""
        clauses: list[str] = []
        params: list[object] = []
        # The day an event happened where the dates were read (a release from before then: its own date).
        day = "coalesce(d.event_day, r.date)" if filters.dates == "happened" else "r.date"
        if filters.since:
            clauses.append(f"{day} >= ?")
            params.append(filters.since.isoformat())
        if filters.until:
            clauses.append(f"{day} <= ?")
            params.append(filters.until.isoformat())
        if filters.organisation:
            # instr, not LIKE: a "%" or "_" the user typed is a character to find, not a wildcard.
            clauses.append("instr(lower(coalesce(r.organisation, '')), ?) > 0")
            params.append(filters.organisation.lower())
        if filters.mentions is not None:
            named = name_table.matching_clause(filters.mentions)
            if named is None:
                return None
            clauses.append(f"r.id IN (SELECT e.release_id FROM entities e WHERE {named[0]})")
            params += named[1]
        if filters.release_ids is not None:
            clauses.append(f"r.id IN ({','.join('?' * len(filters.release_ids))})")
            params += list(filters.release_ids)
        return " AND ".join(clauses) or "1", params

    def allowed_chunk_ids(self, filters: Filters) -> np.ndarray:
        found = self._filter_clause(filters)
        if found is None:
            return np.zeros(0, dtype=np.int64)
        where, params = found
        with self.lock:
            rows = self._db.execute(
                "SELECT c.id FROM chunks c JOIN releases r ON r.id = c.release_id "
                f"LEFT JOIN date_scans d ON d.release_id = r.id WHERE {where}",
                params,
            ).fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def allowed_release_ids(self, filters: Filters) -> set[str]:
        """The releases `filters` lets through (the same rule as allowed_chunk_ids)."""
        found = self._filter_clause(filters)
        if found is None:
            return set()
        where, params = found
        with self.lock:
            sql = f"SELECT r.id FROM releases r LEFT JOIN date_scans d ON d.release_id = r.id WHERE {where}"
            return {row[0] for row in self._db.execute(sql, params)}

    def organisations_containing(self, part: str) -> list[str]:
        """The stored organisations that contain `part`, case-insensitively (the organisation filter's rule)."""
        with self.lock:
            rows = self._db.execute(
                "SELECT DISTINCT organisation FROM releases WHERE instr(lower(coalesce(organisation, '')), ?) > 0",
                (part.lower(),),
            ).fetchall()
        return [r[0] for r in rows]

    def organisations(self) -> list[str]:
        rows = self._db.execute(
            "SELECT organisation, count(*) FROM releases WHERE organisation IS NOT NULL "
            "GROUP BY organisation ORDER BY count(*) DESC"
        ).fetchall()
        return [r[0] for r in rows]

    def counts_and_dates(self) -> tuple[int, int, date | None, date | None]:
        """(releases, chunks, first date, last date)."""
        with self.lock:
            releases, first, last = self._db.execute("SELECT count(*), min(date), max(date) FROM releases").fetchone()
            chunks = self._db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return releases, chunks, _parse_date(first), _parse_date(last)

    def all_vectors(self, dim: int) -> tuple[np.ndarray, np.ndarray]:
        """Every chunk id and its vector (`dim` wide), in id order."""
        with self.lock:
            return _all_vectors(self._db, dim)

    def vectors_by_ids(self, chunk_ids: Sequence[int]) -> dict[int, np.ndarray]:
        """The stored float32 vectors of these chunks (those that still exist)."""
        rows = self._rows_where_in("SELECT id, vector FROM chunks WHERE id IN ({marks})", chunk_ids)
        return {chunk_id: np.frombuffer(blob, dtype=np.float32) for chunk_id, blob in rows}

    def chunk_ids(self) -> list[int]:
        with self.lock:
            return [row[0] for row in self._db.execute("SELECT id FROM chunks ORDER BY id")]

    def iter_release_ids(self) -> Iterator[str]:
        yield from (r[0] for r in self._db.execute("SELECT id FROM releases ORDER BY id").fetchall())

    # ---------------------------------------------------------------- writing

    def write(self, pending: Sequence[PendingRelease]) -> Written:
        """Adds or replaces releases with their chunks and vectors, in one transaction that bumps the generation."""
        removed: list[int] = []
        added_ids: list[int] = []
        added_vectors: list[np.ndarray] | None = []
        with self.lock, self._transaction() as db:
            for item in pending:
                r = item.release
                old = db.execute("SELECT id FROM chunks WHERE release_id=?", (r.id,))
                removed.extend(row[0] for row in old)
                db.execute("DELETE FROM chunks WHERE release_id=?", (r.id,))
                db.execute(
                    "INSERT OR REPLACE INTO releases(id, title, date, organisation, origin, text, hash) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        r.id,
                        r.title,
                        r.date.isoformat() if r.date else None,
                        r.organisation,
                        r.origin,
                        r.text,
                        item.content_hash,
                    ),
                )
                self._put_signature(db, r.id, signature(r.text))
                for reader in RELEASE_READERS:
                    reader.put(db, r.id, r.text[:READ_CHARS], r.date)
                for chunk, vector in zip(item.chunks, item.vectors, strict=True):
                    cur = db.execute(
                        "INSERT INTO chunks(release_id, ordinal, start, end, text, text_hash, vector) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (
                            r.id,
                            chunk.ordinal,
                            chunk.start,
                            chunk.end,
                            chunk.text,
                            chunk.text_hash(),
                            np.asarray(vector, dtype=np.float32).tobytes(),
                        ),
                    )
                    added_ids.append(int(cur.lastrowid))
                    if added_vectors is not None:
                        added_vectors.append(vector)
                        if len(added_vectors) > KEPT_ADDED_VECTORS:
                            added_vectors = None  # the search structure is rebuilt from the store instead
            base, generation = self._bump_generation()
        return Written(removed, added_ids, added_vectors, base, generation)

    def remove(self, release_id: str) -> Written | None:
        """Deletes a release and its chunks; what that changed, or None when there was no such release."""
        with self.lock, self._transaction() as db:
            removed = [row[0] for row in db.execute("SELECT id FROM chunks WHERE release_id=?", (release_id,))]
            gone = db.execute("DELETE FROM releases WHERE id=?", (release_id,)).rowcount > 0
            db.execute("DELETE FROM chunks WHERE release_id=?", (release_id,))
            db.execute("DELETE FROM signatures WHERE release_id=?", (release_id,))
            db.execute("DELETE FROM signature_bands WHERE release_id=?", (release_id,))
            for reader in RELEASE_READERS:
                reader.delete(db, release_id)
            if not gone:
                return None
            base, generation = self._bump_generation()
        return Written(removed, [], [], base, generation)

    # ---------------------------------------------------------------- re-issued releases

    @staticmethod
    def _put_signature(db: sqlite3.Connection, release_id: str, sig: Signature) -> None:
        db.execute("DELETE FROM signature_bands WHERE release_id=?", (release_id,))
        db.execute("INSERT OR REPLACE INTO signatures(release_id, minhash) VALUES (?, ?)", (release_id, sig.to_bytes()))
        db.executemany(
            "INSERT INTO signature_bands(release_id, band, key) VALUES (?, ?, ?)",
            [(release_id, band, key) for band, key in enumerate(sig.bands())],
        )

    def unsigned_releases(self) -> list[str]:
        """Releases written before signatures were kept (an index from an earlier version)."""
        sql = "SELECT id FROM releases WHERE id NOT IN (SELECT release_id FROM signatures) ORDER BY id"
        return [row[0] for row in self._db.execute(sql)]

    def sign(self, release_ids: Sequence[str]) -> None:
        """Computes and keeps the signatures of these releases, in one transaction."""
        rows = self._rows_where_in("SELECT id, text FROM releases WHERE id IN ({marks})", release_ids)
        with self.lock, self._transaction() as db:
            for release_id, text in rows:
                self._put_signature(db, release_id, signature(text))

    def reissue_candidates(self, release_ids: Iterable[str] | None = None) -> set[tuple[str, str]]:
        """Pairs (a, b), a < b, of releases sharing a signature band: of `release_ids` with any release,
        or of all releases."""
        join = (
            "SELECT DISTINCT a.release_id, b.release_id FROM signature_bands a JOIN signature_bands b "
            "ON a.band = b.band AND a.key = b.key AND a.release_id != b.release_id"
        )
        if release_ids is None:
            rows = self._db.execute(f"{join} WHERE a.release_id < b.release_id").fetchall()
        else:
            rows = self._rows_where_in(f"{join} WHERE a.release_id IN ({{marks}})", release_ids)
        return {(min(a, b), max(a, b)) for a, b in rows}

    def published(self, release_ids: Iterable[str]) -> dict[str, Published]:
        """What the re-issue rules read of each release that has a signature."""
        sql = (
            "SELECT r.id, r.text, r.date, s.minhash FROM releases r JOIN signatures s ON s.release_id = r.id "
            "WHERE r.id IN ({marks})"
        )
        return {
            rid: Published(text, _parse_date(day), Signature.from_bytes(blob))
            for rid, text, day, blob in self._rows_where_in(sql, release_ids)
        }

    # ---------------------------------------------------------------- quotes

    def unread_releases(self) -> dict[str, list[str]]:
        """For each reader (RELEASE_READERS, by name), the releases written before it was kept, or read by older
        rules of its own."""
        with self.lock:
            return {reader.NAME: reader.unread(self._db) for reader in RELEASE_READERS}

    def read_again(self, reader_name: str, release_ids: Sequence[str]) -> None:
        """Reads these releases with one reader and keeps what it finds, in one transaction."""
        reader = next(r for r in RELEASE_READERS if reader_name == r.NAME)
        rows = self._rows_where_in("SELECT id, text, date FROM releases WHERE id IN ({marks})", release_ids)
        with self.lock, self._transaction() as db:
            for release_id, text, day in rows:
                reader.put(db, release_id, text[:READ_CHARS], _parse_date(day))

    def event_days(self, release_ids: Iterable[str]) -> dict[str, tuple[date, int | None, int | None]]:
        with self.lock:
            return date_table.event_days(self._db, release_ids)

    def quotes(
        self, speaker: str | None = None, release_ids: Iterable[str] | None = None, limit: int | None = None
    ) -> list[StoredQuote]:
        with self.lock:
            return quote_table.select(self._db, speaker, release_ids, limit)

    def speakers(self, limit: int = 50) -> list[tuple[str, int]]:
        with self.lock:
            return quote_table.speakers(self._db, limit)

    # ---------------------------------------------------------------- people and organisations

    def named_in(self, name: str, kind: str | None = None, release_ids: Iterable[str] | None = None) -> list[NamedIn]:
        with self.lock:
            return name_table.named_in(self._db, name, kind, release_ids)

    def most_named(self, kind: str | None = None, limit: int = 50) -> list[tuple[str, str, int]]:
        with self.lock:
            return name_table.most_named(self._db, kind, limit)

    # ---------------------------------------------------------------- words of the releases, for counting

    def unindexed_texts(self) -> list[str]:
        """Releases written before the text index was kept (embeddings/release_text_index.py)."""
        with self.lock:
            return release_text_index.unindexed(self._db)

    def index_texts(self, release_ids: Sequence[str]) -> None:
        """Indexes the words of these releases, in one transaction."""
        with self.lock, self._transaction() as db:
            release_text_index.add(db, release_ids)

    def matching_releases(
        self, expression: str, since: date | None, until: date | None, organisation: str | None
    ) -> list[tuple[str, date | None, float]]:
        with self.lock:
            return release_text_index.matching(self._db, expression, since, until, organisation)
