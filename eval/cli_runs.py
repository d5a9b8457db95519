"""What `pressqa eval qa` and `pressqa eval summaries` share: their common options (declared once, as
RunArgs), reading the gold file, the engine phase that fills results.jsonl, and the summary's config
and timing blocks. eval/cli.py holds the commands themselves.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, get_type_hints

import typer

GoldOpt = Annotated[Path, typer.Option("--gold", help="Gold file (JSONL, SQuAD v1.1 JSON or CNN/DailyMail JSONL).")]
IndexOpt = Annotated[
    Path | None, typer.Option("--index", help="An existing index folder (with --corpus: build/update it).")
]
CorpusOpt = Annotated[
    Path | None,
    typer.Option("--corpus", help="Releases to index for the run (anything `ingest` reads, SQuAD JSON, CNN/DM JSONL)."),
]
OutOpt = Annotated[Path, typer.Option("--out", help="Folder for results.jsonl, summary.json, report.md and plots.")]
ModelOpt = Annotated[
    str | None,
    typer.Option("--model", help="auto, qwen2.5-1.5b, qwen2.5-0.5b or a local model (its runtime: PRESSQA_RUNTIME)."),
]
LimitOpt = Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N items (after --sample).")]
SampleOpt = Annotated[int | None, typer.Option("--sample", min=1, help="A random sample of N items (seeded).")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed for --sample.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", help="No progress bar.")]


@dataclass(frozen=True)
class RunArgs:
    """The options every evaluation run takes; `run_command` adds them to a command's own."""

    gold: GoldOpt
    out: OutOpt
    index: IndexOpt = None
    corpus: CorpusOpt = None
    model: ModelOpt = None
    limit: LimitOpt = None
    sample: SampleOpt = None
    seed: SeedOpt = 0
    quiet: QuietOpt = False


def run_command(app: typer.Typer, name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register `command(run: RunArgs, **own_options)` as `app NAME`, taking RunArgs' options (listed first
    in --help) and the command's own. Typer reads a command's options from its signature, so the shared
    ones are added to it here rather than written out in every command."""

    def register(command: Callable[..., None]) -> Callable[..., None]:
        shared_hints = get_type_hints(RunArgs, include_extras=True)
        shared = [
            inspect.Parameter(
                f.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default,
                annotation=shared_hints[f.name],
            )
            for f in dataclasses.fields(RunArgs)
        ]
        own_hints = get_type_hints(command, include_extras=True)
        own = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=own_hints[p.name])
            for p in inspect.signature(command).parameters.values()
            if p.name != "run"
        ]

        @functools.wraps(command)
        def with_run_args(**options: Any) -> None:
            run = RunArgs(**{f.name: options.pop(f.name) for f in dataclasses.fields(RunArgs)})
            command(run, **options)

        del with_run_args.__wrapped__  # Typer must read the signature below, not the command's
        with_run_args.__signature__ = inspect.Signature([*shared, *own])  # type: ignore[attr-defined]
        with_run_args.__annotations__ = {p.name: p.annotation for p in (*shared, *own)}
        app.command(name)(with_run_args)
        return command

    return register


def fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def require(*options: tuple[str, Path | None] | None) -> None:
    """One clear error line for the first (option, path) whose file or folder is missing; None: not given."""
    for option, path in (o for o in options if o is not None):
        if path is not None and not path.exists():
            raise fail(f"--{option}: no such file or folder: {path}")


def write_json(out: Path, name: str, result: dict[str, Any]) -> Path:
    """A run's result as `out`/`name`, for commands whose results are not a summary.json."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return path


def read_gold(read: Callable[[Path], Any], run: RunArgs, other: tuple[str, Path] | None = None) -> Any:
    """The gold set, or one clear error line (missing files, a file of the wrong kind). `other`: a second
    gold file an option names, read instead of --gold."""
    from eval.gold import GoldFormatError

    require(("gold", run.gold), ("index", None if run.corpus else run.index), ("corpus", run.corpus), other)
    try:
        return read(other[1] if other else run.gold)
    except GoldFormatError as exc:
        raise fail(str(exc)) from None


def _warm_up(engine: Any, model: str) -> float:
    """Load the model before the clock starts, so the first item's latency is not the load time."""
    t0 = time.perf_counter()
    engine.generator(model)
    return round(time.perf_counter() - t0, 1)


@dataclass
class Done:
    """What a run's engine phase leaves: the records and the numbers its summary.json records."""

    records: list[Any]
    interrupted: bool
    index_label: str
    notes: list[str]
    index_build_s: float | None
    load_s: float | None
    run_s: float
    machine: dict[str, Any]


def execute(
    run: RunArgs,
    retrieval: str,
    releases: Sequence[Any],
    model: str | None,
    threads: int | None,
    evaluate: Callable[[Any, Any], tuple[list[Any], bool]],
    notes_for: Callable[[Any], list[str]] = lambda engine: [],
) -> Done:
    """Open (or build) the index, load `model` (None: no model), `evaluate(engine, writer)` into results.jsonl.
    `threads` is the configured thread count (PRESSQA_THREADS), for the machine record."""
    from eval.corpus import EvalSetupError, evaluation_engine
    from eval.provenance import machine
    from eval.store import ResultsWriter

    try:
        with evaluation_engine(run.index, run.corpus, retrieval, releases, show_progress=not run.quiet) as info:
            notes = [*info.notes, *notes_for(info.engine)]
            load_s = None if model is None else _warm_up(info.engine, model)
            t0 = time.perf_counter()
            with ResultsWriter(run.out / "results.jsonl") as writer:
                records, interrupted = evaluate(info.engine, writer)
            run_s = time.perf_counter() - t0
    except EvalSetupError as exc:
        raise fail(str(exc)) from None
    index_label = "temporary" if info.temporary else str(info.index)
    used = machine(threads, generated=model is not None)
    return Done(records, interrupted, index_label, notes, info.index_build_s, load_s, run_s, used)


def finish(run: RunArgs, summary: Any, done: Done) -> None:
    from eval.outputs import write_outputs

    for path in write_outputs(run.out, summary, done.records):
        typer.echo(f"wrote {path}")
    if done.interrupted:
        typer.echo(f"interrupted after {len(done.records)} items: the files above cover those items", err=True)
        raise typer.Exit(130)


def where(run: RunArgs, done: Done, gold_is_corpus: bool) -> dict[str, str | None]:
    """Where the run's releases came from: an index, a corpus file, or the gold file itself (SQuAD, CNN/DM)."""
    return {
        "gold": str(run.gold),
        "index": done.index_label,
        "corpus": str(run.corpus) if run.corpus else (str(run.gold) if gold_is_corpus else None),
    }


def selection(run: RunArgs, done: Done) -> dict[str, Any]:
    """Which gold items ran, so that a reader can repeat the run."""
    return {
        "sample": run.sample,
        "seed": run.seed if run.sample else None,
        "limit": run.limit,
        "items": len(done.records),
        "interrupted": done.interrupted or None,
        "notes": done.notes or None,
    }


def timing(done: Done, started: float) -> dict[str, float | None]:
    items = len(done.records)
    return {
        "index_build_s": done.index_build_s,
        "model_load_s": done.load_s,
        "run_s": round(done.run_s, 1),
        "per_item_s": round(done.run_s / items, 2) if items else None,
        "wall_s": round(time.perf_counter() - started, 1),
    }
