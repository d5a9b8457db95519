"""Which model and runtime answer when the settings say "auto": the best the machine can serve in budget.

Quality first: on the DOJ dev set (full index) the packaged 1.5B in llama.cpp is right and cited for 75.0%
of the answerable questions, the 0.5B in transformers for 51.5%. The budget is an interactive answer on a
2-core CPU, measured in one bench run per CPU (README, Speed). The 1.5B in llama.cpp answers in 13.0 s
p50 on the AMX Xeon and reads its Q4_K_M weights as they are. The 1.5B in transformers takes 42 s on the
AVX2 EPYC, out of budget. On the Xeon it answers in 10.6 s, but decodes a third as fast (summaries take
3x as long) and first converts 1.1 GB of GGUF into 3.1 GB of bf16. So: the 1.5B in llama.cpp where
llama-cpp-python loads and memory allows, else the 0.5B (in llama.cpp where it loads, else transformers).

A model or runtime set explicitly is kept as given; only "auto" parts are chosen. The choice is plain
data and costs no model load, so the CLI and the web app print it at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qa.models import REGISTRY, available_models
from qa.runtime import Runtime, check_runtime, physical_cores
from qa.server_model import describe_server_model, is_server_model

AUTO = "auto"
# By answer quality, best first (DOJ dev, right and cited: 1.5B 75.0% in llama.cpp, 0.5B 51.5%).
QUALITY_ORDER = ("qwen2.5-1.5b", "qwen2.5-0.5b")
# Models whose answer time in transformers stays within the budget on every 2-core CPU measured.
TRANSFORMERS_IN_BUDGET = ("qwen2.5-0.5b",)
# llama.cpp maps the GGUF and holds a KV cache of MAX_CONTEXT tokens (~100 MB for the 1.5B) besides it;
# 1.5x the file leaves room for both and the rest of the process.
MEMORY_FACTOR = 1.5


@dataclass(frozen=True)
class ModelChoice:
    model: str  # a registry name or a local path
    runtime: Runtime
    reason: str  # why, in a few words, for the start-up line

    def describe(self, threads: int | None = None) -> str:
        """``qwen2.5-1.5b (llama.cpp, Q4_K_M, 2 threads)``: what answers, before anything loads; a model on a
        server as ServerGenerator.describe() names it, without asking the server anything."""
        if self.runtime == "server":
            return describe_server_model(self.model)
        spec = REGISTRY.get(self.model)
        parts = [self.runtime]
        if self.runtime == "llama.cpp" and spec is not None:
            parts.append(spec.quant)
        parts.append(f"{threads or physical_cores()} threads")
        return f"{self.model} ({', '.join(parts)})"


def llama_cpp_available() -> bool:
    from qa.llamacpp import available

    return available()


def _available_memory() -> int:
    import psutil

    return int(psutil.virtual_memory().available)


def _fits_in_memory(model: str) -> bool:
    spec = REGISTRY[model]
    return spec.size is None or spec.size * MEMORY_FACTOR <= _available_memory()


def runtime_for(model: str, runtime: str = AUTO, quantize: bool = False) -> tuple[Runtime, str]:
    """The runtime for ``model`` (set or "auto") and why: llama.cpp for GGUF models where it is installed."""
    if is_server_model(model):
        return "server", "set"  # the model names its server: nothing to choose
    if runtime != AUTO:
        return check_runtime(runtime), "set"
    path = Path(model).expanduser()
    if model not in REGISTRY and path.is_dir():
        return "transformers", "a Hugging Face folder"
    if quantize:
        return "transformers", "PRESSQA_QUANTIZE is a transformers option"
    if llama_cpp_available():
        return "llama.cpp", "llama.cpp installed"
    return "transformers", "llama.cpp not installed"


def choose(model: str = AUTO, runtime: str = AUTO, quantize: bool = False) -> ModelChoice:
    """What answers for these settings; "auto" parts are chosen, the others kept."""
    if model != AUTO:
        chosen, why = runtime_for(model, runtime, quantize)
        return ModelChoice(model, chosen, "as set" if why == "set" else why)
    installed = set(available_models())
    chosen, why = runtime_for(QUALITY_ORDER[0], runtime, quantize)
    skipped: list[str] = []
    for name in QUALITY_ORDER:
        if chosen == "transformers" and name not in TRANSFORMERS_IN_BUDGET:
            skipped.append(f"{name} is too slow in transformers ({why})")
        elif name not in installed:
            skipped.append(f"{name} is not installed")
        elif not _fits_in_memory(name):
            skipped.append(f"{name} needs more free memory")
        else:
            return ModelChoice(name, chosen, "; ".join(skipped) or "the best packaged model")
    # Nothing installed fits: the small model, whose load will say what is missing.
    return ModelChoice(QUALITY_ORDER[-1], chosen, "; ".join(skipped))
