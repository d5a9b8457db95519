"""Summarises every gold topic through Engine.summarize_topic and scores what it covers and cites.

Only the topic text goes in; the gold releases, their dates and key facts are used afterwards, to score.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from embeddings.text.markers import marker_numbers
from eval.gold import GoldTopic
from eval.records import TopicResult
from eval.runner import run_items
from eval.scoring import score_topic
from eval.store import ResultsWriter


@dataclass(frozen=True)
class TopicOptions:
    model: str | None = None
    length: str = "short"
    max_releases: int | None = None  # None: the settings' default (PRESSQA_MAX_RELEASES)


def evaluate_topic(engine: Any, item: GoldTopic, options: TopicOptions) -> TopicResult:
    record = TopicResult(
        id=item.id,
        topic=item.topic,
        story=item.story,
        gold_releases=item.releases,
        gold_dates=dict(item.dates),
        key_facts={rid: list(facts) for rid, facts in item.key_facts.items()},
    )
    try:
        t0 = time.perf_counter()
        stream = engine.summarize_topic(
            item.topic, length=options.length, model=options.model, max_releases=options.max_releases
        )
        first_piece: float | None = None
        for _ in stream:
            if first_piece is None:
                first_piece = time.perf_counter() - t0
        total = time.perf_counter() - t0
        summary = stream.summary
    except Exception as exc:  # one broken item must not end a long run; it is reported as an error
        return replace(record, error=f"{type(exc).__name__}: {exc}")
    sources = tuple(p.release_id for p in summary.passages)
    cited = [sources[n - 1] for n in marker_numbers(summary.text) if 1 <= n <= len(sources)]
    record = replace(
        record,
        summary=summary.text,
        sources=sources,
        cited=tuple(dict.fromkeys(cited)),
        latency={"first_token": round(first_piece if first_piece is not None else total, 4), "total": round(total, 4)},
        engine_timings={k: round(v, 4) for k, v in summary.timings.items()},
    )
    return score_topic(record)


def run_topics(
    engine: Any, items: Sequence[GoldTopic], options: TopicOptions, writer: ResultsWriter, progress: bool = True
) -> tuple[list[TopicResult], bool]:
    return run_items(
        items, lambda item: evaluate_topic(engine, item, options), writer, _running, "eval topics", "topic", progress
    )


def _running(records: Sequence[TopicResult]) -> str:
    done = [r for r in records if not r.error]
    cover = [r.release_coverage for r in done if r.release_coverage is not None]
    facts = [r.fact_recall for r in done if r.fact_recall is not None]
    return f"coverage {_pct(cover):.0f}% facts {_pct(facts):.0f}% errors {len(records) - len(done)}"


def _pct(values: Sequence[float]) -> float:
    return 100 * sum(values) / len(values) if values else 0.0
