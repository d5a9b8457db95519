"""Timelines (qa/timeline.py) against the story topics of the topic gold (eval/gold/topics.dev.jsonl):
each story's hand-listed releases are its events. Scored: the share of those events the timeline lists,
the share of its events that belong to the story, whether the story's events come in date order, and
whether every event is cited."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from eval.gold import GoldTopic
from eval.metrics import mean, percentile


def score_timeline(topic: GoldTopic, listed: Sequence[str], cited: int, seconds: float) -> dict[str, Any]:
    gold = set(topic.releases)
    present = [r for r in listed if r in gold]
    dates = [topic.dates.get(r, "") for r in present]
    return {
        "id": topic.id,
        "topic": topic.topic,
        "events": list(listed),
        "events_present": round(len(present) / len(gold), 4) if gold else None,
        "precision": round(len(present) / len(listed), 4) if listed else None,
        "in_date_order": dates == sorted(dates),
        "all_cited": cited == len(listed),
        "seconds": round(seconds, 4),
    }


def run_timelines(engine: Any, topics: Sequence[GoldTopic], max_events: int | None = None) -> dict[str, Any]:
    rows = []
    for topic in topics:
        if not topic.story:
            continue
        t0 = time.perf_counter()
        answer = engine.timeline(topic.topic, max_events=max_events)
        seconds = time.perf_counter() - t0
        listed = [c.passage.release_id for c in answer.citations]
        rows.append(score_timeline(topic, listed, len({c.n for c in answer.citations}), seconds))
    return {
        "stories": len(rows),
        "events_present": round(mean(r["events_present"] for r in rows) or 0.0, 4),
        "precision": round(mean(r["precision"] for r in rows) or 0.0, 4),
        "in_date_order": sum(r["in_date_order"] for r in rows),
        "all_cited": sum(r["all_cited"] for r in rows),
        "seconds_p50": percentile([r["seconds"] for r in rows], 50),
        "rows": rows,
    }
