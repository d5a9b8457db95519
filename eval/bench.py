"""`pressqa bench`: how fast pressqa ingests, starts, retrieves and answers, and what it costs in memory.

One run, one machine, one process (plus a fresh process per start-up probe), so every ratio compares
like with like. The index grows through the requested sizes: each step ingests only the releases it
adds, so reaching the largest size costs one full ingest, and the cumulative figures at a size are
those of ingesting that many releases from scratch. The dev questions' gold releases are indexed first,
so the retrieval quality guard (hit@5) means the same thing at every size.
"""

from __future__ import annotations

import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.encode import Encoder
from embeddings.hardware import machine_info
from embeddings.index import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M, Index
from embeddings.ingest import Ingestor, IngestReport
from embeddings.load import LoadError, iter_releases
from embeddings.settings import Settings, get_settings
from embeddings.types import Release
from eval.bench_report import bench_markdown, plot_bench
from eval.gold import GoldQuestion, read_questions
from eval.metrics import contains_match, gold_rank, hit_at, percentile
from eval.report import git_state
from qa.engine import Engine
from qa.prompt import answer_messages
from qa.retrieve import RetrievalConfig, Retriever

RETRIEVAL_DEPTH = 10
Echo = Callable[[str], None]


def _percentiles(values: Sequence[float], scale: float = 1.0, digits: int = 3) -> dict[str, float | None]:
    def at(q: float) -> float | None:
        v = percentile(values, q)
        return None if v is None else round(v * scale, digits)

    return {"p50": at(50), "p95": at(95)}


def _ms(values: Sequence[float]) -> dict[str, float | None]:
    return _percentiles(values, 1000, 2)


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux reports KiB


def order_for_bench(releases: Sequence[Release], questions: Sequence[GoldQuestion]) -> list[Release]:
    """Gold releases first, then the rest in corpus order."""
    wanted = {q.release_id for q in questions if q.release_id}
    first = [r for r in releases if r.id in wanted]
    return first + [r for r in releases if r.id not in wanted]


# ------------------------------------------------------------------------------------------ ingestion


def ingest_step(ingestor: Ingestor, releases: Sequence[Release], parse_s_per_release: float) -> dict[str, Any]:
    report: IngestReport = ingestor.ingest(releases, show_progress=True)
    parse = parse_s_per_release * len(releases)
    total = report.seconds + parse
    return {
        "releases": len(releases),
        "chunks": report.chunks,
        "chunks_embedded": report.chunks_embedded,
        "seconds": round(total, 2),
        "parse_s": round(parse, 2),
        "chunk_s": round(report.chunk_seconds, 2),
        "embed_s": round(report.embed_seconds, 2),
        # Writing rows, then rebuilding the FAISS and BM25 files once at the end of the step.
        "index_s": round(report.seconds - report.chunk_seconds - report.embed_seconds, 2),
    }


def reingest(ingestor: Ingestor, releases: Sequence[Release]) -> dict[str, Any]:
    report = ingestor.ingest(releases)
    return {
        "seconds": round(report.seconds, 2),
        "unchanged": report.unchanged,
        "chunks_embedded": report.chunks_embedded,
    }


# ------------------------------------------------------------------------------------------ start-up


def startup_probe(index_dir: Path, question: str, model: str | None) -> dict[str, Any]:
    """Process start to first retrieval (and to first answer token with a model), in a fresh process."""
    command = [sys.executable, "-m", "eval.bench_startup", str(index_dir), question]
    if model:
        command += ["--model", model]
    launched = time.time()
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=Path(__file__).resolve().parents[1])
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    data = json.loads(done.stdout.strip().splitlines()[-1])
    marks = data["marks"]
    result = {
        "to_index_open_s": round(marks["opened"] - launched, 2),
        "to_first_retrieval_s": round(marks["retrieved"] - launched, 2),
        "peak_rss_mb": round(data["peak_rss_mb"], 1),
    }
    if "first_token" in marks:
        result["model_load_s"] = round(marks["model_loaded"] - marks["retrieved"], 2)
        # What a server needs before it can take questions: index open and the model in memory.
        result["to_ready_with_model_s"] = round(marks["model_loaded"] - launched, 2)
        result["to_first_answer_token_s"] = round(marks["first_token"] - launched, 2)
    return result


# ------------------------------------------------------------------------------------------ retrieval


def retrieval_run(
    index: Index, encoder: Encoder, questions: Sequence[GoldQuestion], config: RetrievalConfig | None = None
) -> dict[str, Any]:
    retriever = Retriever(index, encoder, config)
    retriever.search(questions[0].question, RETRIEVAL_DEPTH)  # warm-up: loads FAISS and BM25 files
    parts: dict[str, list[float]] = {}
    totals: list[float] = []
    hits: list[float] = []
    for q in questions:
        t0 = time.perf_counter()
        result = retriever.search(q.question, RETRIEVAL_DEPTH)
        totals.append(time.perf_counter() - t0)
        for name, seconds in result.timings.items():
            parts.setdefault(name, []).append(seconds)
        if q.release_id:
            hits.append(hit_at(gold_rank([p.release_id for p in result.passages], q.release_id), 5))
    return {
        "questions": len(questions),
        "total_ms": _ms(totals),
        "parts_ms": {name: _ms(values) for name, values in parts.items()},
        "hit_at_5": round(100 * sum(hits) / len(hits), 1) if hits else None,
        "hit_questions": len(hits),
    }


def ann_comparison(index: Index, encoder: Encoder, questions: Sequence[GoldQuestion]) -> dict[str, Any]:
    """Exact (flat) search against HNSW over the same vectors: build time, latency, recall@10."""
    import faiss

    _, vectors = index.all_vectors()
    n, dim = vectors.shape
    flat = faiss.IndexFlatIP(dim)
    flat.add(vectors)
    queries = encoder.encode([q.question for q in questions])
    k = RETRIEVAL_DEPTH
    t0 = time.perf_counter()
    # The graph the index itself builds above FLAT_MAX_VECTORS, with the same parameters.
    hnsw = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    hnsw.add(vectors)
    build = time.perf_counter() - t0
    hnsw.hnsw.efSearch = HNSW_EF_SEARCH

    def timed(idx: Any) -> tuple[np.ndarray, list[float]]:
        found, times = [], []
        for qv in queries:
            t = time.perf_counter()
            _, ids = idx.search(qv.reshape(1, -1), k)
            times.append(time.perf_counter() - t)
            found.append(ids[0])
        return np.array(found), times

    exact, flat_times = timed(flat)
    approx, hnsw_times = timed(hnsw)
    recall = np.mean([len(set(a) & set(e)) / k for a, e in zip(approx, exact, strict=True)])
    return {
        "vectors": n,
        "flat_ms": _ms(flat_times),
        "hnsw_ms": _ms(hnsw_times),
        "hnsw_build_s": round(build, 2),
        "hnsw_recall_at_10": round(float(recall), 4),
        "hnsw_params": {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION, "efSearch": HNSW_EF_SEARCH},
    }


# ------------------------------------------------------------------------------------------ baseline


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


# ------------------------------------------------------------------------------------------ answers


def answer_run(engine: Engine, model: str, questions: Sequence[GoldQuestion]) -> dict[str, Any]:
    t0 = time.perf_counter()
    generator = engine.generator(model)
    load = time.perf_counter() - t0
    engine.ask(questions[0].question, model=model, max_new_tokens=4).__iter__().__next__()  # warm-up
    first, total, decode_rates, prefill_rates, prompt_sizes, correct = [], [], [], [], [], []
    for q in questions:
        stream = engine.ask(q.question, model=model)
        for _ in stream:
            pass
        answer = stream.answer
        assert answer is not None
        timings = answer.timings
        prompt = generator.prompt_tokens(answer_messages(stream.question, stream.passages))
        produced = generator.count_tokens(stream.raw)
        ttft = timings.get("retrieve", 0.0) + timings.get("first_token", timings.get("generate", 0.0))
        first.append(ttft)
        total.append(timings.get("retrieve", 0.0) + timings.get("generate", 0.0))
        prompt_sizes.append(prompt)
        if "first_token" in timings:
            prefill_rates.append(prompt / timings["first_token"])
            decode_time = timings["generate"] - timings["first_token"]
            if produced > 1 and decode_time > 0:
                decode_rates.append((produced - 1) / decode_time)
        if q.answers:
            correct.append(contains_match(answer.text, q.answers) is not None)
    return {
        "model": model,
        "questions": len(questions),
        "load_s": round(load, 2),
        "first_token_s": _percentiles(first),
        "total_s": _percentiles(total),
        "decode_tokens_per_s": round(float(np.median(decode_rates)), 2) if decode_rates else None,
        "prefill_tokens_per_s": round(float(np.median(prefill_rates)), 1) if prefill_rates else None,
        "prompt_tokens": {"p50": percentile(prompt_sizes, 50), "max": max(prompt_sizes)},
        "answer_contains_gold": round(100 * sum(correct) / len(correct), 1) if correct else None,
    }


# ------------------------------------------------------------------------------------------ quality guard


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


# ------------------------------------------------------------------------------------------ the run


def result_header(
    corpus: Path, gold: Path, releases: int, failed: int, parse_s: float, threads: int | None
) -> dict[str, Any]:
    """What bench.json starts as: its inputs, the machine and the commit; the run adds the measures.

    ``threads`` None records torch's own default (torch runs in this process anyway: the baseline, the
    float32 guard and the answer models all use it).
    """
    if threads is None:
        import torch

        threads = torch.get_num_threads()
    return {
        "corpus": str(corpus),
        "gold": str(gold),
        "machine": machine_info(threads),
        "git": git_state(),
        "releases_loaded": releases,
        "releases_failed": failed,
        "parse_s_total": round(parse_s, 2),
        "sizes": [],
    }


def run_bench(
    corpus: Path,
    sizes: str | Sequence[int],
    out: Path,
    gold: Path,
    models: str | Sequence[str],
    questions: int = 200,
    answer_questions: int = 20,
    baseline_chunks: int = 1000,
    guard_size: int | None = None,
    keep_index: Path | None = None,
    echo: Echo = print,
) -> dict[str, Any]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    size_list = sorted({int(s) for s in sizes.split(",")} if isinstance(sizes, str) else set(sizes))
    model_list = [m for m in (models.split(",") if isinstance(models, str) else models) if m]
    settings = get_settings()
    started = time.perf_counter()

    gold_questions = list(read_questions(Path(gold)).items)
    timed_questions = gold_questions[:questions]
    t0 = time.perf_counter()
    loaded = list(iter_releases([corpus]))
    parse_s = time.perf_counter() - t0
    releases = [r for r in loaded if isinstance(r, Release)]
    failed = [r for r in loaded if isinstance(r, LoadError)]
    if not releases:
        raise ValueError(f"{corpus}: no releases loaded")
    ordered = order_for_bench(releases, gold_questions)
    size_list = sorted({min(s, len(ordered)) for s in size_list})
    parse_per_release = parse_s / len(loaded)
    echo(f"{len(releases)} releases parsed in {parse_s:.1f} s ({len(failed)} failed); sizes {size_list}")

    result = result_header(corpus, gold, len(releases), len(failed), parse_s, settings.threads)

    def save() -> None:
        result["elapsed_s"] = round(time.perf_counter() - started, 1)
        (out / "bench.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    index_dir = Path(keep_index) if keep_index else Path(tempfile.mkdtemp(prefix="pressqa-bench-index-"))
    if keep_index and index_dir.exists() and any(index_dir.iterdir()):
        raise ValueError(f"{index_dir} is not empty: the benchmark needs a new index folder")
    encoder = Encoder(cache_dir=settings.cache / "embeddings", threads=settings.threads)
    index = Index.open(index_dir, encoder.name, encoder.dim)
    ingestor = Ingestor(index, encoder)
    result["encoder"] = encoder.name
    cumulative = {
        "releases": 0,
        "chunks": 0,
        "seconds": 0.0,
        "parse_s": 0.0,
        "chunk_s": 0.0,
        "embed_s": 0.0,
        "index_s": 0.0,
    }
    try:
        previous = 0
        for size in size_list:
            echo(f"--- {size} releases: ingesting {size - previous} more")
            step = ingest_step(ingestor, ordered[previous:size], parse_per_release)
            for key in cumulative:
                cumulative[key] += step[key]
            previous = size
            row: dict[str, Any] = {
                "size": size,
                "step": step,
                "cumulative": {k: round(v, 2) if isinstance(v, float) else v for k, v in cumulative.items()},
                "releases_per_s": round(cumulative["releases"] / cumulative["seconds"], 2),
                "chunks_per_s": round(cumulative["chunks"] / cumulative["seconds"], 2),
                "ingest_peak_rss_mb": peak_rss_mb(),
            }
            stats = index.stats()
            row["chunks_in_index"] = stats.chunks
            echo("re-ingesting the unchanged releases")
            row["reingest"] = reingest(ingestor, ordered[:size])
            row["index_bytes"] = stats.bytes_on_disk
            row["bytes_per_chunk"] = round(row["index_bytes"] / max(stats.chunks, 1))
            echo("retrieval latency and hit@5")
            row["retrieval"] = retrieval_run(index, encoder, timed_questions)
            row["retrieval_dense_only"] = retrieval_run(index, encoder, timed_questions, RetrievalConfig(lexical=False))
            row["ann"] = ann_comparison(index, encoder, timed_questions)
            echo("start-up probes")
            row["startup"] = startup_probe(index_dir, timed_questions[0].question, None)
            if model_list:
                row["startup_with_model"] = startup_probe(index_dir, timed_questions[0].question, model_list[0])
            result["sizes"].append(row)
            save()
            echo(json.dumps({k: row[k] for k in ("size", "releases_per_s", "chunks_per_s")}))

        echo(f"baseline: bare SentenceTransformer.encode of {baseline_chunks} indexed chunk texts")
        baseline = encode_baseline(index, encoder, baseline_chunks)
        for row in result["sizes"]:
            row["pipeline_vs_bare_encode"] = round(
                row["chunks_per_s"] / baseline["bare_sentence_transformers_chunks_per_s"], 2
            )
        result["baseline"] = baseline
        save()

        guard = guard_size if guard_size is not None else size_list[0]
        if guard:
            result["quality_guard"] = fp32_guard(ordered[:guard], timed_questions, encoder, settings, echo)
            save()

        engine = Engine(settings, index, encoder)
        result["answers"] = []
        for model in model_list:
            echo(f"answers with {model} ({answer_questions} questions)")
            result["answers"].append(answer_run(engine, model, timed_questions[:answer_questions]))
            save()
        result["serving_peak_rss_mb"] = max(
            (r.get("startup_with_model", r["startup"]).get("peak_rss_mb", 0) for r in result["sizes"]), default=None
        )
    finally:
        index.close()
        if not keep_index:
            shutil.rmtree(index_dir, ignore_errors=True)
    save()
    (out / "bench.md").write_text(bench_markdown(result), encoding="utf-8")
    plot_bench(result, out / "bench.png")
    echo(bench_markdown(result))
    return result
