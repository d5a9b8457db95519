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
from dataclasses import dataclass, replace
from typing import Any

from embeddings.settings import Settings
from eval.gold import GoldQuestion
from eval.records import CitedRelease, QAResult, RetrievedPassage
from eval.runner import run_items
from eval.scoring import score_question
from eval.store import ResultsWriter

RETRIEVAL_DEPTH = 10
TITLES_KEPT = 5  # report.md shows the top 5 retrieved titles; more would only bloat results.jsonl
_DEFAULTS = Settings.model_fields  # the product's defaults, so a run measures what a user gets


@dataclass(frozen=True)
class QAOptions:
    model: str | None = None  # None: the settings' default model
    top_k: int = _DEFAULTS["top_k"].default
    max_new_tokens: int = _DEFAULTS["max_new_tokens"].default
    # Only hit@k/MRR, no model: ~0.1 s a question instead of ~30, for steering retrieval settings.
    retrieval_only: bool = False


def _retrieved(passages: Sequence[Any]) -> tuple[RetrievedPassage, ...]:
    return tuple(
        RetrievedPassage(p.release_id, round(p.score, 5), p.title if i < TITLES_KEPT else None)
        for i, p in enumerate(passages)
    )


def _asked(item: GoldQuestion) -> QAResult:
    """The record's gold half, before anything is asked."""
    return QAResult(
        id=item.id,
        type=item.type,
        question=item.question,
        gold_answers=tuple(item.answers),
        gold_release_id=item.release_id,
        answerable=item.answerable,
    )


def evaluate_question(
    engine: Any, item: GoldQuestion, options: QAOptions, history: Sequence[tuple[str, str]] = ()
) -> QAResult:
    """`history`: the conversation before the question, (question, answer) pairs; the retrieval metrics are
    then those of the question as rewritten to stand alone, the one the product searched."""
    if options.retrieval_only:
        return _evaluate_retrieval(engine, item, options)
    try:
        t0 = time.perf_counter()
        stream = engine.ask(
            item.question,
            history=history,
            k=options.top_k,
            model=options.model,
            max_new_tokens=options.max_new_tokens,
        )
        first_piece: float | None = None
        for _ in stream:
            if first_piece is None:
                first_piece = time.perf_counter() - t0
        total = time.perf_counter() - t0
        answer = stream.answer
        retrieved = engine.retriever.search(stream.question, max(RETRIEVAL_DEPTH, options.top_k)).passages
    except Exception as exc:  # one broken question must not end a long run; it counts as a failure
        failed = dict(
            found=False,
            correct=False,
            ok=False,
            exact_match=0.0,
            f1=0.0,
            key_exact_match=0.0,
            key_f1=0.0,
            cites_gold=False,
        )
        return replace(_asked(item), **failed, error=f"{type(exc).__name__}: {exc}")
    record = replace(
        _asked(item),
        answer=answer.text,
        key=answer.key or None,
        raw_answer=stream.raw or None,  # the model's words before refusal rewording / marker repair
        found=answer.found,
        citations=tuple(CitedRelease(c.n, c.passage.release_id, c.passage.title) for c in answer.citations),
        shown=tuple(p.release_id for p in answer.passages),
        retrieved=_retrieved(retrieved),
        latency={
            "retrieve": round(answer.timings.get("retrieve", 0.0), 4),
            "first_token": round(first_piece if first_piece is not None else total, 4),
            "total": round(total, 4),
        },
        engine_timings={k: round(v, 4) for k, v in answer.timings.items()},
        answer_type=answer.answer_type or None,
        method=answer.method,
        check=answer.check or None,
        candidates=answer.candidates,
        stages={name: _stage(a) for name, a in (("draft", answer.draft), ("fallback", answer.fallback)) if a},
        extra={"searched": stream.question} if history else {},
    )
    return score_question(record)


def _stage(answer: Any) -> dict[str, Any]:
    return {
        "answer": answer.text,
        "key": answer.key,
        "found": answer.found,
        "cited": [c.passage.release_id for c in answer.citations],
    }


def _evaluate_retrieval(engine: Any, item: GoldQuestion, options: QAOptions) -> QAResult:
    t0 = time.perf_counter()
    retrieved = engine.retriever.search(item.question, max(RETRIEVAL_DEPTH, options.top_k)).passages
    elapsed = round(time.perf_counter() - t0, 4)
    record = replace(
        _asked(item),
        retrieval_only=True,
        shown=tuple(p.release_id for p in retrieved[: options.top_k]),
        retrieved=_retrieved(retrieved),
        latency={"retrieve": elapsed, "total": elapsed},
    )
    return score_question(record)


def run_qa(
    engine: Any, items: Sequence[GoldQuestion], options: QAOptions, writer: ResultsWriter, progress: bool = True
) -> tuple[list[QAResult], bool]:
    """Every item, written to results.jsonl as it finishes; returns the records and whether it was interrupted."""
    return run_items(
        items, lambda item: evaluate_question(engine, item, options), writer, _running, "eval qa", "q", progress
    )


def _running(records: Sequence[QAResult]) -> str:
    """The progress bar's running scores."""
    with_gold = [r for r in records if r.answerable and r.gold_release_id]
    hit = sum(1 for r in with_gold if r.gold_rank is not None and r.gold_rank <= 5)
    text = f"hit@5 {100 * hit / max(len(with_gold), 1):.0f}%"
    answered = [r for r in records if r.ok is not None or r.error]
    if answered:
        answerable = [r for r in answered if r.answerable]
        acc = sum(bool(r.correct) for r in answerable) / max(len(answerable), 1)
        text = f"acc {100 * acc:.0f}% {text} ok {sum(bool(r.ok) for r in answered)}/{len(answered)}"
    last = records[-1].latency.get("total") if records else None
    return f"{text} last {last:.1f}s" if last is not None else text
