"""`pressqa eval qa|summaries|compare` and `pressqa bench`: argument parsing only; the work is in eval.*."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

eval_app = typer.Typer(
    help="Measure answers, retrieval and summaries against gold files; compare runs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

GoldOpt = Annotated[Path, typer.Option("--gold", help="Gold file (JSONL, SQuAD v1.1 JSON or CNN/DailyMail JSONL).")]
IndexOpt = Annotated[
    Path | None, typer.Option("--index", help="An existing index folder (with --corpus: build/update it).")
]
CorpusOpt = Annotated[
    Path | None,
    typer.Option("--corpus", help="Releases to index for the run (anything `ingest` reads, SQuAD JSON, CNN/DM JSONL)."),
]
OutOpt = Annotated[Path, typer.Option("--out", help="Folder for results.jsonl, summary.json, report.md and plots.")]
ModelOpt = Annotated[str | None, typer.Option("--model", help="qwen2.5-0.5b, qwen2.5-1.5b or a local model folder.")]
LimitOpt = Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N items (after --sample).")]
SampleOpt = Annotated[int | None, typer.Option("--sample", min=1, help="A random sample of N items (seeded).")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed for --sample.")]
RetrievalOpt = Annotated[str, typer.Option("--retrieval", help="hybrid, dense or lexical.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", help="No progress bar.")]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _check_exists(**paths: Path | None) -> None:
    for name, path in paths.items():
        if path is not None and not path.exists():
            raise _fail(f"--{name}: no such file or folder: {path}")


def _warm_up(engine: Any, model: str | None) -> float:
    """Load the model before the clock starts, so the first item's latency is not the load time."""
    t0 = time.perf_counter()
    engine.generator(model)
    return round(time.perf_counter() - t0, 1)


def _finish(out: Path, summary: dict[str, Any], records: list[dict[str, Any]], interrupted: bool) -> None:
    from eval.report import write_outputs

    for path in write_outputs(out, summary, records):
        typer.echo(f"wrote {path}")
    if interrupted:
        typer.echo(f"interrupted after {len(records)} items: the files above cover those items", err=True)
        raise typer.Exit(130)


@eval_app.command("qa")
def qa(
    gold: GoldOpt,
    out: OutOpt,
    index: IndexOpt = None,
    corpus: CorpusOpt = None,
    model: ModelOpt = None,
    retrieval: RetrievalOpt = "hybrid",
    top_k: Annotated[int, typer.Option("--top-k", min=1, max=30, help="Passages shown to the model.")] = 6,
    limit: LimitOpt = None,
    sample: SampleOpt = None,
    seed: SeedOpt = 0,
    types: Annotated[
        list[str] | None,
        typer.Option("--type", help="Only questions of this type (repeatable), after --sample, before --limit."),
    ] = None,
    max_new_tokens: Annotated[int, typer.Option("--max-new-tokens", min=8, help="Answer length cap.")] = 200,
    retrieval_only: Annotated[
        bool, typer.Option("--retrieval-only", help="Only retrieval metrics (hit@k, MRR): no model, seconds not hours.")
    ] = False,
    quiet: QuietOpt = False,
) -> None:
    """Ask every gold question; score answers, retrieval, citations, refusals and latency."""
    from embeddings.settings import get_settings
    from eval.corpus import EvalSetupError, evaluation_engine, missing_releases
    from eval.gold import GoldFormatError, read_questions, select
    from eval.report import ResultsWriter, git_state, summarize_qa
    from eval.run_qa import QAOptions, run_qa

    _check_exists(gold=gold, index=None if corpus else index, corpus=corpus)
    try:
        gold_set = read_questions(gold)
    except GoldFormatError as exc:
        raise _fail(str(exc)) from None
    items = select(gold_set.items, sample, seed, types=types, limit=limit)
    if types and not items:
        known = sorted({i.type for i in gold_set.items if i.type})
        raise _fail(f"no gold question has type {', '.join(types)}; the types in {gold} are {', '.join(known)}")
    settings = get_settings()
    model_name = model or settings.model
    options = QAOptions(model=model_name, top_k=top_k, max_new_tokens=max_new_tokens, retrieval_only=retrieval_only)
    started = time.perf_counter()
    git = git_state()  # now: the tree can change while a long run goes on
    try:
        with evaluation_engine(index, corpus, retrieval, gold_set.releases, show_progress=not quiet) as info:
            notes = list(info.notes)
            missing = missing_releases(info.engine, [i.release_id for i in items if i.release_id])
            if missing:
                notes.append(f"{len(missing)} gold releases are not in the index, e.g. {missing[:3]}")
                typer.echo(f"warning: {notes[-1]}", err=True)
            load_s = None if retrieval_only else _warm_up(info.engine, model_name)
            t0 = time.perf_counter()
            with ResultsWriter(out / "results.jsonl") as writer:
                records, interrupted = run_qa(info.engine, items, options, writer, progress=not quiet)
            run_s = time.perf_counter() - t0
            index_label = "temporary" if info.temporary else str(info.index)
    except EvalSetupError as exc:
        raise _fail(str(exc)) from None
    config = {
        **_where(gold, index_label, corpus, bool(gold_set.releases) and index is None),
        "model": None if retrieval_only else model_name,
        "int8": None if retrieval_only else settings.quantize,
        "retrieval": retrieval,
        "retrieval_only": retrieval_only or None,
        "top_k": top_k,
        "max_new_tokens": max_new_tokens,
        "types": types or None,
        **_selection(sample, seed, limit, len(records), interrupted, notes),
    }
    timing = _timing(info.index_build_s, load_s, run_s, len(records), started)
    _finish(out, summarize_qa(records, config, timing, git), records, interrupted)


def _where(gold: Path, index_label: str, corpus: Path | None, gold_is_corpus: bool) -> dict[str, str | None]:
    """Where the run's releases came from: an index, a corpus file, or the gold file itself (SQuAD, CNN/DM)."""
    return {
        "gold": str(gold),
        "index": index_label,
        "corpus": str(corpus) if corpus else (str(gold) if gold_is_corpus else None),
    }


def _selection(
    sample: int | None, seed: int, limit: int | None, items: int, interrupted: bool, notes: list[str]
) -> dict[str, Any]:
    """Which gold items ran, so that a reader can repeat the run."""
    return {
        "sample": sample,
        "seed": seed if sample else None,
        "limit": limit,
        "items": items,
        "interrupted": interrupted or None,
        "notes": notes or None,
    }


def _timing(index_build_s: float | None, load_s: float | None, run_s: float, items: int, started: float) -> dict:
    return {
        "index_build_s": index_build_s,
        "model_load_s": load_s,
        "run_s": round(run_s, 1),
        "per_item_s": round(run_s / items, 2) if items else None,
        "wall_s": round(time.perf_counter() - started, 1),
    }


@eval_app.command("summaries")
def summaries(
    gold: GoldOpt,
    out: OutOpt,
    index: IndexOpt = None,
    corpus: CorpusOpt = None,
    model: ModelOpt = None,
    length: Annotated[str, typer.Option("--length", help="short, bullets or detailed.")] = "short",
    limit: LimitOpt = None,
    sample: SampleOpt = None,
    seed: SeedOpt = 0,
    quiet: QuietOpt = False,
) -> None:
    """Summarise every gold release; score key facts, ROUGE, faithfulness, length and latency."""
    from embeddings.settings import get_settings
    from eval.corpus import EvalSetupError, evaluation_engine
    from eval.gold import GoldFormatError, read_summaries, select
    from eval.metrics import ROUGE_L_NOTE
    from eval.report import ResultsWriter, git_state, summarize_summaries
    from eval.run_summaries import SummaryOptions, run_summaries

    if length not in ("short", "bullets", "detailed"):
        raise _fail("--length must be short, bullets or detailed")
    _check_exists(gold=gold, index=None if corpus else index, corpus=corpus)
    try:
        gold_set = read_summaries(gold)
    except GoldFormatError as exc:
        raise _fail(str(exc)) from None
    items = select(gold_set.items, sample, seed, limit)
    settings = get_settings()
    model_name = model or settings.model
    started = time.perf_counter()
    git = git_state()  # now: the tree can change while a long run goes on
    try:
        # Only the releases being summarised are needed: index just those when the gold file carries them.
        wanted = {i.release_id for i in items}
        carried = tuple(r for r in gold_set.releases if r.id in wanted)
        with evaluation_engine(index, corpus, "hybrid", carried, show_progress=not quiet) as info:
            load_s = _warm_up(info.engine, model_name)
            t0 = time.perf_counter()
            with ResultsWriter(out / "results.jsonl") as writer:
                records, interrupted = run_summaries(
                    info.engine, items, SummaryOptions(model_name, length), writer, progress=not quiet
                )
            run_s = time.perf_counter() - t0
            index_label = "temporary" if info.temporary else str(info.index)
            notes = list(info.notes)
    except EvalSetupError as exc:
        raise _fail(str(exc)) from None
    config = {
        **_where(gold, index_label, corpus, bool(gold_set.releases) and index is None),
        "model": model_name,
        "int8": settings.quantize,
        "length": length,
        "rouge": ROUGE_L_NOTE,
        **_selection(sample, seed, limit, len(records), interrupted, notes),
    }
    timing = _timing(info.index_build_s, load_s, run_s, len(records), started)
    _finish(out, summarize_summaries(records, config, timing, git), records, interrupted)


@eval_app.command("compare")
def compare(
    run_a: Annotated[Path, typer.Argument(help="A run folder (or its summary.json).")],
    run_b: Annotated[Path, typer.Argument(help="Another run folder (or its summary.json).")],
    only_differences: Annotated[bool, typer.Option("--diff-only", help="Hide metrics that are equal.")] = False,
) -> None:
    """Print two runs' metrics side by side with the deltas (B − A)."""
    from eval.compare import compare as compare_runs
    from eval.compare import load_summary

    try:
        a, b = load_summary(run_a), load_summary(run_b)
    except (FileNotFoundError, ValueError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(compare_runs(a, b, only_differences))


@eval_app.command("table")
def table(runs: Annotated[list[Path], typer.Argument(help="Run folders (or summary.json files).")]) -> None:
    """Print a markdown table of the headline metrics of several runs (what the README shows)."""
    from eval.compare import load_summary, results_table

    try:
        loaded = [(run.name if run.is_dir() else run.parent.name, load_summary(run)) for run in runs]
    except (FileNotFoundError, ValueError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(results_table(loaded))


@eval_app.command("report")
def report(run: Annotated[Path, typer.Argument(help="A run folder holding results.jsonl.")]) -> None:
    """Rebuild summary.json, report.md and the plots from a run's results.jsonl (after an interrupted run)."""
    from eval.report import rebuild

    if not (run / "results.jsonl").exists():
        raise _fail(f"no results.jsonl in {run}")
    for path in rebuild(run):
        typer.echo(f"wrote {path}")


def bench(
    out: Annotated[Path, typer.Option("--out", help="Folder for the benchmark's results.")],
    corpus: Annotated[Path, typer.Option("--corpus", help="Releases to index.")] = SHARED
    / "corpora/doj/releases.jsonl",
    sizes: Annotated[str, typer.Option("--sizes", help="Corpus sizes to index, comma-separated.")] = "1000,4000,12694",
    gold: Annotated[Path, typer.Option("--gold", help="Gold questions to time.")] = SHARED / "gold/doj_qa.dev.jsonl",
    models: Annotated[
        str, typer.Option("--models", help="Models to time, comma-separated.")
    ] = "qwen2.5-0.5b,qwen2.5-1.5b",
    questions: Annotated[int, typer.Option("--questions", min=1, help="Questions to time retrieval with.")] = 200,
    answer_questions: Annotated[
        int, typer.Option("--answer-questions", min=1, help="Questions to answer with each model.")
    ] = 20,
    baseline_chunks: Annotated[
        int, typer.Option("--baseline-chunks", min=1, help="Chunk texts for the bare-encode baseline.")
    ] = 1000,
    guard_size: Annotated[
        int | None,
        typer.Option(
            "--guard-size", min=0, help="Releases to index with the fp32 model too (0: skip; default: smallest size)."
        ),
    ] = None,
    keep_index: Annotated[
        Path | None, typer.Option("--keep-index", help="Build the index in this new folder and keep it.")
    ] = None,
) -> None:
    """Measure indexing and answering speed and memory at several corpus sizes."""
    from eval.bench import run_bench

    try:
        sizes_list = [int(s) for s in sizes.split(",") if s.strip()]
    except ValueError:
        raise _fail(f"--sizes must be comma-separated numbers, not {sizes!r}") from None
    if not corpus.exists():
        raise _fail(f"no such corpus: {corpus}")
    if not gold.exists():
        raise _fail(f"no such gold file: {gold}")
    try:
        run_bench(
            corpus=corpus,
            sizes=sizes_list,
            out=out,
            gold=gold,
            models=models,
            questions=questions,
            answer_questions=answer_questions,
            baseline_chunks=baseline_chunks,
            guard_size=guard_size,
            keep_index=keep_index,
            echo=typer.echo,
        )
    except ValueError as exc:
        raise _fail(str(exc)) from None
