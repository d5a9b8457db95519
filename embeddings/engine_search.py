"""Search on a vector engine (Milvus): the chunks kept there in step with the store, and searched with filters.

SQLite stays the catalogue: releases, chunk texts, quotes, names and dates are read from it as with the default
search, and it says which generation the engine holds (meta `engine_generation`). A write is applied to the
engine right after it commits; when the engine is behind (a process killed in between, another process's
write through a server that missed it), the chunk ids of both are compared and the engine is brought level.
Chunk ids are never reused (AUTOINCREMENT), so an id present in both holds the same chunk.

Filters are pushed down to the engine as an expression over the fields kept beside each chunk (release id,
organisation, published day, event day); the organisation and name filters are resolved to the exact
organisations and releases the store's rules let through, so both searches apply the same rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from embeddings.bm25_weights import TERMS_PREFIX, TermStats, document_weights, terms_path
from embeddings.index_types import Filters
from embeddings.lexical import tokenize
from embeddings.milvus_chunks import MilvusChunks, strings_in
from embeddings.search_files import drop_stale
from embeddings.store import StoreView

# Chunks read from the store and sent to the engine at a time while bringing it level.
SYNC_BLOCK_ROWS = 2_000
# Below this many chunks to send, no progress bar: an ingest's own writes, not a whole index.
PROGRESS_MIN_ROWS = 10_000
_NOTHING = object()  # a filter no chunk passes


def _day(value: str | None) -> int:
    return date.fromisoformat(value).toordinal() if value else 0


def engine_row(row: tuple) -> dict[str, Any]:
    """A store row (StoreView.engine_rows) as the engine keeps it."""
    chunk_id, release_id, text, vector, published, organisation, event_day = row
    day = _day(published)
    return {
        "id": int(chunk_id),
        "dense": np.frombuffer(vector, dtype=np.float32),
        "lexical": document_weights(tokenize(text)),
        "release_id": release_id,
        "organisation": organisation or "",
        "published": day,
        "happened": _day(event_day) or day,
    }


def send(engine: MilvusChunks, rows: Iterable[tuple], total: int) -> None:
    """Sends store rows to the engine in blocks, with a progress bar for a whole index."""
    with tqdm(total=total, desc="Milvus", unit="chunks", disable=total < PROGRESS_MIN_ROWS) as bar:
        for block in _blocks(rows, SYNC_BLOCK_ROWS):
            engine.insert([engine_row(r) for r in block])
            bar.update(len(block))


def _blocks(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    block: list[tuple] = []
    for row in rows:
        block.append(row)
        if len(block) == size:
            yield block
            block = []
    if block:
        yield block


def bring_level(engine: MilvusChunks, view: StoreView) -> None:
    """Makes the engine hold exactly the chunks of the store's snapshot `view`."""
    stored = view.chunk_ids()
    held = engine.chunk_ids(int(stored[-1]) if len(stored) else 0)
    engine.delete(np.setdiff1d(held, stored, assume_unique=True).tolist())
    missing = np.setdiff1d(stored, held, assume_unique=True)
    if len(missing):
        rows = view.engine_rows() if len(missing) == len(stored) else view.engine_rows(missing.tolist())
        send(engine, rows, len(missing))


def load_or_build_terms(folder: Path, view: StoreView) -> TermStats:
    """The term counts of the generation `view` reads, from its file, else counted from the store and saved."""
    path = terms_path(folder, view.generation)
    if path.exists():
        try:
            stats = TermStats.load(path)
            if stats.chunks == view.chunk_count():
                return stats
        except (OSError, ValueError, KeyError):
            pass  # damaged, or being replaced by another process: counted again below
    stats = TermStats.build(text for _, text in view.lexical_rows())
    stats.save(path)
    drop_stale(folder, TERMS_PREFIX, view.generation)
    return stats


class EngineSearchers:
    """The engine's searches at one generation of the store (the SearchBackend of embeddings/search_backend.py)."""

    def __init__(
        self,
        generation: int,
        engine: MilvusChunks,
        terms: TermStats,
        organisations_containing: Callable[[str], list[str]],
        mentioning: Callable[[str], set[str]],
    ) -> None:
        self.generation = generation
        self.engine = engine
        self.terms = terms
        self._organisations_containing = organisations_containing
        self._mentioning = mentioning
        self._expressions: dict[Filters, object] = {}

    def dense_search(
        self, vector: np.ndarray, n: int, allowed: np.ndarray | None = None, filters: Filters | None = None
    ) -> list[tuple[int, float]]:
        expression = self._expression(allowed, filters)
        if expression is _NOTHING:
            return []
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        return self.engine.search("dense", query, n, str(expression))

    def lexical_search(
        self, query: str, n: int, allowed: np.ndarray | None = None, filters: Filters | None = None
    ) -> list[tuple[int, float]]:
        return self.token_search(tokenize(query), n, allowed, filters)

    def token_search(
        self, tokens: list[str], n: int, allowed: np.ndarray | None = None, filters: Filters | None = None
    ) -> list[tuple[int, float]]:
        weights = self.terms.query_weights(tokens)
        expression = self._expression(allowed, filters)
        if not weights or expression is _NOTHING:
            return []
        hits = self.engine.search("lexical", weights, n, str(expression))
        return [(chunk_id, score) for chunk_id, score in hits if score > 0]

    def _expression(self, allowed: np.ndarray | None, filters: Filters | None) -> object:
        """The engine's filter: from `filters` when given (pushed down), else the `allowed` chunk ids."""
        if filters is not None and not filters.is_empty():
            if filters not in self._expressions:
                self._expressions[filters] = self._filter_expression(filters)
            return self._expressions[filters]
        if allowed is None:
            return ""
        if not len(allowed):
            return _NOTHING
        return f"id in [{', '.join(str(int(i)) for i in allowed)}]"

    def _filter_expression(self, filters: Filters) -> object:
        """`filters` as an expression over the engine's fields, the store's rule (Store._filter_clause) for each."""
        clauses: list[str] = []
        day = "happened" if filters.dates == "happened" else "published"
        if filters.since or filters.until:
            clauses.append(f"{day} > 0")  # an undated release passes no date bound
        if filters.since:
            clauses.append(f"{day} >= {filters.since.toordinal()}")
        if filters.until:
            clauses.append(f"{day} <= {filters.until.toordinal()}")
        if filters.organisation:
            names = self._organisations_containing(filters.organisation)
            if not names:
                return _NOTHING
            clauses.append(strings_in("organisation", names))
        if filters.mentions is not None:
            named = sorted(self._mentioning(filters.mentions))
            if not named:
                return _NOTHING
            clauses.append(strings_in("release_id", named))
        if filters.release_ids is not None:
            if not filters.release_ids:
                return _NOTHING
            clauses.append(strings_in("release_id", list(filters.release_ids)))
        return " and ".join(f"({c})" for c in clauses)
