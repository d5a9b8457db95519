"""Asks every gold question through the product's own Engine.ask and scores the answer.

Only the question string goes in; gold answers and releases are used afterwards, to score.
Retrieval metrics need the top 10 passages while the model is shown only top-k (default 6), and
Engine.ask retrieves exactly k: so each question is also searched once with
`engine.retriever.search(question, max(10, top_k))`, same retriever and settings, for hit@k/MRR only
(about 30-100 ms; the prefix of that list is the list the model saw, give or take near-duplicate collapsing).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eval.gold import GoldQuestion
from eval.metrics import cites_release, gold_rank, score_answer
from eval.normalize import normalize_answer
from eval.report import Record, ResultsWriter, run_items

RETRIEVAL_DEPTH = 10


@dataclass(frozen=True)
class QAOptions:
    model: str | None = None  # None: the settings' default model
    top_k: int = 6
    max_new_tokens: int = 200  # as Engine.ask's default, which the CLI and web app use
    # Only hit@k/MRR, no model: ~0.1 s a question instead of ~30, for steering retrieval settings.
    retrieval_only: bool = False


TITLES_KEPT = 5  # report.md shows the top 5 retrieved titles; more would only bloat results.jsonl


def _retrieved_json(passages: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {"release_id": p.release_id, "score": round(p.score, 5)} | ({"title": p.title} if i < TITLES_KEPT else {})
        for i, p in enumerate(passages)
    ]


def evaluate_question(engine: Any, item: GoldQuestion, options: QAOptions) -> Record:
    record: Record = {
        "id": item.id,
        "type": item.type,
        "question": item.question,
        "gold_answers": list(item.answers),
        "gold_release_id": item.release_id,
        "answerable": item.answerable,
    }
    if options.retrieval_only:
        return _evaluate_retrieval(engine, item, options, record)
    try:
        t0 = time.perf_counter()
        stream = engine.ask(item.question, k=options.top_k, model=options.model, max_new_tokens=options.max_new_tokens)
        first_piece: float | None = None
        for _ in stream:
            if first_piece is None:
                first_piece = time.perf_counter() - t0
        total = time.perf_counter() - t0
        answer = stream.answer
        retrieved = engine.retriever.search(item.question, max(RETRIEVAL_DEPTH, options.top_k)).passages
    except Exception as exc:  # one broken question must not end a long run; it counts as a failure
        record.update(
            answer=None,
            found=False,
            correct=False,
            ok=False,
            exact_match=0.0,
            f1=0.0,
            gold_rank=None,
            cites_gold=False,
            citations=[],
            shown=[],
            retrieved=[],
            latency={},
            error=f"{type(exc).__name__}: {exc}",
        )
        return record
    record.update(
        answer=answer.text,
        raw_answer=stream.raw or None,  # the model's words before refusal rewording / marker repair
        found=answer.found,
        citations=[{"n": c.n, "release_id": c.passage.release_id, "title": c.passage.title} for c in answer.citations],
        shown=[p.release_id for p in answer.passages],
        retrieved=_retrieved_json(retrieved),
        latency={
            "retrieve": round(answer.timings.get("retrieve", 0.0), 4),
            "first_token": round(first_piece if first_piece is not None else total, 4),
            "total": round(total, 4),
        },
        engine_timings={k: round(v, 4) for k, v in answer.timings.items()},
        error=None,
    )
    return score_record(record)


def _evaluate_retrieval(engine: Any, item: GoldQuestion, options: QAOptions, record: Record) -> Record:
    t0 = time.perf_counter()
    retrieved = engine.retriever.search(item.question, max(RETRIEVAL_DEPTH, options.top_k)).passages
    elapsed = round(time.perf_counter() - t0, 4)
    record.update(
        retrieval_only=True,
        answer=None,
        found=None,
        citations=[],
        shown=[p.release_id for p in retrieved[: options.top_k]],
        retrieved=_retrieved_json(retrieved),
        latency={"retrieve": elapsed, "total": elapsed},
        error=None,
    )
    return score_record(record)


def score_record(record: Record) -> Record:
    """The scores of one answered question, from what the record keeps of the answer and the gold.

    Separate from asking so that `pressqa eval report` can re-score old results after a metric fix.
    """
    if record.get("error"):
        return record
    rank = gold_rank([p["release_id"] for p in record["retrieved"]], record["gold_release_id"])
    if record.get("retrieval_only"):
        record.update(gold_rank=rank, correct=None, ok=None, exact_match=None, f1=None, cites_gold=None)
        return record
    answers = record["gold_answers"]
    # A refusal answers nothing, whatever its wording: the product's refusal repeats the question, which
    # can contain a gold answer ("Were Donna Phillips and Janet Smith from Mississippi?").
    prediction = record["answer"] if record["found"] else ""
    score = score_answer(prediction, answers)
    record.update(
        correct=score.correct,
        matched_answer=score.matched,
        exact_match=round(score.exact_match, 4),
        f1=round(score.f1, 4),
        # What the match compared, so a failure can be read without re-running the normaliser.
        normalized_answer=normalize_answer(record["answer"]),
        normalized_gold=[normalize_answer(a) for a in answers],
        ok=score.correct if record["answerable"] else not record["found"],
        gold_rank=rank,
        cites_gold=cites_release([c["release_id"] for c in record["citations"]], record["gold_release_id"]),
    )
    return record


def run_qa(
    engine: Any, items: Sequence[GoldQuestion], options: QAOptions, writer: ResultsWriter, progress: bool = True
) -> tuple[list[Record], bool]:
    """Every item, written to results.jsonl as it finishes; returns the records and whether it was interrupted."""
    return run_items(
        items, lambda item: evaluate_question(engine, item, options), writer, _running, "eval qa", "q", progress
    )


def _running(records: Sequence[Record]) -> str:
    """The progress bar's running scores."""
    with_gold = [r for r in records if r["answerable"] and r.get("gold_release_id")]
    hit = sum(1 for r in with_gold if r.get("gold_rank") is not None and r["gold_rank"] <= 5)
    text = f"hit@5 {100 * hit / max(len(with_gold), 1):.0f}%"
    answered = [r for r in records if r.get("ok") is not None or r.get("error")]
    if answered:
        answerable = [r for r in answered if r["answerable"]]
        acc = sum(bool(r.get("correct")) for r in answerable) / max(len(answerable), 1)
        text = f"acc {100 * acc:.0f}% {text} ok {sum(bool(r.get('ok')) for r in answered)}/{len(answered)}"
    last = records[-1].get("latency", {}).get("total") if records else None
    return f"{text} last {last:.1f}s" if last is not None else text
