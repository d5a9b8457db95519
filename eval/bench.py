"""`pressqa bench`: how fast pressqa ingests, starts, retrieves and answers, and what it costs in memory.

One run, one machine, one process (plus a fresh process per start-up probe), so every ratio compares
like with like. The index grows through the requested sizes: each step ingests only the releases it
adds, so reaching the largest size costs one full ingest, and the cumulative figures at a size are
those of ingesting that many releases from scratch. The dev questions' gold releases are indexed first,
so the retrieval quality guard (hit@5) means the same thing at every size.

This module runs the steps in order and writes bench.json; each measure is its own module: eval.bench_ingest,
eval.bench_probe (start-up), eval.bench_retrieval (latency, hit@5, flat against HNSW), eval.bench_encoders
(bare-encode baseline, float32 guard) and eval.bench_answers.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from embeddings.encode import Encoder
from embeddings.hardware import machine_info
from embeddings.index import Index
from embeddings.ingest import Ingestor
from embeddings.load import LoadError, iter_releases
from embeddings.settings import get_settings
from embeddings.types import Release
from eval.bench_answers import answer_run
from eval.bench_encoders import encode_baseline, fp32_guard
from eval.bench_ingest import ingest_step, order_for_bench, reingest
from eval.bench_measure import Echo, peak_rss_mb
from eval.bench_probe import startup_probe
from eval.bench_report import bench_markdown, plot_bench
from eval.bench_retrieval import ann_comparison, retrieval_run
from eval.gold import read_questions
from eval.provenance import git_state
from qa.engine import Engine
from qa.retrieve import RetrievalConfig


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
