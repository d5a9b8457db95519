"""The bench's retrieval measures: latency by stage and hit@5 over the timed questions, and flat FAISS against HNSW."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from embeddings.dense import RESCORED_CANDIDATES, build_dense, search_dense
from embeddings.encode import Encoder
from embeddings.index import FLAT_MAX_VECTORS, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M, Index
from eval.bench_measure import ms
from eval.gold import GoldQuestion
from eval.metrics import gold_rank, hit_at
from qa.retrieve import RetrievalConfig, Retriever

RETRIEVAL_DEPTH = 10


def retrieval_run(
    index: Index, encoder: Encoder, questions: Sequence[GoldQuestion], config: RetrievalConfig | None = None
) -> dict[str, Any]:
    retriever = Retriever(index, encoder, config)
    retriever.search(questions[0].question, RETRIEVAL_DEPTH)  # warm-up: loads FAISS and BM25 files
    parts: dict[str, list[float]] = {}
    totals: list[float] = []
    hits: list[float] = []
    for q in questions:
        t0 = time.perf_counter()
        result = retriever.search(q.question, RETRIEVAL_DEPTH)
        totals.append(time.perf_counter() - t0)
        for name, seconds in result.timings.items():
            parts.setdefault(name, []).append(seconds)
        if q.release_id:
            hits.append(hit_at(gold_rank([p.release_id for p in result.passages], q.release_id), 5))
    return {
        "questions": len(questions),
        "total_ms": ms(totals),
        "parts_ms": {name: ms(values) for name, values in parts.items()},
        "hit_at_5": round(100 * sum(hits) / len(hits), 1) if hits else None,
        "hit_questions": len(hits),
    }


def ann_comparison(index: Index, encoder: Encoder, questions: Sequence[GoldQuestion]) -> dict[str, Any]:
    """Exact (flat) search against the graph the index builds above FLAT_MAX_VECTORS (HNSW over 8-bit codes,
    candidates re-scored with the float32 vectors), over the same vectors: build time, latency, recall@10."""
    import faiss

    ids, vectors = index.all_vectors()
    n, dim = vectors.shape
    flat = faiss.IndexFlatIP(dim)
    flat.add(vectors)
    queries = encoder.encode([q.question for q in questions])
    k = RETRIEVAL_DEPTH
    t0 = time.perf_counter()
    graph = build_dense(dim, ids, vectors, count=FLAT_MAX_VECTORS + 1)
    build = time.perf_counter() - t0
    row = {int(chunk_id): r for r, chunk_id in enumerate(ids)}

    def lookup(chunk_ids: Sequence[int]) -> dict[int, np.ndarray]:
        return {i: vectors[row[i]] for i in chunk_ids}

    def timed(search: Any) -> tuple[list[list[int]], list[float]]:
        found, times = [], []
        for qv in queries:
            t = time.perf_counter()
            found.append(search(qv))
            times.append(time.perf_counter() - t)
        return found, times

    exact, flat_times = timed(lambda qv: [int(ids[i]) for i in flat.search(qv.reshape(1, -1), k)[1][0]])
    approx, hnsw_times = timed(lambda qv: [i for i, _ in search_dense(graph, qv, k, None, lookup)])
    recall = np.mean([len(set(a) & set(e)) / k for a, e in zip(approx, exact, strict=True)])
    return {
        "vectors": n,
        "flat_ms": ms(flat_times),
        "hnsw_ms": ms(hnsw_times),
        "hnsw_build_s": round(build, 2),
        "hnsw_recall_at_10": round(float(recall), 4),
        "hnsw_params": {
            "M": HNSW_M,
            "efConstruction": HNSW_EF_CONSTRUCTION,
            "efSearch": HNSW_EF_SEARCH,
            "codes": "8-bit",
            "rescored": RESCORED_CANDIDATES,
        },
    }
