"""BM25 as sparse vectors, so that a vector engine ranks passages by words the way embeddings/lexical.py does.

A chunk is stored as {term: tf / (tf + K1 * (1 - B + B * length / AVERAGE_LENGTH))} and a query as
{term: count * idf}; their inner product is bm25s's Lucene score (embeddings/lexical_build.py) term for term.
Terms are our own tokens (embeddings/lexical.py:tokenize), so reference codes, numbers and amounts match as
they do in the default search. The idf comes from the store's document frequencies, counted per generation
(`TermStats`), so every chunk's stored weights stay valid while releases come and go.
"""

from __future__ import annotations

import hashlib
import math
import os
import secrets
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from embeddings.lexical import tokenize
from embeddings.lexical_build import K1, B

# The average chunk length in tokens (title and text) that lengths are normalised by. bm25s takes the current
# index's average; a stored sparse vector cannot follow it, so it is fixed at the DOJ+ISAF index's: 104.2
# tokens over 62,466 chunks (DOJ 104.5, ISAF 82.8). Chunks are cut to one size, so other corpora stay near it.
AVERAGE_LENGTH = 104.2
TERMS_PREFIX = "terms-"


def term_id(token: str) -> int:
    """A token's sparse dimension: 32 bits of its hash (~100,000 distinct DOJ+ISAF tokens, ~1 collision expected)."""
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=4).digest(), "little")


def document_weights(tokens: list[str]) -> dict[int, float]:
    """A chunk's sparse vector: each term's saturated, length-normalised frequency."""
    counts = Counter(term_id(t) for t in tokens or [""])
    norm = K1 * ((1 - B) + B * max(len(tokens), 1) / AVERAGE_LENGTH)
    return {term: tf / (tf + norm) for term, tf in counts.items()}


class TermStats:
    """How many chunks hold each term, and how many chunks there are: the idf of a query's terms."""

    def __init__(self, terms: np.ndarray, chunks_with: np.ndarray, chunks: int) -> None:
        self.terms = terms  # sorted term ids
        self.chunks_with = chunks_with
        self.chunks = chunks

    @classmethod
    def build(cls, texts: Iterable[str]) -> TermStats:
        frequency: Counter[int] = Counter()
        chunks = 0
        for text in texts:
            frequency.update({term_id(t) for t in tokenize(text) or [""]})
            chunks += 1
        terms = np.array(sorted(frequency), dtype=np.uint32)
        counts = np.array([frequency[int(t)] for t in terms], dtype=np.int64)
        return cls(terms, counts, chunks)

    def query_weights(self, tokens: list[str]) -> dict[int, float]:
        """A query's sparse vector: count * idf for each term some chunk holds (others cannot score)."""
        weights: dict[int, float] = {}
        if not len(self.terms):
            return weights
        for term, count in Counter(term_id(t) for t in tokens).items():
            at = int(np.searchsorted(self.terms, term))
            if at < len(self.terms) and int(self.terms[at]) == term:
                df = int(self.chunks_with[at])
                weights[term] = count * math.log(1 + (self.chunks - df + 0.5) / (df + 0.5))
        return weights

    def save(self, path: Path) -> None:
        """Written under a name of its own and renamed into place, as the other search files are."""
        tmp = path.with_name(f"{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp.npz")
        try:
            np.savez(tmp, terms=self.terms, chunks_with=self.chunks_with, chunks=np.int64(self.chunks))
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    @classmethod
    def load(cls, path: Path) -> TermStats:
        with np.load(path) as saved:
            return cls(saved["terms"], saved["chunks_with"], int(saved["chunks"]))


def terms_path(folder: Path, generation: int) -> Path:
    return folder / f"{TERMS_PREFIX}{generation}.npz"
