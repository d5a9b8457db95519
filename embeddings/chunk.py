"""Sentence-aware chunking, sized in the embedding model's own word pieces.

all-MiniLM-L6-v2 silently drops everything past 256 word pieces, so chunks are packed from whole
sentences up to a token budget that leaves room for the title header and the special tokens.

Chunks come out one at a time, and the text is split and tokenized a window at a time, so that memory
stays bounded by the window, not the release: tokenizing a 20 MB text whole took the ingest to 2.8 GB
(the tokenizer's offsets and Python's lists of them, about 140 bytes per character).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from embeddings.text.sentences import Span, split_sentences
from embeddings.types import Chunk, Release

# Characters split and tokenized at a time. Every release of the DOJ and ISAF corpora (the longest 112,000
# characters) fits in two windows; a window's offsets cost about 15 MB.
WINDOW_CHARS = 100_000


class Tokenizer(Protocol):
    def __call__(self, text: str, **kwargs: object) -> dict: ...


Unit = tuple[Span, int]  # a sentence (or a piece of an over-long one) and its word-piece count


@dataclass(frozen=True)
class Chunker:
    """Packs sentences into chunks of at most `max_tokens` word pieces with `overlap_tokens` of overlap."""

    tokenizer: Tokenizer
    max_tokens: int = 200
    overlap_tokens: int = 40
    window_chars: int = WINDOW_CHARS

    def chunk(self, release: Release) -> list[Chunk]:
        return list(self.iter_chunks(release))

    def iter_chunks(self, release: Release) -> Iterator[Chunk]:
        """The release's chunks in order; only the units of the chunk being packed are held."""
        text = release.text
        units = self._iter_units(text)
        pending: list[Unit] = []  # units from the start of the current chunk on
        ordinal = 0
        exhausted = False

        def fill(n: int) -> bool:
            """Makes `pending` hold at least n units, if the text has them."""
            nonlocal exhausted
            while len(pending) < n and not exhausted:
                unit = next(units, None)
                if unit is None:
                    exhausted = True
                else:
                    pending.append(unit)
            return len(pending) >= n

        while fill(1):
            j, tokens = 0, 0
            while fill(j + 1) and (j == 0 or tokens + pending[j][1] <= self.max_tokens):
                tokens += pending[j][1]
                j += 1
            start, end = pending[0][0].start, pending[j - 1][0].end
            yield Chunk(release.id, ordinal, start, end, text[start:end])
            ordinal += 1
            if not fill(j + 1):
                return
            del pending[: self._overlap_start(pending, j)]

    def _overlap_start(self, units: list[Unit], after: int) -> int:
        """Index of the first unit the next chunk starts with: back up over sentences that fit the overlap."""
        k, carried = after, 0
        while k - 1 > 0 and carried + units[k - 1][1] <= self.overlap_tokens:
            k -= 1
            carried += units[k][1]
        return k

    def _iter_units(self, text: str) -> Iterator[Unit]:
        """Sentences with their token counts, a window at a time.

        A window ends where its last sentence starts (that sentence may run past the window), so each window
        is split and tokenized exactly as the whole text would be: the splitter and the tokenizer both start
        afresh at a sentence start.
        """
        position = 0
        while position < len(text):
            end = min(position + self.window_chars, len(text))
            window = text[position:end]
            sentences = split_sentences(window)
            if end < len(text):
                if len(sentences) > 1:
                    sentences.pop()  # may be cut by the window; the next window starts with it
                    end = position + sentences[-1].end
                else:
                    # No sentence boundary in a whole window: cut at its last white space (or anywhere).
                    cut = max(window.rfind(" "), window.rfind("\t"))
                    end = position + (cut if cut > 0 else len(window))
                    sentences = split_sentences(text[position:end])
                    window = text[position:end]
            starts, ends = self._token_offsets(window)
            for unit_span, count in self._units(sentences, starts, ends):
                yield Span(position + unit_span.start, position + unit_span.end), count
            position = end

    def _token_offsets(self, text: str) -> tuple[list[int], list[int]]:
        encoded = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        offsets = encoded["offset_mapping"]
        return [s for s, _ in offsets], [e for _, e in offsets]

    def _units(self, sentences: list[Span], token_starts: list[int], token_ends: list[int]) -> Iterator[Unit]:
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
