"""From the model's own answer to the answer shown: checked against the passages, re-cited, or replaced by
a candidate the model chooses.

A small model chooses among a few candidates far more reliably than it writes an answer freely. So for a
question of a known type (qa.question_types):
1. the model answers the question from the passages (asking it to start with the asked span,
   qa.prompt.span_first_instruction, is a setting, off: it made the 1.5B refuse a third of them);
2. the span check (qa.span_check) looks for the answer's key span in the passages; when one holds it,
   the answer stands and cites that passage, at the sentence that states it;
3. when the check fails (the model refused, or stated a value no passage holds, or stated none of the
   asked type and does not answer the question in words of its own: answers_in_its_own_words), the
   candidates of the asked type in the passages (qa.candidates) are offered to the model to choose from:
   it answers again from only the sentences that hold them, and its reply counts when it gives one of
   the candidates (matched as the span check matches); a reply that gives none yields the
   best-supported candidate.
The answer is refused only when the passages hold no candidate of the type (or, before any of this, when
the name check finds the question's subject absent: qa.grounding). Free-text questions keep the model's
answer as it is.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from embeddings.text.markers import MARKER
from qa.candidates import MAX_CANDIDATES, Candidate, find_candidates
from qa.draft import build_answer, not_found_text
from qa.key_words import key_words
from qa.prompt import ANSWER_INSTRUCTION, Message, choice_messages, question_terms, span_first_instruction
from qa.question_types import TYPE_NOUNS, AnswerType
from qa.span_check import SpanCheck, check_answer, claimed_spans, same_value
from qa.types import Answer, Citation, Passage

# A reply to the choice prompt is a short answer: "16 months", "Livonia, Michigan".
CHOICE_TOKENS = 24
# An answer with no span of the asked type stands when it has this share of the question's terms (and
# words of its own). Of the 30 such answers in the DOJ, ISAF, SQuAD NYT and follow-up dev runs, the 20 at
# 0.6 or more were right as written 14 times, and the candidates that replaced them right twice; below it,
# the candidates were right 4 times of 10 where the answer was never right (it answered another fact).
ANSWER_COVERS_QUESTION = 0.6
_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|thousand|million|billion|dozen)\b",
    re.IGNORECASE,
)

Complete = Callable[[list[Message], int], str]


@dataclass(frozen=True)
class ReaderSteps:
    """Which steps run; each can be turned off to measure what it adds (README, the ablation)."""

    span_first: bool = False  # see Settings.span_first: it made the 1.5B refuse a third of the questions
    span_check: bool = True
    choose: bool = True  # off: a failed check gives the best-supported candidate without asking the model


def instruction_for(kind: AnswerType, steps: ReaderSteps) -> str:
    return span_first_instruction(TYPE_NOUNS[kind]) if steps.span_first and kind != "text" else ANSWER_INSTRUCTION


def read_answer(
    question: str,
    kind: AnswerType,
    raw: str,
    passages: Sequence[Passage],
    timings: dict[str, float],
    steps: ReaderSteps,
    complete: Complete | None,
) -> Answer:
    """The answer shown for the model's words `raw`; `complete` asks the model to choose a candidate."""
    draft = build_answer(question, raw, passages, timings)
    draft = replace(draft, answer_type=kind, method="model" if draft.found else "refused")
    if draft.found:
        draft = replace(draft, key=key_words(question, draft.text))
    if kind == "text" or not steps.span_check:
        return replace(draft, check="not checked")
    t0 = time.perf_counter()
    check = check_answer(kind, question, draft.text, passages, [c.n for c in draft.citations]) if draft.found else None
    if check is not None and check.passed:
        timings["check"] = time.perf_counter() - t0
        return _recited(draft, check, passages)
    reason = check.reason if check is not None else "refused"
    if check is not None and not check.claimed and answers_in_its_own_words(kind, question, draft.text, draft.key):
        timings["check"] = time.perf_counter() - t0
        return replace(draft, check=reason)
    candidates = find_candidates(kind, question, passages)[:MAX_CANDIDATES]
    timings["check"] = time.perf_counter() - t0
    if not candidates:
        if check is not None and check.claimed:  # a value no passage states: made up or misread
            return Answer(not_found_text(question), False, (), tuple(passages), question, timings, kind, "refused",
                          reason, (), draft)  # fmt: skip
        return replace(draft, check=reason)  # nothing in the passages to check it against
    offered = tuple(c.text for c in candidates)
    fallback = replace(_from_candidate(question, candidates[0], passages, timings, "best supported"), check=reason)
    if not steps.choose or complete is None:
        return replace(fallback, candidates=offered, draft=draft)
    t0 = time.perf_counter()
    reply = complete(_choice_prompt(question, candidates, passages), CHOICE_TOKENS)
    timings["choose"] = time.perf_counter() - t0
    picked = _picked(kind, question, reply, candidates)
    if picked is None:
        return replace(fallback, candidates=offered, draft=draft, fallback=fallback)
    chosen = _from_candidate(question, picked, passages, timings, "chosen")
    return replace(chosen, check=reason, candidates=offered, draft=draft, fallback=fallback)


def answers_in_its_own_words(kind: AnswerType, question: str, answer: str, key: str) -> bool:
    """Whether an answer that states no span of the asked type still answers the question: it says most of
    what the question says (ANSWER_COVERS_QUESTION of its terms) and adds words of its own. The span rules
    know a fixed set of forms, and "since the late 1980s", "9:26:53 a.m.", "the honor block" or "her
    daughter" are none of them; an answer about another fact ("The sentence was announced by ...") shares
    little of the question, and one that only restates the question adds nothing. An amount or a count
    needs a number ("more than 5,000 square feet", "€4.7 billion"): "The repair was approved by the
    council" does not say how much, however much of the question it repeats. `key`: the answer's key words
    (qa.key_words), which read_answer has already found."""
    if kind in ("amount", "count") and not _NUMBER.search(MARKER.sub("", answer)):
        return False
    asked = question_terms(question)
    said = question_terms(MARKER.sub("", answer))
    if not asked or len(asked & said) < ANSWER_COVERS_QUESTION * len(asked):
        return False
    return bool(question_terms(key) - asked)


def _choice_prompt(question: str, candidates: Sequence[Candidate], passages: Sequence[Passage]) -> list[Message]:
    """The candidates' sentences, each once, best supported first."""
    shown: dict[str, str] = {}
    for c in candidates:
        sentence = passages[c.passage].text[c.sentence_start : c.sentence_end]
        shown.setdefault(" ".join(sentence.split()), c.text)
    return choice_messages(question, list(shown.items()))


def _picked(kind: AnswerType, question: str, reply: str, candidates: Sequence[Candidate]) -> Candidate | None:
    """The candidate the reply gives, by the span check's rule (its key span, matched by value or name
    words); the best supported of them when it matches several; None when it matches none."""
    claimed = claimed_spans(kind, question, reply)
    for span in claimed:
        for c in candidates:
            if same_value(span, c.span):
                return c
    return None


def _from_candidate(
    question: str, c: Candidate, passages: Sequence[Passage], timings: dict[str, float], method: str
) -> Answer:
    p = passages[c.passage]
    n = c.passage + 1
    citation = Citation(n, p, p.start + c.sentence_start, p.start + c.sentence_end)
    text = f"{c.text} [{n}]"
    return Answer(text, True, (citation,), tuple(passages), question, timings, c.span.kind, method, key=c.text)


def _recited(draft: Answer, check: SpanCheck, passages: Sequence[Passage]) -> Answer:
    """The draft citing the passage that holds its key span, at the sentence that states it."""
    assert check.passage is not None
    p = passages[check.passage]
    n = check.passage + 1
    citation = Citation(n, p, p.start + check.sentence_start, p.start + check.sentence_end)
    others = tuple(c for c in draft.citations if c.n != n)
    text = draft.text
    if all(c.n != n for c in draft.citations):
        text = f"{MARKER.sub('', text).strip()} [{n}]"
        others = ()
    return replace(draft, text=text, citations=(citation, *others), check="passed", draft=draft, key=check.key)
