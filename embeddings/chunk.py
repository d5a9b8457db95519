"""Sentence-aware chunking, sized in the embedding model's own word pieces.

all-MiniLM-L6-v2 silently drops everything past 256 word pieces, so chunks are packed from whole
sentences up to a token budget that leaves room for the title header and the special tokens.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from embeddings.text.sentences import Span, split_sentences
from embeddings.types import Chunk, Release


class Tokenizer(Protocol):
    def __call__(self, text: str, **kwargs: object) -> dict: ...


@dataclass(frozen=True)
class Chunker:
    """Packs sentences into chunks of at most `max_tokens` word pieces with `overlap_tokens` of overlap."""

    tokenizer: Tokenizer
    max_tokens: int = 200
    overlap_tokens: int = 40

    def chunk(self, release: Release) -> list[Chunk]:
        text = release.text
        token_starts, token_ends = self._token_offsets(text)
        units = list(self._units(split_sentences(text), token_starts, token_ends))
        chunks: list[Chunk] = []
        i = 0
        while i < len(units):
            j, tokens = i, 0
            while j < len(units) and (j == i or tokens + units[j][1] <= self.max_tokens):
                tokens += units[j][1]
                j += 1
            start, end = units[i][0].start, units[j - 1][0].end
            chunks.append(Chunk(release.id, len(chunks), start, end, text[start:end]))
            if j >= len(units):
                break
            i = self._overlap_start(units, i, j)
        return chunks

    def _overlap_start(self, units: Sequence[tuple[Span, int]], first: int, after: int) -> int:
        """Index of the first unit the next chunk starts with: back up over sentences that fit the overlap."""
        k, carried = after, 0
        while k - 1 > first and carried + units[k - 1][1] <= self.overlap_tokens:
            k -= 1
            carried += units[k][1]
        return k

    def _token_offsets(self, text: str) -> tuple[list[int], list[int]]:
        encoded = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        offsets = encoded["offset_mapping"]
        return [s for s, _ in offsets], [e for _, e in offsets]

    def _units(
        self, sentences: list[Span], token_starts: list[int], token_ends: list[int]
    ) -> Iterator[tuple[Span, int]]:
        """Sentences with their token counts; a sentence longer than a chunk is cut at token boundaries."""
        for sentence in sentences:
            lo = bisect.bisect_left(token_starts, sentence.start)
            hi = bisect.bisect_left(token_starts, sentence.end)
            count = hi - lo
            if count <= self.max_tokens:
                yield sentence, max(count, 1)
                continue
            for a in range(lo, hi, self.max_tokens):
                b = min(a + self.max_tokens, hi)
                yield Span(token_starts[a], token_ends[b - 1]), b - a
