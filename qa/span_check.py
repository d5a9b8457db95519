"""Whether the model's answer takes its key fact from a passage: the span check.

The key spans of an answer are the spans of the asked type it states (qa.spans) that the question does
not already state: "Stacey was sentenced to 66 months" claims "66 months" for a "how long" question. The
check passes when one of them occurs in a passage shown to the model, by key, so "$1.3 million" in the
answer matches "$1,300,000" in the text; the passage that holds it is the one to cite. It fails when the
answer states no span of the type (it restated the question or answered a neighbouring fact of another
type), or states only spans no passage holds (copied from the wrong place or made up).

Names compare by their words: the answer's "Judge Wake" is held by a passage naming "Neil V. Wake". A
charge compares by its content words, most of which must occur in one sentence of a passage.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from embeddings.text.name_kinds import fold, name_words
from embeddings.text.sentences import split_sentences
from qa.candidates import question_keys, restates_question
from qa.prompt import question_terms
from qa.question_types import AnswerType
from qa.spans import TypedSpan, find_spans
from qa.types import Passage

NAME_KINDS: tuple[AnswerType, ...] = ("person", "organisation", "place")
# A charge is "held" by a sentence that has this share of its content words: the model shortens ("to
# violate the FCPA" for "to violate the Foreign Corrupt Practices Act") but keeps most.
CHARGE_OVERLAP = 0.6


@dataclass(frozen=True, slots=True)
class SpanCheck:
    claimed: tuple[TypedSpan, ...]  # the answer's key spans, offsets into the answer
    passage: int | None = None  # index of the passage holding the first held span; None: the check failed
    start: int = 0  # the held span, as offsets into that passage's text
    end: int = 0
    sentence_start: int = 0  # the sentence stating it (the citation's quote), offsets into the passage's text
    sentence_end: int = 0
    # The answer's key span in the source's words ("$1,300,000" for the answer's "$1.3 million"), or as the
    # answer put it for a date (the source may say "yesterday") or a charge (a sentence holds it).
    key: str = ""

    @property
    def passed(self) -> bool:
        return self.passage is not None

    @property
    def reason(self) -> str:
        if self.passed:
            return "passed"
        return "not in the passages" if self.claimed else "no span of the asked type"


def claimed_spans(kind: AnswerType, question: str, answer: str) -> list[TypedSpan]:
    """The spans of `kind` in `answer` that the question does not already state. For names, any name the
    answer gives (a person's name may read as a place to the rules, "Isla de Margarita" as a person)."""
    kinds = NAME_KINDS if kind in NAME_KINDS else (kind,)
    asked = set().union(*(question_keys(k, question) for k in kinds))
    spans = [s for k in kinds for s in find_spans(k, answer)]
    found = sorted((s for s in spans if not restates_question(s, asked)), key=lambda s: s.start)
    return _new_value_first(found, question, answer)


# "The adult day pass will rise from $6.00 to $6.50": the answer to how much it will cost is the value
# it changes to, unless the question asks what it was. Amounts and counts change; "from 1933 to 1973" is
# a period (the only such answer in the dev runs, SQuAD NYT), answered whole or not at all.
_CHANGING = ("amount", "count")
_CHANGE = re.compile(r"\bfrom\s+$", re.IGNORECASE)
_TO = re.compile(r"^\s+to\s+$", re.IGNORECASE)
_ASKS_BEFORE = re.compile(r"\b(?:before|previous(?:ly)?|former(?:ly)?|old|originally|used to)\b", re.IGNORECASE)


def _new_value_first(spans: list[TypedSpan], question: str, answer: str) -> list[TypedSpan]:
    if _ASKS_BEFORE.search(question):
        return spans
    out = list(spans)
    for i in range(len(out) - 1):
        a, b = out[i], out[i + 1]
        if a.kind == b.kind in _CHANGING and _CHANGE.search(answer[: a.start]) and _TO.match(answer[a.end : b.start]):
            out[i], out[i + 1] = b, a
    return out


def check_answer(
    kind: AnswerType, question: str, answer: str, passages: Sequence[Passage], cited: Sequence[int] = ()
) -> SpanCheck:
    """Finds the answer's key spans in `passages`, the cited ones (1-based markers) first: when several
    releases state the value (an indictment and a sentencing release of one case), the model's marker
    names the one it read. Trying them in retrieval order instead cited the gold release for 3 fewer of
    the 68 answerable DOJ dev questions."""
    claimed = tuple(claimed_spans(kind, question, answer))
    order = [n - 1 for n in cited if 1 <= n <= len(passages)]
    order += [i for i in range(len(passages)) if i not in order]
    terms = question_terms(question)
    for span in claimed:
        for i in order:
            found = _held(span, passages[i])
            if found:
                start, end, *sentence = _best_place(found, passages[i], terms)
                key = span.text if span.kind in ("date", "charge") else passages[i].text[start:end]
                return SpanCheck(claimed, i, start, end, *sentence, key=key)
    return SpanCheck(claimed)


def _best_place(places: list[tuple[int, int]], passage: Passage, terms: set[str]) -> tuple[int, int, int, int]:
    """Of the places a passage states the span, the one whose sentence shares most of the question, and
    not the headline: it repeats the facts, the sentence that states them is the evidence. Returns the
    place and its sentence (stretched to the place's end, should the span run past it)."""
    text, title = passage.text, passage.title.strip()
    sentences = split_sentences(text)

    def sentence_of(place: tuple[int, int]) -> tuple[int, int] | None:
        return next(((s.start, s.end) for s in sentences if s.start <= place[0] < s.end), None)

    def score(place: tuple[int, int]) -> tuple[bool, int]:
        a, b = sentence_of(place) or (0, 0)
        sentence = text[a:b]
        return sentence.strip() != title, len(terms & question_terms(sentence))

    best = max(places, key=score)
    held = sentence_of(best)
    return (*best, *((held[0], max(held[1], min(best[1], len(text)))) if held else best))


def _held(span: TypedSpan, passage: Passage) -> list[tuple[int, int]]:
    """Where `passage` states what `span` does, as offsets into its text; [] when it does not."""
    text = passage.text
    if span.kind in NAME_KINDS:
        wanted = name_words(span.text)
        return [
            (s.start, s.end)
            for k in NAME_KINDS
            for s in find_spans(k, text, passage.date)
            if wanted and all(w in s.key.split() for w in wanted)
        ]
    if span.kind == "charge":
        wanted = set(span.key.split())
        return [
            (s.start, s.end)
            for s in split_sentences(text)
            if wanted
            and len(wanted & set(re.findall(r"[a-z]+", fold(text[s.start : s.end])))) >= CHARGE_OVERLAP * len(wanted)
        ]
    return [(s.start, s.end) for s in find_spans(span.kind, text, passage.date) if same_value(span, s)]


def same_value(claimed: TypedSpan, held: TypedSpan) -> bool:
    """Whether two spans of one kind say the same. Names: every name word of the claimed one is in the
    other. Charges: most content words. Dates: the same day, or the same day of the year when one has no
    year ("February 28" and "Feb. 28, 2017"), or the same month when one gives only the month ("March
    2017"). Numbers, amounts, durations: the same value."""
    if claimed.kind in NAME_KINDS or held.kind in NAME_KINDS:
        wanted = name_words(claimed.text)
        return bool(wanted) and all(w in held.key.split() for w in wanted)
    if claimed.kind == "charge":
        wanted, have = set(claimed.key.split()), set(held.key.split())
        return bool(wanted) and len(wanted & have) >= CHARGE_OVERLAP * len(wanted)
    if claimed.kind == "date" and claimed.key != held.key:
        short, full = sorted((claimed.key, held.key), key=len)
        day_of_year = len(short) == 5 and full.endswith(f"-{short}")  # "02-28" in "2017-02-28"
        month = len(short) == 7 and full.startswith(short)  # "2017-03" in "2017-03-09"
        return day_of_year or month
    return claimed.key == held.key
