"""The bench's two checks on the encoder: its speed against a bare SentenceTransformer, its hit@5 against float32."""

from __future__ import annotations

import random
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from embeddings.encode import Encoder
from embeddings.index import Index
from embeddings.ingest import Ingestor
from embeddings.settings import Settings
from embeddings.types import Release
from eval.bench_ingest import ingest_step
from eval.bench_measure import Echo
from eval.bench_retrieval import retrieval_run
from eval.gold import GoldQuestion
from qa.retrieve import RetrievalConfig


def encode_baseline(index: Index, encoder: Encoder, sample: int, seed: int = 0) -> dict[str, Any]:
    """A bare `SentenceTransformer.encode` (default settings) of indexed chunk texts, and ours on the same."""
    from sentence_transformers import SentenceTransformer

    ids = index.chunk_ids()
    random.Random(seed).shuffle(ids)
    chunks = index.chunks(ids[:sample])
    releases = {}
    texts = []
    for chunk in chunks.values():
        if chunk.release_id not in releases:
            releases[chunk.release_id] = index.release(chunk.release_id)
        texts.append(encoder.chunk_input(releases[chunk.release_id], chunk))  # what ingestion embeds
    model = SentenceTransformer(str(encoder.model_path), device="cpu")
    model.encode(texts[:8])  # warm-up, as any long-running user would have
    t0 = time.perf_counter()
    model.encode(texts)
    bare = time.perf_counter() - t0
    encoder.encode(texts[:8])
    t0 = time.perf_counter()
    encoder.encode(texts)
    ours = time.perf_counter() - t0
    return {
        "chunks": len(texts),
        "bare_sentence_transformers_chunks_per_s": round(len(texts) / bare, 2),
        "pressqa_encoder": encoder.name,
        "pressqa_encoder_chunks_per_s": round(len(texts) / ours, 2),
    }


def fp32_guard(
    releases: Sequence[Release], questions: Sequence[GoldQuestion], encoder: Encoder, settings: Settings, echo: Echo
) -> dict[str, Any]:
    """The same releases indexed with the float32 torch model: the reference the fast encoder must match."""
    reference = Encoder(backend="torch", cache_dir=settings.cache / "embeddings", threads=settings.threads)
    results: dict[str, Any] = {"releases": len(releases)}
    for label, enc in (("fp32", reference), ("pressqa", encoder)):
        path = Path(tempfile.mkdtemp(prefix=f"pressqa-bench-guard-{label}-"))
        try:
            index = Index.open(path, enc.name, enc.dim)
            echo(f"quality guard: indexing {len(releases)} releases with {enc.name}")
            step = ingest_step(Ingestor(index, enc), releases, 0.0)
            results[label] = {
                "encoder": enc.name,
                "chunks_per_s": round(step["chunks"] / step["seconds"], 2),
                "hybrid": retrieval_run(index, enc, questions)["hit_at_5"],
                "dense": retrieval_run(index, enc, questions, RetrievalConfig(lexical=False))["hit_at_5"],
            }
            index.close()
        finally:
            shutil.rmtree(path, ignore_errors=True)
    return results
