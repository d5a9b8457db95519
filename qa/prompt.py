"""Prompt templates. Small models follow short, concrete instructions best, so these stay terse."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from qa.types import Passage

Message = dict[str, str]
SummaryLength = Literal["short", "bullets", "detailed"]

NOT_FOUND = "The releases do not say."

# Measured on the 0.5B model: passages first and the instruction right before the question works. A
# system prompt demanding a refusal marker made it refuse answerable questions, and asking it to cite
# made it answer with bare markers ("[1] [2]"); so it only answers, and qa.answer attributes the
# answer to the passage that states it.
ANSWER_SYSTEM = "You are a helpful assistant that answers questions about press releases."
ANSWER_INSTRUCTION = (
    "Answer the question in one sentence using only the passages above. "
    f'If they do not contain the answer, say "{NOT_FOUND}"'
)

REWRITE_SYSTEM = (
    "Rewrite the user's last question as a complete, standalone question, replacing pronouns and "
    "references with the names they refer to in the conversation. Reply with the question only."
)

SUMMARY_SYSTEM = (
    "You summarise press releases accurately. Use only facts from the text given: names, dates, "
    "amounts and numbers exactly as written. Do not add opinions or outside knowledge."
)

LENGTH_INSTRUCTIONS: dict[str, str] = {
    "short": "Write a summary of two or three sentences.",
    "bullets": "Write a summary as three to six bullet points, each starting with '- '.",
    "detailed": "Write a detailed summary of one or two paragraphs covering every main fact.",
}
LENGTH_TOKENS: dict[str, int] = {"short": 140, "bullets": 220, "detailed": 420}


def passage_heading(n: int, passage: Passage) -> str:
    when = f", {passage.date.isoformat()}" if passage.date else ""
    org = f", {passage.organisation}" if passage.organisation else ""
    return f"[{n}] {passage.title}{when}{org}"


def answer_messages(question: str, passages: Sequence[Passage]) -> list[Message]:
    blocks = "\n\n".join(
        f'Passage {i} from "{p.title}" ({p.date.isoformat() if p.date else "undated"}):\n{p.text}'
        for i, p in enumerate(passages, 1)
    )
    user = f"{blocks}\n\n{ANSWER_INSTRUCTION}\n\nQuestion: {question}"
    return [{"role": "system", "content": ANSWER_SYSTEM}, {"role": "user", "content": user}]


def rewrite_messages(question: str, history: Sequence[tuple[str, str]]) -> list[Message]:
    turns = "\n".join(f"User: {q}\nAssistant: {a}" for q, a in history[-3:])
    user = f"Conversation:\n{turns}\n\nLast question: {question}\n\nStandalone question:"
    return [{"role": "system", "content": REWRITE_SYSTEM}, {"role": "user", "content": user}]


def summary_messages(title: str, text: str, length: SummaryLength) -> list[Message]:
    user = f"Press release: {title}\n\n{text}\n\n{LENGTH_INSTRUCTIONS[length]}"
    return [{"role": "system", "content": SUMMARY_SYSTEM}, {"role": "user", "content": user}]


def section_notes_messages(title: str, part: int, parts: int, text: str) -> list[Message]:
    user = (
        f"Part {part} of {parts} of the press release '{title}':\n\n{text}\n\n"
        "List the key facts of this part as short bullet points starting with '- ' "
        "(who, what, when, where, amounts)."
    )
    return [{"role": "system", "content": SUMMARY_SYSTEM}, {"role": "user", "content": user}]


def combine_notes_messages(title: str, notes: Sequence[str], length: SummaryLength) -> list[Message]:
    joined = "\n".join(notes)
    user = (
        f"Key facts from all parts of the press release '{title}':\n\n{joined}\n\n"
        f"{LENGTH_INSTRUCTIONS[length]}"
    )
    return [{"role": "system", "content": SUMMARY_SYSTEM}, {"role": "user", "content": user}]


def topic_summary_messages(topic: str, sources: Sequence[tuple[Passage, str]], length: SummaryLength) -> list[Message]:
    """`sources`: one (representative passage, excerpt) per release, numbered in order."""
    blocks = "\n\n".join(f"{passage_heading(i, p)}\n{excerpt}" for i, (p, excerpt) in enumerate(sources, 1))
    user = (
        f"Numbered press releases about '{topic}':\n\n{blocks}\n\n"
        f"{LENGTH_INSTRUCTIONS[length]} Cover the releases together, and cite each fact's release by "
        "number, like [1]."
    )
    return [{"role": "system", "content": SUMMARY_SYSTEM}, {"role": "user", "content": user}]
