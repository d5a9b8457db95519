"""BM25 over chunk texts (bm25s), with a tokenizer that keeps reference codes, numbers and amounts whole.

"2010-12-S-232", "$4.5" and "U.S." must be findable as written: each such token is indexed whole and
also as its parts, so a query for the whole code or any of its pieces matches.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from embeddings.lexical_build import build_bm25
from embeddings.text.words import BM25_STOP_WORDS, WORD

# bm25s sets its own logger to DEBUG, which puts "Building index from tokens" into every server log.
logging.getLogger("bm25s").setLevel(logging.WARNING)

# Words joined by "-", ".", "/" or ":" ("2010-12-s-232", "u.s", "4.5") are one token as well as their words.
_TOKEN = re.compile(rf"{WORD.pattern}(?:[-./:]{WORD.pattern})*")
_stemmer = Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    for match in _TOKEN.finditer(text.lower()):
        token = match.group(0)
        parts = WORD.findall(token)
        if len(parts) > 1:
            tokens.append(token)
        for part in parts:
            if part not in BM25_STOP_WORDS:
                tokens.append(part if part.isdigit() else _stemmer.stemWord(part))
    return tokens


def reference_codes(text: str) -> list[str]:
    """Whole codes in `text` exactly as `tokenize` indexes them: joined tokens of three or more parts with a digit.

    "2010-12-S-232" gives "2010-12-s-232" and "1:20-cr-00123" gives "1:20-cr-00123". Finding them with the
    tokenizer's own pattern, not a separate one, keeps query codes and indexed tokens the same strings.
    """
    codes: list[str] = []
    for match in _TOKEN.finditer(text.lower()):
        token = match.group(0)
        if len(WORD.findall(token)) >= 3 and any(ch.isdigit() for ch in token):
            codes.append(token)
    return codes


class LexicalIndex:
    def __init__(self, retriever: bm25s.BM25, chunk_ids: np.ndarray) -> None:
        self.retriever = retriever
        self.chunk_ids = chunk_ids
        # Positions of chunk ids by binary search (a dict of them took ~100 bytes a chunk); the store's rows come
        # in id order, so the sort is needed only for ids given out of order.
        increasing = len(chunk_ids) < 2 or bool(np.all(chunk_ids[1:] > chunk_ids[:-1]))
        self._sorter = None if increasing else np.argsort(chunk_ids, kind="stable")

    @classmethod
    def build(cls, chunk_ids: Sequence[int], texts: Sequence[str]) -> LexicalIndex:
        return cls.from_rows(zip(chunk_ids, texts, strict=True))

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[int, str]], scratch: Path | None = None) -> LexicalIndex:
        """Built from (chunk id, text) pairs read one at a time, in memory bounded by the finished index
        (embeddings/lexical_build.py); `scratch` is the folder for its temporary file."""
        retriever, chunk_ids = build_bm25(rows, tokenize, scratch)
        return cls(retriever, chunk_ids)

    def save(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        if len(self.chunk_ids):
            self.retriever.save(str(path))
        np.save(path / "ids.npy", self.chunk_ids)
        (path / "pressqa.json").write_text(json.dumps({"chunks": len(self.chunk_ids)}))

    @classmethod
    def load(cls, path: Path) -> LexicalIndex:
        chunk_ids = np.load(path / "ids.npy")
        retriever = bm25s.BM25.load(str(path)) if len(chunk_ids) else bm25s.BM25()
        return cls(retriever, chunk_ids)

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top-k (chunk id, BM25 score), only chunks in `allowed` when given; zero scores are dropped."""
        return self.search_tokens(tokenize(query), k, allowed)

    def search_tokens(self, tokens: list[str], k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        if not len(self.chunk_ids):
            return []
        vocab = self.retriever.vocab_dict
        tokens = [t for t in tokens if t in vocab]
        if not tokens:
            return []
        mask = None
        if allowed is not None:
            mask = np.zeros(len(self.chunk_ids), dtype=np.float32)
            wanted = np.asarray(allowed, dtype=np.int64)
            ranks = np.searchsorted(self.chunk_ids, wanted, sorter=self._sorter).clip(max=len(self.chunk_ids) - 1)
            positions = ranks if self._sorter is None else self._sorter[ranks]
            mask[positions[self.chunk_ids[positions] == wanted]] = 1.0
        scores = self.retriever.get_scores(tokens, weight_mask=mask)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(self.chunk_ids[i]), float(scores[i])) for i in top if scores[i] > 0]
