"""Quotes (embeddings/text/quotes.py, kept at ingest) and the answers read from them (qa.quote_answers)
against the hand-read quotes dev set (eval/gold/quotes.dev.jsonl).

Two levels, each scored for the speaker and the span:
- kept: of the quotes kept for the gold release, the one overlapping the gold span most;
- answered: the question asked through Engine.quote_answer (retrieval over the whole index, no model), its
  first citation.
An answer to "what did X say" lists up to three quotes: its span counts as exact when the first is the gold
quote, and as shown when any is. A speaker is right when the surnames agree and the first names, where both
give one, agree too ("Joyce Branda" is "Joyce R. Branda"; "Steve Martinez" is not "Steven Martinez"). A span
is exact when its text equals the gold quote's, edges of spaces, stops and quote marks aside; the gold span
runs from the first quoted word to the last, attribution included where the quote is split around it, as the
kept span does.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from embeddings.text.name_kinds import name_words
from eval.metrics import mean, percentile

_EDGES = " \t\n,.;:!?\"'“”‘’"


@dataclass(frozen=True)
class GoldQuote:
    id: str
    release_id: str
    kind: str  # "who_said" or "what_said"
    question: str
    speaker: str
    quote: str
    start: int
    end: int
    also_in: tuple[str, ...]


def read_quotes_gold(path: Path) -> list[GoldQuote]:
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            rows.append(
                GoldQuote(r["id"], r["release_id"], r["kind"], r["question"], r["speaker"], r["quote"], r["start"],
                          r["end"], tuple(r.get("also_in", ())))
            )  # fmt: skip
    return rows


def same_speaker(found: str, gold: str) -> bool:
    a, b = name_words(found), name_words(gold)
    if not a or not b:
        return False
    if len(b) == 1 or len(a) == 1:
        return a[-1] == b[-1] or set(a) == set(b)
    return a[-1] == b[-1] and a[0] == b[0]


def same_span(text: str, gold: str) -> bool:
    return " ".join(text.strip(_EDGES).split()) == " ".join(gold.strip(_EDGES).split())


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def score_kept(engine: Any, gold: GoldQuote) -> dict[str, Any]:
    release = engine.index.release(gold.release_id)
    kept = engine.index.quotes(release_ids=[gold.release_id])
    best = max(kept, key=lambda q: _overlap((q.start, q.end), (gold.start, gold.end)), default=None)
    if best is None or release is None or _overlap((best.start, best.end), (gold.start, gold.end)) == 0:
        return {"found": False, "speaker_right": False, "span_exact": False, "speaker": "", "span": None}
    return {
        "found": True,
        "speaker_right": same_speaker(best.speaker, gold.speaker),
        "span_exact": same_span(release.text[best.start : best.end], gold.quote),
        "speaker": best.speaker,
        "span": [best.start, best.end],
    }


def score_answer(engine: Any, gold: GoldQuote) -> dict[str, Any]:
    t0 = time.perf_counter()
    answer = engine.quote_answer(gold.question)
    seconds = time.perf_counter() - t0
    if answer is None or not answer.citations:
        return {"answered": False, "speaker_right": False, "span_exact": False, "span_exact_shown": False,
                "seconds": round(seconds, 4),
                "answer": None if answer is None else answer.text}  # fmt: skip
    exact = [c.passage.release_id in (gold.release_id, *gold.also_in) and same_span(c.quote, gold.quote)
             for c in answer.citations]  # fmt: skip
    first = answer.citations[0]
    return {
        "answered": True,
        "speaker_right": same_speaker(answer.key, gold.speaker),
        "span_exact": exact[0],
        "span_exact_shown": any(exact),  # "what did X say" lists up to three quotes
        "release_right": first.passage.release_id in (gold.release_id, *gold.also_in),
        "cited": [first.passage.release_id, first.quote_start, first.quote_end],
        "speaker": answer.key,
        "seconds": round(seconds, 4),
        "answer": answer.text,
    }


def _share(rows: Sequence[dict[str, Any]], level: str, field: str) -> float:
    return round(mean(float(r[level][field]) for r in rows) or 0.0, 4)


def run_quotes(engine: Any, gold: Sequence[GoldQuote]) -> dict[str, Any]:
    rows = []
    for g in gold:
        rows.append({"id": g.id, "release_id": g.release_id, "kind": g.kind, "question": g.question,
                     "gold_speaker": g.speaker, "gold_span": [g.start, g.end],
                     "kept": score_kept(engine, g), "answered": score_answer(engine, g)})  # fmt: skip
    groups = {
        "all": rows,
        **{kind: [r for r in rows if r["kind"] == kind] for kind in ("who_said", "what_said")},
        "isaf": [r for r in rows if r["release_id"].startswith("isaf-")],
    }
    overall = {
        name: {
            "questions": len(part),
            "kept_found": _share(part, "kept", "found"),
            "kept_speaker_right": _share(part, "kept", "speaker_right"),
            "kept_span_exact": _share(part, "kept", "span_exact"),
            "answered": _share(part, "answered", "answered"),
            "speaker_right": _share(part, "answered", "speaker_right"),
            "span_exact": _share(part, "answered", "span_exact"),
            "span_exact_shown": _share(part, "answered", "span_exact_shown"),
        }
        for name, part in groups.items()
        if part
    }
    overall["seconds_p50"] = percentile([r["answered"]["seconds"] for r in rows], 50)
    return {"overall": overall, "rows": rows}
