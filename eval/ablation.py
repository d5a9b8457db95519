"""The reader's steps on and off, from the runs that measured them: `python -m eval.ablation RUN...`.

Each run's results.jsonl keeps, per question, the model's own answer ("draft", before the span check) and
the best-supported candidate's ("fallback", where the check failed), besides the final answer. The steps
run in order and decode greedily, so the pipeline without its later steps gives exactly those answers:
one run measures three rows.
- "model's answer": the draft, as the model wrote and cited it;
- "+ span check": the check's answer, and where it failed, the best-supported candidate (no model call);
- "+ choice": the final answer, the model choosing among the candidates where the check failed.
A run made with a step off (PRESSQA_SPAN_FIRST=false, the previous answer path) is its own row; its
summary.json says which steps ran. Time: the p50 of each question's total, less the steps left out.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from eval.metrics import cites_release, mean, percentile, score_answer
from eval.records import QAResult

# (answer, found, cited release ids, key words)
StageAnswer = tuple[str, bool, Sequence[str], str]
Stage = Callable[[QAResult], StageAnswer]


def _final(r: QAResult) -> StageAnswer:
    return r.answer or "", bool(r.found), [c.release_id for c in r.citations], r.key or ""


def _stage(name: str) -> Stage:
    def pick(r: QAResult) -> StageAnswer:
        s = r.stages.get(name)
        return (s["answer"], s["found"], s["cited"], s.get("key") or "") if s else _final(r)

    return pick


def _checked(r: QAResult) -> StageAnswer:
    return _stage("fallback")(r) if r.method in ("chosen", "best supported") else _final(r)


def _time(r: QAResult, without: Sequence[str]) -> float:
    return float(r.latency.get("total", 0.0)) - sum(float(r.engine_timings.get(k, 0.0)) for k in without)


ROWS: tuple[tuple[str, Stage, tuple[str, ...]], ...] = (
    ("model's answer", _stage("draft"), ("check", "choose")),
    ("+ span check, best-supported candidate", _checked, ("choose",)),
    ("+ choice among candidates", _final, ()),
)


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def score_rows(records: Sequence[QAResult], staged: bool) -> list[tuple[str, dict[str, Any]]]:
    rows = ROWS if staged else (("as run", _final, ()),)
    keyed = any(r.key for r in records)
    answerable = [r for r in records if r.answerable and not r.error]
    unanswerable = [r for r in records if not r.answerable and not r.error]
    out = []
    for name, stage, without in rows:
        scores = [(score_answer(stage(r)[0] if stage(r)[1] else "", r.gold_answers), stage(r)) for r in answerable]
        keys = [
            score_answer(a[3] if a[1] else "", r.gold_answers) for (_, a), r in zip(scores, answerable, strict=True)
        ]
        out.append(
            (
                name,
                {
                    "n": len(records),
                    "right": mean(float(s.correct) for s, _ in scores),
                    "right_cited": mean(
                        float(s.correct and cites_release(a[2], r.gold_release_id))
                        for (s, a), r in zip(scores, answerable, strict=True)
                        if r.gold_release_id
                    ),
                    "em": mean(s.exact_match for s, _ in scores),
                    "f1": mean(s.f1 for s, _ in scores),
                    # Runs made before answers carried their key words have none to score.
                    "key_em": mean(k.exact_match for k in keys) if keyed else None,
                    "key_f1": mean(k.f1 for k in keys) if keyed else None,
                    "wrongly_refused": mean(float(not a[1]) for _, a in scores),
                    "refused_unanswerable": mean(float(not stage(r)[1]) for r in unanswerable),
                    "p50_s": percentile((_time(r, without) for r in records if not r.error), 50),
                },
            )
        )
    return out


def table(runs: Sequence[Path]) -> str:
    lines = [
        "| run | step | n | right % | right + cited % | EM % | F1 % | key EM % | key F1 % | wrongly refused % | "
        "unans. refused % | p50 s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        records = [QAResult.from_json(json.loads(line)) for line in (run / "results.jsonl").open() if line.strip()]
        staged = any(r.method for r in records)
        for name, m in score_rows(records, staged):
            lines.append(
                f"| {run.name} | {name} | {m['n']} | {_pct(m['right'])} | {_pct(m['right_cited'])} | {_pct(m['em'])} | "
                f"{_pct(m['f1'])} | {_pct(m['key_em'])} | {_pct(m['key_f1'])} | {_pct(m['wrongly_refused'])} | "
                f"{_pct(m['refused_unanswerable'])} | "
                f"{_seconds(m['p50_s'])} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table([Path(a) for a in sys.argv[1:]]))
