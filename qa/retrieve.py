"""Hybrid retrieval: dense (FAISS) and lexical (BM25) candidates fused by reciprocal rank fusion.

Dense search finds paraphrases; BM25 finds exact names, numbers and reference codes that a small
embedding model blurs. Near-duplicate passages (boilerplate repeated across releases, releases
published twice) are collapsed so the top-k shows k different things.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import numpy as np

from embeddings.encode import Encoder
from embeddings.index import Filters, Index
from qa.types import Passage

RRF_K = 60
_WORD = re.compile(r"[a-z0-9]+")
# Letters and digits joined by hyphens or slashes, with at least one digit: "2010-12-S-232", "RCC-2024-031".
_CODE = re.compile(r"\b(?=[\w-]*\d)[A-Za-z0-9]+(?:[-/][A-Za-z0-9]+){2,}\b")


@dataclass(frozen=True)
class RetrievalConfig:
    candidates: int = 50  # from each retriever, before fusion
    dense: bool = True
    lexical: bool = True
    duplicate_jaccard: float = 0.8  # word-trigram overlap above which two passages count as one


@dataclass(frozen=True)
class Retrieval:
    passages: list[Passage]
    timings: dict[str, float]


class Retriever:
    def __init__(self, index: Index, encoder: Encoder, config: RetrievalConfig | None = None) -> None:
        self.index = index
        self.encoder = encoder
        self.config = config or RetrievalConfig()

    def search(self, query: str, k: int = 6, filters: Filters | None = None) -> Retrieval:
        timings: dict[str, float] = {}
        allowed = None
        if filters is not None and not filters.is_empty():
            allowed = self.index.allowed_chunk_ids(filters)
            if len(allowed) == 0:
                return Retrieval([], timings)
        n = self.config.candidates
        dense_hits: list[tuple[int, float]] = []
        lexical_hits: list[tuple[int, float]] = []
        if self.config.dense:
            t0 = time.perf_counter()
            vector = self.encoder.encode_query(query)
            timings["embed_query"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            dense_hits = self._dense(vector, n, allowed)
            timings["dense"] = time.perf_counter() - t0
        exact_hits: list[tuple[int, float]] = []
        if self.config.lexical:
            t0 = time.perf_counter()
            lexical = self.index.lexical()
            lexical_hits = lexical.search(query, n, allowed)
            # A reference code is an identifier, not a topic: passages quoting it whole rank as a third list.
            codes = [c.lower() for c in _CODE.findall(query)]
            if codes:
                exact_hits = lexical.search_tokens(codes, n, allowed)
            timings["lexical"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        fused = fuse([dense_hits, lexical_hits, exact_hits])
        passages = self._passages(fused, dict(dense_hits), dict(lexical_hits), k)
        timings["fuse"] = time.perf_counter() - t0
        return Retrieval(passages, timings)

    def _dense(self, vector: np.ndarray, n: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        import faiss

        dense = self.index.dense()
        if dense.ntotal == 0:
            return []
        params = None
        if allowed is not None:
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))
        scores, ids = dense.search(vector.reshape(1, -1), min(n, dense.ntotal), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def _passages(
        self, fused: list[tuple[int, float]], dense: dict[int, float], lexical: dict[int, float], k: int
    ) -> list[Passage]:
        # Fetch a few more than k: some will be collapsed as duplicates.
        wanted = [chunk_id for chunk_id, _ in fused[: k * 4]]
        chunks = self.index.chunks(wanted)
        infos = {i.id: i for i in self.index.release_infos(c.release_id for c in chunks.values())}
        kept: list[Passage] = []
        shingles: list[set[tuple[str, ...]]] = []
        for chunk_id, score in fused[: k * 4]:
            chunk = chunks.get(chunk_id)
            if chunk is None:
                continue
            grams = _trigrams(chunk.text)
            if any(_jaccard(grams, other) >= self.config.duplicate_jaccard for other in shingles):
                continue
            info = infos[chunk.release_id]
            kept.append(
                Passage(
                    chunk_id=chunk_id,
                    release_id=chunk.release_id,
                    title=info.title,
                    date=info.date,
                    organisation=info.organisation,
                    origin=info.origin,
                    text=chunk.text,
                    start=chunk.start,
                    end=chunk.end,
                    score=score,
                    dense_score=dense.get(chunk_id),
                    lexical_score=lexical.get(chunk_id),
                )
            )
            shingles.append(grams)
            if len(kept) == k:
                break
        return kept


def fuse(rankings: list[list[tuple[int, float]]], weights: list[float] | None = None) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: each list contributes weight/(RRF_K + rank) for every item it ranks."""
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, (item, _) in enumerate(ranking):
            scores[item] = scores.get(item, 0.0) + weight / (RRF_K + rank + 1)
    return sorted(scores.items(), key=lambda kv: -kv[1])


def _trigrams(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + 3]) for i in range(max(len(words) - 2, 1))}


def _jaccard(a: set[tuple[str, ...]], b: set[tuple[str, ...]]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)
