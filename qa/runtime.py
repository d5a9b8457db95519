"""The seam between the question-answering code and whatever runs the language model.

Everything above it (answers, summaries, question rewriting, the benchmark) only streams text from a list
of chat messages and counts tokens, so the model can run in transformers (qa.generate.Generator) or in
llama.cpp (qa.llamacpp.LlamaCppGenerator) behind the same calls. Both decode greedily, format the messages
with the model's own chat template, stop within one token of ``stop`` being set, of the text looping or of
the time budget running out (qa.guard), and hold a per-model lock while a generation runs (one model
instance cannot decode two prompts at once).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Literal, Protocol, get_args, runtime_checkable

Runtime = Literal["transformers", "llama.cpp", "server"]
RUNTIMES: tuple[str, ...] = get_args(Runtime)
# The runtimes that load a model into this process; "server" is chosen by the model's name alone
# (openai:http://HOST:PORT/v1#MODEL, qa/server_model.py), never set on its own.
LOCAL_RUNTIMES: tuple[str, ...] = ("transformers", "llama.cpp")
DEFAULT_RUNTIME: Runtime = "transformers"

# Prompt + answer budget. Qwen2.5 accepts 32k tokens, but on a CPU prefill cost and KV-cache memory grow
# with length, and retrieval never needs more than a few thousand tokens of context.
MAX_CONTEXT = 8192

Messages = list[dict[str, str]]


@runtime_checkable
class TextGenerator(Protocol):
    """One loaded chat model, whichever runtime holds it."""

    name: str  # the registry name or path it was loaded as
    runtime: Runtime

    def stream(
        self,
        messages: Messages,
        max_new_tokens: int = 256,
        stop: threading.Event | None = None,
        budget_s: float | None = None,
    ) -> Iterator[str]:
        """Yield the answer's text pieces as they are decoded; ``stop`` (or closing the iterator) ends it, and
        so do a loop and ``budget_s`` seconds passing (qa.guard)."""
        ...

    def complete(self, messages: Messages, max_new_tokens: int = 256) -> str: ...

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` takes on its own, without special tokens."""
        ...

    def prompt_tokens(self, messages: Messages) -> int:
        """Tokens the chat-formatted prompt takes (what counts against context_window())."""
        ...

    def context_window(self) -> int: ...

    def describe(self) -> str:
        """One line for logs and result files, e.g. ``qwen2.5-0.5b (llama.cpp, Q8_0, 2 threads)``."""
        ...


def check_runtime(runtime: str) -> Runtime:
    """A runtime that loads a model here; ValueError (one line) for any other."""
    if runtime == "server":
        raise ValueError("the server runtime comes with a server model: name it openai:http://HOST:PORT/v1#MODEL")
    if runtime not in LOCAL_RUNTIMES:
        raise ValueError(f"unknown runtime {runtime!r}: use one of {', '.join(LOCAL_RUNTIMES)}")
    return runtime  # type: ignore[return-value]


def physical_cores() -> int:
    """Threads a runtime gets when Settings.threads is None: one per physical core.

    Decoding is memory-bound and a second hyperthread on the same core only contends for it.
    """
    import psutil

    return psutil.cpu_count(logical=False) or os.cpu_count() or 1
