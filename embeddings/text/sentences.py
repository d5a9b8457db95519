"""Where sentences end: one splitter that returns spans, and the plain sentence-end pattern.

`split_sentences` knows abbreviations, initials and sentences glued together by scraping; it is what
chunking (embeddings.chunk), citations (qa.answer: the sentence a citation points at), prompt trimming
(qa.prompt) and summary sections (qa.summarize) cut at. Spans, not strings, because most callers need the
offsets; a caller that wants the text slices it.

SENTENCE_END is the cruder rule for short, clean text that has no offsets to keep: a stop, closing marks,
white space, then a capital or a digit. Titles (embeddings.load.header) and summary sentences for ROUGE
(eval.metrics) have always been cut with it; the splitter would retitle releases and move ROUGE scores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from embeddings.text.dates import MONTH_ABBREVIATIONS, MONTHS

# Words that end in a full stop without ending a sentence; press releases are full of them. Month
# abbreviations ("Aug. 19") are among them, but not "May", which is a whole name ("... in May. The").
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt ft gen lt col maj capt sgt cpl pvt adm cmdr gov sen rep atty supt
    insp no nos vs etc inc corp co ltd llc bros
    dept univ assn est approx fig op pp vol u.s u.k u.n e.g i.e a.m p.m d.c n.y l.a""".split()
) | {a.lower() for a in MONTH_ABBREVIATIONS if a not in MONTHS}
# A stop then white space; or a stop glued to the next sentence, as scraped pages lose the space after
# a paragraph ("... New Jersey.Livingston was ..."): two lower-case letters before it, so "U.S." stays.
_BOUNDARY = re.compile(r"[.!?][\"')\]]*\s+|(?<=[a-z]{2}[.!?])(?=[A-Z][a-z])|\n\s*")
_WORD_BEFORE = re.compile(r"([\w.]+)[.!?][\"')\]]*\s*$")


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int


def split_sentences(text: str) -> list[Span]:
    """Sentence spans (stripped of surrounding white space) covering all the text's content."""
    spans: list[Span] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        glued = match.start() == end
        stop = text[end - 1] if glued else match.group(0)[0]
        if stop in ".!?" and _is_abbreviation(text[start : match.start() + (0 if glued else 1)]):
            continue
        _append_stripped(text, start, end, spans)
        start = end
    _append_stripped(text, start, len(text), spans)
    return spans


def _is_abbreviation(sentence_so_far: str) -> bool:
    found = _WORD_BEFORE.search(sentence_so_far)
    if not found:
        return False
    word = found.group(1).lower().rstrip(".")
    # A single letter before the stop is an initial ("John D. Stacey"), not a sentence end.
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _append_stripped(text: str, start: int, end: int, spans: list[Span]) -> None:
    piece = text[start:end]
    left = len(piece) - len(piece.lstrip())
    right = len(piece.rstrip())
    if right > left:
        spans.append(Span(start + left, start + right))


def _sentence_end(closing: str, opening: str) -> re.Pattern[str]:
    """A stop, then `closing` marks, white space, `opening` marks and a capital or a digit; the match starts
    right after the stop."""
    return re.compile(rf"(?<=[.!?]){closing}\s+(?={opening}[A-Z0-9])")


# Summary sentences for ROUGE-Lsum and the faithfulness name check (eval.metrics): any run of closing quotes
# or brackets, straight or curly, may follow the stop.
SENTENCE_END = _sentence_end(r"[\"'”’)]*", r"[\"'“‘(]?")
# Titles cut to their first sentence (embeddings.load.header): at most one closing mark and no straight
# apostrophe, as titles have always been derived; a different rule here would retitle releases that lack a
# title field.
TITLE_SENTENCE_END = _sentence_end(r"[\"”’)]?", r"[\"“(]?")
