"""`pressqa eval compare A B`: the metrics of two runs side by side, with B − A."""

from __future__ import annotations

from typing import Any

from eval.provenance import cpu_label
from eval.records import RunSummary

# Settings that explain a difference; shown first when they differ.
_CONFIG_KEYS = ("gold", "index", "corpus", "model", "retrieval", "top_k", "length", "sample", "seed", "limit", "items")
# Metrics where smaller is better, so the delta column can say which way is an improvement.
_LOWER_IS_BETTER = ("latency", "wrongly_refused", "errors", "timing.")


def flatten(summary: RunSummary) -> dict[str, float]:
    """Numeric metrics as dotted names: overall.accuracy, by_type.when.hit@5, overall.latency_s.total.p50 ..."""
    flat: dict[str, float] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            flat[prefix] = float(value)

    for section in ("overall", "by_type", "timing"):
        walk(section, getattr(summary, section))
    return flat


def _fmt(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}" if value == int(value) and abs(value) >= 10 else f"{value:.4g}"


def _settings(summary: RunSummary) -> dict[str, str]:
    """The settings that explain a difference, and the CPU that made the run."""
    shown = {key: str(summary.config.get(key)) for key in _CONFIG_KEYS if key in summary.config}
    return shown | {"cpu": cpu_label(summary.machine)}


def compare(a: RunSummary, b: RunSummary, only_differences: bool = False) -> str:
    fa, fb = flatten(a), flatten(b)
    names = list(dict.fromkeys([*fa, *fb]))
    lines = []
    sa, sb = _settings(a), _settings(b)
    width = max((len(n) for n in names), default=10)
    lines.append(f"{'setting':<{width}}  {'A':>14}  {'B':>14}")
    for key in [*_CONFIG_KEYS, "cpu"]:
        if key in sa or key in sb:
            va, vb = sa.get(key, "None"), sb.get(key, "None")
            mark = "" if va == vb else "  *"
            if key != "cpu":  # paths: their ends tell them apart; a CPU label is read whole
                va, vb = _short(va), _short(vb)
            lines.append(f"{key:<{width}}  {va:>14}  {vb:>14}{mark}")
    if a.kind != b.kind:
        lines.append(f"warning: comparing a {a.kind} run with a {b.kind} run")
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


_TOPIC_HEADLINE = [
    ("release_coverage", "releases cited %"),
    ("fact_recall", "key facts %"),
    ("citation_precision", "cite prec %"),
    ("in_date_order", "in date order %"),
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


def results_table(runs: list[tuple[str, RunSummary]]) -> str:
    """One markdown table row per run (question runs, then summary runs, then topic runs): for the README."""
    out: list[str] = []
    for kind, columns in (("qa", _QA_HEADLINE), ("summaries", _SUMMARY_HEADLINE), ("topics", _TOPIC_HEADLINE)):
        chosen = [(name, s) for name, s in runs if s.kind == kind]
        if not chosen:
            continue
        header = ["run", "model", "retrieval" if kind == "qa" else "length", "n", *[label for _, label in columns]]
        header += ["total p50 s", "total p95 s", "run min", "CPU"]
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "---|" * len(header))
        for name, s in chosen:
            o, c = s.overall, s.config
            total = o.get("latency_s", {}).get("total", {})
            run_s = s.timing.get("run_s")
            setting = c.get("retrieval") if kind == "qa" else c.get("length")
            model = "(retrieval only)" if c.get("retrieval_only") else c.get("model") or "–"
            if c.get("int8"):
                model += " int8"
            row = [name, model, str(setting or "–"), str(o["n"])]
            row += [_cell(key, o.get(key)) for key, _ in columns]
            row += [_seconds(total.get("p50")), _seconds(total.get("p95"))]
            row += [f"{run_s / 60:.1f}" if run_s else "–", cpu_label(s.machine)]
            out.append("| " + " | ".join(row) + " |")
        out.append("")
    return "\n".join(out)
