"""An answer in a few words: what the answer says that the question did not.

A small model answers in a sentence that restates the question ("W. McIntyre Burnham is a
neuropharmacologist."). The reader keeps the key span it checked for a typed question ("66 months",
"Judge Neil V. Wake"); for the others this finds the stretch of the answer's first sentence that the
question does not already say ("neuropharmacologist"): the words users scan for, the column a table of
answers wants, and what SQuAD's exact match and F1 compare.

The stretch: the answer's words split at every content word the question has (stemmed as the prompt
stems, qa.prompt.question_terms); of the pieces that hold a content word, the last, as a sentence puts
its new information last ("Smith didn't make any real dent in the election"); function words and
"was"/"is" trimmed from its ends. An either-or question is answered by the alternative the answer names
("a son or a daughter?" -> "daughter"). On the free-text answers of the SQuAD NYT run (35 then), the last
piece against the one with the most content words: F1 56.2 against 51.7; with the either-or rule, 57.4.
"""

from __future__ import annotations

import re

from embeddings.text.markers import MARKER
from embeddings.text.sentences import split_sentences
from qa.prompt import question_terms

# Lead-ins the model opens with that name its source rather than answer: "According to Passage 3,".
_LEAD_IN = re.compile(
    r"^\s*(?:according to|as (?:stated|reported|mentioned) in|based on|in)\s+(?:the\s+)?"
    r"(?:passages?\s*\d*|releases?|press releases?|court documents|text|context)\s*,\s*",
    re.IGNORECASE,
)
# A final "." that belongs to the word: initials, "Jr.", "U.S.".
_ABBREVIATION = re.compile(r"^(?:[A-Za-z]\.)+$|^(?:Jr|Sr|Inc|Co|Corp|Ltd|St|Mr|Mrs|Ms|Dr)\.$")
_TOKEN = re.compile(r"\S+")
# Words that neither answer nor split: they are trimmed from the piece's ends. The question's own
# function words are not split points either, or "the" in both would cut every answer apart.
_EDGE_WORDS = frozenset(
    """a an the of to in on at by for with from and or but as that which who whom whose this these those
    is are was were be been being has have had do does did will would can could may might shall should
    it its he she they his her their them there here also then than so such about after before into
    over under between during while when where why how what said according approximately about nearly
    around some known called named titled""".split()
)
_PUNCT = "\"'“”‘’()[]{},;:.!?"


def key_words(question: str, answer: str) -> str:
    """The few words of `answer` that answer `question`; the first sentence itself when every word of it
    is in the question, "" for an empty answer."""
    text = MARKER.sub("", answer).strip()
    text = _LEAD_IN.sub("", text)
    sentences = split_sentences(text)
    first = text[sentences[0].start : sentences[0].end].strip() if sentences else ""
    if not first:
        return ""
    if alternative := _alternative(question, first):
        return alternative
    asked = question_terms(question)
    tokens = [m.group() for m in _TOKEN.finditer(first)]
    pieces: list[list[str]] = [[]]
    for token in tokens:
        terms = question_terms(token)
        if terms and terms <= asked:
            pieces.append([])
        else:
            pieces[-1].append(token)
    with_content = [p for p in pieces if _content_count(p)]
    best = with_content[-1] if with_content else pieces[0]
    trimmed = _trim(best, {w.lower() for w in re.findall(r"[\w'’]+", question)})
    return " ".join(trimmed) if trimmed else first


_EITHER_OR = re.compile(r"\b([\w'’-]+) or (?:a |an |the )?([\w'’-]+)\?\s*$", re.IGNORECASE)


def _alternative(question: str, answer: str) -> str:
    """For "... a son or a daughter?", the one alternative the answer names; "" when it names both or none."""
    m = _EITHER_OR.search(question)
    if not m:
        return ""
    named = [a for a in (m.group(1), m.group(2)) if re.search(rf"\b{re.escape(a)}\b", answer, re.IGNORECASE)]
    return named[0] if len(named) == 1 else ""


def _content_count(piece: list[str]) -> int:
    return sum(1 for t in piece if t.strip(_PUNCT).lower() not in _EDGE_WORDS and t.strip(_PUNCT))


def _trim(piece: list[str], question_words: set[str]) -> list[str]:
    """The piece without the words at its ends that say nothing new: function words, and any word the
    question has ("not" in "fined and benched for not", where the question was "for not getting")."""

    def bare(token: str) -> bool:
        word = token.strip(_PUNCT).lower()
        return not word or word in _EDGE_WORDS or word in question_words

    start, end = 0, len(piece)
    while start < end and bare(piece[start]):
        start += 1
    while end > start and bare(piece[end - 1]):
        end -= 1
    kept = piece[start:end]
    if kept:
        kept[0] = kept[0].lstrip(_PUNCT.replace("(", "").replace("“", "").replace('"', ""))
        last = kept[-1].rstrip(",;:!?")
        kept[-1] = last if _ABBREVIATION.match(last) else last.rstrip(".")
    return kept
