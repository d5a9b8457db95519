"""Asks each gold conversation turn by turn through Engine.ask, with the product's own earlier answers as
the history, and each later turn once more on its own in its standalone wording.

The records' `type` says which group a question is in, so the run's summary compares them by type:
"first turn", "follow-up" (asked in the conversation: rewritten, then searched and answered) and
"follow-up asked alone" (the standalone wording, no history). A follow-up's retrieval metrics are those of
the rewritten question (`extra.searched`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from eval.gold import GoldConversation
from eval.records import QAResult
from eval.run_qa import QAOptions, _running, evaluate_question
from eval.runner import run_items
from eval.store import ResultsWriter

FIRST, FOLLOW_UP, ALONE = "first turn", "follow-up", "follow-up asked alone"


def evaluate_conversation(engine: object, conversation: GoldConversation, options: QAOptions) -> list[QAResult]:
    records: list[QAResult] = []
    history: list[tuple[str, str]] = []
    for n, turn in enumerate(conversation.turns):
        record = evaluate_question(engine, turn, options, history)
        records.append(_grouped(record, FIRST if n == 0 else FOLLOW_UP, turn.type))
        history.append((turn.question, record.answer or ""))
        if n:
            alone = replace(turn, id=f"{turn.id}-alone", question=conversation.standalone[n])
            records.append(_grouped(evaluate_question(engine, alone, options), ALONE, turn.type))
    return records


def _grouped(record: QAResult, group: str, answer_type: str) -> QAResult:
    return replace(record, type=group, extra={**record.extra, "gold_type": answer_type})


def run_followups(
    engine: object,
    conversations: Sequence[GoldConversation],
    options: QAOptions,
    writer: ResultsWriter,
    progress: bool = True,
) -> tuple[list[QAResult], bool]:
    return run_items(
        conversations,
        lambda c: evaluate_conversation(engine, c, options),
        writer,
        _running,
        "eval followups",
        "conversation",
        progress,
    )
