"""Follow-up questions: "and how much did he pay?" becomes a question that retrieval can answer alone."""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.generate import Generator
from qa.prompt import rewrite_messages

# Words that only make sense with the conversation before them.
_REFERRING = re.compile(
    r"\b(he|she|it|they|him|her|his|hers|its|their|them|this|that|these|those|there|then|the same|"
    r"the company|the man|the woman|the firm|the agency|the defendant|the case)\b|"
    r"^(and|but|also|what about|how about)\b",
    re.IGNORECASE,
)


def needs_rewrite(question: str, history: Sequence[tuple[str, str]]) -> bool:
    return bool(history) and (len(question.split()) <= 4 or bool(_REFERRING.search(question)))


def standalone_question(question: str, history: Sequence[tuple[str, str]], generator: Generator) -> str:
    """The question rewritten with the conversation, or unchanged when it already stands alone."""
    if not needs_rewrite(question, history):
        return question
    rewritten = generator.complete(rewrite_messages(question, history), max_new_tokens=60).strip()
    rewritten = rewritten.splitlines()[0].strip().strip('"') if rewritten else ""
    # A small model sometimes answers instead of rewriting; a rewrite must still be a question.
    if not rewritten or len(rewritten) > 400 or not rewritten.endswith("?"):
        return f"{question} ({history[-1][0]})"
    return rewritten
