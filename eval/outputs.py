"""What a run leaves in --out besides results.jsonl (written item by item): summary.json, report.md, plots.

summary.json holds every metric, the run's configuration, the commit and the machine, so two runs can be
compared (`pressqa eval compare`) and committed under eval/results/ as a baseline for later changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from eval.aggregate import summarize
from eval.plots import plot_accuracy_by_type, plot_latency, plot_summary_scores
from eval.provenance import git_state
from eval.records import ItemResult, QAResult, RunSummary, SummaryResult, TopicResult
from eval.report import qa_report_md, summary_report_md, topic_report_md
from eval.scoring import score_question, score_summary, score_topic
from eval.store import ResultsWriter, load_summary, read_results, write_summary


def write_outputs(out: Path, summary: RunSummary, records: Sequence[ItemResult]) -> list[Path]:
    """summary.json, report.md and the plots (results.jsonl is already written, item by item)."""
    out.mkdir(parents=True, exist_ok=True)
    write_summary(out / "summary.json", summary)
    written = [out / "summary.json", out / "report.md"]
    if summary.kind == "qa":
        questions = [r for r in records if isinstance(r, QAResult)]
        (out / "report.md").write_text(qa_report_md(summary, questions), encoding="utf-8")
        plot_accuracy_by_type(summary, out / "accuracy_by_type.png")
        plot_latency(records, out / "latency.png", ("retrieve", "first_token", "total"))
        written += [out / "accuracy_by_type.png", out / "latency.png"]
    elif summary.kind == "topics":
        topics = [r for r in records if isinstance(r, TopicResult)]
        (out / "report.md").write_text(topic_report_md(summary, topics), encoding="utf-8")
        plot_latency(records, out / "latency.png", ("first_token", "total"))
        written += [out / "latency.png"]
    else:
        summaries = [r for r in records if isinstance(r, SummaryResult)]
        (out / "report.md").write_text(summary_report_md(summary, summaries), encoding="utf-8")
        plot_summary_scores(summaries, out / "scores.png")
        plot_latency(records, out / "latency.png", ("first_token", "total"))
        written += [out / "scores.png", out / "latency.png"]
    return written


def rebuild(out: Path) -> list[Path]:
    """Re-score results.jsonl with the current metrics and write summary.json, report.md and plots again:
    after a kill, or after a metric fix. Answers are not asked again; summary faithfulness is kept as it
    was (it needs the source text). The configuration, timings, commit and machine come from the old
    summary.json: they describe the run that made the answers.
    """
    records = read_results(out / "results.jsonl")
    old = load_summary(out) if (out / "summary.json").exists() else None
    config = {**(old.config if old else {}), "items": len(records), "rebuilt_from_results": True}
    timing = old.timing if old else {}
    git = (old.git if old else None) or git_state()
    machine = old.machine if old else None
    first = records[0] if records else None
    kind = (
        old.kind
        if old
        else ("qa" if isinstance(first, QAResult) else "topics" if isinstance(first, TopicResult) else "summaries")
    )
    rescored = [
        score_question(r)
        if isinstance(r, QAResult)
        else score_topic(r)
        if isinstance(r, TopicResult)
        else score_summary(r)
        for r in records
    ]
    summary = summarize(kind, rescored, config, timing, git=git, machine=machine)
    # Re-scored records replace the old lines, so results.jsonl and summary.json agree.
    with ResultsWriter(out / "results.jsonl") as writer:
        for record in rescored:
            writer.write(record)
    return write_outputs(out, summary, rescored)
