"""The scores of one item, from what its record keeps of the answer and the gold.

Separate from asking, so that `pressqa eval report` can re-score old results after a metric fix.
"""

from __future__ import annotations

from dataclasses import replace

from eval.metrics import cites_release, gold_rank, key_fact_recall, rouge, score_answer, word_count
from eval.normalize import normalize_answer
from eval.records import QAResult, SummaryResult, TopicResult


def score_question(record: QAResult) -> QAResult:
    if record.error:
        return record
    rank = gold_rank([p.release_id for p in record.retrieved], record.gold_release_id)
    if record.retrieval_only:
        return replace(
            record,
            gold_rank=rank,
            correct=None,
            ok=None,
            exact_match=None,
            f1=None,
            cites_gold=None,
            key_exact_match=None,
            key_f1=None,
        )
    answers = record.gold_answers
    # A refusal answers nothing, whatever its wording: the product's refusal repeats the question, which
    # can contain a gold answer ("Were Donna Phillips and Janet Smith from Mississippi?").
    prediction = (record.answer or "") if record.found else ""
    score = score_answer(prediction, answers)
    key = score_answer((record.key or "") if record.found else "", answers)
    return replace(
        record,
        correct=score.correct,
        matched_answer=score.matched,
        exact_match=round(score.exact_match, 4),
        f1=round(score.f1, 4),
        key_exact_match=round(key.exact_match, 4),
        key_f1=round(key.f1, 4),
        # What the match compared, so a failure can be read without re-running the normaliser.
        normalized_answer=normalize_answer(record.answer or ""),
        normalized_gold=tuple(normalize_answer(a) for a in answers),
        ok=score.correct if record.answerable else not record.found,
        gold_rank=rank,
        cites_gold=cites_release([c.release_id for c in record.citations], record.gold_release_id),
    )


def score_summary(record: SummaryResult) -> SummaryResult:
    """Key facts, ROUGE and length from the summary and the gold kept in the record."""
    if record.error:
        return record
    summary = record.summary or ""
    recall, missing = key_fact_recall(summary, record.key_facts)
    baselines = {}
    for name, baseline in record.baselines.items():
        text = baseline.get("text") or ""
        base_recall, _ = key_fact_recall(text, record.key_facts)
        baselines[name] = {
            "text": text,
            "key_fact_recall": None if base_recall is None else round(base_recall, 4),
            "rouge": {k: round(v, 4) for k, v in rouge(text, record.reference).items()},
            "words": word_count(text),
        }
    return replace(
        record,
        baselines=baselines,
        key_fact_recall=None if recall is None else round(recall, 4),
        missing_facts=tuple(missing),
        rouge={k: round(v, 4) for k, v in rouge(summary, record.reference).items()},
        words=word_count(summary),
        reference_words=word_count(record.reference),
    )


def score_topic(record: TopicResult) -> TopicResult:
    """Coverage, fact recall, citation precision and date order of a topic summary."""
    if record.error:
        return record
    gold = set(record.gold_releases)
    cited = list(record.cited)
    facts = [f for rid in record.gold_releases for f in record.key_facts.get(rid, ())]
    recall, missing = key_fact_recall(record.summary or "", facts)
    order = None
    if record.story:
        dates = [record.gold_dates.get(rid, "") for rid in cited if rid in gold]
        order = dates == sorted(dates)
    return replace(
        record,
        release_coverage=round(len(gold & set(cited)) / len(gold), 4) if gold else None,
        shown_coverage=round(len(gold & set(record.sources)) / len(gold), 4) if gold else None,
        fact_recall=None if recall is None else round(recall, 4),
        missing_facts=tuple(missing),
        citation_precision=round(sum(rid in gold for rid in cited) / len(cited), 4) if cited else None,
        in_date_order=order,
    )
