"""The dense search structure: a FAISS index over unit chunk vectors, keyed by chunk id.

Exact (flat) search for small indexes, an HNSW graph above FLAT_MAX_VECTORS. The graph holds each vector as
8-bit codes (a quarter of float32), and the candidates it finds are scored again with the float32 vectors
from the store, so the scores handed on are exact. The structure is derived from the vectors in the store,
so any file of it that does not match the store is rebuilt, never trusted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

# Exact (flat) search costs one dot product per chunk: `pressqa bench` measured 10 ms per query at 61,563
# chunks on 2 cores, out of a 30 ms retrieval budget that query embedding and BM25 share. Above this size
# an HNSW graph answers in well under a millisecond (recall@10 against exact search: 0.974 at 61,563).
FLAT_MAX_VECTORS = 75_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 64
# Vectors the 8-bit codes' per-dimension ranges are trained on, spread over the whole store.
CODE_TRAINING_VECTORS = 65_536
# In the graph, float32 vectors took 1,536 of ~1,900 bytes per chunk: 2.2 GB for the 1.2 million chunks of a
# 1 GB JSONL file. 8-bit codes take 384; re-scoring the graph's candidates (at least this many) with the
# stored float32 vectors keeps the order exact among them.
RESCORED_CANDIDATES = 64

VectorLookup = Callable[[Sequence[int]], dict[int, np.ndarray]]  # chunk ids -> their stored float32 vectors


def is_graph(dense: object) -> bool:
    import faiss

    return isinstance(faiss.downcast_index(dense.index), faiss.IndexHNSW)  # type: ignore[attr-defined]


def _is_coded_graph(dense: object) -> bool:
    import faiss

    inner = faiss.downcast_index(dense.index)  # type: ignore[attr-defined]
    return isinstance(inner, faiss.IndexHNSW) and isinstance(
        faiss.downcast_index(inner.storage), faiss.IndexScalarQuantizer
    )


def fits(dense: object, count: int) -> bool:
    """Whether a loaded structure holds `count` vectors and is the kind chosen for that many."""
    if count > FLAT_MAX_VECTORS:
        return dense.ntotal == count and _is_coded_graph(dense)  # type: ignore[attr-defined]
    return dense.ntotal == count and not is_graph(dense)  # type: ignore[attr-defined]


def new_dense(dim: int, count: int, training: Callable[[], np.ndarray] | None = None):
    """An empty structure of the kind for `count` vectors: flat up to FLAT_MAX_VECTORS, else an HNSW graph over
    8-bit codes trained on `training()` (a sample of the vectors)."""
    import faiss

    if count <= FLAT_MAX_VECTORS:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    graph = faiss.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_8bit, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    graph.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    if training is None:
        raise ValueError("a graph over 8-bit codes needs vectors to train the codes on")
    graph.train(np.ascontiguousarray(training(), dtype=np.float32))
    return faiss.IndexIDMap2(graph)


def _reserve_graph(dense: object, count: int) -> None:
    """Gives the graph's growing arrays (codes, links) their final capacity before the first add.

    They grow as std::vectors do, by copying into one twice the size, so near the end the old and the new array
    were held together: 142 MB above the finished structure at 600,000 random vectors, ~340 MB at the 1.2
    million chunks of a 1 GB JSONL file. Resizing to the final size and back to 0 keeps the capacity. Links are
    2M slots on level 0 plus M per upper level, whose expected count is 1/(M-1): 66 slots covers both.
    """
    import faiss

    graph = faiss.downcast_index(dense.index)  # type: ignore[attr-defined]
    storage = faiss.downcast_index(graph.storage)
    links = 2 * HNSW_M + HNSW_M // 16 + 1
    for array, size in ((storage.codes, count * storage.code_size), (graph.hnsw.neighbors, count * links)):
        array.resize(size)
        array.resize(0)


def build_dense(dim: int, ids: np.ndarray, vectors: np.ndarray, count: int | None = None):
    """The structure of the kind for `count` vectors (default: as many as given) over these vectors; the
    evals pass a count above FLAT_MAX_VECTORS to build the graph over fewer."""
    sample = vectors[:: max(1, len(ids) // CODE_TRAINING_VECTORS)]
    return build_dense_from_blocks(dim, len(ids) if count is None else count, [(ids, vectors)], lambda: sample)


def build_dense_from_blocks(
    dim: int,
    count: int,
    blocks: Iterable[tuple[np.ndarray, np.ndarray]],
    training: Callable[[], np.ndarray] | None = None,
):
    """The structure for `count` vectors, added a block of (ids, vectors) at a time."""
    dense = new_dense(dim, count, training)
    if is_graph(dense):
        _reserve_graph(dense, count)
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
    """Writes the structure to `path` (a private name: embeddings/search_files.py renames it into place).

    Through a Python file, not faiss's own: faiss only prints a failed close to stderr ("close error: No space
    left on device") and leaves a truncated file, where this raises the OSError for the caller to report.
    """
    import faiss

    failures: list[OSError] = []
    with open(path, "wb") as f:

        def write(data: bytes) -> None:
            try:
                f.write(data)
            except OSError as exc:
                failures.append(exc)
                raise

        try:
            faiss.write_index(dense, faiss.PyCallbackIOWriter(write))
        except RuntimeError:
            if failures:
                raise failures[0] from None
            raise


def copy_dense(dense: object):
    """An independent copy, to change while searches in flight keep using the original."""
    import faiss

    return faiss.clone_index(dense)


def search_dense(
    dense: object, vector: np.ndarray, n: int, allowed: np.ndarray | None, lookup: VectorLookup | None = None
) -> list[tuple[int, float]]:
    """The `n` chunks nearest to a unit vector, as (chunk id, inner product), optionally among `allowed`.

    A graph's candidates are re-scored with the float32 vectors `lookup` returns (a candidate another process
    deleted meanwhile has none and is dropped)."""
    import faiss

    if dense.ntotal == 0:  # type: ignore[attr-defined]
        return []
    selector = faiss.IDSelectorBatch(allowed) if allowed is not None else None
    graph = is_graph(dense)
    wanted = max(n, RESCORED_CANDIDATES) if graph and lookup is not None else n
    if graph:
        params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(HNSW_EF_SEARCH, wanted))
    else:
        params = faiss.SearchParameters(sel=selector) if selector is not None else None
    query = vector.reshape(1, -1).astype(np.float32)
    scores, ids = dense.search(query, min(wanted, dense.ntotal), params=params)  # type: ignore[attr-defined]
    hits = [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
    if not (graph and lookup is not None and hits):
        return hits
    stored = lookup([i for i, _ in hits])
    rescored = [(i, float(np.dot(stored[i], query[0]))) for i, _ in hits if i in stored]
    return sorted(rescored, key=lambda hit: -hit[1])[:n]


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
