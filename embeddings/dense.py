"""The dense search structure: a FAISS index over unit chunk vectors, keyed by chunk id.

Exact (flat) search for small indexes, an HNSW graph above FLAT_MAX_VECTORS. The structure is derived from
the vectors in the store, so any file of it that does not match the store is rebuilt, never trusted.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

# Exact (flat) search costs one dot product per chunk: `pressqa bench` measured 10 ms per query at 61,563
# chunks on 2 cores, out of a 30 ms retrieval budget that query embedding and BM25 share. Above this size
# an HNSW graph answers in well under a millisecond (recall@10 against exact search: 0.974 at 61,563).
FLAT_MAX_VECTORS = 75_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 64


def is_graph(dense: object) -> bool:
    import faiss

    return isinstance(faiss.downcast_index(dense.index), faiss.IndexHNSW)  # type: ignore[attr-defined]


def fits(dense: object, count: int) -> bool:
    """Whether a loaded structure holds `count` vectors and is the kind chosen for that many."""
    return dense.ntotal == count and is_graph(dense) == (count > FLAT_MAX_VECTORS)  # type: ignore[attr-defined]


def new_dense(dim: int, count: int):
    """An empty structure of the kind for `count` vectors: flat up to FLAT_MAX_VECTORS, else HNSW."""
    import faiss

    if count <= FLAT_MAX_VECTORS:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    graph = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    graph.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    return faiss.IndexIDMap2(graph)


def build_dense(dim: int, ids: np.ndarray, vectors: np.ndarray):
    return build_dense_from_blocks(dim, len(ids), [(ids, vectors)])


def build_dense_from_blocks(dim: int, count: int, blocks: Iterable[tuple[np.ndarray, np.ndarray]]):
    """The structure for `count` vectors, added a block of (ids, vectors) at a time."""
    dense = new_dense(dim, count)
    for ids, vectors in blocks:
        if len(ids):
            dense.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
    return dense


def read_dense(path: Path):
    """The structure saved at `path`, or None when the file is missing or damaged."""
    import faiss

    if not path.exists():
        return None
    try:
        return faiss.read_index(str(path))
    except RuntimeError:
        return None  # a damaged derived file is rebuilt by the caller, never trusted


def write_dense(dense: object, path: Path) -> None:
    """Writes the structure to `path` (a private name: embeddings/search_files.py renames it into place)."""
    import faiss

    faiss.write_index(dense, str(path))


def copy_dense(dense: object):
    """An independent copy, to change while searches in flight keep using the original."""
    import faiss

    return faiss.clone_index(dense)


def search_dense(dense: object, vector: np.ndarray, n: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
    """The `n` chunks nearest to a unit vector, as (chunk id, inner product), optionally among `allowed`."""
    import faiss

    if dense.ntotal == 0:  # type: ignore[attr-defined]
        return []
    selector = faiss.IDSelectorBatch(allowed) if allowed is not None else None
    if is_graph(dense):
        params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(HNSW_EF_SEARCH, n))
    else:
        params = faiss.SearchParameters(sel=selector) if selector is not None else None
    scores, ids = dense.search(  # type: ignore[attr-defined]
        vector.reshape(1, -1).astype(np.float32),
        min(n, dense.ntotal),
        params=params,  # type: ignore[attr-defined]
    )
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]


def update_dense(dense: object, removed: list[int], added_ids: list[int], added_vectors: list[np.ndarray]):
    """`dense` with a write applied in place, or None where it must be rebuilt from the store instead."""
    if removed and is_graph(dense):
        return None  # an HNSW graph cannot delete
    if removed:
        dense.remove_ids(np.asarray(removed, dtype=np.int64))  # type: ignore[attr-defined]
    if added_ids:
        dense.add_with_ids(  # type: ignore[attr-defined]
            np.vstack(added_vectors).astype(np.float32), np.asarray(added_ids, dtype=np.int64)
        )
    return dense
