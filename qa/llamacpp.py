"""The llama.cpp runtime: any .gguf model loaded as it is (no conversion), streamed greedily on the CPU.

llama-cpp-python is built from source with fixed AVX2/FMA/F16C kernels (see the Makefile): a
``-march=native`` build on the AMX Xeon segfaulted in batched prompt decoding, and the fixed set runs on
both the AVX2-only EPYC and the Xeon. On the Xeon that build decodes the 0.5B 2.4x as fast as transformers
bf16 but reads prompts 6-7x slower (no AMX kernels); see eval/runtime_compare.py.
"""

from __future__ import annotations

import codecs
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.gguf_file import gguf_path
from qa.guard import guarded
from qa.models import ModelError
from qa.runtime import MAX_CONTEXT, Messages, Runtime, physical_cores

if TYPE_CHECKING:
    from llama_cpp import Llama

logger = logging.getLogger(__name__)

# Tokens decoded per llama_decode call while reading the prompt; prompts here are 300-2500 tokens.
PROMPT_BATCH = 512


def available() -> bool:
    """Whether llama-cpp-python is installed and its shared library loads."""
    try:
        import llama_cpp  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def file_type_name(file_type: object) -> str:
    """A GGUF's general.file_type as llama.cpp names it ("Q4_K_M"), from llama_cpp's LLAMA_FTYPE_MOSTLY_*."""
    import llama_cpp

    try:
        wanted = int(str(file_type))
    except ValueError:
        return "GGUF"
    for name in dir(llama_cpp):
        if name.startswith("LLAMA_FTYPE_MOSTLY_") and getattr(llama_cpp, name) == wanted:
            return name.removeprefix("LLAMA_FTYPE_MOSTLY_")
    return "GGUF"


def _chat_formatter(llm: Llama, name: str) -> Any:
    """The GGUF's own chat template, rendered the way transformers renders it (same Jinja extensions)."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = llm.metadata.get("tokenizer.chat_template")
    if not template:
        raise ModelError(f"{name}: the GGUF has no chat template; use an instruct/chat model")

    def token_text(key: str) -> str:
        token_id = llm.metadata.get(key)
        return llm.detokenize([int(token_id)], special=True).decode("utf-8", "replace") if token_id else ""

    return Jinja2ChatFormatter(
        template,
        eos_token=token_text("tokenizer.ggml.eos_token_id"),
        bos_token=token_text("tokenizer.ggml.bos_token_id"),
        add_generation_prompt=True,
    )


class LlamaCppGenerator:
    """One GGUF model in llama.cpp. Thread-safe: generations on one instance run one at a time."""

    runtime: Runtime = "llama.cpp"

    def __init__(self, name: str, path: Path, llm: Llama, threads: int):
        import llama_cpp

        self.name = name
        self.path = path
        self.llm = llm
        self.threads = threads
        self._formatter = _chat_formatter(llm, name)
        self._vocab = llm._model.vocab
        self._is_eog = llama_cpp.llama_vocab_is_eog
        # A llama.cpp context holds one KV cache; two generations at once would overwrite each other's.
        self._lock = threading.Lock()

    @classmethod
    def load(cls, name_or_path: str, cache_dir: Path, threads: int | None = None) -> LlamaCppGenerator:
        """Load a registry model (its joined, sha256-checked GGUF) or a local .gguf file."""
        if not available():
            raise ModelError(
                "the llama.cpp runtime needs llama-cpp-python, which did not install or load: run `make setup` "
                "(or set PRESSQA_RUNTIME=transformers)"
            )
        from llama_cpp import Llama

        path = gguf_path(name_or_path, Path(cache_dir))
        threads = threads or physical_cores()
        start = time.perf_counter()
        llm = Llama(
            model_path=str(path),
            n_ctx=MAX_CONTEXT,
            n_batch=PROMPT_BATCH,
            n_threads=threads,
            n_threads_batch=threads,
            verbose=False,
        )
        generator = cls(name_or_path, path, llm, threads)
        logger.info("loaded %s in %.1f s", generator.describe(), time.perf_counter() - start)
        return generator

    def describe(self) -> str:
        quant = file_type_name(self.llm.metadata.get("general.file_type"))
        return f"{self.name} (llama.cpp, {quant}, {self.threads} threads)"

    def context_window(self) -> int:
        return int(min(self.llm._model.n_ctx_train(), self.llm.n_ctx(), MAX_CONTEXT))

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def _encode(self, messages: Messages) -> list[int]:
        prompt = self._formatter(messages=messages).prompt
        # The template writes any BOS itself, so none is added here; special=True reads <|im_start|> etc.
        # as the control tokens they are.
        return self.llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)

    def prompt_tokens(self, messages: Messages) -> int:
        return len(self._encode(messages))

    def stream(
        self,
        messages: Messages,
        max_new_tokens: int = 256,
        stop: threading.Event | None = None,
        budget_s: float | None = None,
    ) -> Iterator[str]:
        """Yield the answer's text pieces as they are decoded (greedy), until done, looping or out of budget.

        Each token is decoded only when the next piece is asked for, so setting ``stop`` or closing the
        iterator costs nothing more than the token already in hand. The lock is held from the first
        ``next()`` until the iterator finishes or is closed.
        """
        return guarded(self._decode(messages, max_new_tokens, stop), budget_s)

    def _decode(self, messages: Messages, max_new_tokens: int, stop: threading.Event | None) -> Iterator[str]:
        with self._lock:
            tokens = self._encode(messages)
            window = self.context_window()
            if len(tokens) >= window:
                raise ValueError(f"prompt is {len(tokens)} tokens; {self.name} accepts at most {window}")
            max_new_tokens = max(1, min(max_new_tokens, window - len(tokens)))
            # Read the whole prompt every time, as transformers does: reusing a cached prefix would make an
            # answer depend on what was asked before (batch sizes change the float rounding).
            self.llm.reset()
            # Bytes of a character split across tokens wait for the rest of it.
            decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
            tokens_out = self.llm.generate(
                tokens, temp=0.0, top_k=1, top_p=1.0, min_p=0.0, repeat_penalty=1.0, reset=True
            )
            try:
                for produced, token in enumerate(tokens_out, 1):
                    if self._is_eog(self._vocab, token):
                        break
                    piece = decoder.decode(self.llm.detokenize([token], special=False))
                    if piece:
                        yield piece
                    if produced >= max_new_tokens or (stop is not None and stop.is_set()):
                        break
                tail = decoder.decode(b"", final=True)
                if tail:
                    yield tail
            finally:
                tokens_out.close()

    def complete(self, messages: Messages, max_new_tokens: int = 256) -> str:
        return "".join(self.stream(messages, max_new_tokens=max_new_tokens))
