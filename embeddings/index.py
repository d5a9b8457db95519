"""The on-disk index: SQLite holds releases, chunks and their vectors; FAISS and BM25 are derived from it.

SQLite is the single source of truth and every change is one transaction, so a process killed
mid-ingest leaves the last committed state. The FAISS and BM25 files carry the generation number
they were built from in their names; when the number does not match the database (a crash between
commit and save) they are rebuilt from the vectors and texts in SQLite instead of being trusted.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from embeddings.lexical import LexicalIndex
from embeddings.types import Chunk, Release

SCHEMA_VERSION = 1
DB_NAME = "pressqa.sqlite"

# Exact (flat) search costs one dot product per chunk: `pressqa bench` measured 10 ms per query at 61,563
# chunks on 2 cores, out of a 30 ms retrieval budget that query embedding and BM25 share. Above this size
# an HNSW graph answers in well under a millisecond (recall@10 against exact search: 0.974 at 61,563).
FLAT_MAX_VECTORS = 75_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 64

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
"""


class IndexStoreError(RuntimeError):
    """A problem with the index directory, worded for the person who has to fix it."""


class MissingIndexError(IndexStoreError):
    pass


class ModelMismatchError(IndexStoreError):
    pass


@dataclass(frozen=True, slots=True)
class StoredChunk:
    id: int
    release_id: str
    ordinal: int
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class ReleaseInfo:
    id: str
    title: str
    date: date | None
    organisation: str | None
    origin: str


@dataclass(frozen=True, slots=True)
class IndexStats:
    releases: int
    chunks: int
    embedding_model: str
    dimension: int
    first_date: date | None
    last_date: date | None
    bytes_on_disk: int


@dataclass(frozen=True, slots=True)
class Filters:
    since: date | None = None
    until: date | None = None
    organisation: str | None = None  # case-insensitive substring of the release's organisation
    release_ids: tuple[str, ...] | None = None

    def is_empty(self) -> bool:
        return not (self.since or self.until or self.organisation or self.release_ids)


@dataclass(frozen=True, slots=True)
class PendingRelease:
    """A release ready to be written: its chunks and one vector per chunk."""

    release: Release
    content_hash: str
    chunks: Sequence[Chunk]
    vectors: np.ndarray


def _parse_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


class Index:
    """Open with `Index.open(path, model_name, dim)`; safe to share between threads."""

    def __init__(self, path: Path, db: sqlite3.Connection, model_name: str, dim: int) -> None:
        self.path = path
        self.model_name = model_name
        self.dim = dim
        self._db = db
        self._lock = threading.RLock()
        self._dense = None  # faiss.IndexIDMap2, loaded lazily
        self._lexical: LexicalIndex | None = None

    # ---------------------------------------------------------------- opening

    @classmethod
    def open(cls, path: Path, model_name: str, dim: int, create: bool = True) -> Index:
        path = Path(path)
        db_path = path / DB_NAME
        if not db_path.exists():
            if not create:
                raise MissingIndexError(
                    f"No index at {path}: add releases first with `pressqa ingest PATH` (or set PRESSQA_INDEX)."
                )
            path.mkdir(parents=True, exist_ok=True)
        db = cls._connect(db_path)
        index = cls(path, db, model_name, dim)
        index._check_model(create)
        return index

    @staticmethod
    def stored_model(path: object) -> str | None:
        """The embedding model an existing index was built with (None for no index yet)."""
        db_path = Path(str(path)) / DB_NAME
        if not db_path.exists():
            return None
        try:
            with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
                row = db.execute("SELECT value FROM meta WHERE key='embedding_model'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise IndexStoreError(
                f"The index database {db_path} is unreadable ({exc}). Move the folder away and ingest again."
            ) from exc
        return row[0] if row else None

    @staticmethod
    def _connect(db_path: Path) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise IndexStoreError(
                f"The index database {db_path} is unreadable ({exc}). Move the folder away and ingest again."
            ) from exc
        return db

    def _check_model(self, create: bool) -> None:
        meta = self._meta()
        if "embedding_model" not in meta:
            if not create:
                raise MissingIndexError(f"The index at {self.path} is empty: add releases with `pressqa ingest`.")
            with self._transaction():
                self._set_meta("embedding_model", self.model_name)
                self._set_meta("dimension", str(self.dim))
                self._set_meta("schema_version", str(SCHEMA_VERSION))
                self._set_meta("generation", "0")
            return
        if meta["embedding_model"] != self.model_name or int(meta["dimension"]) != self.dim:
            raise ModelMismatchError(
                f"The index at {self.path} was built with {meta['embedding_model']} ({meta['dimension']}-d), "
                f"not {self.model_name} ({self.dim}-d): use that model or build a new index."
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ---------------------------------------------------------------- metadata

    def _meta(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    class _Tx:
        def __init__(self, db: sqlite3.Connection) -> None:
            self.db = db

        def __enter__(self) -> sqlite3.Connection:
            self.db.execute("BEGIN IMMEDIATE")
            return self.db

        def __exit__(self, exc_type: object, *_: object) -> None:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")

    def _transaction(self) -> Index._Tx:
        return Index._Tx(self._db)

    # ---------------------------------------------------------------- reading

    def _rows_where_in(self, sql: str, values: Iterable[object]) -> list[tuple]:
        """`sql` (ending in "IN ({marks})") run over `values` in slices that stay under SQLite's variable limit."""
        values = list(values)
        rows: list[tuple] = []
        with self._lock:
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
            with self._lock:
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
            sql += " WHERE " + " AND ".join("(lower(title) LIKE ? OR lower(id) = ?)" for _ in words)
            for w in words:
                params += [f"%{w}%", w]
        sql += " ORDER BY date DESC, title LIMIT ?"
        with self._lock:
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

    def allowed_chunk_ids(self, filters: Filters) -> np.ndarray:
        clauses, params = [], []
        if filters.since:
            clauses.append("r.date >= ?")
            params.append(filters.since.isoformat())
        if filters.until:
            clauses.append("r.date <= ?")
            params.append(filters.until.isoformat())
        if filters.organisation:
            clauses.append("lower(coalesce(r.organisation, '')) LIKE ?")
            params.append(f"%{filters.organisation.lower()}%")
        if filters.release_ids is not None:
            clauses.append(f"r.id IN ({','.join('?' * len(filters.release_ids))})")
            params += list(filters.release_ids)
        where = " AND ".join(clauses) or "1"
        with self._lock:
            rows = self._db.execute(
                f"SELECT c.id FROM chunks c JOIN releases r ON r.id = c.release_id WHERE {where}", params
            ).fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def organisations(self) -> list[str]:
        rows = self._db.execute(
            "SELECT organisation, count(*) FROM releases WHERE organisation IS NOT NULL "
            "GROUP BY organisation ORDER BY count(*) DESC"
        ).fetchall()
        return [r[0] for r in rows]

    def stats(self) -> IndexStats:
        with self._lock:
            releases, first, last = self._db.execute("SELECT count(*), min(date), max(date) FROM releases").fetchone()
            chunks = self._db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        size = sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())
        return IndexStats(releases, chunks, self.model_name, self.dim, _parse_date(first), _parse_date(last), size)

    # ---------------------------------------------------------------- writing

    def write(self, pending: Sequence[PendingRelease]) -> None:
        """Adds or replaces releases with their chunks and vectors, in one transaction."""
        if not pending:
            return
        with self._lock:
            removed: list[int] = []
            added_ids: list[int] = []
            added_vectors: list[np.ndarray] = []
            with self._transaction() as db:
                for item in pending:
                    r = item.release
                    removed += [row[0] for row in db.execute("SELECT id FROM chunks WHERE release_id=?", (r.id,))]
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
                        added_vectors.append(vector)
                self._bump_generation()
            self._update_dense(removed, added_ids, added_vectors)
            self._lexical = None

    def remove(self, release_id: str) -> bool:
        with self._lock:
            with self._transaction() as db:
                removed = [row[0] for row in db.execute("SELECT id FROM chunks WHERE release_id=?", (release_id,))]
                gone = db.execute("DELETE FROM releases WHERE id=?", (release_id,)).rowcount > 0
                db.execute("DELETE FROM chunks WHERE release_id=?", (release_id,))
                if gone:
                    self._bump_generation()
            if gone:
                self._update_dense(removed, [], [])
                self._lexical = None
                self.save()
            return gone

    def _bump_generation(self) -> None:
        self._set_meta("generation", str(self.generation + 1))

    # ---------------------------------------------------------------- derived search structures

    def _dense_path(self, generation: int) -> Path:
        return self.path / f"dense-{generation}.faiss"

    def _lexical_path(self, generation: int) -> Path:
        return self.path / f"lexical-{generation}"

    def dense(self):
        with self._lock:
            if self._dense is None:
                self._dense = self._load_or_build_dense()
            return self._dense

    def lexical(self) -> LexicalIndex:
        with self._lock:
            if self._lexical is None:
                self._lexical = self._load_or_build_lexical()
            return self._lexical

    def _load_or_build_dense(self):
        import faiss

        path = self._dense_path(self.generation)
        count = self._db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        if path.exists():
            try:
                index = faiss.read_index(str(path))
                if index.ntotal == count and _is_graph(index) == (count > FLAT_MAX_VECTORS):
                    return index
            except RuntimeError:
                pass  # a damaged derived file is rebuilt below, never trusted
        index = self._new_dense(count)
        ids, vectors = self.all_vectors()
        if len(ids):
            index.add_with_ids(vectors, ids)
        self._dense = index
        self._save_dense()
        return index

    def _new_dense(self, count: int):
        import faiss

        if count <= FLAT_MAX_VECTORS:
            return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))
        graph = faiss.IndexHNSWFlat(self.dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        return faiss.IndexIDMap2(graph)

    def dense_search(self, vector: np.ndarray, n: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The `n` chunks nearest to a unit vector, as (chunk id, inner product), optionally among `allowed`."""
        import faiss

        dense = self.dense()
        if dense.ntotal == 0:
            return []
        selector = faiss.IDSelectorBatch(allowed) if allowed is not None else None
        if _is_graph(dense):
            params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(HNSW_EF_SEARCH, n))
        else:
            params = faiss.SearchParameters(sel=selector) if selector is not None else None
        scores, ids = dense.search(vector.reshape(1, -1).astype(np.float32), min(n, dense.ntotal), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def _update_dense(self, removed: list[int], added_ids: list[int], added_vectors: list[np.ndarray]) -> None:
        if self._dense is None:
            return  # built from SQLite on first use
        if removed and _is_graph(self._dense):
            self._dense = None  # an HNSW graph cannot delete: rebuilt from SQLite on next use
            return
        if removed:
            self._dense.remove_ids(np.asarray(removed, dtype=np.int64))
        if added_ids:
            self._dense.add_with_ids(np.vstack(added_vectors).astype(np.float32), np.asarray(added_ids, dtype=np.int64))

    def _save_dense(self) -> None:
        import faiss

        path = self._dense_path(self.generation)
        tmp = path.with_suffix(".tmp")
        faiss.write_index(self._dense, str(tmp))
        os.replace(tmp, path)
        self._drop_stale("dense-", path.name)

    def _load_or_build_lexical(self) -> LexicalIndex:
        path = self._lexical_path(self.generation)
        if (path / "ids.npy").exists():
            try:
                return LexicalIndex.load(path)
            except (OSError, ValueError, json.JSONDecodeError):
                pass
        rows = self._db.execute(
            "SELECT c.id, r.title, c.text FROM chunks c JOIN releases r ON r.id = c.release_id ORDER BY c.id"
        ).fetchall()
        lexical = LexicalIndex.build([r[0] for r in rows], [f"{r[1]}\n{r[2]}" for r in rows])
        tmp = path.with_name(path.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        lexical.save(tmp)
        shutil.rmtree(path, ignore_errors=True)
        os.replace(tmp, path)
        self._drop_stale("lexical-", path.name)
        return lexical

    def _drop_stale(self, prefix: str, keep: str) -> None:
        for p in self.path.glob(prefix + "*"):
            if p.name != keep:
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)

    def save(self) -> None:
        """Writes the derived files for the current generation (the database is already committed).

        Both are brought up to date here, at the end of an ingest, so that the next process to open the
        index (a server starting, a CLI question) loads them instead of building them first.
        """
        with self._lock:
            # Every change bumps the generation, so an existing file for this generation is up to date.
            if self._dense is not None and not self._dense_path(self.generation).exists():
                self._save_dense()
            self.dense()
            self.lexical()

    def all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """Every chunk id and its vector, from the database (whatever the search structure is)."""
        with self._lock:
            rows = self._db.execute("SELECT id, vector FROM chunks ORDER BY id").fetchall()
        ids = np.asarray([r[0] for r in rows], dtype=np.int64)
        if not rows:
            return ids, np.zeros((0, self.dim), dtype=np.float32)
        return ids, np.vstack([np.frombuffer(r[1], dtype=np.float32) for r in rows])

    def chunk_ids(self) -> list[int]:
        with self._lock:
            return [row[0] for row in self._db.execute("SELECT id FROM chunks ORDER BY id")]

    def iter_release_ids(self) -> Iterator[str]:
        yield from (r[0] for r in self._db.execute("SELECT id FROM releases ORDER BY id").fetchall())


def _is_graph(dense: object) -> bool:
    import faiss

    return isinstance(faiss.downcast_index(dense.index), faiss.IndexHNSW)  # type: ignore[attr-defined]
