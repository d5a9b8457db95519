"""The int8 ONNX version of a sentence-transformers model: the export, its quantisation and its cache.

The transformer, its pooling and normalisation are traced into one ONNX graph, whose weight matrices are
then quantised to int8 (dynamic, per channel). Building it takes about half a minute, so it is made once
into a cache folder (``<cache>/embeddings/<model>-onnx-int8``): written in a temporary sibling folder,
then renamed into place, so that a half-built export is never loaded. A fingerprint of the model files
(names, sizes, modification times) and a hash of their bytes say whether a cached export still matches
the model; a changed model or recipe (ONNX_RECIPE) rebuilds it.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ONNX_INT8 = "onnx-int8"
# Bump when the export or quantisation recipe changes: cached exports of older recipes are rebuilt.
ONNX_RECIPE = "2"
ONNX_FILE = "model_int8.onnx"
META_FILE = "export.json"
# FFN output projections kept in float32: quantising them costs the most accuracy (cosine to torch
# drops to 0.973 on some chunks); these three lift the worst of 461 chunks to 0.986 for ~15% of the gain.
ONNX_FLOAT_FFN_LAYERS = (0, 1, 2)
_SUPPORTED_MODULES = {
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
}
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def onnx_available() -> bool:
    """Whether onnxruntime (the int8 backend's one run-time dependency) is installed."""
    return importlib.util.find_spec("onnxruntime") is not None


def can_export() -> bool:
    """Whether onnx (needed once, to make the export) is installed."""
    return importlib.util.find_spec("onnx") is not None


def read_json(path: Path) -> dict | list:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def pooling_mode(model_path: Path) -> str:
    """ "mean", "cls" or "unsupported": how the sentence-transformers model pools its token vectors."""
    modules = read_json(model_path / "modules.json")
    pooling = next((m for m in modules if m.get("type", "").endswith(".Pooling")), None)
    if pooling is None:
        return "mean"  # sentence-transformers' default for a bare transformer
    config = read_json(model_path / pooling["path"] / "config.json")
    modes = [k for k, v in config.items() if k.startswith("pooling_mode_") and v is True]
    return {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}.get(
        modes[0] if len(modes) == 1 else "", "unsupported"
    )


def is_exportable(model_path: Path) -> bool:
    """Whether the model is a plain mean/CLS-pooled encoder, the only kind the export reproduces."""
    try:
        modules = read_json(model_path / "modules.json")
        pooling = pooling_mode(model_path)
    except (OSError, ValueError):
        return False
    return {m.get("type") for m in modules} <= _SUPPORTED_MODULES and pooling in ("mean", "cls")


def export_folder(root: Path, model_path: Path, name: str | None = None) -> Path:
    """The cache folder of a model's export: named by ``name`` (a published model's, stable across
    installations), else by the model directory's name and a hash of its path."""
    if name is not None:
        slug = name.rsplit("/", 1)[-1]
    else:
        digest = hashlib.sha256(str(model_path.resolve()).encode()).hexdigest()[:10]
        slug = f"{model_path.name}-{digest}"
    return Path(root) / f"{slug}-{ONNX_INT8}"


@dataclass(frozen=True)
class OnnxExport:
    """The int8 ONNX export of the model in ``model_path``, cached in ``folder``."""

    model_path: Path
    model_name: str  # recorded in the fingerprint and named in the one-off message
    folder: Path

    def file(self) -> Path:
        """The exported model file, made first if no matching one is cached."""
        return self.cached() or self.build()

    def cached(self) -> Path | None:
        """The cached export's file if it was made from this model with this recipe, else None."""
        try:
            meta = read_json(self.folder / META_FILE)
        except (OSError, ValueError):
            return None
        if not (self.folder / ONNX_FILE).is_file():
            return None
        made_from, now = meta.get("fingerprint") or {}, self._fingerprint()
        if made_from == now:
            return self.folder / ONNX_FILE
        same_recipe = {k: made_from.get(k) for k in ("recipe", "model")} == {k: now[k] for k in ("recipe", "model")}
        if same_recipe and meta.get("contents") == self._contents():
            return self.folder / ONNX_FILE
        return None

    def build(self) -> Path:
        """Export to ONNX, quantise, and move into the cache folder atomically; returns the model file."""
        if not can_export():
            raise RuntimeError("Exporting the embedding model to ONNX needs the onnx package (pip install onnx).")
        final = self.folder
        final.parent.mkdir(parents=True, exist_ok=True)
        print(
            f"pressqa: preparing the int8 ONNX version of {self.model_name} in {final} (once; about half a minute)...",
            file=sys.stderr,
            flush=True,
        )
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=final.parent))
        try:
            float_path = tmp / "model_fp32.onnx"
            self._export_float(float_path)
            _quantize(float_path, tmp / ONNX_FILE)
            float_path.unlink()
            meta = {"fingerprint": self._fingerprint(), "contents": self._contents()}
            (tmp / META_FILE).write_text(json.dumps(meta, indent=1))
            if final.exists():  # stale (another recipe or model): set it aside, then replace it
                old = final.with_name(f".{final.name}-old-{os.getpid()}")
                with contextlib.suppress(OSError):
                    final.rename(old)
                    shutil.rmtree(old, ignore_errors=True)
            try:
                tmp.rename(final)
            except OSError:  # another process finished first: use theirs if it is complete
                if self.cached() is None:
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return final / ONNX_FILE

    # ------------------------------------------------------------------ what the export was made from

    def _model_files(self) -> list[Path]:
        return sorted(p for p in self.model_path.rglob("*") if p.is_file() and not p.name.startswith("."))

    def _fingerprint(self) -> dict[str, object]:
        """What the cached export was made from: a changed model or recipe rebuilds it. Sizes and
        modification times are the quick check; _contents settles a mismatch."""
        digest = hashlib.sha256()
        for p in self._model_files():
            stat = p.stat()
            digest.update(f"{p.relative_to(self.model_path)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        return {"recipe": ONNX_RECIPE, "model": self.model_name, "files": digest.hexdigest()}

    def _contents(self) -> str:
        """A hash of the model files' bytes (~0.3 s for MiniLM). Two installations of the same model (a
        second virtual environment, a reinstall) have other modification times but share the user's
        cache; without this each would rebuild the export the other made (~30 s)."""
        digest = hashlib.sha256()
        for p in self._model_files():
            digest.update(f"{p.relative_to(self.model_path)}\0".encode())
            with p.open("rb") as f:
                while block := f.read(1 << 20):
                    digest.update(block)
        return digest.hexdigest()

    # ------------------------------------------------------------------ the export itself

    def _export_float(self, path: Path) -> None:
        from transformers.utils import logging as hf_logging

        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()
        try:
            self._trace(path, pooling_mode(self.model_path))
        finally:
            if bars:
                hf_logging.enable_progress_bar()

    def _trace(self, path: Path, pooling: str) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        with warnings.catch_warnings(), _quiet_logging():
            warnings.simplefilter("ignore")
            base = AutoModel.from_pretrained(str(self.model_path), local_files_only=True, attn_implementation="eager")
            base.eval()
            tokenizer = AutoTokenizer.from_pretrained(str(self.model_path), local_files_only=True)
            names = [n for n in INPUTS if n in tokenizer.model_input_names]
            wrapper = _pooled_module()(base, pooling, names)
            # Trace with padding in the batch, so that the attention-mask path is part of the graph.
            ids = torch.full((2, 16), 1000, dtype=torch.long)
            mask = torch.ones_like(ids)
            mask[1, 9:] = 0
            sample = {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)}
            with torch.no_grad():
                torch.onnx.export(
                    wrapper,
                    tuple(sample[n] for n in names),
                    str(path),
                    input_names=names,
                    output_names=["sentence_embedding"],
                    dynamic_axes={n: {0: "batch", 1: "sequence"} for n in names} | {"sentence_embedding": {0: "batch"}},
                    opset_version=17,
                    dynamo=False,
                )


def _pooled_module():  # defined lazily: torch is only imported to export
    import torch

    class Pooled(torch.nn.Module):
        """The transformer plus sentence-transformers' pooling and normalisation, as one graph."""

        def __init__(self, base: torch.nn.Module, pooling: str, names: list[str]) -> None:
            super().__init__()
            self.base = base
            self.pooling = pooling
            self.names = names

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            kwargs = dict(zip(self.names, inputs, strict=True))
            hidden = self.base(**kwargs).last_hidden_state
            if self.pooling == "cls":
                pooled = hidden[:, 0]
            else:
                mask = kwargs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    return Pooled


def _quantize(source: Path, target: Path) -> None:
    """Dynamic int8: per-channel int8 weights for the linear layers; activations quantised per batch."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(source), load_external_data=False).graph
    matmuls = [n.name for n in graph.node if n.op_type == "MatMul"]
    # Activation x activation products (attention scores and mixing) stay float: no weights to shrink.
    keep_float = [n for n in matmuls if n.endswith("/self/MatMul") or n.endswith("/self/MatMul_1")]
    keep_float += [
        n for n in matmuls for layer in ONNX_FLOAT_FFN_LAYERS if n.endswith(f"layer.{layer}/output/dense/MatMul")
    ]
    with _quiet_logging():
        quantize_dynamic(
            str(source),
            str(target),
            per_channel=True,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul"],
            nodes_to_exclude=keep_float,
        )


@contextlib.contextmanager
def _quiet_logging() -> Iterator[None]:
    """The exporter and quantiser log advice meant for their developers; the user sees one line."""
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(previous)
