"""What a run leaves in --out: results.jsonl (written as it goes), summary.json, report.md and PNG plots.

summary.json holds every metric and the run's configuration, so two runs can be compared
(`pressqa eval compare`) and committed under eval/results/ as a baseline for later changes.
"""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from eval.metrics import ROUGE_L_NOTE, ROUGE_TYPES, hit_at, mean, percentile, reciprocal_rank

HIT_KS = (1, 3, 5, 10)
REPO = Path(__file__).resolve().parents[1]
Record = dict[str, Any]


class ResultsWriter:
    """results.jsonl, one line per item, flushed per line: a long run can be watched with `tail -f`,
    and an interrupted one keeps every finished item."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file: TextIO = path.open("w", encoding="utf-8")

    def write(self, record: Record) -> None:
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def run_items(
    items: Sequence[Any],
    evaluate: Callable[[Any], Record],
    writer: ResultsWriter,
    running: Callable[[Sequence[Record]], str],
    desc: str,
    unit: str,
    progress: bool = True,
) -> tuple[list[Record], bool]:
    """Evaluates every item, writing each record as it finishes; Ctrl-C ends the run with what is done.

    Returns the records and whether the run was interrupted. `running` gives the progress bar's scores.
    """
    records: list[Record] = []
    bar = tqdm(items, desc=desc, unit=unit, disable=not progress, dynamic_ncols=True)
    try:
        for item in bar:
            record = evaluate(item)
            writer.write(record)
            records.append(record)
            bar.set_postfix_str(running(records))
    except KeyboardInterrupt:
        return records, True
    finally:
        bar.close()
    return records, False


def read_results(path: Path) -> list[Record]:
    with Path(path).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def git_state() -> dict[str, Any]:
    """The commit the run measured, and whether the working tree differed from it (read-only git calls)."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _latency(records: Sequence[Record], key: str) -> dict[str, float | None]:
    values = [r["latency"].get(key) for r in records if r.get("latency")]
    return {"p50": _r(percentile(values, 50), 3), "p95": _r(percentile(values, 95), 3), "mean": _r(mean(values), 3)}


# ----------------------------------------------------------------------------------------------- QA


def qa_group_metrics(records: Sequence[Record]) -> dict[str, Any]:
    """Every question metric over a group of per-question records (the whole set, or one type)."""
    answerable = [r for r in records if r["answerable"]]
    unanswerable = [r for r in records if not r["answerable"]]
    # Retrieval-only records have no answer: they count for hit@k and MRR only.
    generated = [r for r in records if not r.get("retrieval_only")]
    gen_answerable = [r for r in generated if r["answerable"]]
    gen_unanswerable = [r for r in generated if not r["answerable"]]
    with_gold_release = [r for r in answerable if r.get("gold_release_id") is not None]
    answered = [r for r in gen_answerable if r["found"]]
    ranks = [r.get("gold_rank") for r in with_gold_release]
    out: dict[str, Any] = {
        "n": len(records),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "errors": sum(1 for r in records if r.get("error")),
        # Headline: an acceptable answer contained in the answer after normalisation (answerable only).
        "accuracy": _r(mean(float(r["correct"]) for r in gen_answerable)),
        "exact_match": _r(mean(r["exact_match"] for r in gen_answerable)),
        "f1": _r(mean(r["f1"] for r in gen_answerable)),
        # Right answers plus right refusals, over every question.
        "overall_correct": _r(mean(float(r["ok"]) for r in generated)),
    }
    for k in HIT_KS:
        out[f"hit@{k}"] = _r(mean(hit_at(rank, k) for rank in ranks))
    out["mrr@10"] = _r(mean(reciprocal_rank(rank, 10) for rank in ranks))
    out["citation_precision"] = _r(mean(float(r["cites_gold"]) for r in answered if r.get("gold_release_id")))
    # Issue-level headline: right answer and the right release cited, over answerable questions.
    out["correct_and_cited"] = _r(
        mean(float(r["correct"] and r["cites_gold"]) for r in gen_answerable if r.get("gold_release_id"))
    )
    out["refused_unanswerable"] = _r(mean(float(not r["found"]) for r in gen_unanswerable))
    out["wrongly_refused"] = _r(mean(float(not r["found"]) for r in gen_answerable))
    out["latency_s"] = {k: _latency(records, k) for k in ("retrieve", "first_token", "total")}
    return out


def summarize_qa(
    records: Sequence[Record], config: dict[str, Any], timing: dict[str, Any], git: dict[str, Any] | None = None
) -> dict[str, Any]:
    by_type: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        by_type[r["type"]].append(r)
    return {
        "kind": "qa",
        "config": config,
        "git": git or git_state(),  # the code that produced the answers, not a later re-scoring
        "timing": timing,
        "overall": qa_group_metrics(records),
        "by_type": {t: qa_group_metrics(rs) for t, rs in sorted(by_type.items())},
        "definitions": QA_DEFINITIONS,
    }


QA_DEFINITIONS = {
    "accuracy": "answerable questions whose answer contains an acceptable gold answer after normalisation "
    "(case, punctuation, articles, whitespace; numbers as digits; dates compared as dates; see eval/normalize.py)",
    "exact_match/f1": "SQuAD v1.1 EM and token F1 against the best acceptable answer, citation markers removed",
    "overall_correct": "answerable answered correctly or unanswerable refused, over all questions",
    "hit@k/mrr@10": "rank of the first of the top 10 retrieved passages whose release is the gold release "
    "(a separate Retriever.search(question, max(10, top_k)) with the same retrieval settings)",
    "citation_precision": "answered answerable questions whose citations include the gold release",
    "correct_and_cited": "answerable questions (with a gold release) answered correctly and citing the gold release",
    "refused_unanswerable": "unanswerable questions answered 'not in the releases' (Answer.found false)",
    "wrongly_refused": "answerable questions answered 'not in the releases'",
    "latency_s": "retrieve: Engine.ask's retrieval; first_token: from calling ask to the first streamed piece; "
    "total: the whole answer, wall clock, model already loaded",
}


def _failure_badness(r: Record) -> float:
    """Wrong answers with nothing right in them and no gold release retrieved first."""
    if r.get("error"):
        return 3.0
    if r.get("retrieval_only"):
        return 2.0 if r.get("gold_rank") is None else 1.0 - 1.0 / r["gold_rank"]
    if not r["answerable"]:
        return 1.0
    retrieval_miss = 0.5 if r.get("gold_release_id") and r.get("gold_rank") is None else 0.0
    return 1.0 - r["f1"] + retrieval_miss + (0.25 if not r["found"] else 0.0)


def worst_failures(records: Sequence[Record], n: int = 10) -> list[Record]:
    """Wrong answers; in a retrieval-only run, questions whose gold release is not retrieved first."""
    failures = [
        r
        for r in records
        if r.get("error")
        or (r.get("ok") is False)
        or (r.get("retrieval_only") and r.get("gold_release_id") and r.get("gold_rank") != 1)
    ]
    return sorted(failures, key=lambda r: (-_failure_badness(r), r["id"]))[:n]


def _fmt(value: Any, pct: bool | str = True) -> str:
    """pct True: a share shown as a percentage; a format string: as given; False: 3 significant digits."""
    if value is None:
        return "–"
    if isinstance(pct, str) and isinstance(value, int | float):
        return format(value, pct)
    if isinstance(value, float) and pct:
        return f"{100 * value:.1f}"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _config_lines(config: dict[str, Any], timing: dict[str, Any]) -> str:
    shown = {**config, **{f"{k}": v for k, v in timing.items()}}
    return "\n".join(f"- **{k}**: `{v}`" for k, v in shown.items() if v is not None)


QA_COLUMNS = [
    ("n", "n", False),
    ("accuracy", "acc %", True),
    ("exact_match", "EM %", True),
    ("f1", "F1 %", True),
    ("hit@1", "hit@1 %", True),
    ("hit@3", "hit@3 %", True),
    ("hit@5", "hit@5 %", True),
    ("hit@10", "hit@10 %", True),
    ("mrr@10", "MRR", ".3f"),
    ("citation_precision", "cite prec %", True),
    ("correct_and_cited", "right + cited %", True),
    ("refused_unanswerable", "refused unans. %", True),
    ("wrongly_refused", "wrongly refused %", True),
]


def qa_report_md(summary: dict[str, Any], records: Sequence[Record]) -> str:
    rows = []
    for name, m in [("**all**", summary["overall"]), *summary["by_type"].items()]:
        rows.append([name, *[_fmt(m.get(key), pct) for key, _, pct in QA_COLUMNS]])
    lat_rows = []
    for name, m in [("all", summary["overall"]), *summary["by_type"].items()]:
        lat = m["latency_s"]
        lat_rows.append(
            [name, *[_fmt(lat[k][p], pct=False) for k in ("retrieve", "first_token", "total") for p in ("p50", "p95")]]
        )
    parts = [
        f"# Question evaluation: {Path(summary['config'].get('gold', '')).name}",
        "",
        _config_lines(summary["config"], summary["timing"]),
        "",
        "## Quality (percentages; MRR and hit@k over answerable questions with a gold release)",
        "",
        _md_table(["type", *[label for _, label, _ in QA_COLUMNS]], rows),
        "",
        "## Latency (seconds)",
        "",
        _md_table(
            ["type", "retrieve p50", "retrieve p95", "first token p50", "first token p95", "total p50", "total p95"],
            lat_rows,
        ),
        "",
        "## Definitions",
        "",
        *[f"- **{k}**: {v}" for k, v in QA_DEFINITIONS.items()],
        "",
        "## The 10 worst failures",
        "",
    ]
    failures = worst_failures(records)
    if not failures:
        parts.append("None: every question was answered correctly or rightly refused.")
    for r in failures:
        gold = " / ".join(r["gold_answers"]) if r["answerable"] else "(not answerable: should refuse)"
        answer = "(retrieval only)" if r.get("retrieval_only") else " ".join((r.get("answer") or "").split())[:600]
        retrieved = "; ".join(
            f"{i}. {p.get('title', p['release_id'])[:80]}{' ✔' if p['release_id'] == r.get('gold_release_id') else ''}"
            for i, p in enumerate(r.get("retrieved", [])[:5], 1)
        )
        parts += [
            f"### {r['id']} ({r['type']})",
            "",
            f"- **question**: {r['question']}",
            f"- **gold**: {gold} (release {r.get('gold_release_id')}, retrieved at rank {r.get('gold_rank') or '–'})",
            f"- **answer**: {answer}",
            f"- **cited**: {', '.join(str(c['release_id']) for c in r.get('citations', [])) or '–'}",
            f"- **retrieved**: {retrieved or '–'}",
        ]
        if r.get("error"):
            parts.append(f"- **error**: {r['error']}")
        parts.append("")
    return "\n".join(parts) + "\n"


# ----------------------------------------------------------------------------------------- summaries


def summarize_summaries(
    records: Sequence[Record], config: dict[str, Any], timing: dict[str, Any], git: dict[str, Any] | None = None
) -> dict[str, Any]:
    ok = [r for r in records if not r.get("error")]

    def share(kind: str) -> float | None:
        total = sum(len(r["faithfulness"][kind]) for r in ok)
        bad = sum(len(r["faithfulness"][f"{kind}_unsupported"]) for r in ok)
        return _r(1 - bad / total) if total else None

    total_claims = sum(len(r["faithfulness"][k]) for r in ok for k in ("numbers", "dates", "names"))
    unsupported = sum(len(r["faithfulness"][f"{k}_unsupported"]) for r in ok for k in ("numbers", "dates", "names"))
    words = [r["words"] for r in ok]
    overall = {
        "n": len(records),
        "errors": len(records) - len(ok),
        "with_key_facts": sum(1 for r in ok if r["key_fact_recall"] is not None),
        "key_fact_recall": _r(mean(r["key_fact_recall"] for r in ok)),
        **{name: _r(mean(r["rouge"][name] for r in ok)) for name in ROUGE_TYPES},
        "faithful_numbers": share("numbers"),
        "faithful_dates": share("dates"),
        "faithful_names": share("names"),
        "faithful_all": _r(1 - unsupported / total_claims) if total_claims else None,
        "words_mean": _r(mean(words), 1),
        "words_p50": _r(percentile(words, 50), 1),
        "reference_words_mean": _r(mean(r["reference_words"] for r in ok), 1),
        "latency_s": {k: _latency(ok, k) for k in ("first_token", "total")},
    }
    return {
        "kind": "summaries",
        "config": config,
        "git": git or git_state(),  # the code that produced the answers, not a later re-scoring
        "timing": timing,
        "overall": overall,
        "by_type": {},
        "definitions": SUMMARY_DEFINITIONS,
    }


SUMMARY_DEFINITIONS = {
    "key_fact_recall": "mean share of gold key facts contained in the summary after normalisation (gold sets with "
    "key facts only; CNN/DailyMail has none)",
    "rouge": f"F-measure against the reference; {ROUGE_L_NOTE}; both texts split into sentences first",
    "faithful_*": "share of the numbers / dates / capitalised names in all summaries that occur in the source "
    "release (normalised values; a name counts when it or each of its words occurs)",
    "latency_s": "first_token: from asking to the first streamed piece (includes map-reduce notes for long "
    "releases); total: the whole summary, wall clock, model already loaded",
}

SUMMARY_COLUMNS = [
    ("n", "n", False),
    ("key_fact_recall", "key facts %", True),
    ("rouge1", "ROUGE-1", True),
    ("rouge2", "ROUGE-2", True),
    ("rougeLsum", "ROUGE-Lsum", True),
    ("faithful_numbers", "numbers in source %", True),
    ("faithful_dates", "dates in source %", True),
    ("faithful_names", "names in source %", True),
    ("words_mean", "words", False),
]


def summary_report_md(summary: dict[str, Any], records: Sequence[Record]) -> str:
    o = summary["overall"]
    lat = o["latency_s"]
    parts = [
        f"# Summary evaluation: {Path(summary['config'].get('gold', '')).name}",
        "",
        _config_lines(summary["config"], summary["timing"]),
        "",
        "## Quality (ROUGE F-measures ×100)",
        "",
        _md_table([label for _, label, _ in SUMMARY_COLUMNS], [[_fmt(o.get(k), pct) for k, _, pct in SUMMARY_COLUMNS]]),
        "",
        "## Latency (seconds)",
        "",
        _md_table(
            ["first token p50", "first token p95", "total p50", "total p95"],
            [[_fmt(lat[k][p], pct=False) for k in ("first_token", "total") for p in ("p50", "p95")]],
        ),
        "",
        "## Definitions",
        "",
        *[f"- **{k}**: {v}" for k, v in SUMMARY_DEFINITIONS.items()],
        "",
        "## The 10 weakest summaries",
        "",
    ]

    def weakness(r: Record) -> tuple[float, float]:
        if r.get("error"):
            return (-1.0, -1.0)
        kfr = r["key_fact_recall"] if r["key_fact_recall"] is not None else 1.0
        return (kfr, r["rouge"]["rougeLsum"])

    for r in sorted(records, key=weakness)[:10]:
        f = r.get("faithfulness") or {}
        missing = ", ".join(r.get("missing_facts", [])) or "–"
        unsupported = [
            *f.get("numbers_unsupported", []),
            *f.get("dates_unsupported", []),
            *f.get("names_unsupported", []),
        ]
        parts += [
            f"### {r['id']}: {r.get('title', '')[:100]}",
            "",
            f"- **key-fact recall**: {_fmt(r.get('key_fact_recall'))} %; missing: {missing}",
            f"- **ROUGE-Lsum**: {_fmt((r.get('rouge') or {}).get('rougeLsum'))}",
            f"- **not in the source**: {', '.join(unsupported) or '–'}",
            f"- **summary**: {' '.join((r.get('summary') or '').split())[:800]}",
            f"- **reference**: {' '.join(r.get('reference', '').split())[:800]}",
        ]
        if r.get("error"):
            parts.append(f"- **error**: {r['error']}")
        parts.append("")
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------------------------------------- plots


def _plt():
    import matplotlib

    matplotlib.use("Agg")  # no display on a server; must precede pyplot
    import matplotlib.pyplot as plt

    return plt


def plot_accuracy_by_type(summary: dict[str, Any], path: Path) -> None:
    plt = _plt()
    groups = [("all", summary["overall"]), *summary["by_type"].items()]
    names = [f"{name}\n(n={m['n']})" for name, m in groups]
    retrieval_only = bool(summary["config"].get("retrieval_only"))
    if retrieval_only:
        values = [100 * (m["hit@5"] or 0) for _, m in groups]
    else:
        # Unanswerable types have no accuracy: their bar is the share rightly refused (overall_correct).
        values = [100 * (m["accuracy"] if m["accuracy"] is not None else m["overall_correct"] or 0) for _, m in groups]
    fig, ax = plt.subplots(figsize=(max(5, 1.1 * len(groups)), 4))
    bars = ax.bar(names, values, color=["#444"] + ["#4a7bb7"] * (len(groups) - 1))
    ax.bar_label(bars, fmt="%.0f")
    ax.set_ylim(0, 112)
    config = summary["config"]
    if retrieval_only:
        ax.set_ylabel("% gold release in the top 5 passages")
        ax.set_title(f"Retrieval hit@5 by type\n{config.get('retrieval')} retrieval", fontsize=10)
    else:
        ax.set_ylabel("% correct (unanswerable: % refused)")
        title = f"Answer accuracy by type\n{config.get('model')}, {config.get('retrieval')} retrieval"
        ax.set_title(title, fontsize=10)
    ax.tick_params(axis="x", labelsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_latency(records: Sequence[Record], path: Path, keys: Sequence[str]) -> None:
    plt = _plt()
    import numpy as np

    fig, ax = plt.subplots(figsize=(6, 4))
    series = {
        key: [r["latency"][key] for r in records if r.get("latency") and r["latency"].get(key) is not None]
        for key in keys
    }
    top = max((max(v) for v in series.values() if v), default=1.0)
    # One set of bins for every series, so their bars have the same width and can be compared.
    bins = np.linspace(0, top * 1.02, min(40, max(8, len(records) // 2)) + 1)
    for key, values in series.items():
        if values:
            ax.hist(values, bins=bins, alpha=0.6, label=key.replace("_", " "))
    ax.set_xlabel("seconds")
    ax.set_ylabel("items")
    ax.set_title("Latency")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_summary_scores(records: Sequence[Record], path: Path) -> None:
    plt = _plt()
    ok = [r for r in records if not r.get("error")]
    series = {name: [100 * r["rouge"][name] for r in ok] for name in ROUGE_TYPES}
    kfr = [100 * r["key_fact_recall"] for r in ok if r["key_fact_recall"] is not None]
    if kfr:
        series["key facts"] = kfr
    fig, ax = plt.subplots(figsize=(6, 4))
    if ok:
        ax.boxplot(list(series.values()), tick_labels=list(series.keys()))
    ax.set_ylabel("score ×100")
    ax.set_title("Summary scores per item")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ----------------------------------------------------------------------------------------------- all


def write_outputs(out: Path, summary: dict[str, Any], records: Sequence[Record]) -> list[Path]:
    """summary.json, report.md and the plots (results.jsonl is already written, item by item)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    written = [out / "summary.json", out / "report.md"]
    if summary["kind"] == "qa":
        (out / "report.md").write_text(qa_report_md(summary, records), encoding="utf-8")
        plot_accuracy_by_type(summary, out / "accuracy_by_type.png")
        plot_latency(records, out / "latency.png", ("retrieve", "first_token", "total"))
        written += [out / "accuracy_by_type.png", out / "latency.png"]
    else:
        (out / "report.md").write_text(summary_report_md(summary, records), encoding="utf-8")
        plot_summary_scores(records, out / "scores.png")
        plot_latency(records, out / "latency.png", ("first_token", "total"))
        written += [out / "scores.png", out / "latency.png"]
    return written


def rebuild(out: Path) -> list[Path]:
    """Re-score results.jsonl with the current metrics and write summary.json, report.md and plots again:
    after a kill, or after a metric fix. Answers are not asked again; summary faithfulness is kept as it
    was (it needs the source text). The configuration and timings come from the old summary.json.
    """
    from eval import run_qa, run_summaries

    records = read_results(out / "results.jsonl")
    old_path = out / "summary.json"
    old = json.loads(old_path.read_text(encoding="utf-8")) if old_path.exists() else {}
    config = {**old.get("config", {}), "items": len(records), "rebuilt_from_results": True}
    timing = old.get("timing", {})
    kind = old.get("kind") or ("qa" if records and "question" in records[0] else "summaries")
    if kind == "qa":
        records = [run_qa.score_record(r) for r in records]
        summary = summarize_qa(records, config, timing, old.get("git"))
    else:
        records = [run_summaries.score_record(r) for r in records]
        summary = summarize_summaries(records, config, timing, old.get("git"))
    # Re-scored records replace the old lines, so results.jsonl and summary.json agree.
    with ResultsWriter(out / "results.jsonl") as writer:
        for record in records:
            writer.write(record)
    return write_outputs(out, summary, records)
