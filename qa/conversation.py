"""Follow-up questions: "and how much did he pay?" becomes a question that retrieval can answer alone."""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.generate import Generator
from qa.grounding import name_of, question_names
from qa.prompt import rewrite_messages

# Words that only make sense with the conversation before them.
_REFERRING = re.compile(
    r"\b(he|she|it|they|him|her|his|hers|its|their|them|this|that|these|those|there|then|the same|"
    r"the company|the man|the woman|the firm|the agency|the defendant|the case)\b|"
    r"^(and|but|also|what about|how about)\b",
    re.IGNORECASE,
)


def needs_rewrite(question: str, history: Sequence[tuple[str, str]]) -> bool:
    """A question in a conversation that is short, refers back, or names nobody and nothing ("What was the
    undercover operation called?": which operation is in the conversation)."""
    if not history:
        return False
    return len(question.split()) <= 4 or bool(_REFERRING.search(question)) or not question_names(question)


def standalone_question(question: str, history: Sequence[tuple[str, str]], generator: Generator) -> str:
    """The question rewritten with the conversation, or unchanged when it already stands alone."""
    if not needs_rewrite(question, history):
        return question
    rewritten = generator.complete(rewrite_messages(question, history), max_new_tokens=60).strip()
    rewritten = rewritten.splitlines()[0].strip().strip('"') if rewritten else ""
    # A small model sometimes answers instead of rewriting; a rewrite must still be a question.
    return rewritten if rewritten and len(rewritten) <= 400 and rewritten.endswith("?") else question


def with_context(question: str, history: Sequence[tuple[str, str]]) -> str:
    """A follow-up as it is searched and answered: the (rewritten) question, with the conversation's first
    question beside it in parentheses when it carries none of that question's names.

    The small model's rewrite often keeps the question as it was ("What about Boyd?", "What was the
    undercover operation called?"), and a follow-up that names only what its release also names ("How
    many overflows did EPA document?") is not rewritten at all; retrieval then looks for it among all the
    releases: 3 of the first 17 follow-ups of the dev set searched without their case. Beside the first
    question it finds the case, and the model reads what the short question leaves out.
    """
    if not history:
        return question
    first = history[0][0]
    if {name_of(m) for m in question_names(first)} & {name_of(m) for m in question_names(question)}:
        return question
    return f"{question} ({first})"
