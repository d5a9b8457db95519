"""The on-disk index: SQLite holds releases, chunks and their vectors; FAISS and BM25 are derived from it.

`Index` is the one object the rest of pressqa uses, and every name they import stays importable from here.
It puts together the store (embeddings/store.py: releases, chunks, metadata, generation, transactions,
filters; its records and errors in embeddings/index_types.py), the dense structure (embeddings/dense.py:
FAISS, flat or HNSW by size), BM25 (embeddings/lexical.py) and their files per generation
(embeddings/search_files.py). A process killed mid-ingest leaves the last committed state, and search
files that do not match the database's generation are rebuilt from it instead of being trusted. An index
built for a vector engine (embeddings/search_backend.py) keeps its chunks there instead of in FAISS and BM25
files, applied after each commit (embeddings/engine_search.py); everything else is read from the store alike.

Other processes change the folder while this one has it open (`pressqa ingest` or `remove` beside a
running `pressqa serve`), so every search starts by comparing the database's generation with the one its
FAISS and BM25 were loaded for, and loads the new generation's files when they differ. The new structures
are swapped in whole: a search already running keeps the ones it started with.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path

import numpy as np

from embeddings import bm25_weights, date_table, reissues, release_text_index, search_files
from embeddings.dense import (
    FLAT_MAX_VECTORS,
    HNSW_EF_CONSTRUCTION,
    HNSW_EF_SEARCH,
    HNSW_M,
    copy_dense,
    update_dense,
)
from embeddings.engine_search import EngineSearchers, bring_level, load_or_build_terms, send
from embeddings.index_types import (
    CountedRelease,
    DamagedIndexError,
    DateRangeError,
    EmbeddingModelMissingError,
    Filters,
    IndexAccessError,
    IndexStats,
    IndexStoreError,
    MissingIndexError,
    ModelMismatchError,
    NamedIn,
    PendingRelease,
    ReleaseCount,
    ReleaseInfo,
    StoredChunk,
    StoredQuote,
    Written,
)
from embeddings.lexical import LexicalIndex
from embeddings.milvus_chunks import MilvusChunks
from embeddings.search_backend import (
    META_KEY,
    BackendChoice,
    BackendMismatchError,
    SearchBackend,
    check_backend,
    from_settings,
)
from embeddings.search_files import Searchers
from embeddings.store import DB_NAME, SCHEMA_VERSION, Store
from embeddings.types import Release

__all__ = [
    "DB_NAME",
    "FLAT_MAX_VECTORS",
    "HNSW_EF_CONSTRUCTION",
    "HNSW_EF_SEARCH",
    "HNSW_M",
    "SCHEMA_VERSION",
    "BackendChoice",
    "BackendMismatchError",
    "CountedRelease",
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
    "NamedIn",
    "PendingRelease",
    "ReleaseCount",
    "ReleaseInfo",
    "SearchBackend",
    "Searchers",
    "StoredChunk",
    "StoredQuote",
]


# The store's generation that the engine's chunks match, kept in the store's meta table.
ENGINE_GENERATION = "engine_generation"


class Index:
    """Open with `Index.open(path, model_name, dim)`; safe to share between threads."""

    def __init__(
        self, path: Path, store: Store, model_name: str, dim: int, backend: BackendChoice | None = None
    ) -> None:
        self.path = path
        self.model_name = model_name
        self.dim = dim
        self.backend = backend or BackendChoice()
        self._store = store
        self._engine: MilvusChunks | None = None  # connected on first use
        self._lock = store.lock  # the shared connection, and the swaps below
        self._reload_lock = threading.Lock()  # one load at a time; searches in flight never take it
        # FAISS and BM25 of one generation, or the engine's searches of it, loaded on first use
        self._searchers: Searchers | EngineSearchers | None = None
        # A FAISS structure that this process's writes brought up to (generation); private, so changed in
        # place until it is loaded as part of a Searchers.
        self._prepared: tuple[int, object] | None = None
        self._all_reissues: tuple[int, list[list[str]]] | None = None  # (generation, every group)
        self._texts_complete = False  # every release's words are in the text index (checked once)

    # ---------------------------------------------------------------- opening

    @classmethod
    def open(
        cls, path: Path, model_name: str, dim: int, create: bool = True, backend: BackendChoice | None = None
    ) -> Index:
        """`backend`: what searches the chunks (None: PRESSQA_SEARCH_BACKEND); an existing index refuses another."""
        path = Path(path)
        backend = backend or from_settings()
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
        index = cls(path, Store(db_path, threading.RLock()), model_name, dim, backend)
        new = index._store.check_model(path, model_name, dim, create)
        if new:
            search_files.drop_all(path)  # a new database counts generations from 0 again
            search_files.drop_stale(path, bm25_weights.TERMS_PREFIX, 1 << 62)
        try:
            if check_backend(index._store.meta_value(META_KEY), backend.name, path, new):
                index._store.set_meta_value(META_KEY, backend.name)
                if backend.name == "milvus":
                    index._milvus().drop()  # chunks of an earlier index at this URI: ids start again from 1
        except BackendMismatchError:
            index.close()
            raise
        return index

    @staticmethod
    def stored_model(path: object) -> str | None:
        """The embedding model an existing index was built with (None for no index yet)."""
        return Store.stored_model(Path(str(path)) / DB_NAME)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
        self._store.close()

    def _milvus(self) -> MilvusChunks:
        with self._lock:
            if self._engine is None:
                self._engine = MilvusChunks(self.backend.uri(self.path), self.dim)
            return self._engine

    @property
    def on_engine(self) -> bool:
        return self.backend.name == "milvus"

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

    def reissues(self, release_ids: Iterable[str] | None = None) -> list[list[str]]:
        """Groups of one release published under several ids (embeddings/reissues.py), oldest first: those
        holding any of `release_ids`, or all."""
        wanted = None if release_ids is None else list(release_ids)
        if wanted is not None and not wanted:
            return []
        generation = self.generation
        if wanted is None and self._all_reissues is not None and self._all_reissues[0] == generation:
            return self._all_reissues[1]  # 0.65 s over 13,415 releases: the web app asks on every page load
        pairs = self._store.reissue_candidates(wanted)
        published = self._store.published({x for pair in pairs for x in pair})
        found = reissues.groups(pairs, published)
        if wanted is None:
            self._all_reissues = (generation, found)
        return found

    def unsigned_releases(self) -> list[str]:
        return self._store.unsigned_releases()

    def sign(self, release_ids: Sequence[str]) -> None:
        self._store.sign(release_ids)
        self._all_reissues = None  # signing an older index's releases changes the groups, not the generation

    def unread_releases(self) -> dict[str, list[str]]:
        """For each of ingest's readers (quotes, dates), the releases it has not read, or read by older rules."""
        return self._store.unread_releases()

    def read_again(self, reader_name: str, release_ids: Sequence[str]) -> None:
        self._store.read_again(reader_name, release_ids)
        if self.on_engine and reader_name == date_table.NAME:  # the engine keeps each chunk's event day
            chunk_ids = [c.id for rid in release_ids for c in self._store.release_chunks(rid)]
            with self._store.reading() as view:
                send(self._milvus(), view.engine_rows(chunk_ids), len(chunk_ids))

    def event_days(self, release_ids: Iterable[str]) -> dict[str, tuple[date, int | None, int | None]]:
        """The day each release's main event happened (embeddings/date_table.py), with the span stating it
        (None, None where that is the release's own date)."""
        return self._store.event_days(release_ids)

    def quotes(
        self, speaker: str | None = None, release_ids: Iterable[str] | None = None, limit: int | None = None
    ) -> list[StoredQuote]:
        """Quotes kept at ingest (embeddings/quote_table.py), newest release first: by a speaker's name or
        role words, in some releases, or all."""
        return self._store.quotes(speaker, release_ids, limit)

    def speakers(self, limit: int = 50) -> list[tuple[str, int]]:
        """The most quoted speakers and their counts of quotes."""
        return self._store.speakers(limit)

    def named_in(self, name: str, kind: str | None = None, release_ids: Iterable[str] | None = None) -> list[NamedIn]:
        """Every release naming the person or organisation (embeddings/name_table.py), newest first: a
        lookup over the whole index, not a search."""
        return self._store.named_in(name, kind, release_ids)

    def most_named(self, kind: str | None = None, limit: int = 50) -> list[tuple[str, str, int]]:
        """The people and organisations named in the most releases: (name, type, releases)."""
        return self._store.most_named(kind, limit)

    def unindexed_texts(self) -> list[str]:
        return self._store.unindexed_texts()

    def index_texts(self, release_ids: Sequence[str]) -> None:
        self._store.index_texts(release_ids)

    def count_releases(
        self,
        words: Sequence[str] = (),
        phrases: Sequence[str] = (),
        since: date | None = None,
        until: date | None = None,
        organisation: str | None = None,
        within: set[str] | None = None,
    ) -> ReleaseCount:
        """Every release whose title or text holds all of `words` (each in a singular or plural form) and
        `phrases` (their words in a row), dated within [since, until] when either is given, and among
        `within` when given (the releases other filters let through); a release published under several ids
        (Index.reissues) counts once, under its first id in the period."""
        expression = release_text_index.match_expression(words, phrases)
        if not expression:
            raise ValueError("Nothing to count: the topic has no words.")
        if not self._texts_complete:  # an index from before the text index: its releases are read once
            if missing := self.unindexed_texts():
                self.index_texts(missing)
            self._texts_complete = True
        rows = self._store.matching_releases(expression, since, until, organisation)
        if within is not None:
            rows = [row for row in rows if row[0] in within]
        return _once_each(rows, self._reissue_groups([rid for rid, _, _ in rows]))

    def _reissue_groups(self, release_ids: list[str]) -> list[list[str]]:
        """The re-issue groups holding any of `release_ids`: from the groups of every release when this
        generation's are known (the web app asks for them on every page load), else looked up for these
        ids alone: 115 ms for the 4,813 "fraud" releases of the DOJ+ISAF index, where all groups take 630 ms."""
        cached = self._all_reissues
        if cached is not None and cached[0] == self.generation:
            wanted = set(release_ids)
            return [g for g in cached[1] if wanted.intersection(g)]
        return self.reissues(release_ids)

    def allowed_chunk_ids(self, filters: Filters) -> np.ndarray:
        return self._store.allowed_chunk_ids(filters)

    def allowed_release_ids(self, filters: Filters) -> set[str]:
        """The releases the filters let through: dates (published or happened), organisation, names, ids."""
        return self._store.allowed_release_ids(filters)

    def organisations(self) -> list[str]:
        return self._store.organisations()

    def stats(self) -> IndexStats:
        releases, chunks, first, last = self._store.counts_and_dates()
        return IndexStats(releases, chunks, self.model_name, self.dim, first, last, _bytes_in(self.path))

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
            self._apply_to_engine(written) if self.on_engine else self._prepare_dense(written)

    def remove(self, release_id: str) -> bool:
        with self._lock:
            written = self._store.remove(release_id)
            if written is None:
                return False
            self._apply_to_engine(written) if self.on_engine else self._prepare_dense(written)
        self.save()
        return True

    def _apply_to_engine(self, written: Written) -> None:
        """Applies a committed write to the engine; it counts as level only if it was before the write."""
        was_level = self._store.meta_value(ENGINE_GENERATION) == str(written.base_generation)
        engine = self._milvus()
        engine.delete(written.removed)
        with self._store.reading() as view:
            send(engine, view.engine_rows(written.added_ids), len(written.added_ids))
        if was_level:
            self._store.set_meta_value(ENGINE_GENERATION, str(written.generation))

    def _prepare_dense(self, written: Written) -> None:
        """Applies a committed write to a copy of the FAISS structure, so the next load need not rebuild it.

        Only when the structure is of the generation the write was applied to: if another process committed
        in between, the next load reads that generation's file or rebuilds from the store.
        """
        if written.added_vectors is None:
            self._prepared = None
            return
        if self._prepared is not None and self._prepared[0] == written.base_generation:
            dense = self._prepared[1]
        elif self._searchers is not None and self._searchers.generation == written.base_generation:
            dense = copy_dense(self._searchers.dense)  # searches in flight still use the original
        else:
            self._prepared = None
            return
        updated = update_dense(dense, written.removed, written.added_ids, written.added_vectors)
        self._prepared = (written.generation, updated) if updated is not None else None

    # ---------------------------------------------------------------- search structures

    def searchers(self) -> Searchers | EngineSearchers:
        """FAISS and BM25 of the database's current generation, whoever committed it.

        One generation read when nothing changed; otherwise that generation's files are loaded (rebuilt from
        the store where missing or stale) and swapped in. Keep the result for a whole search: it never
        changes, so a search is never mixed across generations nor waits for a reload that starts after it.
        """
        current = self._searchers
        if current is not None and current.generation == self.generation:
            return current
        with self._reload_lock:
            current = self._searchers
            if current is not None and current.generation == self.generation:
                return current  # another thread loaded it while this one waited
            if self.on_engine:
                loaded: Searchers | EngineSearchers = self._engine_searchers()
            else:
                with self._lock:
                    prepared, self._prepared = self._prepared, None  # shared from here on: never changed again
                with self._store.reading() as view:
                    loaded = search_files.load(self.path, view, self.dim, prepared, self._store.vectors_by_ids)
            with self._lock:
                self._searchers = loaded
            return loaded

    def _engine_searchers(self) -> EngineSearchers:
        """The engine brought level with the store's current generation where it is not, and that generation's
        term counts."""
        engine = self._milvus()
        with self._store.reading() as view:
            if self._store.meta_value(ENGINE_GENERATION) != str(view.generation):
                bring_level(engine, view)
                self._store.set_meta_value(ENGINE_GENERATION, str(view.generation))
            terms = load_or_build_terms(self.path, view)
            generation = view.generation

        def mentioning(name: str) -> set[str]:
            return self._store.allowed_release_ids(Filters(mentions=name))

        return EngineSearchers(generation, engine, terms, self._store.organisations_containing, mentioning)

    def dense(self):
        return self.searchers().dense

    def lexical(self) -> LexicalIndex:
        return self.searchers().lexical

    def dense_search(self, vector: np.ndarray, n: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The `n` chunks nearest to a unit vector, as (chunk id, inner product), optionally among `allowed`."""
        return self.searchers().dense_search(vector, n, allowed)

    def save(self) -> None:
        """Brings the search files up to the current generation (the database is already committed).

        Both are brought up to date here, at the end of an ingest, so that the next process to open the
        index (a server starting, a CLI question) and any server that has it open load them instead of
        building them first. A process that has searched keeps them loaded (the web app after an upload);
        one that has not (`pressqa ingest`) writes them one at a time and holds neither.
        """
        if self._searchers is not None or self._prepared is not None or self.on_engine:
            self.searchers()
            return
        with self._store.reading() as view:
            search_files.write_missing(self.path, view, self.dim)


def _once_each(rows: list[tuple[str, date | None, float]], groups: list[list[str]]) -> ReleaseCount:
    """The matched releases, best first, with the later ids of a re-issued release left out (the group's
    members are oldest first, so the first one matched is the one counted)."""
    matched = {rid: (day, rank) for rid, day, rank in rows}
    others: dict[str, tuple[str, ...]] = {}
    dropped: set[str] = set()
    for group in groups:
        present = [rid for rid in group if rid in matched]
        if not present:
            continue
        others[present[0]] = tuple(rid for rid in group if rid != present[0])
        dropped.update(present[1:])
    kept = [
        CountedRelease(rid, day, rank, others.get(rid, ()))
        for rid, (day, rank) in matched.items()
        if rid not in dropped
    ]
    kept.sort(key=lambda r: (r.rank, r.id))
    return ReleaseCount(tuple(kept), len(dropped))


def _bytes_in(folder: Path) -> int:
    """Bytes of the files under `folder`; one that another process deletes meanwhile (an old search file) counts 0.

    os.walk, unlike Path.rglob, passes over a folder that vanishes while it is listed.
    """
    total = 0
    for root, _, names in os.walk(folder):
        for name in names:
            with contextlib.suppress(FileNotFoundError):
                total += os.stat(os.path.join(root, name)).st_size
    return total
