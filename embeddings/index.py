"""The on-disk index: SQLite holds releases, chunks and their vectors; FAISS and BM25 are derived from it.

`Index` is the one object the rest of pressqa uses, and every name they import stays importable from here.
It puts together the store (embeddings/store.py: releases, chunks, metadata, generation, transactions,
filters; its records and errors in embeddings/index_types.py), the dense structure (embeddings/dense.py:
FAISS, flat or HNSW by size), BM25 (embeddings/lexical.py) and their files per generation
(embeddings/search_files.py). A process killed mid-ingest leaves the last committed state, and search
files that do not match the database's generation are rebuilt from it instead of being trusted.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from embeddings import search_files
from embeddings.dense import (
    FLAT_MAX_VECTORS,
    HNSW_EF_CONSTRUCTION,
    HNSW_EF_SEARCH,
    HNSW_M,
    search_dense,
    update_dense,
)
from embeddings.index_types import (
    DamagedIndexError,
    DateRangeError,
    EmbeddingModelMissingError,
    Filters,
    IndexAccessError,
    IndexStats,
    IndexStoreError,
    MissingIndexError,
    ModelMismatchError,
    PendingRelease,
    ReleaseInfo,
    StoredChunk,
)
from embeddings.lexical import LexicalIndex
from embeddings.store import DB_NAME, SCHEMA_VERSION, Store
from embeddings.types import Release

__all__ = [
    "DB_NAME",
    "FLAT_MAX_VECTORS",
    "HNSW_EF_CONSTRUCTION",
    "HNSW_EF_SEARCH",
    "HNSW_M",
    "SCHEMA_VERSION",
    "DamagedIndexError",
    "DateRangeError",
    "EmbeddingModelMissingError",
    "Filters",
    "Index",
    "IndexAccessError",
    "IndexStats",
    "IndexStoreError",
    "MissingIndexError",
    "ModelMismatchError",
    "PendingRelease",
    "ReleaseInfo",
    "StoredChunk",
]


class Index:
    """Open with `Index.open(path, model_name, dim)`; safe to share between threads."""

    def __init__(self, path: Path, store: Store, model_name: str, dim: int) -> None:
        self.path = path
        self.model_name = model_name
        self.dim = dim
        self._store = store
        self._lock = store.lock
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
            try:
                path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise IndexAccessError(
                    f"Cannot create the index folder {path} ({exc.strerror or exc}): "
                    "pass --index (or set PRESSQA_INDEX to) a folder you may write to."
                ) from exc
        index = cls(path, Store(db_path, threading.RLock()), model_name, dim)
        index._store.check_model(path, model_name, dim, create)
        return index

    @staticmethod
    def stored_model(path: object) -> str | None:
        """The embedding model an existing index was built with (None for no index yet)."""
        return Store.stored_model(Path(str(path)) / DB_NAME)

    def close(self) -> None:
        self._store.close()

    @property
    def generation(self) -> int:
        return self._store.generation

    # ---------------------------------------------------------------- reading (the store)

    def release_hashes(self, ids: Iterable[str]) -> dict[str, str]:
        return self._store.release_hashes(ids)

    def vectors_for_text_hashes(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors already stored for identical chunk texts, so they are never embedded twice."""
        return self._store.vectors_for_text_hashes(hashes)

    def release(self, release_id: str) -> Release | None:
        return self._store.release(release_id)

    def release_infos(self, ids: Iterable[str] | None = None) -> list[ReleaseInfo]:
        return self._store.release_infos(ids)

    def find_releases(self, query: str, limit: int = 20) -> list[ReleaseInfo]:
        """Releases whose id or title contains every word of `query` (for pickers and `--release`)."""
        return self._store.find_releases(query, limit)

    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, StoredChunk]:
        return self._store.chunks(chunk_ids)

    def release_chunks(self, release_id: str) -> list[StoredChunk]:
        return self._store.release_chunks(release_id)

    def allowed_chunk_ids(self, filters: Filters) -> np.ndarray:
        return self._store.allowed_chunk_ids(filters)

    def organisations(self) -> list[str]:
        return self._store.organisations()

    def stats(self) -> IndexStats:
        releases, chunks, first, last = self._store.counts_and_dates()
        size = sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())
        return IndexStats(releases, chunks, self.model_name, self.dim, first, last, size)

    def all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """Every chunk id and its vector, from the database (whatever the search structure is)."""
        return self._store.all_vectors(self.dim)

    def chunk_ids(self) -> list[int]:
        return self._store.chunk_ids()

    def iter_release_ids(self) -> Iterator[str]:
        return self._store.iter_release_ids()

    # ---------------------------------------------------------------- writing

    def write(self, pending: Sequence[PendingRelease]) -> None:
        """Adds or replaces releases with their chunks and vectors, in one transaction."""
        if not pending:
            return
        with self._lock:
            written = self._store.write(pending)
            self._update_dense(written.removed, written.added_ids, written.added_vectors)
            self._lexical = None

    def remove(self, release_id: str) -> bool:
        with self._lock:
            removed = self._store.remove(release_id)
            if removed is None:
                return False
            self._update_dense(removed, [], [])
            self._lexical = None
            self.save()
            return True

    def _update_dense(self, removed: list[int], added_ids: list[int], added_vectors: list[np.ndarray]) -> None:
        if self._dense is not None:  # else built from SQLite on first use
            self._dense = update_dense(self._dense, removed, added_ids, added_vectors)

    # ---------------------------------------------------------------- search structures

    def dense(self):
        with self._lock:
            if self._dense is None:
                self._dense = search_files.load_or_build_dense(
                    self.path, self.generation, self.dim, self._store.chunk_count(), self.all_vectors
                )
            return self._dense

    def lexical(self) -> LexicalIndex:
        with self._lock:
            if self._lexical is None:
                self._lexical = search_files.load_or_build_lexical(
                    self.path, self.generation, self._store.lexical_texts
                )
            return self._lexical

    def dense_search(self, vector: np.ndarray, n: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The `n` chunks nearest to a unit vector, as (chunk id, inner product), optionally among `allowed`."""
        return search_dense(self.dense(), vector, n, allowed)

    def save(self) -> None:
        """Writes the search files for the current generation (the database is already committed).

        Both are brought up to date here, at the end of an ingest, so that the next process to open the
        index (a server starting, a CLI question) loads them instead of building them first.
        """
        with self._lock:
            # Every change bumps the generation, so an existing file for this generation is up to date.
            if self._dense is not None and not search_files.dense_path(self.path, self.generation).exists():
                search_files.save_dense(self._dense, self.path, self.generation)
            self.dense()
            self.lexical()
