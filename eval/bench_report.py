"""The benchmark's table (bench.md, also printed) and scaling plot (bench.png), from bench.json's data."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from embeddings.hardware import Cpu


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


# A table column: its header and how a row gives its value, as a dotted path of keys or a function.
Column = tuple[str, str | Callable[[dict[str, Any]], Any]]


def _cell(row: dict[str, Any], how: str | Callable[[dict[str, Any]], Any]) -> str:
    if callable(how):
        return _v(how(row))
    value: Any = row
    for key in how.split("."):
        value = value.get(key) if isinstance(value, dict) else None  # absent in older bench.json: "–"
    return _v(value)


def _columns(columns: Sequence[Column], rows: Iterable[dict[str, Any]]) -> str:
    return _table([header for header, _ in columns], [[_cell(row, how) for _, how in columns] for row in rows])


def machine_line(machine: dict[str, Any]) -> str:
    """The CPU a bench ran on, as embeddings.hardware.machine_info() recorded it."""
    if "model" not in machine:  # bench.json written before machine_info(): only the CPU count
        return f"{machine['cpus']} CPUs"
    flags = frozenset(flag for flag, present in machine.get("flags", {}).items() if present)
    cpu = Cpu(model=machine["model"], cores=machine["cores"], flags=flags).describe()
    versions = ", ".join(f"{dist} {machine[dist]}" for dist in ("torch", "onnxruntime") if machine.get(dist))
    threads = f", {machine['threads']} threads" if machine.get("threads") else ""
    return f"{cpu}{threads}" + (f" ({versions})" if versions else "")


def _part_p50(part: str) -> Callable[[dict[str, Any]], Any]:
    """The median time of one retrieval step (absent when a run did not time it)."""
    return lambda row: row["retrieval"]["parts_ms"].get(part, {}).get("p50")


_INGESTION: tuple[Column, ...] = (
    ("releases", "size"),
    ("chunks", "chunks_in_index"),
    ("releases/s", "releases_per_s"),
    ("chunks/s", "chunks_per_s"),
    ("vs bare encode", lambda r: _v(r.get("pipeline_vs_bare_encode"), "x")),
    ("parse s", "cumulative.parse_s"),
    ("chunk s", "cumulative.chunk_s"),
    ("embed s", "cumulative.embed_s"),
    ("index s", "cumulative.index_s"),
    ("re-ingest s", "reingest.seconds"),
    ("peak RSS MB", "ingest_peak_rss_mb"),
    ("index MB", lambda r: r["index_bytes"] / 2**20),
    ("bytes/chunk", "bytes_per_chunk"),
)
_RETRIEVAL: tuple[Column, ...] = (
    ("releases", "size"),
    ("start → first retrieval s", lambda r: r["startup"].get("to_first_retrieval_s")),
    ("start → ready with model s", lambda r: r.get("startup_with_model", {}).get("to_ready_with_model_s")),
    ("start → first answer token s", lambda r: r.get("startup_with_model", {}).get("to_first_answer_token_s")),
    ("serving RSS MB", lambda r: r.get("startup_with_model", r["startup"]).get("peak_rss_mb")),
    ("retrieval p50 ms", "retrieval.total_ms.p50"),
    ("p95 ms", "retrieval.total_ms.p95"),
    ("embed p50", _part_p50("embed_query")),
    ("dense p50", _part_p50("dense")),
    ("BM25 p50", _part_p50("lexical")),
    ("fusion p50", _part_p50("fuse")),
    ("hit@5 hybrid", "retrieval.hit_at_5"),
    ("hit@5 dense", "retrieval_dense_only.hit_at_5"),
    ("HNSW recall@10", "ann.hnsw_recall_at_10"),
    ("flat p50 ms", "ann.flat_ms.p50"),
    ("HNSW p50 ms", "ann.hnsw_ms.p50"),
)
_GUARD: tuple[Column, ...] = (
    ("encoder", lambda g: f"`{g['encoder']}`"),
    ("chunks/s (whole pipeline)", "chunks_per_s"),
    ("hit@5 hybrid", "hybrid"),
    ("hit@5 dense", "dense"),
)


def _runtime(row: dict[str, Any]) -> str | None:
    """What ran the model, from describe() without the model's name: "llama.cpp, Q8_0, 2 threads"."""
    described = row.get("describe")
    if described and described.startswith(f"{row['model']} (") and described.endswith(")"):
        return described[len(row["model"]) + 2 : -1]
    return described or row.get("runtime")


_ANSWERS: tuple[Column, ...] = (
    ("model", "model"),
    ("runtime", _runtime),
    ("load s", "load_s"),
    ("prompt tokens p50", "prompt_tokens.p50"),
    ("prefill tok/s", "prefill_tokens_per_s"),
    ("decode tok/s", "decode_tokens_per_s"),
    ("weights MB", lambda r: r["weight_bytes"] / 1e6 if r.get("weight_bytes") else None),
    ("bandwidth limit tok/s", "bandwidth_limit_tokens_per_s"),
    ("% of limit", "decode_pct_of_limit"),
    ("first token p50 s", "first_token_s.p50"),
    ("p95 s", "first_token_s.p95"),
    ("total p50 s", "total_s.p50"),
    ("p95 s", "total_s.p95"),
    ("answer has gold %", "answer_contains_gold"),
)


def bandwidth_line(bandwidth: dict[str, Any]) -> str:
    return (
        f"Memory bandwidth, same run: {bandwidth['gb_per_s']} GB/s (numpy copy of a "
        f"{bandwidth['array_bytes'] / 2**30:.3g} GiB array with {bandwidth['threads']} threads, best of "
        f"{bandwidth['repeats']}, counting {bandwidth['counts']}). A decoded token reads the weights once, "
        "so the bandwidth limit is that rate divided by the weight bytes; % of limit is decode tok/s against it."
    )


def _title(result: dict[str, Any]) -> str:
    """The first line: what was indexed (a corpus grown by the bench, or an existing index), machine, commit."""
    git = result.get("git", {})
    if "corpus" in result:
        source = (
            f"Corpus `{result['corpus']}` ({result['releases_loaded']:,} releases loaded, "
            f"{result['releases_failed']} failed)"
        )
    else:
        source = (
            f"Answers only, over the index `{result.get('index')}` ({result.get('index_releases', 0):,} releases, "
            f"{result.get('index_chunks', 0):,} chunks; {result.get('gold_releases_missing', 0)} of the questions' "
            "gold releases missing)"
        )
    return (
        f"# pressqa bench\n\n{source}, encoder `{result.get('encoder')}`, {machine_line(result['machine'])}, "
        f"commit {str(git.get('commit'))[:10]}{' (dirty)' if git.get('dirty') else ''}; "
        f"{result.get('elapsed_s', 0) / 60:.1f} min.\n"
    )


def bench_markdown(result: dict[str, Any]) -> str:
    parts = [_title(result)]
    sizes = result.get("sizes", [])
    if sizes:
        parts.append("## Ingestion (cumulative from an empty index)\n")
        parts.append(_columns(_INGESTION, sizes))
    baseline = result.get("baseline")
    if baseline:
        parts.append(
            f"\nBaseline, same run: a bare `SentenceTransformer.encode` (default settings, float32) of "
            f"{baseline['chunks']:,} indexed chunk texts ran at {baseline['bare_sentence_transformers_chunks_per_s']} "
            f"chunks/s; pressqa's encoder (`{baseline['pressqa_encoder']}`) encoded the same texts at "
            f"{baseline['pressqa_encoder_chunks_per_s']} chunks/s "
            f"({baseline['pressqa_encoder_chunks_per_s'] / baseline['bare_sentence_transformers_chunks_per_s']:.2f}x)."
        )
    if sizes:
        parts.append("\n## Start-up and retrieval\n")
        parts.append(_columns(_RETRIEVAL, sizes))
        parts.append(
            f"\nRetrieval over {sizes[0]['retrieval']['questions']} dev questions per size; hit@5 counts "
            f"{sizes[0]['retrieval']['hit_questions']} questions with a gold release."
        )
    guard = result.get("quality_guard")
    if guard:
        parts.append(f"\n## Quality guard ({guard['releases']:,} releases)\n")
        parts.append(_columns(_GUARD, [guard[k] for k in ("fp32", "pressqa") if k in guard]))
    answers = result.get("answers")
    if answers or result.get("bandwidth"):
        where = "largest index" if sizes else "existing index"
        count = f", {answers[0]['questions']} questions each" if answers else ""
        parts.append(f"\n## Answers ({where}{count})\n")
        if result.get("bandwidth"):
            parts.append(bandwidth_line(result["bandwidth"]) + "\n")
        if answers:
            parts.append(_columns(_ANSWERS, answers))
    return "\n".join(parts) + "\n"


def plot_bench(result: dict[str, Any], path: Path) -> None:
    from eval.plots import pyplot

    sizes = result.get("sizes", [])
    if not sizes:
        return
    plt = pyplot()
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
