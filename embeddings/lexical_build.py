"""BM25's score matrix built from streamed chunk texts, in memory bounded by the matrix itself.

bm25s's own `index()` keeps every chunk's token list, then three arrays of one entry per (chunk, distinct
token) pair, then the sparse matrix made from them: about 30 bytes a pair at its peak, where the finished
matrix needs 8 (a float32 score and an int32 chunk position). The DOJ corpus has ~67 distinct tokens per
chunk, so an index of 1.2 million chunks (a 1 GB JSONL file) has ~80 million pairs: 2.4 GB that way, 640 MB
finished. Here each chunk's (token id, count) pairs are spilled to a temporary file as they are read, and
a second pass over that file writes the scores straight into their place in the term-major (CSC) arrays,
by counting sort. The scores are bm25s's Lucene variant, the one `bm25s.BM25()` uses by default, so the
result loads, searches and saves as a `bm25s.BM25` of its own making.
"""

from __future__ import annotations

import math
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

# Pairs spilled or scored at a time: 1 M pairs is 8 MB read back, ~40 MB of temporaries while scoring.
BLOCK_PAIRS = 1 << 20
K1 = 1.5  # bm25s.BM25's defaults
B = 0.75


@dataclass
class _Spill:
    """Pass one's output: per chunk its length in tokens and its number of pairs; the pairs in a file."""

    chunk_ids: array
    lengths: array
    pairs_per_chunk: array
    doc_freq: np.ndarray
    file: object  # the temporary file holding int32 token ids, then int32 counts, per written block
    blocks: list[tuple[int, int]]  # (pairs, chunks) in each block written; a block holds whole chunks


def build_bm25(
    rows: Iterable[tuple[int, str]], tokenize: Callable[[str], list[str]], scratch: Path | None = None
) -> tuple[bm25s.BM25, np.ndarray]:
    """A bm25s.BM25 over the texts of `rows` ((chunk id, text), read once), and the chunk ids in row order."""
    vocab: dict[str, int] = {}
    with tempfile.TemporaryFile(prefix=".pressqa-bm25-", dir=scratch) as file:
        spill = _spill_pairs(rows, tokenize, vocab, file)
        retriever = bm25s.BM25(k1=K1, b=B)
        n_docs = len(spill.lengths)
        if n_docs:
            if "" not in vocab:  # bm25s gives every index the empty token, for chunks without one
                vocab[""] = len(vocab)
            retriever.scores = _score_matrix(spill, len(vocab))
            retriever.vocab_dict = vocab
            retriever.unique_token_ids_set = set(vocab.values())
            retriever.nonoccurrence_array = None
    return retriever, np.asarray(spill.chunk_ids, dtype=np.int64)


def _spill_pairs(
    rows: Iterable[tuple[int, str]], tokenize: Callable[[str], list[str]], vocab: dict[str, int], file
) -> _Spill:
    spill = _Spill(array("q"), array("i"), array("i"), np.zeros(0, dtype=np.int64), file, [])
    terms, counts = array("i"), array("i")

    def flush() -> None:
        if not terms:
            return
        file.write(terms.tobytes())
        file.write(counts.tobytes())
        seen = np.bincount(np.array(terms, dtype=np.int32), minlength=len(vocab))
        seen[: len(spill.doc_freq)] += spill.doc_freq
        spill.doc_freq = seen
        spill.blocks.append((len(terms), len(spill.lengths) - sum(c for _, c in spill.blocks)))
        del terms[:], counts[:]

    for chunk_id, text in rows:
        tokens = tokenize(text) or [""]
        ids = np.fromiter((vocab.setdefault(t, len(vocab)) for t in tokens), dtype=np.int32, count=len(tokens))
        unique, tf = np.unique(ids, return_counts=True)
        spill.chunk_ids.append(chunk_id)
        spill.lengths.append(len(tokens))
        spill.pairs_per_chunk.append(len(unique))
        terms.frombytes(unique.astype(np.int32).tobytes())
        counts.frombytes(tf.astype(np.int32).tobytes())
        if len(terms) >= BLOCK_PAIRS:
            flush()
    flush()
    if len(spill.doc_freq) < len(vocab):
        spill.doc_freq = np.pad(spill.doc_freq, (0, len(vocab) - len(spill.doc_freq)))
    return spill


def _blocks(spill: _Spill) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Each block's token ids, counts, and the chunk position each pair belongs to."""
    spill.file.seek(0)
    pairs_per_chunk = np.frombuffer(spill.pairs_per_chunk, dtype=np.int32)
    first_chunk = 0
    for pairs, chunks in spill.blocks:
        terms = np.frombuffer(spill.file.read(4 * pairs), dtype=np.int32)
        counts = np.frombuffer(spill.file.read(4 * pairs), dtype=np.int32)
        span = np.arange(first_chunk, first_chunk + chunks, dtype=np.int32)
        yield terms, counts, np.repeat(span, pairs_per_chunk[first_chunk : first_chunk + chunks])
        first_chunk += chunks


def _score_matrix(spill: _Spill, n_vocab: int) -> dict:
    n_docs = len(spill.lengths)
    doc_freq = np.pad(spill.doc_freq, (0, n_vocab - len(spill.doc_freq)))
    # Lucene's idf, as bm25s computes it per token (in double precision, then stored as float32).
    idf = np.array([math.log(1 + (n_docs - df + 0.5) / (df + 0.5)) for df in doc_freq.tolist()], dtype=np.float32)
    lengths = np.frombuffer(spill.lengths, dtype=np.int32)
    average_length = lengths.mean()
    # Per chunk, the denominator's constant part: k1 * (1 - b + b * length / average length).
    norm = K1 * ((1 - B) + B * lengths / average_length)

    indptr = np.zeros(n_vocab + 1, dtype=np.int64)
    np.cumsum(doc_freq, out=indptr[1:])
    data = np.empty(int(indptr[-1]), dtype=np.float32)
    indices = np.empty(int(indptr[-1]), dtype=np.int32)
    cursor = indptr[:-1].copy()  # where each token's next chunk goes
    for terms, counts, docs in _blocks(spill):
        tf = counts.astype(np.float32)
        scores = idf[terms] * (tf / (norm[docs] + tf))
        order = np.argsort(terms, kind="stable")  # chunks stay in row order within each token
        sorted_terms = terms[order]
        unique, first, runs = np.unique(sorted_terms, return_index=True, return_counts=True)
        positions = cursor[sorted_terms] + (np.arange(len(order)) - np.repeat(first, runs))
        cursor[unique] += runs
        data[positions] = scores[order]
        indices[positions] = docs[order]
    return {"data": data, "indices": indices, "indptr": indptr, "num_docs": n_docs}
