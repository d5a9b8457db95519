"""From a question and retrieved passages to a streamed, cited answer (or a plain "not in these releases")."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from qa.draft import build_answer, is_refusal, not_found_text
from qa.generate import Generator
from qa.grounding import missing_names
from qa.prompt import answer_messages
from qa.question_types import answer_type
from qa.reader import ReaderSteps, instruction_for, read_answer
from qa.types import Answer, Passage

__all__ = ["AnswerStream", "ReadyAnswerStream", "build_answer", "is_refusal", "not_found_text"]


@dataclass
class AnswerStream:
    """Iterate for text pieces as they are generated; `answer` holds the final Answer once iteration ends.

    The final text may differ from the streamed pieces (`raw`): a refusal is reworded and a missing
    citation marker is added. Interfaces show the pieces as they arrive, then replace them with
    `answer.text`.

    `generator` is called for the model on the first token to generate, so an answer that needs none
    (nothing retrieved, or names the passages never mention) loads none.
    """

    question: str
    passages: Sequence[Passage]
    generator: Callable[[], Generator] | None
    max_new_tokens: int
    stop: threading.Event | None = None
    timings: dict[str, float] | None = None
    budget_s: float | None = None  # Settings.generation_budget_s, through the Engine
    steps: ReaderSteps = field(default_factory=ReaderSteps)
    answer: Answer | None = None
    raw: str = ""

    def __iter__(self) -> Iterator[str]:
        timings = dict(self.timings or {})
        started = time.perf_counter()
        kind = answer_type(self.question)
        if not self.passages or self.generator is None:
            yield self._refused(kind, timings)
            return
        if missing := missing_names(self.question, self.passages):
            # Passages about someone else: a small model would answer from them anyway.
            yield self._refused(kind, timings, missing)
            return
        loading = time.perf_counter()
        generator = self.generator()
        started += time.perf_counter() - loading  # first_token and generate time the answer, not the loading
        raw = ""
        messages = answer_messages(self.question, self.passages, instruction=instruction_for(kind, self.steps))
        for piece in generator.stream(messages, self.max_new_tokens, self.stop, self.budget_s):
            if not raw:
                timings["first_token"] = time.perf_counter() - started
            raw += piece
            yield piece
        timings["generate"] = time.perf_counter() - started
        self.raw = raw
        stopped = self.stop is not None and self.stop.is_set()
        complete = None if stopped else (lambda m, n: generator.complete(m, max_new_tokens=n))
        self.answer = read_answer(self.question, kind, raw, self.passages, timings, self.steps, complete)

    def _refused(self, kind: str, timings: dict[str, float], missing: Sequence[str] = ()) -> str:
        text = not_found_text(self.question, missing)
        self.answer = Answer(text, False, (), tuple(self.passages), self.question, timings, kind, "refused")
        return text


@dataclass
class ReadyAnswerStream:
    """An answer made without the model (read from the quotes kept at ingest, or counted), in the shape of
    AnswerStream: the whole text at once, no model to load (`generator` None)."""

    question: str
    answer: Answer
    generator: None = None
    raw: str = ""

    @property
    def passages(self) -> tuple[Passage, ...]:
        return self.answer.passages

    def __iter__(self) -> Iterator[str]:
        yield self.answer.text
