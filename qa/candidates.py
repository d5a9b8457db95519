"""The spans in the retrieved passages that could answer a question, best supported first.

A candidate is a typed span (qa.spans) of the type the question asks for, in a passage the model was
shown, with the sentence that holds it. Support is how much of the question that sentence shares, rare
words weighing more (the same inverse sentence frequency as the prompt's trimming), plus a little for
the passage's rank. A value the question itself states is no candidate ("How many insurgents were
detained on March 6" cannot be answered "6"), and one value found in several places counts once, at its
best-supported place.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from embeddings.text.name_kinds import name_words
from embeddings.text.sentences import split_sentences
from qa.prompt import question_terms
from qa.question_types import AnswerType
from qa.spans import TypedSpan, find_spans
from qa.types import Passage

# The choice prompt lists at most this many: each costs ~40 prompt tokens, and on DOJ and ISAF dev the
# right one ranked below 8 for too few questions to be worth the prompt time.
MAX_CANDIDATES = 8
# The passage rank's share of support: enough to order candidates from sentences that match the question
# equally well, too little to outrank a better-matching sentence.
RANK_WEIGHT = 0.3
# How far around a span its own words reach: the verb before it, the noun phrase after it ("to pay $76,700
# in restitution to his", "two counts of laundering of monetary").
NEAR_BEFORE = 12
NEAR_AFTER = 30


@dataclass(frozen=True, slots=True)
class Candidate:
    span: TypedSpan  # offsets into the passage's text
    passage: int  # index into the passages shown
    sentence_start: int  # the sentence holding the span, as offsets into the passage's text
    sentence_end: int
    support: float

    @property
    def text(self) -> str:
        return self.span.text


def question_keys(kind: AnswerType, question: str) -> set[str]:
    """The keys of the spans of `kind` the question states, and for names each of its name words."""
    keys = {s.key for s in find_spans(kind, question)}
    if kind in ("person", "organisation", "place"):
        keys |= {w for s in find_spans(kind, question) for w in name_words(s.text)}
    return keys


def restates_question(span: TypedSpan, asked: set[str]) -> bool:
    """Whether the span only repeats what the question states: its key, or every one of its name words."""
    if span.key in asked:
        return True
    words = span.key.split()
    return span.kind in ("person", "organisation", "place") and bool(words) and all(w in asked for w in words)


def find_candidates(kind: AnswerType, question: str, passages: Sequence[Passage]) -> list[Candidate]:
    """The candidates of `kind` in `passages`, best supported first, one per key."""
    if kind in ("text",):
        return []
    asked = question_keys(kind, question)
    sentences = [[(s.start, s.end) for s in split_sentences(p.text)] for p in passages]
    terms = [[question_terms(p.text[a:b]) for a, b in group] for p, group in zip(passages, sentences, strict=True)]
    wanted = question_terms(question)
    total = sum(len(group) for group in terms) or 1
    weight = {}
    for term in wanted:
        df = sum(term in t for group in terms for t in group)
        weight[term] = math.log(1 + total / df) if df else 0.0
    best: dict[str, Candidate] = {}
    kept_headline: dict[str, bool] = {}
    for n, passage in enumerate(passages):
        for span in find_spans(kind, passage.text, passage.date):
            if restates_question(span, asked):
                continue
            i = next((i for i, (a, b) in enumerate(sentences[n]) if a <= span.start < b), None)
            a, b = sentences[n][i] if i is not None else (0, len(passage.text))
            overlap = sum(weight[t] for t in wanted & terms[n][i]) if i is not None else 0.0
            # The words around the span say what it counts or costs ("two counts of laundering", "ordered
            # to pay $76,700 in restitution"): the question's words there count again.
            near = question_terms(passage.text[max(0, span.start - NEAR_BEFORE) : span.end + NEAR_AFTER])
            overlap += sum(weight[t] for t in wanted & near)
            support = overlap + RANK_WEIGHT * (1 - n / len(passages)) * max(weight.values(), default=1.0)
            headline = passage.text[a:b].strip() == passage.title.strip()
            candidate = Candidate(span, n, a, b, support)
            kept = best.get(span.key)
            # The headline repeats a value the body states: keep the body's sentence, which says what it is.
            if kept is None or (kept_headline.get(span.key, False), support) > (headline, kept.support):
                best[span.key] = candidate
                kept_headline[span.key] = headline
    return sorted(best.values(), key=lambda c: (-c.support, c.passage, c.span.start))
