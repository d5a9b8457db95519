"""Loading a chat model once and streaming greedy answers from it on the CPU."""

from __future__ import annotations

import copy
import logging
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from embeddings import hardware
from qa.guard import guarded
from qa.models import REGISTRY, ModelError, resolve_model
from qa.runtime import DEFAULT_RUNTIME, MAX_CONTEXT, Runtime, TextGenerator, check_runtime

if TYPE_CHECKING:
    import torch
    from transformers import GenerationConfig, PreTrainedModel, PreTrainedTokenizerBase

__all__ = ["MAX_CONTEXT", "Generator", "TextGenerator", "Weights", "choose_weights", "get_generator"]

logger = logging.getLogger(__name__)

# End-of-turn tokens of common chat formats; only those present in a tokenizer's vocabulary are used.
_END_TOKENS = ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end|>", "<end_of_turn>")


def best_dtype() -> torch.dtype:
    """bfloat16 where the CPU computes in it natively (AVX512-BF16 or AMX), float32 elsewhere.

    Without it (AVX2-only machines) torch emulates bfloat16 matmuls. Measured on a 2-core AVX2 EPYC with
    Qwen2.5-0.5B: prompt processing 3-4x slower than float32, per-token decoding no faster. So float32
    wins there despite twice the memory; the cache stays bfloat16 on disk and is upcast while loading.
    """
    import torch

    return torch.bfloat16 if hardware.cpu().native_bf16 else torch.float32


@dataclass(frozen=True, slots=True)
class Weights:
    """How the answer model's weights are held in memory: a dtype, and whether the MLP is int8."""

    dtype: torch.dtype
    int8_mlp: bool = False

    def describe(self) -> str:
        return "float32, int8 MLP weights" if self.int8_mlp else str(self.dtype)


def choose_weights(dtype: torch.dtype | None = None, quantize: bool = False) -> Weights:
    """The one place the answer model's weights are chosen; ``dtype`` None picks the CPU's fastest.

    ``quantize`` means the same on every CPU: float32 weights with int8 MLP gate/up projections (see
    quantize_linear_layers), because torch's int8 kernels take float32 activations. So it also loads in
    float32 where the CPU would otherwise get bfloat16, and a caller asking for another dtype with it is
    refused rather than silently given something else.
    """
    import torch

    if not quantize:
        return Weights(dtype or best_dtype())
    if dtype is not None and dtype != torch.float32:
        raise ModelError(
            f"quantize=True loads the model in float32 with int8 MLP weights; it cannot be combined with {dtype}"
        )
    return Weights(torch.float32, int8_mlp=True)


def _set_threads(threads: int | None) -> None:
    if threads:
        import torch

        # Process-wide in torch: the last caller's value wins for every model.
        torch.set_num_threads(threads)


# Linear layers worth quantising: the MLP's gate and up projections hold half the weights, and their
# inputs have no large activation outliers. Quantising the attention, down projections or lm_head too
# (per-tensor or per-channel) halved the 0.5B model's accuracy on DOJ dev questions.
QUANTIZED_LAYERS = ("mlp.gate_proj", "mlp.up_proj")


def quantize_linear_layers(model: PreTrainedModel) -> PreTrainedModel:
    """Int8 per-channel weights (dynamic activation scaling) for the QUANTIZED_LAYERS of a float32 model.

    CPU decoding is memory-bound: each token reads every weight once, so smaller weights decode faster.
    Measured with Qwen2.5-0.5B on the 80 DOJ dev questions (2-core AVX2 CPU): first token 6.8 -> 5.7 s,
    whole answer 11.4 -> 9.7 s p50, 44 -> 41 of 68 answers right. torch.ao's dynamic quantisation is deprecated
    in favour of torchao, whose int8 CPU kernels need torch.compile; torch is pinned, so it stays usable.
    """
    import torch

    quant = torch.ao.quantization
    spec = {
        name: quant.per_channel_dynamic_qconfig
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and name.endswith(QUANTIZED_LAYERS)
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        return quant.quantize_dynamic(model, spec, dtype=torch.qint8)


def _stop_criterion(events: tuple[threading.Event, ...]) -> Any:
    from transformers import StoppingCriteria, StoppingCriteriaList

    class EventStop(StoppingCriteria):
        """Checked after every token, so a stop request costs at most one decoding step."""

        def __call__(self, input_ids: torch.LongTensor, scores: Any, **kwargs: Any) -> torch.BoolTensor:
            import torch

            halt = any(e.is_set() for e in events)
            return torch.full((input_ids.shape[0],), halt, dtype=torch.bool, device=input_ids.device)

    return StoppingCriteriaList([EventStop()])


class PromptTooLongError(ValueError):
    """The prompt leaves the model no room to answer (it fills the context window)."""


class Generator:
    """One loaded model + tokenizer in transformers. Thread-safe: generations on one instance run one at a time."""

    runtime: Runtime = "transformers"

    def __init__(
        self,
        name: str,
        path: Path,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        weights: Weights | None = None,
    ):
        self.name = name
        self.path = path
        self.model = model
        self.tokenizer = tokenizer
        self.weights = weights
        self.generation_config = self._clean_generation_config()
        # A single model instance is not safe to run concurrently (shared KV-cache machinery), and on a
        # 2-core CPU two generations at once would each run at half speed anyway.
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls, name_or_path: str, cache_dir: Path, weights: Weights | None = None, threads: int | None = None
    ) -> Generator:
        """Load a registry model or local model directory with ``weights`` (None: choose_weights())."""
        from transformers import AutoModelForCausalLM, AutoTokenizer

        weights = weights or choose_weights()
        _set_threads(threads)
        path = resolve_model(name_or_path, Path(cache_dir))
        start = time.perf_counter()
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        if not getattr(tokenizer, "chat_template", None):
            raise ModelError(f"{name_or_path}: tokenizer has no chat template; use an instruct/chat model")
        model = AutoModelForCausalLM.from_pretrained(
            path,
            dtype=weights.dtype,
            # sdpa: measured ~20% faster prompt processing than "eager" attention here.
            attn_implementation="sdpa",
            local_files_only=True,
        )
        model.eval()
        if weights.int8_mlp:
            model = quantize_linear_layers(model)
        logger.info(
            "loaded %s from %s (%s) in %.1f s", name_or_path, path, weights.describe(), time.perf_counter() - start
        )
        return cls(name_or_path, path, model, tokenizer, weights)

    def describe(self) -> str:
        import torch

        weights = self.weights.describe() if self.weights else str(self.model.dtype)
        return f"{self.name} (transformers, {weights.removeprefix('torch.')}, {torch.get_num_threads()} threads)"

    def _clean_generation_config(self) -> GenerationConfig:
        """Greedy decoding with nothing else set, so transformers has no flag combination to warn about."""
        from transformers import GenerationConfig

        eos: list[int] = []
        model_eos = getattr(self.model.generation_config, "eos_token_id", None)
        for value in (model_eos, self.tokenizer.eos_token_id):
            for token_id in value if isinstance(value, list) else [value]:
                if isinstance(token_id, int) and token_id not in eos:
                    eos.append(token_id)
        vocab = self.tokenizer.get_vocab()
        for token in _END_TOKENS:
            if token in vocab and vocab[token] not in eos:
                eos.append(vocab[token])
        pad = self.tokenizer.pad_token_id
        if pad is None:
            pad = eos[0] if eos else None
        return GenerationConfig(
            do_sample=False,
            # No repetition penalty: HF applies it to prompt tokens too, which would push the model away
            # from quoting the retrieved passages verbatim, and quoting them is the point.
            eos_token_id=eos or None,
            pad_token_id=pad,
            bos_token_id=getattr(self.model.generation_config, "bos_token_id", None),
            use_cache=True,
        )

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def prompt_tokens(self, messages: list[dict[str, str]]) -> int:
        """Tokens the chat-formatted prompt takes (what counts against context_window())."""
        return int(self._encode(messages)["input_ids"].shape[1])

    def context_window(self) -> int:
        config = self.model.config
        declared = getattr(config, "max_position_embeddings", None) or getattr(
            self.tokenizer, "model_max_length", MAX_CONTEXT
        )
        return int(min(declared, MAX_CONTEXT))

    def _encode(self, messages: list[dict[str, str]]) -> Any:
        return self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )

    def stream(
        self,
        messages: list[dict[str, str]],
        max_new_tokens: int = 256,
        stop: threading.Event | None = None,
        budget_s: float | None = None,
    ) -> Iterator[str]:
        """Yield the answer's text pieces as they are decoded (greedy), until done, looping or out of budget.

        Setting ``stop`` (or closing the iterator) ends generation after the current token. The model's
        lock is held from the first ``next()`` until the iterator finishes or is closed.
        """
        return guarded(self._decode(messages, max_new_tokens, stop), budget_s)

    def _decode(
        self, messages: list[dict[str, str]], max_new_tokens: int, stop: threading.Event | None
    ) -> Iterator[str]:
        import torch
        from transformers import TextIteratorStreamer

        with self._lock:
            inputs = self._encode(messages)
            prompt_len = int(inputs["input_ids"].shape[1])
            window = self.context_window()
            if prompt_len >= window:
                raise PromptTooLongError(f"prompt is {prompt_len} tokens; {self.name} accepts at most {window}")
            max_new_tokens = max(1, min(max_new_tokens, window - prompt_len))
            streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
            # Internal event so that a consumer abandoning the iterator also stops the worker.
            halt = threading.Event()
            events = (halt, stop) if stop is not None else (halt,)
            errors: list[BaseException] = []
            # A per-call copy: passing max_new_tokens next to generation_config is deprecated (and warns).
            config = copy.deepcopy(self.generation_config)
            config.max_new_tokens = max_new_tokens

            def work() -> None:
                try:
                    # inference_mode is thread-local, hence entered in the worker itself.
                    with torch.inference_mode():
                        self.model.generate(
                            **inputs,
                            generation_config=config,
                            streamer=streamer,
                            stopping_criteria=_stop_criterion(events),
                        )
                except BaseException as exc:  # re-raised in the consumer's thread below
                    errors.append(exc)
                    streamer.end()  # unblock the consumer, which would otherwise wait forever

            worker = threading.Thread(target=work, name=f"generate-{self.name}", daemon=True)
            worker.start()
            try:
                for piece in streamer:
                    if piece:
                        yield piece
                    if stop is not None and stop.is_set():
                        break
            finally:
                halt.set()
                worker.join()
            if errors:
                raise errors[0]

    def complete(self, messages: list[dict[str, str]], max_new_tokens: int = 256) -> str:
        return "".join(self.stream(messages, max_new_tokens=max_new_tokens))


_generators: dict[str, TextGenerator] = {}
_load_locks: dict[str, threading.Lock] = {}
_registry_lock = threading.Lock()


def _model_key(name_or_path: str, weights: Weights | None) -> str:
    """``weights`` None: the model in llama.cpp."""
    name = name_or_path if name_or_path in REGISTRY else str(Path(name_or_path).expanduser().resolve())
    if weights is None:
        return f"{name} (llama.cpp)"
    return f"{name} (int8)" if weights.int8_mlp else name


def _load(
    name_or_path: str, cache_dir: Path, threads: int | None, runtime: Runtime, weights: Weights | None
) -> TextGenerator:
    if runtime == "llama.cpp":
        from qa.llamacpp import LlamaCppGenerator

        return LlamaCppGenerator.load(name_or_path, cache_dir, threads)
    return Generator.load(name_or_path, cache_dir, weights, threads)


def get_generator(
    name_or_path: str,
    cache_dir: Path,
    threads: int | None = None,
    dtype: torch.dtype | None = None,
    quantize: bool = False,
    runtime: str = DEFAULT_RUNTIME,
) -> TextGenerator:
    """The process-wide generator for a model in a runtime, loading it on first use (each is loaded once).

    ``dtype`` and ``quantize`` go through choose_weights() and only matter for transformers and the first
    load; llama.cpp runs the GGUF's own quantisation and refuses them rather than ignoring them. Its thread
    count is fixed when it loads (None: one per physical core).
    """
    runtime = check_runtime(runtime)
    if runtime == "llama.cpp":
        if dtype is not None or quantize:
            raise ModelError(
                "dtype and quantize apply to the transformers runtime; llama.cpp runs the GGUF's own quantisation"
            )
        weights = None
    else:
        weights = choose_weights(dtype, quantize)
    key = _model_key(name_or_path, weights)
    with _registry_lock:
        generator = _generators.get(key)
        if generator is None:
            lock = _load_locks.setdefault(key, threading.Lock())
    if generator is not None:
        if runtime == "transformers":
            _set_threads(threads)
        return generator
    # Per-model lock: concurrent first requests wait for one load, while other models can load meanwhile.
    with lock:
        with _registry_lock:
            generator = _generators.get(key)
        if generator is None:
            generator = _load(name_or_path, cache_dir, threads, runtime, weights)
            with _registry_lock:
                _generators[key] = generator
    return generator
