"""Counting questions (qa.count_questions, qa.count_answers) against eval/gold/counts.dev.jsonl, whose expected
counts come from a plain scan of the corpus files (eval/count_gold.py).

For each question:
- parse right: the question read into the gold's ask (total, peak or series), period, unit (for a peak or a
  series), words and phrases; for a gold row with no ask, the question left to the model (None);
- count exact: the answer's total equals the scan's count;
- peak right: the answer's series peaks in the same months or years as the scan's (at the answer's unit);
- series exact: the answer's series, its empty periods aside, equals the scan's at that unit;
- ms: the whole answer, question to text (Engine.count_answer).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.metrics import mean, percentile
from qa.count_questions import count_question


def read_counts_gold(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def parsed_form(question: str) -> dict[str, Any] | None:
    asked = count_question(question)
    if asked is None:
        return None
    return {
        "ask": asked.ask,
        "since": asked.since.isoformat() if asked.since else None,
        "until": asked.until.isoformat() if asked.until else None,
        "by": asked.by if asked.ask != "total" else None,
        "words": sorted(asked.words),
        "phrases": sorted(asked.phrases),
    }


def gold_form(row: dict[str, Any]) -> dict[str, Any] | None:
    if row.get("ask") is None:
        return None
    return {
        "ask": row["ask"],
        "since": row.get("since"),
        "until": row.get("until"),
        "by": row.get("by") if row["ask"] != "total" else None,
        "words": sorted(w.lower() for w in row["match"]["words"]),
        "phrases": sorted(p.lower() for p in row["match"]["phrases"]),
    }


def _peaks(series: dict[str, int]) -> list[str]:
    top = max(series.values(), default=0)
    return sorted(k for k, n in series.items() if n == top and top)


def score_row(engine: Any, row: dict[str, Any]) -> dict[str, Any]:
    parsed, wanted = parsed_form(row["question"]), gold_form(row)
    t0 = time.perf_counter()
    answer = engine.count_answer(row["question"])
    ms = (time.perf_counter() - t0) * 1000
    scored: dict[str, Any] = {"id": row["id"], "question": row["question"], "parse_right": parsed == wanted,
                              "ms": round(ms, 1)}  # fmt: skip
    if parsed != wanted:
        scored["parsed"] = parsed
    if wanted is None:
        scored["answered"] = answer is not None
        return scored
    expected = row["expected"]
    if answer is None:
        return {**scored, "answered": False, "count_exact": False, "peak_right": False, "series_exact": False}
    monthly = bool(answer.counts) and len(answer.counts[0][0]) == 7
    gold_series = expected["by_month" if monthly else "by_year"]
    series = {k: n for k, n in answer.counts if n}
    return {
        **scored,
        "answered": True,
        "count": answer.total,
        "expected": expected["count"],
        "count_exact": answer.total == expected["count"],
        "unit": "month" if monthly else "year",
        "peak": _peaks(series),
        "expected_peak": _peaks(gold_series),
        "peak_right": _peaks(series) == _peaks(gold_series),
        "series_exact": series == gold_series,
        "answer": answer.text.split("\n")[0],
    }


def _share(rows: Sequence[dict[str, Any]], field: str) -> float:
    return round(mean(float(r[field]) for r in rows) or 0.0, 4)


def _by_ask(ask: str, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    counted = {"count_exact": _share(rows, "count_exact")} if ask != "not a count" else {}
    return {"questions": len(rows), "parse_right": _share(rows, "parse_right"), **counted}


def run_counts(engine: Any, gold: Sequence[dict[str, Any]]) -> dict[str, Any]:
    engine.count_answer(gold[0]["question"])  # the first count reads an older index's words; not timed
    rows = [score_row(engine, g) for g in gold]
    counted = [r for r in rows if "count_exact" in r]
    by_ask: dict[str, list[dict[str, Any]]] = {}
    for g, r in zip(gold, rows, strict=True):
        by_ask.setdefault(g.get("ask") or "not a count", []).append(r)
    overall = {
        "questions": len(rows),
        "parse_right": _share(rows, "parse_right"),
        "counted": len(counted),
        "count_exact": _share(counted, "count_exact"),
        "peak_right": _share(counted, "peak_right"),
        "series_exact": _share(counted, "series_exact"),
        "ms_p50": round(percentile([r["ms"] for r in counted], 50), 1),
        "ms_max": round(max((r["ms"] for r in counted), default=0.0), 1),
        "by_ask": {ask: _by_ask(ask, part) for ask, part in by_ask.items()},
    }
    return {"overall": overall, "rows": rows}
