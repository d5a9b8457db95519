"""The PNG plots of a run: accuracy (or hit@5) by question type, latency histograms, summary scores."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from eval.metrics import ROUGE_TYPES
from eval.records import ItemResult, RunSummary, SummaryResult


def pyplot():
    """matplotlib.pyplot on the Agg backend (imported only when a plot is made)."""
    import matplotlib

    matplotlib.use("Agg")  # no display on a server; must precede pyplot
    import matplotlib.pyplot as plt

    return plt


def plot_accuracy_by_type(summary: RunSummary, path: Path) -> None:
    plt = pyplot()
    groups = [("all", summary.overall), *summary.by_type.items()]
    names = [f"{name}\n(n={m['n']})" for name, m in groups]
    retrieval_only = bool(summary.config.get("retrieval_only"))
    if retrieval_only:
        values = [100 * (m["hit@5"] or 0) for _, m in groups]
    else:
        # Unanswerable types have no accuracy: their bar is the share rightly refused (overall_correct).
        values = [100 * (m["accuracy"] if m["accuracy"] is not None else m["overall_correct"] or 0) for _, m in groups]
    fig, ax = plt.subplots(figsize=(max(5, 1.1 * len(groups)), 4))
    bars = ax.bar(names, values, color=["#444"] + ["#4a7bb7"] * (len(groups) - 1))
    ax.bar_label(bars, fmt="%.0f")
    ax.set_ylim(0, 112)
    config = summary.config
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


def plot_latency(records: Sequence[ItemResult], path: Path, keys: Sequence[str]) -> None:
    plt = pyplot()
    import numpy as np

    fig, ax = plt.subplots(figsize=(6, 4))
    series = {key: [r.latency[key] for r in records if r.latency.get(key) is not None] for key in keys}
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


def plot_summary_scores(records: Sequence[SummaryResult], path: Path) -> None:
    plt = pyplot()
    ok = [r for r in records if not r.error]
    series = {name: [100 * r.rouge[name] for r in ok] for name in ROUGE_TYPES}
    kfr = [100 * r.key_fact_recall for r in ok if r.key_fact_recall is not None]
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
