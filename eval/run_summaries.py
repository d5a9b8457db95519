"""Summarises every gold release through Engine.summarize_release and scores the summary.

Only the release id goes in (the release text comes from the index, as for a user); key facts and the
reference are used afterwards, to score. The id is checked against the index first because
summarize_release falls back to a title search, which would quietly summarise some other release.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from eval.gold import GoldSummary
from eval.metrics import faithfulness, key_fact_recall, rouge, word_count
from eval.report import Record, ResultsWriter, run_items


@dataclass(frozen=True)
class SummaryOptions:
    model: str | None = None
    length: str = "short"  # short | bullets | detailed, as `pressqa summarize --length`


def evaluate_summary(engine: Any, item: GoldSummary, options: SummaryOptions) -> Record:
    record: Record = {"id": item.id, "release_id": item.release_id, "reference": item.reference}
    release = engine.index.release(item.release_id)
    if release is None:
        record.update(error=f"release {item.release_id} is not in the index", summary=None)
        return record
    record["title"] = release.title
    record["source_words"] = len(release.text.split())
    try:
        t0 = time.perf_counter()
        stream = engine.summarize_release(item.release_id, options.length, model=options.model)  # type: ignore[arg-type]
        first_piece: float | None = None
        for _ in stream:
            if first_piece is None:
                first_piece = time.perf_counter() - t0
        total = time.perf_counter() - t0
        summary = stream.summary.text
    except Exception as exc:  # one broken item must not end a long run; it is reported as an error
        record.update(error=f"{type(exc).__name__}: {exc}", summary=None)
        return record
    faith = faithfulness(summary, release.text)
    record.update(
        summary=summary,
        key_facts=list(item.key_facts),
        # Checked against the release text, which results.jsonl does not keep: not re-scored by `eval report`.
        faithfulness={
            **asdict(faith),
            "numbers_supported": faith.numbers_supported,
            "dates_supported": faith.dates_supported,
            "names_supported": faith.names_supported,
        },
        latency={"first_token": round(first_piece if first_piece is not None else total, 4), "total": round(total, 4)},
        engine_timings={k: round(v, 4) for k, v in stream.summary.timings.items()},
        error=None,
    )
    return score_record(record)


def score_record(record: Record) -> Record:
    """Key facts, ROUGE and length from the summary and the gold kept in the record (re-scorable)."""
    if record.get("error"):
        return record
    summary = record["summary"]
    recall, missing = key_fact_recall(summary, record["key_facts"])
    record.update(
        key_fact_recall=None if recall is None else round(recall, 4),
        missing_facts=missing,
        rouge={k: round(v, 4) for k, v in rouge(summary, record["reference"]).items()},
        words=word_count(summary),
        reference_words=word_count(record["reference"]),
    )
    return record


def run_summaries(
    engine: Any, items: Sequence[GoldSummary], options: SummaryOptions, writer: ResultsWriter, progress: bool = True
) -> tuple[list[Record], bool]:
    return run_items(
        items,
        lambda item: evaluate_summary(engine, item, options),
        writer,
        _running,
        "eval summaries",
        "summary",
        progress,
    )


def _running(records: Sequence[Record]) -> str:
    """The progress bar's running scores."""
    done = [r for r in records if not r.get("error")]
    recalls = [r["key_fact_recall"] for r in done if r["key_fact_recall"] is not None]
    rl = sum(r["rouge"]["rougeLsum"] for r in done) / len(done) if done else 0.0
    facts = f"facts {100 * sum(recalls) / len(recalls):.0f}% " if recalls else ""
    return f"{facts}R-Lsum {100 * rl:.1f} errors {len(records) - len(done)}"
