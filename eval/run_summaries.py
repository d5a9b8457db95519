"""Summarises every gold release through Engine.summarize_release and scores the summary.

Only the release id goes in (the release text comes from the index, as for a user); key facts and the
reference are used afterwards, to score. The id is checked against the index first because
summarize_release falls back to a title search, which would quietly summarise some other release.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from eval.baselines import baseline_summaries
from eval.gold import GoldSummary
from eval.metrics import faithfulness, word_count
from eval.records import SummaryResult
from eval.runner import run_items
from eval.scoring import score_summary
from eval.store import ResultsWriter

WITHOUT_COMPLETION = "model's text alone"


@dataclass(frozen=True)
class SummaryOptions:
    model: str | None = None
    length: str = "short"  # short | bullets | detailed, as `pressqa summarize --length`


def evaluate_summary(engine: Any, item: GoldSummary, options: SummaryOptions) -> SummaryResult:
    record = SummaryResult(id=item.id, release_id=item.release_id, reference=item.reference)
    release = engine.index.release(item.release_id)
    if release is None:
        return replace(record, error=f"release {item.release_id} is not in the index")
    record = replace(record, title=release.title, source_words=len(release.text.split()))
    try:
        t0 = time.perf_counter()
        stream = engine.summarize_release(item.release_id, options.length, model=options.model)  # type: ignore[arg-type]
        first_piece: float | None = None
        for _ in stream:
            if first_piece is None:
                first_piece = time.perf_counter() - t0
        total = time.perf_counter() - t0
        summary = stream.summary.text
        # The model's text before qa.fact_completion: scored beside the baselines, an ablation in every run.
        draft = stream.summary.draft.text if stream.summary.draft else summary
    except Exception as exc:  # one broken item must not end a long run; it is reported as an error
        return replace(record, error=f"{type(exc).__name__}: {exc}")
    record = replace(
        record,
        summary=summary,
        key_facts=tuple(item.key_facts),
        faithfulness=faithfulness(summary, release.text),
        baselines={
            **{
                name: {"text": text}
                for name, text in baseline_summaries(release.text, release.title, word_count(summary)).items()
            },
            **({WITHOUT_COMPLETION: {"text": draft}} if options.length != "facts" else {}),
        },
        latency={"first_token": round(first_piece if first_piece is not None else total, 4), "total": round(total, 4)},
        engine_timings={k: round(v, 4) for k, v in stream.summary.timings.items()},
    )
    return score_summary(record)


def run_summaries(
    engine: Any, items: Sequence[GoldSummary], options: SummaryOptions, writer: ResultsWriter, progress: bool = True
) -> tuple[list[SummaryResult], bool]:
    return run_items(
        items,
        lambda item: evaluate_summary(engine, item, options),
        writer,
        _running,
        "eval summaries",
        "summary",
        progress,
    )


def answer_latencies(engine: Any, questions: Sequence[str], model: str | None, progress: bool = True) -> list[float]:
    """Seconds the same engine and model take to answer each question, whole: the answer time a summary's
    time is measured against, in the same run so that the CPU and its load are the same."""
    from tqdm import tqdm

    times: list[float] = []
    for question in tqdm(questions, desc="answers (baseline)", disable=not progress):
        t0 = time.perf_counter()
        for _ in engine.ask(question, model=model):
            pass
        times.append(round(time.perf_counter() - t0, 4))
    return times


def _running(records: Sequence[SummaryResult]) -> str:
    """The progress bar's running scores."""
    done = [r for r in records if not r.error]
    recalls = [r.key_fact_recall for r in done if r.key_fact_recall is not None]
    rl = sum(r.rouge["rougeLsum"] for r in done) / len(done) if done else 0.0
    facts = f"facts {100 * sum(recalls) / len(recalls):.0f}% " if recalls else ""
    return f"{facts}R-Lsum {100 * rl:.1f} errors {len(records) - len(done)}"
