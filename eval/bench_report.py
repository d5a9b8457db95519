"""The benchmark's table (bench.md, also printed) and scaling plot (bench.png), from bench.json's data."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _v(value: Any, suffix: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}{suffix}" if value < 100 else f"{value:,.0f}{suffix}"
    if isinstance(value, int):
        return f"{value:,}{suffix}"
    return f"{value}{suffix}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def bench_markdown(result: dict[str, Any]) -> str:
    parts = [
        f"# pressqa bench\n\nCorpus `{result['corpus']}` ({result['releases_loaded']:,} releases loaded, "
        f"{result['releases_failed']} failed), encoder `{result.get('encoder')}`, "
        f"{result['machine']['cpus']} CPUs, commit {str(result['git'].get('commit'))[:10]}"
        f"{' (dirty)' if result['git'].get('dirty') else ''}; {result.get('elapsed_s', 0) / 60:.1f} min.\n"
    ]
    sizes = result.get("sizes", [])
    parts.append("## Ingestion (cumulative from an empty index)\n")
    parts.append(
        _table(
            [
                "releases",
                "chunks",
                "releases/s",
                "chunks/s",
                "vs bare encode",
                "parse s",
                "chunk s",
                "embed s",
                "index s",
                "re-ingest s",
                "peak RSS MB",
                "index MB",
                "bytes/chunk",
            ],
            [
                [
                    _v(r["size"]),
                    _v(r["chunks_in_index"]),
                    _v(r["releases_per_s"]),
                    _v(r["chunks_per_s"]),
                    _v(r.get("pipeline_vs_bare_encode"), "x"),
                    _v(r["cumulative"]["parse_s"]),
                    _v(r["cumulative"]["chunk_s"]),
                    _v(r["cumulative"]["embed_s"]),
                    _v(r["cumulative"]["index_s"]),
                    _v(r["reingest"]["seconds"]),
                    _v(r["ingest_peak_rss_mb"]),
                    _v(r["index_bytes"] / 2**20),
                    _v(r["bytes_per_chunk"]),
                ]
                for r in sizes
            ],
        )
    )
    baseline = result.get("baseline")
    if baseline:
        parts.append(
            f"\nBaseline, same run: a bare `SentenceTransformer.encode` (default settings, float32) of "
            f"{baseline['chunks']:,} indexed chunk texts ran at {baseline['bare_sentence_transformers_chunks_per_s']} "
            f"chunks/s; pressqa's encoder (`{baseline['pressqa_encoder']}`) encoded the same texts at "
            f"{baseline['pressqa_encoder_chunks_per_s']} chunks/s "
            f"({baseline['pressqa_encoder_chunks_per_s'] / baseline['bare_sentence_transformers_chunks_per_s']:.2f}x)."
        )
    parts.append("\n## Start-up and retrieval\n")
    parts.append(
        _table(
            [
                "releases",
                "start → first retrieval s",
                "start → ready with model s",
                "start → first answer token s",
                "serving RSS MB",
                "retrieval p50 ms",
                "p95 ms",
                "embed p50",
                "dense p50",
                "BM25 p50",
                "fusion p50",
                "hit@5 hybrid",
                "hit@5 dense",
                "HNSW recall@10",
                "flat p50 ms",
                "HNSW p50 ms",
            ],
            [
                [
                    _v(r["size"]),
                    _v(r["startup"].get("to_first_retrieval_s")),
                    _v(r.get("startup_with_model", {}).get("to_ready_with_model_s")),
                    _v(r.get("startup_with_model", {}).get("to_first_answer_token_s")),
                    _v(r.get("startup_with_model", r["startup"]).get("peak_rss_mb")),
                    _v(r["retrieval"]["total_ms"]["p50"]),
                    _v(r["retrieval"]["total_ms"]["p95"]),
                    *[
                        _v(r["retrieval"]["parts_ms"].get(p, {}).get("p50"))
                        for p in ("embed_query", "dense", "lexical", "fuse")
                    ],
                    _v(r["retrieval"]["hit_at_5"]),
                    _v(r["retrieval_dense_only"]["hit_at_5"]),
                    _v(r["ann"]["hnsw_recall_at_10"]),
                    _v(r["ann"]["flat_ms"]["p50"]),
                    _v(r["ann"]["hnsw_ms"]["p50"]),
                ]
                for r in sizes
            ],
        )
    )
    if sizes:
        parts.append(
            f"\nRetrieval over {sizes[0]['retrieval']['questions']} dev questions per size; hit@5 counts "
            f"{sizes[0]['retrieval']['hit_questions']} questions with a gold release."
        )
    guard = result.get("quality_guard")
    if guard:
        parts.append(f"\n## Quality guard ({guard['releases']:,} releases)\n")
        parts.append(
            _table(
                ["encoder", "chunks/s (whole pipeline)", "hit@5 hybrid", "hit@5 dense"],
                [
                    [
                        f"`{guard[k]['encoder']}`",
                        _v(guard[k]["chunks_per_s"]),
                        _v(guard[k]["hybrid"]),
                        _v(guard[k]["dense"]),
                    ]
                    for k in ("fp32", "pressqa")
                    if k in guard
                ],
            )
        )
    answers = result.get("answers")
    if answers:
        parts.append(f"\n## Answers (largest index, {answers[0]['questions']} questions each)\n")
        parts.append(
            _table(
                [
                    "model",
                    "load s",
                    "first token p50 s",
                    "p95 s",
                    "total p50 s",
                    "p95 s",
                    "prompt tokens p50",
                    "prefill tok/s",
                    "decode tok/s",
                    "answer has gold %",
                ],
                [
                    [
                        a["model"],
                        _v(a["load_s"]),
                        _v(a["first_token_s"]["p50"]),
                        _v(a["first_token_s"]["p95"]),
                        _v(a["total_s"]["p50"]),
                        _v(a["total_s"]["p95"]),
                        _v(a["prompt_tokens"]["p50"]),
                        _v(a["prefill_tokens_per_s"]),
                        _v(a["decode_tokens_per_s"]),
                        _v(a["answer_contains_gold"]),
                    ]
                    for a in answers
                ],
            )
        )
    return "\n".join(parts) + "\n"


def plot_bench(result: dict[str, Any], path: Path) -> None:
    from eval.report import _plt

    sizes = result.get("sizes", [])
    if not sizes:
        return
    plt = _plt()
    x = [r["size"] for r in sizes]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    axes[0].plot(x, [r["chunks_per_s"] for r in sizes], marker="o", label="pressqa pipeline")
    if result.get("baseline"):
        axes[0].axhline(
            result["baseline"]["bare_sentence_transformers_chunks_per_s"],
            color="grey",
            linestyle="--",
            label="bare encode",
        )
    axes[0].set(title="Ingestion", xlabel="releases", ylabel="chunks/s")
    axes[0].legend()
    axes[1].plot(x, [r["retrieval"]["total_ms"]["p50"] for r in sizes], marker="o", label="hybrid p50")
    axes[1].plot(x, [r["retrieval"]["total_ms"]["p95"] for r in sizes], marker="o", label="hybrid p95")
    axes[1].set(title="Retrieval latency", xlabel="releases", ylabel="ms")
    axes[1].legend()
    axes[2].plot(x, [r["startup"].get("to_first_retrieval_s") for r in sizes], marker="o", label="first retrieval")
    if "startup_with_model" in sizes[0]:
        axes[2].plot(
            x,
            [r["startup_with_model"].get("to_first_answer_token_s") for r in sizes],
            marker="o",
            label="first answer token",
        )
    axes[2].set(title="Start-up", xlabel="releases", ylabel="s")
    axes[2].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
