"""Metrics over a run's records: per question type and overall for questions, overall for summaries.

Reads records (eval.records) and makes the RunSummary that summary.json holds; writes nothing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Literal

from eval.metrics import ROUGE_L_NOTE, ROUGE_TYPES, hit_at, mean, percentile, reciprocal_rank
from eval.records import ItemResult, Metrics, QAResult, RunConfig, RunSummary, SummaryResult, TopicResult

HIT_KS = (1, 3, 5, 10)


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _latency(
    records: Sequence[QAResult] | Sequence[SummaryResult] | Sequence[TopicResult], key: str
) -> dict[str, float | None]:
    values = [r.latency.get(key) for r in records if r.latency]
    return {"p50": _r(percentile(values, 50), 3), "p95": _r(percentile(values, 95), 3), "mean": _r(mean(values), 3)}


# ----------------------------------------------------------------------------------------------- QA


def qa_group_metrics(records: Sequence[QAResult]) -> Metrics:
    """Every question metric over a group of per-question records (the whole set, or one type)."""
    answerable = [r for r in records if r.answerable]
    unanswerable = [r for r in records if not r.answerable]
    # Retrieval-only records have no answer: they count for hit@k and MRR only.
    generated = [r for r in records if not r.retrieval_only]
    gen_answerable = [r for r in generated if r.answerable]
    gen_unanswerable = [r for r in generated if not r.answerable]
    with_gold_release = [r for r in answerable if r.gold_release_id is not None]
    answered = [r for r in gen_answerable if r.found]
    ranks = [r.gold_rank for r in with_gold_release]
    out: Metrics = {
        "n": len(records),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "errors": sum(1 for r in records if r.error),
        # Headline: an acceptable answer contained in the answer after normalisation (answerable only).
        "accuracy": _r(mean(float(bool(r.correct)) for r in gen_answerable)),
        "exact_match": _r(mean(r.exact_match for r in gen_answerable)),
        "f1": _r(mean(r.f1 for r in gen_answerable)),
        "key_exact_match": _r(mean(r.key_exact_match for r in gen_answerable if r.key_exact_match is not None)),
        "key_f1": _r(mean(r.key_f1 for r in gen_answerable if r.key_f1 is not None)),
        # Right answers plus right refusals, over every question.
        "overall_correct": _r(mean(float(bool(r.ok)) for r in generated)),
    }
    for k in HIT_KS:
        out[f"hit@{k}"] = _r(mean(hit_at(rank, k) for rank in ranks))
    out["mrr@10"] = _r(mean(reciprocal_rank(rank, 10) for rank in ranks))
    out["citation_precision"] = _r(mean(float(bool(r.cites_gold)) for r in answered if r.gold_release_id))
    # Issue-level headline: right answer and the right release cited, over answerable questions.
    out["correct_and_cited"] = _r(
        mean(float(bool(r.correct and r.cites_gold)) for r in gen_answerable if r.gold_release_id)
    )
    out["refused_unanswerable"] = _r(mean(float(not r.found) for r in gen_unanswerable))
    out["wrongly_refused"] = _r(mean(float(not r.found) for r in gen_answerable))
    out["latency_s"] = {k: _latency(records, k) for k in ("retrieve", "first_token", "total")}
    return out


QA_DEFINITIONS = {
    "accuracy": "answerable questions whose answer contains an acceptable gold answer after normalisation "
    "(case, punctuation, articles, whitespace; numbers as digits; dates compared as dates; see eval/normalize.py)",
    "exact_match/f1": "SQuAD v1.1 EM and token F1 against the best acceptable answer, citation markers removed",
    "key_exact_match/key_f1": "the same, of the answer's key words (Answer.key: the checked or chosen span for a "
    "typed question, else what the answer says that the question did not; qa/key_words.py)",
    "overall_correct": "answerable answered correctly or unanswerable refused, over all questions",
    "hit@k/mrr@10": "rank of the first of the top 10 retrieved passages whose release is the gold release "
    "(a separate Retriever.search(question, max(10, top_k)) with the same retrieval settings)",
    "citation_precision": "answered answerable questions whose citations include the gold release",
    "correct_and_cited": "answerable questions (with a gold release) answered correctly and citing the gold release",
    "refused_unanswerable": "unanswerable questions answered 'not in the releases' (Answer.found false)",
    "wrongly_refused": "answerable questions answered 'not in the releases'",
    "latency_s": "retrieve: Engine.ask's retrieval; first_token: from calling ask to the first streamed piece; "
    "total: the whole answer, wall clock, model already loaded",
}


# ----------------------------------------------------------------------------------------- summaries


SUMMARY_DEFINITIONS = {
    "key_fact_recall": "mean share of gold key facts contained in the summary after normalisation (gold sets with "
    "key facts only; CNN/DailyMail has none)",
    "rouge": f"F-measure against the reference; {ROUGE_L_NOTE}; both texts split into sentences first",
    "faithful_*": "share of the numbers / dates / capitalised names in all summaries that occur in the source "
    "release (normalised values; a name counts when it or each of its words occurs)",
    "baselines (by_type)": "lead-3: the release's first three sentences; first paragraph: up to its first blank "
    "line; first N words: its first words, as many as the product's summary of it has (eval/baselines.py); "
    "model's text alone: the product's summary before the key facts it left out were added (qa/fact_completion.py)",
    "latency_s": "first_token: from asking to the first streamed piece (includes map-reduce notes for long "
    "releases); total: the whole summary, wall clock, model already loaded",
}
CLAIM_KINDS = ("numbers", "dates", "names")


def summaries_metrics(records: Sequence[SummaryResult]) -> Metrics:
    ok = [r for r in records if not r.error]
    faiths = [r.faithfulness for r in ok if r.faithfulness is not None]

    def claims(kind: str) -> tuple[int, int]:
        """How many claims of a kind the summaries make, and how many of them the source lacks."""
        return sum(len(getattr(f, kind)) for f in faiths), sum(len(getattr(f, f"{kind}_unsupported")) for f in faiths)

    def share(total: int, bad: int) -> float | None:
        return _r(1 - bad / total) if total else None

    counts = {kind: claims(kind) for kind in CLAIM_KINDS}
    words = [r.words for r in ok]
    return {
        "n": len(records),
        "errors": len(records) - len(ok),
        "with_key_facts": sum(1 for r in ok if r.key_fact_recall is not None),
        "key_fact_recall": _r(mean(r.key_fact_recall for r in ok)),
        **{name: _r(mean(r.rouge[name] for r in ok)) for name in ROUGE_TYPES},
        **{f"faithful_{kind}": share(*counts[kind]) for kind in CLAIM_KINDS},
        "faithful_all": share(sum(t for t, _ in counts.values()), sum(b for _, b in counts.values())),
        "words_mean": _r(mean(words), 1),
        "words_p50": _r(percentile(words, 50), 1),
        "reference_words_mean": _r(mean(r.reference_words for r in ok), 1),
        "latency_s": {k: _latency(ok, k) for k in ("first_token", "total")},
    }


def baseline_metrics(records: Sequence[SummaryResult]) -> dict[str, Metrics]:
    """The baselines' key facts, ROUGE and length over the same releases, one group each (eval.baselines).
    The length baseline is named per release ("first 64 words"): it groups as "first N words"."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        if r.error:
            continue
        for name, scores in r.baselines.items():
            if "rouge" in scores:
                groups[re.sub(r"^first \d+ words$", "first N words", name)].append(scores)
    return {
        name: {
            "n": len(rows),
            "key_fact_recall": _r(mean(s.get("key_fact_recall") for s in rows)),
            **{k: _r(mean(s["rouge"].get(k) for s in rows)) for k in ROUGE_TYPES},
            "words_mean": _r(mean(s.get("words") for s in rows), 1),
        }
        for name, rows in groups.items()
    }


TOPIC_DEFINITIONS = {
    "release_coverage": "gold releases the summary cites by marker, over the topic's gold releases",
    "shown_coverage": "gold releases among those shown to the model (what retrieval gave it to cite)",
    "fact_recall": "gold key facts (verbatim phrases of the gold releases) contained in the summary, normalised",
    "citation_precision": "cited releases that belong to the topic, over the releases cited",
    "in_date_order": "story topics whose gold releases are first cited in date order",
    "latency_s": "first_token and total of Engine.summarize_topic, model already loaded",
}


def topics_metrics(records: Sequence[TopicResult]) -> Metrics:
    ok = [r for r in records if not r.error]
    stories = [r for r in ok if r.story and r.in_date_order is not None]
    return {
        "n": len(records),
        "errors": len(records) - len(ok),
        "release_coverage": _r(mean(r.release_coverage for r in ok)),
        "shown_coverage": _r(mean(r.shown_coverage for r in ok)),
        "fact_recall": _r(mean(r.fact_recall for r in ok)),
        "citation_precision": _r(mean(r.citation_precision for r in ok)),
        "in_date_order": _r(mean(float(bool(r.in_date_order)) for r in stories)),
        "stories": len(stories),
        "latency_s": {k: _latency(ok, k) for k in ("first_token", "total")},
    }


def summarize(
    kind: Literal["qa", "summaries", "topics"],
    records: Sequence[ItemResult],
    config: RunConfig,
    timing: dict[str, Any],
    *,
    git: dict[str, Any] | None,
    machine: dict[str, Any] | None,
) -> RunSummary:
    """The run summary: the metrics overall (and by question type), with what made the records."""
    if kind == "qa":
        questions = [r for r in records if isinstance(r, QAResult)]
        by_type: dict[str, list[QAResult]] = defaultdict(list)
        for r in questions:
            by_type[r.type].append(r)
        overall = qa_group_metrics(questions)
        groups = {t: qa_group_metrics(rs) for t, rs in sorted(by_type.items())}
        definitions = QA_DEFINITIONS
    elif kind == "topics":
        overall = topics_metrics([r for r in records if isinstance(r, TopicResult)])
        groups, definitions = {}, TOPIC_DEFINITIONS
    else:
        summaries = [r for r in records if isinstance(r, SummaryResult)]
        overall = summaries_metrics(summaries)
        groups, definitions = baseline_metrics(summaries), SUMMARY_DEFINITIONS
    return RunSummary(
        kind=kind,
        config=config,
        git=git,  # the code that produced the answers, not a later re-scoring
        machine=machine,  # the machine that produced them
        timing=timing,
        overall=overall,
        by_type=groups,
        definitions=definitions,
    )
