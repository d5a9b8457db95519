"""BM25 over chunk texts (bm25s), with a tokenizer that keeps reference codes, numbers and amounts whole.

"2010-12-S-232", "$4.5" and "U.S." must be findable as written: each such token is indexed whole and
also as its parts, so a query for the whole code or any of its pieces matches.
"""

from __future__ import annotations

import json
import logging
import re
from array import array
from collections.abc import Iterable, Sequence
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

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
        self._position = {int(c): i for i, c in enumerate(chunk_ids)}

    @classmethod
    def build(cls, chunk_ids: Sequence[int], texts: Sequence[str]) -> LexicalIndex:
        return cls.from_rows(zip(chunk_ids, texts, strict=True))

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[int, str]]) -> LexicalIndex:
        """Built from (chunk id, text) pairs read one at a time.

        Each text becomes 4-byte token ids as it is read, where a list of token strings per chunk held ~60
        bytes a token: building BM25 over the DOJ corpus's 61,563 chunks that way was most of the ingest's
        1,072 MB peak, and 200 MB of text would have needed ~3 GB for it alone.
        """
        vocab: dict[str, int] = {}
        ids = array("q")
        corpus: list[array] = []
        for chunk_id, text in rows:
            ids.append(chunk_id)
            corpus.append(array("i", (vocab.setdefault(t, len(vocab)) for t in tokenize(text) or [""])))
        retriever = bm25s.BM25()
        if corpus:
            retriever.index((corpus, vocab), show_progress=False)
        return cls(retriever, np.asarray(ids, dtype=np.int64))

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
            positions = [self._position[int(c)] for c in allowed if int(c) in self._position]
            mask[positions] = 1.0
        scores = self.retriever.get_scores(tokens, weight_mask=mask)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(self.chunk_ids[i]), float(scores[i])) for i in top if scores[i] > 0]
