"""What the bench's answer rows time: a model in a runtime (``--models MODEL[@RUNTIME],...``), and the weight
bytes that model reads per decoded token, the denominator of its bandwidth limit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.choice import choose
from qa.runtime import Runtime, TextGenerator


@dataclass(frozen=True, slots=True)
class ModelRun:
    """One answer row: a model name (or path) and the runtime it runs in."""

    model: str
    runtime: Runtime

    def __str__(self) -> str:
        return f"{self.model}@{self.runtime}"


def parse_model_runs(models: str | Sequence[str | ModelRun], default_runtime: str) -> list[ModelRun]:
    """``"a,b@llama.cpp"`` (or a list of such entries) as ModelRuns; an entry without ``@`` runs in
    ``default_runtime`` (the settings'), and "auto" in either part is what qa.choice picks. The last ``@``
    splits, so a model path holding one needs an explicit runtime. A bad runtime or an empty model name
    raises ValueError (one line)."""
    entries = models.split(",") if isinstance(models, str) else list(models)
    runs: list[ModelRun] = []
    for entry in entries:
        if isinstance(entry, ModelRun):
            run = entry
        else:
            entry = entry.strip()
            if not entry:
                continue
            model, runtime = entry.rsplit("@", 1) if "@" in entry else (entry, default_runtime)
            if not model.strip():
                raise ValueError(f"--models entry {entry!r} names no model: use MODEL or MODEL@RUNTIME")
            try:
                chosen = choose(model.strip(), runtime.strip())  # "auto" in either part: what pressqa would pick
                run = ModelRun(chosen.model, chosen.runtime)
            except ValueError as exc:
                raise ValueError(f"--models entry {entry!r}: {exc}") from None
        if run not in runs:
            runs.append(run)
    return runs


def check_runnable(runs: Sequence[ModelRun]) -> None:
    """Refuse, before an hour of ingesting, a model that is neither packaged nor a local path, and llama.cpp
    rows without llama-cpp-python (ValueError, one line)."""
    from qa.llamacpp import available
    from qa.models import REGISTRY

    for run in runs:
        if run.runtime == "server":
            continue  # a model on a server: its first answer says whether the server is there
        if run.model not in REGISTRY and not Path(run.model).expanduser().exists():
            raise ValueError(f"--models: unknown model {run.model!r}: use one of {', '.join(REGISTRY)} or a local path")
        if run.runtime == "llama.cpp" and not available():
            raise ValueError(f"--models {run}: llama.cpp needs llama-cpp-python: run `make setup`")


def weight_bytes(generator: TextGenerator) -> tuple[int | None, str]:
    """The bytes of weights one decoded token reads, and what was counted, the same way in both runtimes.

    A token reads every weight once except the input embedding table, of which it reads one row, unless that
    table is also the output projection (tied embeddings), which reads it whole for the token's logits. So
    the input table is left out where the model has a separate output matrix and counted where it is tied.
    The packaged GGUFs store both (the 0.5B: token_embd Q5_0 94 MB and output Q8_0 145 MB of its 491 MB
    file), and the transformers conversion keeps them apart too, so counting the input table would overstate
    the 0.5B's reads by about a fifth.

    llama.cpp: the GGUF's tensor bytes (its quantised sizes; the file's metadata and vocabulary left out).
    transformers: numel * element_size of the loaded model's parameters, each tensor once (int8 Linear
    layers by their packed int8 weights and float biases, their scales left out).
    """
    from qa.generate import Generator
    from qa.llamacpp import LlamaCppGenerator

    if isinstance(generator, LlamaCppGenerator):
        return gguf_weight_bytes(generator.path), "GGUF tensors, input embeddings only if tied"
    if isinstance(generator, Generator):
        return torch_weight_bytes(generator.model), "torch parameters, input embeddings only if tied"
    if generator.runtime == "server":
        return None, "on a server: its weights are not read here"
    return None, "unknown runtime"


def gguf_weight_bytes(path: Path) -> int:
    """Bytes of a GGUF's tensors as stored, less token_embd where a separate output matrix exists.

    Reading the header parses the whole vocabulary in Python: about 7 s for the 0.5B, outside any timing."""
    from gguf import GGUFReader

    tensors = {t.name: int(t.n_bytes) for t in GGUFReader(path).tensors}
    if "output.weight" in tensors:
        tensors.pop("token_embd.weight", None)
    return sum(tensors.values())


def torch_weight_bytes(model: Any) -> int:
    """numel * element_size of a transformers model's parameters and dynamic-int8 Linear weights, each once;
    the input embedding table only where it is also the output projection."""
    import torch
    from torch.ao.nn.quantized.dynamic import Linear as Int8Linear

    assert isinstance(model, torch.nn.Module)
    tensors = {id(p): p for p in model.parameters()}  # parameters() yields a tied tensor once
    for module in model.modules():
        if isinstance(module, Int8Linear):  # quantize_dynamic keeps these out of parameters()
            for tensor in (module.weight(), module.bias()):
                if tensor is not None:
                    tensors[id(tensor)] = tensor
    inputs, outputs = model.get_input_embeddings(), model.get_output_embeddings()
    if inputs is not None and (outputs is None or outputs.weight is not inputs.weight):
        tensors.pop(id(inputs.weight), None)
    return sum(t.numel() * t.element_size() for t in tensors.values())
