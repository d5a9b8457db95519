"""The model's words as an Answer: refusals recognised and reworded, citation markers checked, and each
citation pointed at the sentence of its passage that best supports the answer."""

from __future__ import annotations

import re
from collections.abc import Sequence

from embeddings.text.markers import MARKER, marker_numbers
from embeddings.text.sentences import split_sentences
from embeddings.text.words import STOP_WORDS, words
from qa.prompt import NOT_FOUND
from qa.types import Answer, Citation, Passage

_REFUSALS = re.compile(
    r"do(?:es)? not say|not found|(?:passages?|releases?|text|context)s? (?:do(?:es)? not|don't|doesn't) "
    r"(?:contain|say|mention|provide|include|specify|state)|no (?:information|mention)|"
    r"(?:is|are) not (?:mentioned|provided|specified|stated)|cannot be determined|not possible to determine",
    re.IGNORECASE,
)


def not_found_text(question: str, missing: Sequence[str] = ()) -> str:
    """The refusal shown to users; `missing`: names of the question that no retrieved passage mentions."""
    q = question.strip().rstrip("?").strip()
    if missing:
        names = missing[0] if len(missing) == 1 else f"{', '.join(missing[:-1])} or {missing[-1]}"
        return f'The indexed releases do not say. No passage I found mentions {names}, so nothing answers "{q}".'
    return f'The indexed releases do not say. I found nothing that answers "{q}".'


def is_refusal(text: str) -> bool:
    head = text.strip()[:200]
    return head.startswith(NOT_FOUND) or bool(_REFUSALS.search(head))


def build_answer(question: str, raw: str, passages: Sequence[Passage], timings: dict[str, float]) -> Answer:
    text = raw.strip()
    if not text or is_refusal(text):
        return Answer(not_found_text(question), False, (), tuple(passages), question, timings)
    cited = _cited_numbers(text, len(passages))
    if not _content_words(MARKER.sub("", text)):
        return Answer(not_found_text(question), False, (), tuple(passages), question, timings)
    if not cited and (named := _named_passages(text, len(passages))):
        # "According to Passage 3, ...": the prompt numbers passages in words, and the model cites them so.
        cited = named
        text = f"{text} [{', '.join(map(str, named))}]"
    if not cited:
        # The model answered without markers: attribute the answer to the passage that supports it best.
        best = _best_supporting(text, passages)
        if best is None:
            return Answer(not_found_text(question), False, (), tuple(passages), question, timings)
        cited = [best]
        text = f"{text} [{best}]"
    text = _drop_invalid_markers(text, len(passages))
    citations = tuple(_citation(n, passages[n - 1], question, text) for n in cited)
    return Answer(text, True, citations, tuple(passages), question, timings)


_PASSAGE_NAMED = re.compile(r"\bPassages? (\d+)")


def _named_passages(text: str, count: int) -> list[int]:
    return list(dict.fromkeys(n for n in map(int, _PASSAGE_NAMED.findall(text)) if 1 <= n <= count))


def _cited_numbers(text: str, count: int) -> list[int]:
    return [n for n in marker_numbers(text) if 1 <= n <= count]


def _drop_invalid_markers(text: str, count: int) -> str:
    def keep(match: re.Match[str]) -> str:
        valid = [p.strip() for p in match.group(1).split(",") if 1 <= int(p) <= count]
        return f"[{', '.join(valid)}]" if valid else ""

    return MARKER.sub(keep, text).strip()


def _content_words(text: str) -> set[str]:
    return {w for w in words(text) if w not in STOP_WORDS}


def _best_supporting(answer: str, passages: Sequence[Passage]) -> int | None:
    wanted = _content_words(MARKER.sub("", answer))
    if not wanted:
        return None
    overlaps = [len(wanted & _content_words(p.text)) / len(wanted) for p in passages]
    best = max(range(len(passages)), key=lambda i: overlaps[i])
    return best + 1 if overlaps[best] >= 0.3 else None


def _citation(n: int, passage: Passage, question: str, answer: str) -> Citation:
    """Points at the passage's sentence that best supports the answer (answer words count double)."""
    answer_words = _content_words(MARKER.sub("", answer))
    question_words = _content_words(question)
    best_start, best_end, best_score = passage.start, passage.end, -1.0
    for span in split_sentences(passage.text):
        sentence = passage.text[span.start : span.end]
        terms = _content_words(sentence)
        score = 2 * len(answer_words & terms) + len(question_words & terms)
        if sentence.strip() == passage.title.strip():
            score -= 0.5  # the headline repeats the facts; the sentence that states them is the evidence
        if score > best_score:
            best_start, best_end, best_score = passage.start + span.start, passage.start + span.end, score
    return Citation(n, passage, best_start, best_end)
