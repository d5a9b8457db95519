"""How the search store grows: index size on disk, write and build time, and search latency at several sizes.

The chunks are real (texts and vectors read from an existing index); past the source's size they repeat,
each repeat's vectors moved by a little noise and renormalised so that no two are equal, and its texts
marked with a token of its own. Five chunks make a release. What is timed is the store's own work, the part
that differs between search backends: writing releases, chunks and vectors, then building the search
files (FAISS and BM25 here). Reading quotes, dates and names at ingest costs the same per release whatever
the store (eval/ingest_cost.py measures it), so it is left out here; embedding is measured by the bench.

Search: the retriever's whole search (query embedding, dense, lexical, fusion, passages) for each of the
questions, after one warm-up, p50 and p95; and the dense and lexical stages alone.

    python -m eval.scale --source ~/pressqa-all --sizes 10000,100000,500000 --out eval/results/scale
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

import embeddings.store as store_module
from embeddings.encode import Encoder
from embeddings.index import Index
from embeddings.index_types import PendingRelease
from embeddings.types import Chunk, Release

CHUNKS_PER_RELEASE = 5
WRITE_BATCH = 500  # releases a transaction, as ingest writes them
# Noise added to a repeated chunk's vector before renormalising: its cosine to the original stays ~0.99,
# so repeats cluster as near-duplicates do in a real archive rather than spreading at random.
REPEAT_NOISE = 0.005


def source_chunks(source: Path) -> tuple[list[str], np.ndarray]:
    """Every chunk's text and vector of the index in `source`, read without changing it."""
    uri = f"file:{source / 'pressqa.sqlite'}?mode=ro"
    with sqlite3.connect(uri, uri=True) as db:
        rows = db.execute("SELECT text, vector FROM chunks ORDER BY id").fetchall()
    texts = [text for text, _ in rows]
    vectors = np.stack([np.frombuffer(blob, dtype=np.float32) for _, blob in rows])
    return texts, vectors


def synthetic_releases(texts: Sequence[str], vectors: np.ndarray, first: int, count: int) -> list[PendingRelease]:
    """Releases `first` .. `first + count - 1`, chunk n of the archive being source chunk n % len(texts)."""
    rng = np.random.default_rng(first)
    pending = []
    for r in range(first, first + count):
        rid = f"scale-{r:07d}"
        chunks, rows, parts, at = [], [], [], 0
        for ordinal in range(CHUNKS_PER_RELEASE):
            n = r * CHUNKS_PER_RELEASE + ordinal
            repeat, i = divmod(n, len(texts))
            text = texts[i] if repeat == 0 else f"{texts[i]} r{repeat}"
            vector = vectors[i]
            if repeat:
                vector = vector + rng.normal(0.0, REPEAT_NOISE, vector.shape).astype(np.float32)
                vector /= np.linalg.norm(vector)
            chunks.append(Chunk(rid, ordinal, at, at + len(text), text))
            rows.append(vector)
            parts.append(text)
            at += len(text) + 2
        release = Release(rid, f"Release {r}", "\n\n".join(parts))
        pending.append(PendingRelease(release, release.content_hash(), chunks, np.stack(rows)))
    return pending


@contextmanager
def readers_left_out() -> Iterator[None]:
    """The store without its ingest readers (their cost is per release and the same on every store)."""
    kept = store_module.RELEASE_READERS
    store_module.RELEASE_READERS = ()
    try:
        yield
    finally:
        store_module.RELEASE_READERS = kept


def folder_bytes(folder: Path) -> dict[str, int]:
    """Bytes on disk by part (the database, its write-ahead log, the dense and the lexical files) and in all."""
    parts: dict[str, int] = {}
    for path in folder.iterdir():
        size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size
        key = path.name.split("-")[0] if path.name.startswith(("dense", "lexical")) else path.name
        parts[key] = parts.get(key, 0) + size
    return {**dict(sorted(parts.items())), "total": sum(parts.values())}


def measure_search(index: Index, encoder: Encoder, questions: Sequence[str]) -> dict[str, Any]:
    from qa.retrieve import Retriever

    retriever = Retriever(index, encoder)
    retriever.search(questions[0], 10)  # loads the search files
    started = time.perf_counter()
    totals, stages = [], {}
    for q in questions:
        t0 = time.perf_counter()
        result = retriever.search(q, 10)
        totals.append(time.perf_counter() - t0)
        for name, seconds in result.timings.items():
            stages.setdefault(name, []).append(seconds)

    def ms(values: list[float]) -> dict[str, float]:
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        return {"p50_ms": round(1000 * statistics.median(ordered), 2), "p95_ms": round(1000 * p95, 2)}

    seconds = time.perf_counter() - started
    timed = {k: ms(v) for k, v in stages.items()}
    return {"questions": len(questions), "seconds": seconds, "total": ms(totals), **timed}


def search_apart(index_dir: Path, questions: Sequence[str]) -> dict[str, Any]:
    """measure_search in a new process, as a server or a CLI question opens the index: with the time to open
    it (the encoder loaded, the index opened, a first search answered) and the process's peak memory."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_search_in_process, (str(index_dir), list(questions)))


def _search_in_process(index_dir: str, questions: list[str]) -> dict[str, Any]:
    from eval.bench_measure import peak_rss_mb

    t0 = time.perf_counter()
    encoder = Encoder()
    index = Index.open(Path(index_dir), encoder.name, encoder.dim, create=False)
    try:
        search = measure_search(index, encoder, questions)
    finally:
        index.close()
    first = time.perf_counter() - t0 - search.pop("seconds")
    return {**search, "load_and_first_search_s": round(first, 2), "peak_rss_mb": peak_rss_mb()}


def run(source: Path, sizes: Sequence[int], questions: Sequence[str], work: Path) -> list[dict[str, Any]]:
    texts, vectors = source_chunks(source)
    encoder = Encoder()
    rows = []
    index_dir = work / "index"
    index = Index.open(index_dir, encoder.name, encoder.dim)
    written = 0
    try:
        for size in sorted(sizes):
            releases = size // CHUNKS_PER_RELEASE
            t0 = time.perf_counter()
            with readers_left_out(), tqdm(total=releases - written, desc=f"writing to {size:,} chunks") as bar:
                while written < releases:
                    batch = min(WRITE_BATCH, releases - written)
                    index.write(synthetic_releases(texts, vectors, written, batch))
                    written += batch
                    bar.update(batch)
            write_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            index.save()
            build_s = time.perf_counter() - t0
            index.close()  # the last connection folds the write-ahead log into the database
            on_disk = folder_bytes(index_dir)
            search = search_apart(index_dir, questions)
            index = Index.open(index_dir, encoder.name, encoder.dim)
            row = {
                "chunks": written * CHUNKS_PER_RELEASE,
                "releases": written,
                "index_bytes": on_disk,
                "load_and_first_search_s": search.pop("load_and_first_search_s"),
                "search_process_peak_mb": search.pop("peak_rss_mb"),
                "write_s": round(write_s, 1),
                "build_s": round(build_s, 1),
                "search": search,
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        index.close()
    return rows


def main(argv: list[str] | None = None) -> None:
    from eval.gold import read_questions
    from eval.provenance import git_state, machine

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="An index to read chunk texts and vectors from.")
    parser.add_argument("--sizes", default="10000,100000,500000", help="Chunk counts, comma-separated.")
    parser.add_argument("--questions", type=Path, default=Path("../shared/gold/doj_qa.dev.jsonl"))
    parser.add_argument("--limit", type=int, default=50, help="Questions timed.")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    questions = [q.question for q in read_questions(args.questions).items][: args.limit]
    with tempfile.TemporaryDirectory(prefix="pressqa-scale-") as work:
        rows = run(args.source, sizes, questions, Path(work))
    args.out.mkdir(parents=True, exist_ok=True)
    result = {"kind": "scale", "backend": "sqlite+faiss+bm25", "sizes": rows, "git": git_state(),
              "machine": machine(None, False), "source": str(args.source)}  # fmt: skip
    (args.out / "scale.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out / 'scale.json'}")


if __name__ == "__main__":
    main()
