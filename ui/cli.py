"""The `pressqa` command: parses arguments, calls the same functions as the web app, prints."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from embeddings.index import Filters
    from embeddings.settings import Settings
    from qa.types import Answer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


class PressqaApp(typer.Typer):
    """The command group, with the one handler for the failures any command can meet (a setting that does not
    fit, a damaged or unusable index, a model that cannot be loaded, a file that cannot be read or written):
    each is one line on stderr and a non-zero exit (ui/cli_errors.py)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except Exception as exc:
            from ui.cli_errors import error_line

            reported = error_line(exc)
            if reported is None:
                raise
            code, line = reported
            typer.echo(f"error: {line}", err=True)
            sys.exit(code)


app = PressqaApp(
    help="Ask questions about press releases and summarise them, offline, with citations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

IndexOpt = Annotated[Path | None, typer.Option("--index", help="Index folder (default: $PRESSQA_INDEX or per-user).")]
ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="auto, qwen2.5-1.5b, qwen2.5-0.5b, a local .gguf file or Hugging Face model folder, or a model on an "
        "OpenAI-compatible server: openai:http://HOST:PORT/v1#MODEL.",
    ),
]
RuntimeOpt = Annotated[str | None, typer.Option("--runtime", help="auto, llama.cpp or transformers.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]
MentionsOpt = Annotated[
    str | None,
    typer.Option("--mentions", help="Only releases naming this person or organisation ('Eric Holder', 'FBI')."),
]
DatesOpt = Annotated[
    str,
    typer.Option(
        "--dates",
        help="What --since/--until bound: 'published' (the release date) or 'happened' (the day its main event "
        "happened, 'yesterday' counted from the release date).",
    ),
]
SAMPLE_RELEASES = Path(__file__).resolve().parents[1] / "embeddings" / "sample_releases"


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _settings(**options: object) -> Settings:
    """The settings, with the options the user gave (not None) over PRESSQA_* and the defaults."""
    from embeddings.settings import get_settings

    return get_settings(**options)  # a value that does not fit: SettingsError, reported by PressqaApp


def _engine(settings: object, create: bool = False):
    """The engine over the settings' index; an index it cannot use is reported by PressqaApp."""
    from qa.engine import Engine

    return Engine.open(settings, create=create)  # type: ignore[arg-type]


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders of releases.")],
    index: IndexOpt = None,
    id_field: Annotated[str | None, typer.Option(help="Record field holding the release id.")] = None,
    title_field: Annotated[str | None, typer.Option(help="Record field holding the title.")] = None,
    date_field: Annotated[str | None, typer.Option(help="Record field holding the date.")] = None,
    text_field: Annotated[str | None, typer.Option(help="Record field holding the body text.")] = None,
    org_field: Annotated[str | None, typer.Option(help="Record field holding the organisation.")] = None,
) -> None:
    """Add releases (txt, md, html, json, jsonl, csv, or folders of them) to the index."""
    from embeddings.load import FieldMap

    if not any(p.exists() for p in paths):  # nothing to ingest: no index is created for it
        raise fail(f"no such file or folder: {', '.join(map(str, paths))}")
    engine = _engine(_settings(index=index), create=True)
    fields = FieldMap(id_field, title_field, date_field, text_field, org_field)
    report = engine.ingestor.ingest_paths(paths, fields, show_progress=True)
    for error in report.failed:
        typer.echo(f"failed: {error.origin}: {error.reason}", err=True)
    typer.echo(report.summary())
    if report.failed and not (report.added or report.updated or report.unchanged):
        raise typer.Exit(1)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    index: IndexOpt = None,
    model: ModelOpt = None,
    runtime: RuntimeOpt = None,
    top_k: Annotated[int | None, typer.Option("--top-k", help="Passages shown to the model.")] = None,
    max_new_tokens: Annotated[int | None, typer.Option("--max-new-tokens", help="Longest answer, in tokens.")] = None,
    since: Annotated[str | None, typer.Option(help="Only releases on or after this date (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Only releases on or before this date (YYYY-MM-DD).")] = None,
    organisation: Annotated[str | None, typer.Option(help="Only releases whose organisation contains this.")] = None,
    dates: DatesOpt = "published",
    mentions: MentionsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer a question from the indexed releases, citing the passages used."""
    from qa.engine import QuestionError

    settings = _settings(index=index, model=model, runtime=runtime, top_k=top_k, max_new_tokens=max_new_tokens)
    filters = _filters(since, until, organisation, dates, mentions)
    try:
        engine = _engine(settings)
        _announce(engine)
        stream = engine.ask(question, filters=filters)
        raw = _stream(stream, as_json)  # the model loads here, if the answer needs it
    except (QuestionError, ValueError) as exc:
        raise fail(str(exc)) from None
    assert stream.answer is not None
    _print_result(stream.answer, raw, as_json)


def _announce(engine: Any, err: bool = True) -> None:
    """The answer model chosen for these settings and why (nothing is loaded yet); stderr keeps stdout clean."""
    choice = engine.default_choice
    typer.echo(f"Answer model: {choice.describe(engine.settings.threads)} ({choice.reason})", err=err)


def _stream(pieces: Iterable[str], as_json: bool) -> str:
    """Shows the pieces as they arrive (unless printing JSON) and returns the whole text."""
    raw = ""
    for piece in pieces:
        raw += piece
        if not as_json:
            sys.stdout.write(piece)
            sys.stdout.flush()
    return raw


def _print_result(result: Answer, raw: str, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    typer.echo("")
    # A refusal is reworded and a missing citation marker added after streaming: show the final text.
    if result.text.strip() != raw.strip():
        typer.echo(f"\n{result.text}")
    from ui.render import key_line, reader_note

    if key := key_line(result):
        typer.echo(key)
    if note := reader_note(result):
        typer.echo(f"({note} Candidates: {'; '.join(result.candidates)})")
    typer.echo("")
    _print_citations(result)


def _print_citations(answer: Answer) -> None:
    for c in answer.citations:
        p = c.passage
        when = p.date.isoformat() if p.date else "undated"
        quote = " ".join(p.text[c.quote_start - p.start : c.quote_end - p.start].split())
        typer.echo(f"[{c.n}] {p.title} ({when}; release {p.release_id}; chars {p.start}-{p.end})")
        if p.also_published_as:
            typer.echo(f"    also published as {', '.join(p.also_published_as)}")
        typer.echo(f"    \u201c{quote[:300]}\u201d")


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"'{value}' is not a date: use YYYY-MM-DD") from None


def _filters(
    since: str | None,
    until: str | None,
    organisation: str | None = None,
    dates: str = "published",
    mentions: str | None = None,
) -> Filters:
    """The options' filters, checked before anything is opened or loaded (the web app applies the same rule)."""
    from embeddings.index import DateRangeError, Filters

    try:
        return Filters(
            _date(since),
            _date(until),
            organisation,
            mentions=(mentions or "").strip() or None,
            dates=dates,  # type: ignore[arg-type]
        )
    except DateRangeError:
        raise fail(f"the date range is empty: --since {since} is after --until {until}") from None
    except ValueError as exc:
        raise fail(f"--dates: {exc}") from None


@app.command()
def summarize(
    release: Annotated[str | None, typer.Option("--release", help="Release id, or words from its title.")] = None,
    query: Annotated[str | None, typer.Option("--query", help="Summarise all releases on this topic.")] = None,
    since: Annotated[str | None, typer.Option(help="With --query: from this date (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="With --query: up to this date (YYYY-MM-DD).")] = None,
    length: Annotated[
        str | None,
        typer.Option(
            "--length",
            "--summary-length",
            help="short, bullets, detailed, or facts (a release's fact sheet, no model).",
        ),
    ] = None,
    max_releases: Annotated[
        int | None, typer.Option("--max-releases", help="With --query: releases the summary draws on.")
    ] = None,
    index: IndexOpt = None,
    model: ModelOpt = None,
    runtime: RuntimeOpt = None,
    dates: DatesOpt = "published",
    mentions: MentionsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Summarise one release, or every release on a topic."""
    from qa.engine import QuestionError, ReleaseNotFoundError

    if (release is None) == (query is None):
        raise fail("give exactly one of --release ID and --query TEXT")
    filters = _filters(since, until, None, dates, mentions)
    settings = _settings(index=index, model=model, runtime=runtime, summary_length=length, max_releases=max_releases)
    engine = _engine(settings)
    if settings.summary_length != "facts":  # a fact sheet uses no model
        _announce(engine)
    try:
        if release is not None:
            stream = engine.summarize_release(release, on_status=lambda m: typer.echo(m, err=True))
        else:
            stream = engine.summarize_topic(query or "", filters)
    except (QuestionError, ReleaseNotFoundError, ValueError) as exc:
        raise fail(str(exc)) from None
    raw = _stream(stream, as_json)
    assert stream.summary is not None
    _print_result(stream.summary, raw, as_json)


@app.command()
def timeline(
    query: Annotated[str, typer.Argument(help="The case or story: names, a company, an operation.")],
    since: Annotated[str | None, typer.Option(help="From this date (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Up to this date (YYYY-MM-DD).")] = None,
    max_events: Annotated[int | None, typer.Option("--max-events", min=1, max=50, help="Events listed.")] = None,
    index: IndexOpt = None,
    dates: DatesOpt = "published",
    mentions: MentionsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The events of a case or story, one release each, oldest first, each cited to its sentence (no model)."""
    from qa.engine import QuestionError

    filters = _filters(since, until, None, dates, mentions)
    engine = _engine(_settings(index=index))
    try:
        result = engine.timeline(query, filters, max_events=max_events)
    except QuestionError as exc:
        raise fail(str(exc)) from None
    if not as_json:
        typer.echo(result.text)
    _print_result(result, result.text, as_json)


@app.command()
def quotes(
    speaker: Annotated[str | None, typer.Option("--speaker", help="Whose quotes: a name, a surname or a body.")] = None,
    query: Annotated[str | None, typer.Option("--query", help="What the quotes are about.")] = None,
    since: Annotated[str | None, typer.Option(help="From this date (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Up to this date (YYYY-MM-DD).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500, help="Quotes listed.")] = 10,
    speakers: Annotated[
        bool, typer.Option("--speakers", help="List the most quoted speakers and their counts instead.")
    ] = False,
    index: IndexOpt = None,
    dates: DatesOpt = "published",
    mentions: MentionsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Quotes and who said them, read from the releases at ingest, each cited to its exact span (no model)."""
    from qa.engine import QuestionError

    filters = _filters(since, until, None, dates, mentions)
    engine = _engine(_settings(index=index))
    if speakers:
        counts = engine.index.speakers(limit)
        if as_json:
            typer.echo(json.dumps([{"speaker": name, "quotes": n} for name, n in counts], ensure_ascii=False, indent=2))
        else:
            for name, n in counts:
                typer.echo(f"{n:6d}  {name}")
        return
    try:
        result = engine.quotes(speaker or "", query or "", filters, limit=limit)
    except QuestionError as exc:
        raise fail(str(exc)) from None
    if not as_json:
        typer.echo(result.text)
    _print_result(result, result.text, as_json)


# The widest bar of `pressqa count`'s table, in characters.
COUNT_BAR_CHARS = 40


@app.command()
def count(
    topic: Annotated[str, typer.Argument(help="What to count: words, a name (Eric Holder), or a counting question.")],
    since: Annotated[str | None, typer.Option(help="From this date (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Up to this date (YYYY-MM-DD).")] = None,
    by: Annotated[str | None, typer.Option("--by", help="month or year (default: by the span).")] = None,
    organisation: Annotated[str | None, typer.Option(help="Only releases whose organisation contains this.")] = None,
    index: IndexOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Count every release about a topic, by month or year, with a few cited examples (no model)."""
    from qa.engine import QuestionError

    if by not in (None, "month", "year"):
        raise fail(f"--by must be month or year, not '{by}'")
    filters = _filters(since, until, organisation)
    engine = _engine(_settings(index=index))
    try:
        result = engine.count(topic, filters.since, filters.until, by, filters.organisation)  # type: ignore[arg-type]
    except QuestionError as exc:
        raise fail(str(exc)) from None
    if as_json:
        _print_result(result, result.text, as_json)
        return
    typer.echo(result.text)
    typer.echo("")
    for line in count_table(result.counts):
        typer.echo(line)
    typer.echo("")
    _print_citations(result)


def count_table(counts: Sequence[tuple[str, int]]) -> list[str]:
    """A count's series as lines of text: the period, the releases, a bar of '#' scaled to the largest."""
    if not counts:
        return []
    top = max(n for _, n in counts) or 1
    head = "month" if len(counts[0][0]) == 7 else "year"
    width = max(len(f"{n:,}") for _, n in counts)
    lines = [f"{head:<8} {'releases':>{max(width, 8)}}"]
    for key, n in counts:
        bar = "#" * round(COUNT_BAR_CHARS * n / top)
        lines.append(f"{key:<8} {n:>{max(width, 8)},}  {bar}".rstrip())
    return lines


@app.command()
def mentions(
    name: Annotated[str, typer.Argument(help="A person or organisation: 'Eric Holder', 'Holder', 'FBI'.")],
    kind: Annotated[str | None, typer.Option("--type", help="person or organisation.")] = None,
    since: Annotated[str | None, typer.Option(help="From this date (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Up to this date (YYYY-MM-DD).")] = None,
    index: IndexOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every release naming a person or organisation, with counts by month (read at ingest; exhaustive)."""
    from qa.engine import QuestionError
    from qa.mentions import by_month

    if kind not in (None, "person", "organisation"):
        raise fail("--type must be person or organisation")
    filters = _filters(since, until)
    engine = _engine(_settings(index=index))
    try:
        result = engine.mentions(name, kind, filters)
    except QuestionError as exc:
        raise fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    typer.echo("\n".join(result.text.splitlines()[:1]))
    if result.named_in:
        typer.echo("")
        for month, n in by_month(result.named_in):
            typer.echo(f"  {month}  {n:5d}  {'#' * min(n, 60)}")
        typer.echo("")
        for n in result.named_in:
            when = n.date.isoformat() if n.date else "undated"
            typer.echo(f"{when}  {n.release_id}  {n.title}  ({n.name}, {n.mentions}x)")


@app.command()
def names(
    kind: Annotated[str | None, typer.Option("--type", help="person or organisation.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="Names listed.")] = 30,
    index: IndexOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The people and organisations named in the most releases, with their counts (read at ingest)."""
    if kind not in (None, "person", "organisation"):
        raise fail("--type must be person or organisation")
    engine = _engine(_settings(index=index))
    rows = engine.index.most_named(kind, limit)
    if as_json:
        typer.echo(
            json.dumps([{"name": n, "type": t, "releases": c} for n, t, c in rows], ensure_ascii=False, indent=2)
        )
        return
    for name_, kind_, count in rows:
        typer.echo(f"{count:6d}  {name_}  ({kind_})")


@app.command()
def remove(release_id: str, index: IndexOpt = None) -> None:
    """Delete one release (and its passages) from the index."""
    engine = _engine(_settings(index=index))
    if not engine.index.remove(release_id):
        raise fail(f"no release with id '{release_id}' in {engine.index.path}")
    typer.echo(f"removed {release_id}")


@app.command()
def info(
    index: IndexOpt = None,
    as_json: JsonOpt = False,
    reissues: Annotated[
        bool, typer.Option("--reissues", help="List each release published under several ids, with its ids.")
    ] = False,
) -> None:
    """Show what the index holds."""
    engine = _engine(_settings(index=index))
    s = engine.index.stats()
    groups = engine.index.reissues()
    unsigned = len(engine.index.unsigned_releases())
    data = {
        "index": str(engine.index.path),
        "releases": s.releases,
        "chunks": s.chunks,
        "embedding_model": s.embedding_model,
        "dimension": s.dimension,
        "first_date": _iso(s.first_date),
        "last_date": _iso(s.last_date),
        "bytes_on_disk": s.bytes_on_disk,
        "generation_model": engine.default_choice.describe(engine.settings.threads),
        "generation_model_reason": engine.default_choice.reason,
        "reissued_groups": len(groups),
        "reissued_releases": sum(len(g) for g in groups),
        **({"unchecked_for_reissues": f"{unsigned} (run `pressqa ingest` to check them)"} if unsigned else {}),
    }
    listed = []
    if reissues:
        infos = {i.id: i for i in engine.index.release_infos(r for g in groups for r in g)}
        listed = [[{"id": r, "date": _iso(infos[r].date), "title": infos[r].title} for r in g] for g in groups]
    if as_json:
        typer.echo(json.dumps({**data, **({"reissues": listed} if reissues else {})}, indent=2))
        return
    for key, value in data.items():
        typer.echo(f"{key:24} {value}")
    for n, group in enumerate(listed, 1):
        typer.echo(f"\nre-issued release {n}: {group[0]['title']}")
        for r in group:
            typer.echo(f"    {r['id']}  {r['date'] or 'undated'}")


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


@app.command()
def serve(
    index: IndexOpt = None,
    host: Annotated[str | None, typer.Option(help="Address to bind; 127.0.0.1 keeps it on this machine.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    auth: Annotated[str | None, typer.Option(help="USER:PASS to require a login (or $PRESSQA_AUTH).")] = None,
    model: ModelOpt = None,
    runtime: RuntimeOpt = None,
    sample: Annotated[bool, typer.Option(help="Index the bundled sample releases when the index is empty.")] = True,
) -> None:
    """Start the web chat."""
    from ui.app import serve as serve_app

    settings = _settings(index=index, model=model, runtime=runtime, host=host, port=port, auth=auth)
    engine = _engine(settings, create=True)
    releases = engine.index.stats().releases  # an index it cannot read stops the server here, not at the first question
    _announce(engine, err=False)
    if sample and releases == 0:
        typer.echo(f"The index is empty: indexing the sample releases from {SAMPLE_RELEASES} ...")
        typer.echo(engine.ingestor.ingest_paths([SAMPLE_RELEASES], show_progress=True).summary())
    serve_app(engine, host=settings.host, port=settings.port, auth=settings.auth)


def _register_eval() -> None:
    import importlib.util

    if importlib.util.find_spec("eval.cli") is None:
        return
    from eval.cli import bench, bench_memory, eval_app

    app.add_typer(eval_app, name="eval")
    app.command()(bench)
    app.command("bench-memory")(bench_memory)


_register_eval()

if __name__ == "__main__":
    app()
