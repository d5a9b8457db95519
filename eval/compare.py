"""`pressqa eval compare A B`: the metrics of two runs side by side, with B − A."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# Settings that explain a difference; shown first when they differ.
_CONFIG_KEYS = ("gold", "index", "corpus", "model", "retrieval", "top_k", "length", "sample", "seed", "limit", "items")
# Metrics where smaller is better, so the delta column can say which way is an improvement.
_LOWER_IS_BETTER = ("latency", "wrongly_refused", "errors", "timing.")


def load_summary(path: Path) -> dict[str, Any]:
    path = Path(path)
    if path.is_dir():
        path = path / "summary.json"
    if not path.exists():
        raise FileNotFoundError(f"no summary.json at {path}")
    return json.loads(path.read_text(encoding="utf-8"))


def flatten(summary: dict[str, Any]) -> dict[str, float]:
    """Numeric metrics as dotted names: overall.accuracy, by_type.when.hit@5, overall.latency_s.total.p50 ..."""
    flat: dict[str, float] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            flat[prefix] = float(value)

    for section in ("overall", "by_type", "timing"):
        walk(section, summary.get(section, {}))
    return flat


def _fmt(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}" if value == int(value) and abs(value) >= 10 else f"{value:.4g}"


def compare(a: dict[str, Any], b: dict[str, Any], only_differences: bool = False) -> str:
    fa, fb = flatten(a), flatten(b)
    names = list(dict.fromkeys([*fa, *fb]))
    lines = []
    ca, cb = a.get("config", {}), b.get("config", {})
    width = max((len(n) for n in names), default=10)
    lines.append(f"{'setting':<{width}}  {'A':>14}  {'B':>14}")
    for key in _CONFIG_KEYS:
        if key in ca or key in cb:
            va, vb = str(ca.get(key)), str(cb.get(key))
            mark = "" if va == vb else "  *"
            lines.append(f"{key:<{width}}  {_short(va):>14}  {_short(vb):>14}{mark}")
    if a.get("kind") != b.get("kind"):
        lines.append(f"warning: comparing a {a.get('kind')} run with a {b.get('kind')} run")
    lines.append("")
    lines.append(f"{'metric':<{width}}  {'A':>14}  {'B':>14}  {'B − A':>10}")
    for name in names:
        va, vb = fa.get(name), fb.get(name)
        if only_differences and va == vb:
            continue
        delta = "" if va is None or vb is None else f"{vb - va:+.4g}"
        better = ""
        if va is not None and vb is not None and vb != va and not name.endswith((".n", ".answerable", ".unanswerable")):
            lower = any(tag in name for tag in _LOWER_IS_BETTER)
            better = "  ▲" if (vb > va) != lower else "  ▼"
        lines.append(f"{name:<{width}}  {_fmt(va):>14}  {_fmt(vb):>14}  {delta:>10}{better}")
    lines.append("")
    lines.append("▲ B better, ▼ B worse (latency, refusals of answerable questions and errors: lower is better)")
    return "\n".join(lines)


def _short(value: str, width: int = 14) -> str:
    return value if len(value) <= width else "…" + value[-(width - 1) :]


_QA_HEADLINE = [
    ("accuracy", "acc %"),
    ("f1", "F1 %"),
    ("hit@1", "hit@1 %"),
    ("hit@10", "hit@10 %"),
    ("mrr@10", "MRR"),
    ("citation_precision", "cite prec %"),
    ("correct_and_cited", "right + cited %"),
    ("refused_unanswerable", "refused unans. %"),
    ("wrongly_refused", "wrongly refused %"),
]
_SUMMARY_HEADLINE = [
    ("key_fact_recall", "key facts %"),
    ("rouge1", "R-1"),
    ("rouge2", "R-2"),
    ("rougeLsum", "R-Lsum"),
    ("faithful_numbers", "numbers in src %"),
    ("faithful_names", "names in src %"),
    ("words_mean", "words"),
]


def _cell(key: str, value: Any) -> str:
    if value is None:
        return "–"
    if key == "mrr@10":
        return f"{value:.3f}"
    if key.startswith("words"):
        return f"{value:.0f}"
    return f"{100 * value:.1f}"


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.2f}" if value < 1 else f"{value:.1f}"


def results_table(runs: list[tuple[str, dict[str, Any]]]) -> str:
    """One markdown table row per run (question runs, then summary runs): for the README."""
    out: list[str] = []
    for kind, columns in (("qa", _QA_HEADLINE), ("summaries", _SUMMARY_HEADLINE)):
        chosen = [(name, s) for name, s in runs if s.get("kind") == kind]
        if not chosen:
            continue
        header = ["run", "model", "retrieval" if kind == "qa" else "length", "n", *[label for _, label in columns]]
        header += ["total p50 s", "total p95 s", "run min"]
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "---|" * len(header))
        for name, s in chosen:
            o, c = s["overall"], s["config"]
            total = o.get("latency_s", {}).get("total", {})
            run_s = s.get("timing", {}).get("run_s")
            setting = c.get("retrieval") if kind == "qa" else c.get("length")
            model = "(retrieval only)" if c.get("retrieval_only") else c.get("model") or "–"
            if c.get("int8"):
                model += " int8"
            row = [name, model, str(setting or "–"), str(o["n"])]
            row += [_cell(key, o.get(key)) for key, _ in columns]
            row += [_seconds(total.get("p50")), _seconds(total.get("p95"))]
            row += [f"{run_s / 60:.1f}" if run_s else "–"]
            out.append("| " + " | ".join(row) + " |")
        out.append("")
    return "\n".join(out)
