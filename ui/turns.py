"""The chat's conversation: what the user asked for (a Request) and what came back (a Turn holding an Answer)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from qa.types import Answer

Kind = Literal["ask", "release", "topic", "timeline", "quotes", "mentions"]


@dataclass(frozen=True)
class Request:
    kind: Kind
    text: str  # the question, the topic, or the release id
    prompt: str  # what the chat shows as the user's message


@dataclass(frozen=True)
class Turn:
    """One exchange: the core's Answer (an answer or a summary), plus what only the chat needs.

    An error turn holds the message that says what went wrong as its answer's text; a stopped turn
    holds the text written before Stop, with nothing cited.
    """

    # "ask", "release" (summary of one release), "topic" (summary of a topic), "timeline", "quotes",
    # "mentions" or "error"
    kind: str
    prompt: str  # the user's words as shown in the chat
    answer: Answer
    stopped: bool = False

    @property
    def searched(self) -> str:
        """The standalone question retrieval used (after follow-up rewriting); only answers have one."""
        return self.answer.question if self.kind == "ask" else ""
