"""Every metric, as plain functions on strings and lists: no model, no index, easy to test by hand.

Answers:   contains_match (the headline accuracy), exact_match and token_f1 (SQuAD v1.1, for comparability).
Retrieval: gold_rank, hit_at, reciprocal_rank: the gold release among the retrieved passages' releases.
Summaries: key_fact_recall, rouge (rouge-score, stemming on: ROUGE-1, ROUGE-2 and ROUGE-Lsum, the
           summary-level LCS over newline-split sentences), faithfulness (numbers, dates and capitalised
           names of the summary found in the source), word_count.
Aggregates: mean, percentile.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from embeddings.text.names import NAME_RUN, NOT_NAMES
from embeddings.text.sentences import SENTENCE_END
from eval.normalize import (
    answer_tokens,
    contains,
    is_date_token,
    is_number_token,
    squad_normalize,
    strip_citations,
)

ROUGE_TYPES = ("rouge1", "rouge2", "rougeLsum")
ROUGE_L_NOTE = "ROUGE-Lsum: summary-level LCS over newline-split sentences (rouge-score 0.1.2, use_stemmer=True)"
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+", re.MULTILINE)

# ------------------------------------------------------------------------------------------- answers


@dataclass(frozen=True, slots=True)
class AnswerScore:
    correct: bool  # some acceptable answer is contained in the answer after normalisation
    matched: str | None  # which one
    exact_match: float  # SQuAD EM against the best acceptable answer
    f1: float  # SQuAD token F1 against the best acceptable answer


def contains_match(answer: str, golds: Sequence[str]) -> str | None:
    """The first acceptable answer contained in `answer` after normalisation, or None."""
    for gold in golds:
        if contains(answer, gold):
            return gold
    return None


def exact_match(prediction: str, gold: str) -> float:
    return float(squad_normalize(strip_citations(prediction)) == squad_normalize(gold))


def token_f1(prediction: str, gold: str) -> float:
    """SQuAD v1.1 token F1; citation markers are removed first (they are not words of the answer)."""
    pred = squad_normalize(strip_citations(prediction)).split()
    ref = squad_normalize(gold).split()
    if not pred or not ref:
        return float(pred == ref)
    common = Counter(pred) & Counter(ref)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


def score_answer(answer: str, golds: Sequence[str]) -> AnswerScore:
    if not golds:
        return AnswerScore(False, None, 0.0, 0.0)
    matched = contains_match(answer, golds)
    return AnswerScore(
        correct=matched is not None,
        matched=matched,
        exact_match=max(exact_match(answer, g) for g in golds),
        f1=max(token_f1(answer, g) for g in golds),
    )


# ----------------------------------------------------------------------------------------- retrieval


def gold_rank(retrieved_release_ids: Sequence[str], gold_release_id: str | None) -> int | None:
    """1-based rank of the first retrieved passage from the gold release, or None if none is."""
    if gold_release_id is None:
        return None
    gold = str(gold_release_id)
    for rank, rid in enumerate(retrieved_release_ids, 1):
        if str(rid) == gold:
            return rank
    return None


def hit_at(rank: int | None, k: int) -> float:
    return float(rank is not None and rank <= k)


def reciprocal_rank(rank: int | None, cutoff: int = 10) -> float:
    """MRR@cutoff term: 1/rank when the gold release is within the cutoff, else 0."""
    return 1.0 / rank if rank is not None and rank <= cutoff else 0.0


def cites_release(cited_release_ids: Iterable[str], gold_release_id: str | None) -> bool:
    return gold_release_id is not None and str(gold_release_id) in {str(r) for r in cited_release_ids}


# ----------------------------------------------------------------------------------------- summaries


def key_fact_recall(summary: str, key_facts: Sequence[str]) -> tuple[float | None, list[str]]:
    """Share of key facts contained in the summary (normalised), and the ones missing. None without facts."""
    if not key_facts:
        return None, []
    missing = [fact for fact in key_facts if not contains(summary, fact)]
    return 1 - len(missing) / len(key_facts), missing


def summary_sentences(text: str) -> list[str]:
    """Sentences one per item: bullets and lines first, then sentence ends. Used to feed ROUGE-Lsum."""
    text = strip_citations(_BULLET.sub("", text))
    sentences: list[str] = []
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            sentences += [s.strip() for s in SENTENCE_END.split(line) if s.strip()]
    return sentences


@lru_cache(maxsize=1)
def _scorer():
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)


def rouge(summary: str, reference: str) -> dict[str, float]:
    """ROUGE-1/2/Lsum F1 (0..1) of `summary` against `reference`, both split into newline-separated sentences."""
    scores = _scorer().score("\n".join(summary_sentences(reference)), "\n".join(summary_sentences(summary)))
    return {name: scores[name].fmeasure for name in ROUGE_TYPES}


def capitalised_names(text: str) -> list[str]:
    """Runs of capitalised words ("Consumer Product Safety Commission", "Fiskars"), leading stop words removed.

    A lone capitalised word that is a common sentence opener ("The", "However") is not a name; a lone
    word at the start of a sentence is only kept when it is not such a word.
    """
    names: list[str] = []
    for sentence in summary_sentences(text):
        for m in NAME_RUN.finditer(sentence):
            words = m.group(0).split()
            while words and words[0].lower().strip(".") in NOT_NAMES:
                words.pop(0)
            if words:
                names.append(" ".join(words))
    return list(dict.fromkeys(names))


@dataclass(frozen=True)
class Faithfulness:
    """Which numbers, dates and capitalised names of a summary occur in its source (after normalisation)."""

    numbers: list[str] = field(default_factory=list)
    numbers_unsupported: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    dates_unsupported: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    names_unsupported: list[str] = field(default_factory=list)

    @staticmethod
    def _share(total: list[str], bad: list[str]) -> float | None:
        return None if not total else 1 - len(bad) / len(total)

    @property
    def numbers_supported(self) -> float | None:
        return self._share(self.numbers, self.numbers_unsupported)

    @property
    def dates_supported(self) -> float | None:
        return self._share(self.dates, self.dates_unsupported)

    @property
    def names_supported(self) -> float | None:
        return self._share(self.names, self.names_unsupported)

    @property
    def all_supported(self) -> float | None:
        total = self.numbers + self.dates + self.names
        return self._share(total, self.numbers_unsupported + self.dates_unsupported + self.names_unsupported)


def faithfulness(summary: str, source: str) -> Faithfulness:
    """Checks that need no model: does every number, date and capitalised name of the summary occur in the source?

    Numbers and dates are compared as normalised values ("$2.6 million" = "2,600,000 dollars", "two" = "2",
    "March 2011" is supported by any date in March 2011); a name is supported when it occurs in the source
    whole or every one of its words does (a reordering such as "Justice Department" is not a fabrication).
    """
    summary_tokens = answer_tokens(summary)
    source_tokens = answer_tokens(source)
    source_numbers = {t for t in source_tokens if is_number_token(t)}
    source_dates = {t for t in source_tokens if is_date_token(t)}
    # A year or a day alone is a number in the source too: "2011" may be read from "March 2011".
    for d in source_dates:
        source_numbers.update(str(int(part)) for part in d.split("-"))

    numbers = list(dict.fromkeys(t for t in summary_tokens if is_number_token(t)))
    dates = list(dict.fromkeys(t for t in summary_tokens if is_date_token(t)))
    source_text = f" {' '.join(source_tokens)} "
    source_words = set(source_tokens)
    names = capitalised_names(summary)
    return Faithfulness(
        numbers=numbers,
        numbers_unsupported=[n for n in numbers if n not in source_numbers],
        dates=dates,
        dates_unsupported=[d for d in dates if not _date_in(d, source_dates)],
        names=names,
        names_unsupported=[n for n in names if not _name_in(n, source_text, source_words)],
    )


def _date_in(day_or_month: str, source_dates: set[str]) -> bool:
    """ "2011-03" (a month) is supported by any source date in that month."""
    return day_or_month in source_dates or any(s.startswith(f"{day_or_month}-") for s in source_dates)


def _name_in(name: str, source_text: str, source_words: set[str]) -> bool:
    """Whole name in the source, or every word of it is: "Justice Department" for "Department of Justice"."""
    tokens = answer_tokens(name)
    return not tokens or f" {' '.join(tokens)} " in source_text or all(t in source_words for t in tokens)


def word_count(text: str) -> int:
    return len(strip_citations(text).split())


# ---------------------------------------------------------------------------------------- aggregates


def mean(values: Iterable[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def percentile(values: Iterable[float | None], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100), as numpy's default; None for no values."""
    data = sorted(v for v in values if v is not None and not math.isnan(v))
    if not data:
        return None
    pos = (len(data) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)
