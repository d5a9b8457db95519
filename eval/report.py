"""report.md: a run's metrics, configuration, definitions and its worst items, for a person to read."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from eval.records import QAResult, RunSummary, SummaryResult, TopicResult


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


def _document(title: str, summary: RunSummary, sections: Sequence[tuple[str, str]], items_heading: str) -> list[str]:
    """The parts both reports share: title, configuration, the given sections, definitions, then the
    heading of the per-item list that follows."""
    gold = Path(summary.config.get("gold", "")).name
    parts = [f"# {title}: {gold}", "", _config_lines(summary.config, summary.timing)]
    definitions = "\n".join(f"- **{k}**: {v}" for k, v in summary.definitions.items())
    for heading, body in [*sections, ("Definitions", definitions)]:
        parts += ["", f"## {heading}", "", body]
    return [*parts, "", f"## {items_heading}", ""]


# ----------------------------------------------------------------------------------------------- QA


QA_COLUMNS = [
    ("n", "n", False),
    ("accuracy", "acc %", True),
    ("exact_match", "EM %", True),
    ("f1", "F1 %", True),
    ("key_exact_match", "key EM %", True),
    ("key_f1", "key F1 %", True),
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


def _failure_badness(r: QAResult) -> float:
    """Wrong answers with nothing right in them and no gold release retrieved first."""
    if r.error:
        return 3.0
    if r.retrieval_only:
        return 2.0 if r.gold_rank is None else 1.0 - 1.0 / r.gold_rank
    if not r.answerable:
        return 1.0
    retrieval_miss = 0.5 if r.gold_release_id and r.gold_rank is None else 0.0
    return 1.0 - (r.f1 or 0.0) + retrieval_miss + (0.25 if not r.found else 0.0)


def worst_failures(records: Sequence[QAResult], n: int = 10) -> list[QAResult]:
    """Wrong answers; in a retrieval-only run, questions whose gold release is not retrieved first."""
    failures = [
        r
        for r in records
        if r.error or (r.ok is False) or (r.retrieval_only and r.gold_release_id and r.gold_rank != 1)
    ]
    return sorted(failures, key=lambda r: (-_failure_badness(r), r.id))[:n]


def _failure_md(r: QAResult) -> list[str]:
    gold = " / ".join(r.gold_answers) if r.answerable else "(not answerable: should refuse)"
    answer = "(retrieval only)" if r.retrieval_only else " ".join((r.answer or "").split())[:600]
    retrieved = "; ".join(
        f"{i}. {(p.title or p.release_id)[:80]}{' ✔' if p.release_id == r.gold_release_id else ''}"
        for i, p in enumerate(r.retrieved[:5], 1)
    )
    parts = [
        f"### {r.id} ({r.type})",
        "",
        f"- **question**: {r.question}",
        f"- **gold**: {gold} (release {r.gold_release_id}, retrieved at rank {r.gold_rank or '–'})",
        f"- **answer**: {answer}",
        f"- **cited**: {', '.join(str(c.release_id) for c in r.citations) or '–'}",
        f"- **retrieved**: {retrieved or '–'}",
    ]
    return [*parts, *([f"- **error**: {r.error}"] if r.error else []), ""]


def qa_report_md(summary: RunSummary, records: Sequence[QAResult]) -> str:
    groups = [("all", summary.overall), *summary.by_type.items()]
    rows = [
        ["**all**" if i == 0 else name, *[_fmt(m.get(key), pct) for key, _, pct in QA_COLUMNS]]
        for i, (name, m) in enumerate(groups)
    ]
    steps = ("retrieve", "first_token", "total")
    lat_rows = [
        [name, *[_fmt(m["latency_s"][k][p], pct=False) for k in steps for p in ("p50", "p95")]] for name, m in groups
    ]
    latency_header = ["retrieve p50", "retrieve p95", "first token p50", "first token p95", "total p50", "total p95"]
    sections = [
        (
            "Quality (percentages; MRR and hit@k over answerable questions with a gold release)",
            _md_table(["type", *[label for _, label, _ in QA_COLUMNS]], rows),
        ),
        ("Latency (seconds)", _md_table(["type", *latency_header], lat_rows)),
    ]
    parts = _document("Question evaluation", summary, sections, "The 10 worst failures")
    failures = worst_failures(records)
    if not failures:
        parts.append("None: every question was answered correctly or rightly refused.")
    for r in failures:
        parts += _failure_md(r)
    return "\n".join(parts) + "\n"


# ----------------------------------------------------------------------------------------- summaries


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


def _weakness(r: SummaryResult) -> tuple[float, float]:
    if r.error:
        return (-1.0, -1.0)
    kfr = r.key_fact_recall if r.key_fact_recall is not None else 1.0
    return (kfr, r.rouge["rougeLsum"])


def _weak_summary_md(r: SummaryResult) -> list[str]:
    f = r.faithfulness
    unsupported = [*f.numbers_unsupported, *f.dates_unsupported, *f.names_unsupported] if f else []
    parts = [
        f"### {r.id}: {(r.title or '')[:100]}",
        "",
        f"- **key-fact recall**: {_fmt(r.key_fact_recall)} %; missing: {', '.join(r.missing_facts) or '–'}",
        f"- **ROUGE-Lsum**: {_fmt(r.rouge.get('rougeLsum'))}",
        f"- **not in the source**: {', '.join(unsupported) or '–'}",
        f"- **summary**: {' '.join((r.summary or '').split())[:800]}",
        f"- **reference**: {' '.join(r.reference.split())[:800]}",
    ]
    return [*parts, *([f"- **error**: {r.error}"] if r.error else []), ""]


def summary_report_md(summary: RunSummary, records: Sequence[SummaryResult]) -> str:
    o = summary.overall
    lat = o["latency_s"]
    sections = [
        (
            "Quality (ROUGE F-measures ×100), with the trivial baselines on the same releases",
            _md_table(
                ["summary", *(label for _, label, _ in SUMMARY_COLUMNS)],
                [
                    ["pressqa", *(_fmt(o.get(k), pct) for k, _, pct in SUMMARY_COLUMNS)],
                    *(
                        [name, *(_fmt(m.get(k), pct) for k, _, pct in SUMMARY_COLUMNS)]
                        for name, m in summary.by_type.items()
                    ),
                ],
            ),
        ),
        (
            "Latency (seconds)",
            _md_table(
                ["first token p50", "first token p95", "total p50", "total p95"],
                [[_fmt(lat[k][p], pct=False) for k in ("first_token", "total") for p in ("p50", "p95")]],
            ),
        ),
    ]
    parts = _document("Summary evaluation", summary, sections, "The 10 weakest summaries")
    for r in sorted(records, key=_weakness)[:10]:
        parts += _weak_summary_md(r)
    return "\n".join(parts) + "\n"


# ------------------------------------------------------------------------------------------- topics


TOPIC_COLUMNS = [
    ("n", "n", False),
    ("release_coverage", "releases cited %", True),
    ("shown_coverage", "releases shown %", True),
    ("fact_recall", "key facts %", True),
    ("citation_precision", "citation precision %", True),
    ("in_date_order", "stories in date order %", True),
]


def topic_report_md(summary: RunSummary, records: Sequence[TopicResult]) -> str:
    o = summary.overall
    lat = o["latency_s"]
    sections = [
        (
            "Quality",
            _md_table([label for _, label, _ in TOPIC_COLUMNS], [[_fmt(o.get(k), pct) for k, _, pct in TOPIC_COLUMNS]]),
        ),
        (
            "Latency (seconds)",
            _md_table(
                ["first token p50", "first token p95", "total p50", "total p95"],
                [[_fmt(lat[k][p], pct=False) for k in ("first_token", "total") for p in ("p50", "p95")]],
            ),
        ),
    ]
    parts = _document("Topic summary evaluation", summary, sections, "Every topic, weakest first")
    weakest = sorted(records, key=lambda r: (r.fact_recall or 0.0, r.release_coverage or 0.0, r.id))
    for r in weakest:
        missed = [rid for rid in r.gold_releases if rid not in r.cited]
        parts += [
            f"### {r.id}: {r.topic}",
            "",
            f"- **releases cited**: {_fmt(r.release_coverage)} % (not cited: {', '.join(missed) or '–'}); "
            f"shown: {', '.join(r.sources) or '–'}",
            f"- **key facts**: {_fmt(r.fact_recall)} %; missing: {', '.join(r.missing_facts) or '–'}",
            f"- **citation precision**: {_fmt(r.citation_precision)} %; date order: {r.in_date_order}",
            f"- **summary**: {' '.join((r.summary or '').split())[:1200]}",
            *([f"- **error**: {r.error}"] if r.error else []),
            "",
        ]
    return "\n".join(parts) + "\n"
