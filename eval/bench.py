"""`pressqa bench`: how fast pressqa ingests, starts, retrieves and answers, and what it costs in memory.

One run, one machine, one process (plus a fresh process per start-up probe), so every ratio compares
like with like. The index grows through the requested sizes: each step ingests only the releases it
adds, so reaching the largest size costs one full ingest, and the cumulative figures at a size are
those of ingesting that many releases from scratch. The dev questions' gold releases are indexed first,
so the retrieval quality guard (hit@5) means the same thing at every size.

The answer rows (one per model x runtime, after one memory-bandwidth measure that each row's decode rate is
read against) can also run alone over an existing index (run_answers_bench, `pressqa bench --index DIR`),
which skips the hour of ingesting.

This module runs the steps in order and writes bench.json; each measure is its own module: eval.bench_ingest,
eval.bench_probe (start-up), eval.bench_retrieval (latency, hit@5, flat against HNSW), eval.bench_encoders
(bare-encode baseline, float32 guard), eval.bench_bandwidth and eval.bench_answers.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from embeddings.encode import Encoder
from embeddings.hardware import machine_info
from embeddings.index import Index
from embeddings.ingest import Ingestor
from embeddings.load import LoadError, iter_releases
from embeddings.settings import Settings, get_settings
from embeddings.types import Release
from eval.bench_answers import answer_run, engine_for
from eval.bench_bandwidth import DEFAULT_BYTES, measure_bandwidth
from eval.bench_encoders import encode_baseline, fp32_guard
from eval.bench_ingest import ingest_step, order_for_bench, reingest
from eval.bench_measure import Echo, peak_rss_mb
from eval.bench_models import ModelRun, parse_model_runs
from eval.bench_probe import startup_probe
from eval.bench_report import bench_markdown, plot_bench
from eval.bench_retrieval import ann_comparison, retrieval_run
from eval.corpus import missing_releases
from eval.gold import GoldQuestion, read_questions
from eval.provenance import git_state
from qa.engine import Engine
from qa.retrieve import RetrievalConfig
from qa.runtime import physical_cores


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
    models: str | Sequence[str | ModelRun],
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
    settings = get_settings()
    runs = parse_model_runs(models, settings.runtime)
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

    save = _saver(result, out, started)
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
            if runs:
                question, first = timed_questions[0].question, runs[0]
                row["startup_with_model"] = startup_probe(index_dir, question, first.model, first.runtime)
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

        _answers(result, Engine(settings, index, encoder), runs, timed_questions[:answer_questions], echo, save)
        result["serving_peak_rss_mb"] = max(
            (r.get("startup_with_model", r["startup"]).get("peak_rss_mb", 0) for r in result["sizes"]), default=None
        )
    finally:
        index.close()
        if not keep_index:
            shutil.rmtree(index_dir, ignore_errors=True)
    save()
    _write_report(result, out, echo)
    return result


def run_answers_bench(
    index_dir: Path,
    out: Path,
    gold: Path,
    models: str | Sequence[str | ModelRun],
    answer_questions: int = 20,
    echo: Echo = print,
    bandwidth_bytes: int = DEFAULT_BYTES,
) -> dict[str, Any]:
    """Only the answer rows (and the bandwidth they are read against), over an existing index.

    The index is opened as every reader opens it (Index.open with create=False), so a missing folder is
    an error rather than a new index, and nothing is ingested into it. The first ``answer_questions`` gold
    questions are answered, as in the full bench; those whose gold release the index lacks are counted.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    settings = get_settings(index=Path(index_dir))
    runs = parse_model_runs(models, settings.runtime)
    started = time.perf_counter()
    questions = list(read_questions(Path(gold)).items)[:answer_questions]
    engine = Engine.open(settings)
    try:
        stats = engine.index.stats()
        result: dict[str, Any] = {
            "index": str(index_dir),
            "gold": str(gold),
            "machine": machine_info(_runtime_threads(settings)),
            "git": git_state(),
            "encoder": engine.encoder.name,
            "index_releases": stats.releases,
            "index_chunks": stats.chunks,
            "gold_releases_missing": len(missing_releases(engine, [q.release_id for q in questions if q.release_id])),
        }
        save = _saver(result, out, started)
        _answers(result, engine, runs, questions, echo, save, bandwidth_bytes)
    finally:
        engine.index.close()
    save()
    _write_report(result, out, echo)
    return result


def _answers(
    result: dict[str, Any],
    engine: Engine,
    runs: Sequence[ModelRun],
    questions: Sequence[GoldQuestion],
    echo: Echo,
    save: Callable[[], None],
    bandwidth_bytes: int = DEFAULT_BYTES,
) -> None:
    """The bandwidth once, then one answer row per model x runtime, saved as each finishes."""
    threads = _runtime_threads(engine.settings)
    echo(f"memory bandwidth: copying {bandwidth_bytes / 2**30:.2g} GiB with {threads} threads")
    result["bandwidth"] = measure_bandwidth(threads, bandwidth_bytes)
    echo(f"memory bandwidth {result['bandwidth']['gb_per_s']} GB/s")
    result["answers"] = []
    save()
    for run in runs:
        echo(f"answers with {run} ({len(questions)} questions)")
        row = answer_run(engine_for(engine, run.runtime), run, questions, result["bandwidth"]["gb_per_s"])
        result["answers"].append(row)
        save()


def _runtime_threads(settings: Settings) -> int:
    """The threads the answer runtimes decode with: the setting, else one per physical core (llama.cpp's
    default, and torch's own default count on these machines)."""
    return settings.threads or physical_cores()


def _saver(result: dict[str, Any], out: Path, started: float) -> Callable[[], None]:
    def save() -> None:
        result["elapsed_s"] = round(time.perf_counter() - started, 1)
        (out / "bench.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    return save


def _write_report(result: dict[str, Any], out: Path, echo: Echo) -> None:
    markdown = bench_markdown(result)
    (out / "bench.md").write_text(markdown, encoding="utf-8")
    plot_bench(result, out / "bench.png")  # nothing without index sizes
    echo(markdown)
