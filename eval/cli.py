"""`pressqa eval qa|summaries|compare` and `pressqa bench`: argument parsing only; the work is in eval.*."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from eval.cli_runs import (
    RunArgs,
    execute,
    fail,
    finish,
    read_gold,
    require,
    run_command,
    selection,
    timing,
    where,
    write_json,
)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

eval_app = typer.Typer(
    help="Measure answers, retrieval and summaries against gold files; compare runs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

RetrievalOpt = Annotated[str, typer.Option("--retrieval", help="hybrid, dense or lexical.")]


@run_command(eval_app, "qa")
def qa(
    run: RunArgs,
    retrieval: RetrievalOpt = "hybrid",
    top_k: Annotated[
        int | None,
        typer.Option(
            "--top-k", min=1, max=30, help="Passages shown to the model (default: the settings, PRESSQA_TOP_K)."
        ),
    ] = None,
    types: Annotated[
        list[str] | None,
        typer.Option("--type", help="Only questions of this type (repeatable), after --sample, before --limit."),
    ] = None,
    max_new_tokens: Annotated[
        int | None,
        typer.Option(
            "--max-new-tokens", min=8, help="Answer length cap (default: the settings, PRESSQA_MAX_NEW_TOKENS)."
        ),
    ] = None,
    retrieval_only: Annotated[
        bool, typer.Option("--retrieval-only", help="Only retrieval metrics (hit@k, MRR): no model, seconds not hours.")
    ] = False,
) -> None:
    """Ask every gold question; score answers, retrieval, citations, refusals and latency."""
    from embeddings.settings import get_settings
    from eval.aggregate import summarize
    from eval.corpus import missing_releases
    from eval.gold import read_questions, select
    from eval.provenance import git_state
    from eval.run_qa import QAOptions, run_qa
    from qa.choice import choose

    gold_set = read_gold(read_questions, run)
    items = select(gold_set.items, run.sample, run.seed, types=types, limit=run.limit)
    if types and not items:
        known = sorted({i.type for i in gold_set.items if i.type})
        raise fail(f"no gold question has type {', '.join(types)}; the types in {run.gold} are {', '.join(known)}")
    settings = get_settings()
    choice = choose(run.model or settings.model, settings.runtime, settings.quantize)
    model_name = choice.model
    top_k = settings.top_k if top_k is None else top_k
    max_new_tokens = settings.max_new_tokens if max_new_tokens is None else max_new_tokens
    options = QAOptions(model=model_name, top_k=top_k, max_new_tokens=max_new_tokens, retrieval_only=retrieval_only)
    started = time.perf_counter()
    git = git_state()  # now: the tree can change while a long run goes on

    def missing(engine: Any) -> list[str]:
        absent = missing_releases(engine, [i.release_id for i in items if i.release_id])
        if not absent:
            return []
        note = f"{len(absent)} gold releases are not in the index, e.g. {absent[:3]}"
        typer.echo(f"warning: {note}", err=True)
        return [note]

    done = execute(
        run,
        retrieval,
        gold_set.releases,
        None if retrieval_only else model_name,
        settings.threads,
        lambda engine, writer: run_qa(engine, items, options, writer, progress=not run.quiet),
        missing,
    )
    config = {
        **where(run, done, bool(gold_set.releases) and run.index is None),
        "model": None if retrieval_only else model_name,
        "runtime": None if retrieval_only else choice.describe(settings.threads),
        "int8": None if retrieval_only else settings.quantize,
        "reader": None
        if retrieval_only
        else {
            "span_first": settings.span_first,
            "span_check": settings.span_check,
            "choose_candidates": settings.choose_candidates,
        },
        "retrieval": retrieval,
        "retrieval_only": retrieval_only or None,
        "top_k": top_k,
        "max_new_tokens": max_new_tokens,
        "types": types or None,
        **selection(run, done),
    }
    finish(run, summarize("qa", done.records, config, timing(done, started), git=git, machine=done.machine), done)


@run_command(eval_app, "followups")
def followups(run: RunArgs, retrieval: RetrievalOpt = "hybrid") -> None:
    """Ask each gold conversation turn by turn (the product's answers as history), and each follow-up once
    more in its standalone wording; compare the groups (first turn, follow-up, follow-up asked alone)."""
    from embeddings.settings import get_settings
    from eval.aggregate import summarize
    from eval.gold import read_conversations, select
    from eval.provenance import git_state
    from eval.run_followups import run_followups
    from eval.run_qa import QAOptions
    from qa.choice import choose

    conversations = select(read_gold(read_conversations, run), run.sample, run.seed, run.limit)
    settings = get_settings()
    choice = choose(run.model or settings.model, settings.runtime, settings.quantize)
    options = QAOptions(model=choice.model, top_k=settings.top_k, max_new_tokens=settings.max_new_tokens)
    started = time.perf_counter()
    git = git_state()
    done = execute(
        run,
        retrieval,
        (),
        choice.model,
        settings.threads,
        lambda engine, writer: run_followups(engine, conversations, options, writer, progress=not run.quiet),
    )
    config = {
        **where(run, done, False),
        "model": choice.model,
        "runtime": choice.describe(settings.threads),
        "retrieval": retrieval,
        "top_k": settings.top_k,
        "max_new_tokens": settings.max_new_tokens,
        "conversations": len(conversations),
        **selection(run, done),
    }
    finish(run, summarize("qa", done.records, config, timing(done, started), git=git, machine=done.machine), done)


@run_command(eval_app, "summaries")
def summaries(
    run: RunArgs,
    length: Annotated[
        str, typer.Option("--length", help="short, bullets, detailed, or facts (the fact sheet: no model).")
    ] = "short",
    answer_baseline: Annotated[
        Path | None,
        typer.Option(
            "--answer-baseline",
            help="A QA gold file: after the summaries, time answers to as many of its first questions "
            "(the index must hold their releases) and report the summaries' p50 as a multiple of theirs.",
        ),
    ] = None,
) -> None:
    """Summarise every gold release; score key facts, ROUGE, faithfulness, length and latency."""
    from embeddings.settings import get_settings
    from eval.aggregate import summarize
    from eval.gold import read_questions, read_summaries, select
    from eval.metrics import ROUGE_L_NOTE, percentile
    from eval.provenance import git_state
    from eval.run_summaries import SummaryOptions, answer_latencies, run_summaries
    from qa.choice import choose

    if length not in ("short", "bullets", "detailed", "facts"):
        raise fail("--length must be short, bullets, detailed or facts")
    if answer_baseline is not None and length == "facts":
        raise fail("--answer-baseline needs a model: the fact sheet uses none")
    gold_set = read_gold(read_summaries, run)
    items = select(gold_set.items, run.sample, run.seed, run.limit)
    settings = get_settings()
    choice = choose(run.model or settings.model, settings.runtime, settings.quantize)
    model_name = choice.model
    started = time.perf_counter()
    git = git_state()  # now: the tree can change while a long run goes on
    # Only the releases being summarised are needed: index just those when the gold file carries them.
    wanted = {i.release_id for i in items}
    carried = tuple(r for r in gold_set.releases if r.id in wanted)
    options = SummaryOptions(model_name, length)
    questions: list[str] = []
    if answer_baseline is not None:
        baseline_set = read_gold(read_questions, run, ("answer-baseline", answer_baseline))
        questions = [q.question for q in baseline_set.items][: len(items)]
    answer_times: list[float] = []

    def job(engine: Any, writer: Any) -> Any:
        out = run_summaries(engine, items, options, writer, progress=not run.quiet)
        answer_times.extend(answer_latencies(engine, questions, model_name, progress=not run.quiet))
        return out

    done = execute(run, "hybrid", carried, None if length == "facts" else model_name, settings.threads, job)
    config = {
        **where(run, done, bool(gold_set.releases) and run.index is None),
        "model": model_name,
        "runtime": choice.describe(settings.threads),
        "int8": settings.quantize,
        "length": length,
        "rouge": ROUGE_L_NOTE,
        **selection(run, done),
    }
    if answer_times:
        summary_p50 = percentile([r.latency.get("total") for r in done.records if r.latency], 50)
        answer_p50 = percentile(answer_times, 50)
        config["answer_baseline"] = {
            "gold": str(answer_baseline),
            "questions": len(answer_times),
            "answer_p50_s": answer_p50,
            "summary_p50_s": summary_p50,
            "summary_over_answer_p50": round(summary_p50 / answer_p50, 2) if summary_p50 and answer_p50 else None,
        }
    summary = summarize("summaries", done.records, config, timing(done, started), git=git, machine=done.machine)
    finish(run, summary, done)


@run_command(eval_app, "topics")
def topics(
    run: RunArgs,
    length: Annotated[str, typer.Option("--length", help="short, bullets or detailed.")] = "short",
    max_releases: Annotated[
        int | None, typer.Option("--max-releases", min=1, max=20, help="Releases a summary draws on.")
    ] = None,
) -> None:
    """Summarise every gold topic over the index; score the gold releases cited, their key facts, the
    citations' precision and, for stories, the date order."""
    from embeddings.settings import get_settings
    from eval.aggregate import summarize
    from eval.gold import read_topics, select
    from eval.provenance import git_state
    from eval.run_topics import TopicOptions, run_topics
    from qa.choice import choose

    if length not in ("short", "bullets", "detailed"):
        raise fail("--length must be short, bullets or detailed")
    items = select(read_gold(read_topics, run), run.sample, run.seed, run.limit)
    settings = get_settings()
    choice = choose(run.model or settings.model, settings.runtime, settings.quantize)
    started = time.perf_counter()
    git = git_state()
    options = TopicOptions(choice.model, length, max_releases)
    done = execute(
        run,
        "hybrid",
        (),
        choice.model,
        settings.threads,
        lambda engine, writer: run_topics(engine, items, options, writer, progress=not run.quiet),
    )
    config = {
        **where(run, done, False),
        "model": choice.model,
        "runtime": choice.describe(settings.threads),
        "length": length,
        "max_releases": max_releases or settings.max_releases,
        **selection(run, done),
    }
    finish(run, summarize("topics", done.records, config, timing(done, started), git=git, machine=done.machine), done)


# What reading releases costs ingest (eval/ingest_cost.py), timed by `reissues` and `quotes`.
CostCorpusOpt = Annotated[
    Path | None, typer.Option("--corpus", help="Releases whose first --ingest-sample are ingested to time reading.")
]
IngestSampleOpt = Annotated[int, typer.Option("--ingest-sample", min=1)]


@eval_app.command("timelines")
def timelines(
    gold: Annotated[Path, typer.Option("--gold", help="The topic gold (eval/gold/topics.dev.jsonl): its stories.")],
    index: Annotated[Path, typer.Option("--index", help="An index holding the gold releases.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for timelines.json.")],
    max_events: Annotated[int | None, typer.Option("--max-events", min=1, max=50)] = None,
) -> None:
    """List each story topic's timeline; score the gold events present, precision, date order, citations."""
    from embeddings.settings import get_settings
    from eval.gold import GoldFormatError, read_topics
    from eval.provenance import git_state, machine
    from eval.run_timelines import run_timelines
    from qa.engine import Engine

    require(("gold", gold), ("index", index))
    try:
        topics = read_topics(gold)
    except GoldFormatError as exc:
        raise fail(str(exc)) from None
    engine = Engine.open(get_settings(index=index))
    scored = run_timelines(engine, topics, max_events)
    result = {
        "kind": "timelines",
        "config": {"gold": str(gold), "index": str(index), "max_events": max_events},
        "git": git_state(),
        "machine": machine(engine.settings.threads, False),
        "overall": {k: v for k, v in scored.items() if k != "rows"},
        "rows": scored["rows"],
    }
    written = write_json(out, "timelines.json", result)
    o = result["overall"]
    typer.echo(
        f"{o['stories']} stories: events present {100 * o['events_present']:.1f}%, precision "
        f"{100 * o['precision']:.1f}%, {o['in_date_order']} in date order, {o['all_cited']} fully cited; "
        f"{o['seconds_p50']:.2f} s p50"
    )
    typer.echo(f"wrote {written}")


@eval_app.command("reissues")
def reissues(
    gold: Annotated[Path, typer.Option("--gold", help="Labelled groups and pairs (eval/gold/reissues.dev.jsonl).")],
    index: Annotated[Path, typer.Option("--index", help="An index holding the labelled releases.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for reissues.json.")],
    corpus: CostCorpusOpt = None,
    ingest_sample: IngestSampleOpt = 300,
) -> None:
    """Score the index's re-issued release groups against hand-labelled pairs; time what signing costs ingest."""
    from embeddings.settings import get_settings
    from eval.ingest_cost import ingest_cost
    from eval.provenance import git_state, machine
    from eval.run_reissues import read_reissues, score_reissues
    from qa.engine import Engine

    require(("gold", gold), ("index", index), ("corpus", corpus))
    labelled = read_reissues(gold)
    engine = Engine.open(get_settings(index=index))
    engine.ingestor.ingest([], show_progress=True)  # signs the releases of an index from an earlier version
    started = time.perf_counter()
    groups = engine.index.reissues()
    result: dict[str, Any] = {
        "kind": "reissues",
        "config": {"gold": str(gold), "index": str(index), "releases": engine.index.stats().releases},
        "git": git_state(),
        "machine": machine(engine.settings.threads, False),
        "grouping_s": round(time.perf_counter() - started, 3),
        "overall": score_reissues(groups, labelled),
    }
    if corpus is not None:
        result["ingest_cost"] = ingest_cost(corpus, engine.encoder, ingest_sample)
    written = write_json(out, "reissues.json", result)
    o = result["overall"]
    typer.echo(
        f"{o['groups']} groups ({o['releases_in_groups']} releases); precision {o['precision']}, recall {o['recall']} "
        f"over {o['pairs_labelled']} labelled pairs; {len(o['pairs_unlabelled'])} grouped pairs unlabelled"
    )
    for kind, row in o["by_kind"].items():
        typer.echo(f"  {kind}: {row['grouped']} of {row['groups']} grouped")
    if "ingest_cost" in result:
        _echo_ingest_cost(result["ingest_cost"])
    typer.echo(f"wrote {written}")


@eval_app.command("quotes")
def quotes(
    gold: Annotated[Path, typer.Option("--gold", help="Hand-read quotes (eval/gold/quotes.dev.jsonl).")],
    index: Annotated[Path, typer.Option("--index", help="An index holding the gold releases.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for quotes.json.")],
    corpus: CostCorpusOpt = None,
    ingest_sample: IngestSampleOpt = 300,
) -> None:
    """Score the quotes kept at ingest and the answers read from them: speaker right, span exact."""
    from embeddings.settings import get_settings
    from eval.ingest_cost import ingest_cost
    from eval.provenance import git_state, machine
    from eval.run_quotes import read_quotes_gold, run_quotes
    from qa.engine import Engine

    require(("gold", gold), ("index", index), ("corpus", corpus))
    engine = Engine.open(get_settings(index=index))
    engine.ingestor.ingest([], show_progress=True)  # reads the quotes of an index from an earlier version
    scored = run_quotes(engine, read_quotes_gold(gold))
    if corpus is not None:
        scored["ingest_cost"] = ingest_cost(corpus, engine.encoder, ingest_sample)
    result = {
        "kind": "quotes",
        "config": {"gold": str(gold), "index": str(index), "releases": engine.index.stats().releases},
        "git": git_state(),
        "machine": machine(engine.settings.threads, False),
        **scored,
    }
    written = write_json(out, "quotes.json", result)
    for name, o in result["overall"].items():
        if isinstance(o, dict):
            typer.echo(
                f"{name} ({o['questions']}): kept {100 * o['kept_found']:.1f}% found, speaker "
                f"{100 * o['kept_speaker_right']:.1f}%, span {100 * o['kept_span_exact']:.1f}%; answered "
                f"{100 * o['answered']:.1f}%, speaker {100 * o['speaker_right']:.1f}%, "
                f"span {100 * o['span_exact']:.1f}% (first) {100 * o['span_exact_shown']:.1f}% (shown)"
            )
    if "ingest_cost" in result:
        _echo_ingest_cost(result["ingest_cost"])
    typer.echo(f"answers {result['overall']['seconds_p50']:.3f} s p50; wrote {written}")


@eval_app.command("counts")
def counts(
    gold: Annotated[Path, typer.Option("--gold", help="Counting questions (eval/gold/counts.dev.jsonl).")],
    index: Annotated[Path, typer.Option("--index", help="An index of the corpora the gold was counted over.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for counts.json.")],
) -> None:
    """Score counting questions: parse right, count exact, peak right, series exact, ms per question."""
    from embeddings.settings import get_settings
    from eval.provenance import git_state, machine
    from eval.run_counts import read_counts_gold, run_counts
    from qa.engine import Engine

    require(("gold", gold), ("index", index))
    engine = Engine.open(get_settings(index=index))
    started = time.perf_counter()
    engine.ingestor.ingest([], show_progress=True)  # an index from an earlier version gets its text index here
    brought_up_s = time.perf_counter() - started
    scored = run_counts(engine, read_counts_gold(gold))
    result = {
        "kind": "counts",
        "config": {"gold": str(gold), "index": str(index), "releases": engine.index.stats().releases},
        "git": git_state(),
        "machine": machine(engine.settings.threads, False),
        "index_brought_up_s": round(brought_up_s, 2),
        **scored,
    }
    written = write_json(out, "counts.json", result)
    o = result["overall"]
    typer.echo(
        f"{o['questions']} questions: parse {100 * o['parse_right']:.1f}%; of {o['counted']} counted, count exact "
        f"{100 * o['count_exact']:.1f}%, peak {100 * o['peak_right']:.1f}%, series {100 * o['series_exact']:.1f}%; "
        f"{o['ms_p50']} ms p50, {o['ms_max']} ms max"
    )
    for row in result["rows"]:
        if not (row["parse_right"] and row.get("count_exact", True) and row.get("peak_right", True)):
            typer.echo(f"  {row['id']}: {row['question']} -> {row.get('count')} (expected {row.get('expected')})")
    typer.echo(f"wrote {written}")


def _echo_ingest_cost(c: dict[str, Any]) -> None:
    readers = ", ".join(f"{name} {ms} ms" for name, ms in c["reader_ms_per_release"].items())
    typer.echo(
        f"reading each release: {readers}; ingest {c['chunks_per_s']} chunks/s against "
        f"{c['chunks_per_s_without_readers']} without them ({c['ratio']}x)"
    )


@eval_app.command("dates")
def dates(
    gold: Annotated[
        Path, typer.Option("--gold", help="Releases with annotated event days (the ISAF releases.jsonl).")
    ] = SHARED / "corpora/isaf/releases.jsonl",
    out: Annotated[Path, typer.Option("--out", help="Folder for dates.json.")] = REPO / "eval/results/isaf-dates",
    corpus: Annotated[
        Path | None, typer.Option("--corpus", help="Releases whose first --speed-sample time the dating.")
    ] = SHARED / "corpora/doj/releases.jsonl",
    speed_sample: Annotated[int, typer.Option("--speed-sample", min=1)] = 2000,
) -> None:
    """Score each release's event day (its lead's stated day, else its date) against the annotated day."""
    from eval.provenance import git_state, machine
    from eval.run_dates import dating_cost, find_day, load_releases, read_event_days, score_dates

    require(("gold", gold), ("corpus", corpus))
    try:
        annotated = read_event_days(gold)
    except (ValueError, AttributeError, KeyError) as exc:  # not JSON, not an object, no id
        raise fail(f"--gold: {gold} is not JSONL releases with annotations ({exc})") from None
    if not annotated:
        raise fail(f"--gold: no release in {gold} has annotations.start_date")
    started = time.perf_counter()
    found = [find_day(r) for r in load_releases(gold)]
    result: dict[str, Any] = {
        "kind": "dates",
        "config": {"gold": str(gold), "corpus": str(corpus) if corpus else None, "speed_sample": speed_sample},
        "git": git_state(),
        "machine": machine(None, False),
        "scoring_s": round(time.perf_counter() - started, 3),
        "overall": score_dates(found, annotated),
    }
    if corpus is not None:
        result["speed"] = dating_cost(corpus, speed_sample)
    written = write_json(out, "dates.json", result)
    o = result["overall"]
    typer.echo(
        f"{o['right']} of {o['releases']} event days right ({100 * o['accuracy']:.1f}%); "
        f"{100 * o['accuracy_dated']:.1f}% of the {o['dated_releases']} with a release date; {o['no_date']} with none"
    )
    for name, half in o["halves"].items():
        typer.echo(
            f"  {name} half ({half['ids']}): {100 * half['accuracy']:.1f}%, "
            f"{100 * half['accuracy_dated']:.1f}% of those with a release date"
        )
    for how, row in o["by_how"].items():
        typer.echo(f"  {how}: {row['right']} of {row['releases']}")
    if "speed" in result:
        s = result["speed"]
        typer.echo(f"event_day: {s['event_day_ms_per_release']} ms a release over {s['releases']} releases")
    typer.echo(f"wrote {written}")


@eval_app.command("names")
def names(
    gold: Annotated[Path, typer.Option("--gold", help="People and organisations (eval/gold/names.dev.jsonl).")],
    corpus: Annotated[list[Path], typer.Option("--corpus", help="JSONL corpora holding the gold releases.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for names.json.")],
    speed_corpus: Annotated[
        Path | None, typer.Option("--speed-corpus", help="Releases whose first --speed-sample are timed.")
    ] = None,
    speed_sample: Annotated[int, typer.Option("--speed-sample", min=1)] = 1000,
) -> None:
    """Score the people and organisations found (rules, model, both) against the gold; time them."""
    from eval.provenance import git_state, machine
    from eval.run_names import extractors, read_names_gold, read_texts, score, throughput

    require(("gold", gold), *(("corpus", c) for c in corpus), ("speed-corpus", speed_corpus))
    labelled = read_names_gold(gold)
    texts = read_texts(corpus, {g.release_id for g in labelled})
    if missing := sorted({g.release_id for g in labelled} - texts.keys()):
        raise fail(f"--corpus: no text for gold release(s) {', '.join(missing[:5])}")
    result: dict[str, Any] = {
        "kind": "names",
        "config": {"gold": str(gold), "corpus": [str(c) for c in corpus], "speed_corpus": str(speed_corpus)},
        "git": git_state(),
        "machine": machine(1, False),
        "extractors": {},
    }
    for name, extract in extractors().items():
        extract("Warm-up: Alexander Mikheev of the Federal Bureau of Investigation (FBI).")  # loads the model
        scored = score(extract, labelled, texts)
        if speed_corpus is not None:
            scored["throughput"] = throughput(extract, speed_corpus, speed_sample)
        result["extractors"][name] = scored
        for split, totals in scored["totals"].items():
            cells = "; ".join(
                f"{kind} P {t['precision']:.3f} R {t['recall']:.3f}" for kind, t in totals.items() if t["finds"]
            )
            typer.echo(f"{name:12} {split:8} {cells}")
        speed = scored.get("throughput", {})
        typer.echo(
            f"{name:12} {scored['ms_per_release']} ms a gold release; {speed.get('releases_per_s', '-')} releases/s"
        )
    written = write_json(out, "names.json", result)
    typer.echo(f"wrote {written}")


@eval_app.command("load")
def load(
    gold: Annotated[Path, typer.Option("--gold", help="Questions to ask: JSONL with a 'question' field.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for load.json.")],
    url: Annotated[
        list[str] | None, typer.Option("--url", help="A running app to send questions to (repeat for several).")
    ] = None,
    start: Annotated[int, typer.Option("--start", min=0, help="App processes to start here instead of --url.")] = 0,
    index: Annotated[Path | None, typer.Option("--index", help="The index the started apps serve.")] = None,
    model: Annotated[str | None, typer.Option("--model", help="The model the started apps use.")] = None,
    port: Annotated[int, typer.Option("--port", help="Port of the first started app.")] = 7870,
    users: Annotated[int, typer.Option("--users", min=1)] = 16,
    rounds: Annotated[int, typer.Option("--rounds", min=1)] = 2,
    auth: Annotated[str | None, typer.Option("--auth", help="USER:PASS of the apps' login.")] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds an answer may take.")] = 900.0,
) -> None:
    """A bounded load test on loopback: USERS users ask ROUNDS questions each through /ask, each round's
    questions sent at once; every answer's latency, and any lost or mixed up."""
    from contextlib import nullcontext

    from eval.gold import read_questions
    from eval.load_test import run_rounds, start_servers
    from eval.provenance import git_state, machine

    if bool(url) == bool(start):
        raise typer.BadParameter("give either --url (running apps) or --start N with --index")
    if start and index is None:
        raise typer.BadParameter("--start needs --index")
    questions = [q.question for q in read_questions(gold).items]
    login = tuple(auth.split(":", 1)) if auth else None
    servers = start_servers(start, index, port, model, auth) if start else nullcontext(list(url or []))
    with servers as urls:
        result = run_rounds(urls, questions, users, rounds, login, timeout)  # type: ignore[arg-type]
    result = {"kind": "load", "config": {"gold": str(gold), "started": start, "index": str(index or ""),
              "model": model or ""}, "git": git_state(), "machine": machine(None, False), **result}  # fmt: skip
    written = write_json(out, "load.json", result)
    s = result["summary"]
    typer.echo(f"{s['sent']} sent, {s['answered']} answered, {s['lost']} lost, {s['mixed_up']} mixed up; "
               f"latency p50 {s['p50_s']} s, p95 {s['p95_s']} s, max {s['max_s']} s")  # fmt: skip
    for r in s["rounds"]:
        typer.echo(f"round {r['round']}: {r['sent']} at once, all answered in {r['wall_s']} s (p50 {r['p50_s']} s)")
    typer.echo(f"wrote {written}")


@eval_app.command("compare")
def compare(
    run_a: Annotated[Path, typer.Argument(help="A run folder (or its summary.json).")],
    run_b: Annotated[Path, typer.Argument(help="Another run folder (or its summary.json).")],
    only_differences: Annotated[bool, typer.Option("--diff-only", help="Hide metrics that are equal.")] = False,
) -> None:
    """Print two runs' metrics side by side with the deltas (B − A)."""
    from eval.compare import compare as compare_runs
    from eval.store import load_summary

    try:
        a, b = load_summary(run_a), load_summary(run_b)
    except (FileNotFoundError, ValueError) as exc:
        raise fail(str(exc)) from None
    typer.echo(compare_runs(a, b, only_differences))


@eval_app.command("table")
def table(runs: Annotated[list[Path], typer.Argument(help="Run folders (or summary.json files).")]) -> None:
    """Print a markdown table of the headline metrics of several runs (what the README shows)."""
    from eval.compare import results_table
    from eval.store import load_summary

    try:
        loaded = [(run.name if run.is_dir() else run.parent.name, load_summary(run)) for run in runs]
    except (FileNotFoundError, ValueError) as exc:
        raise fail(str(exc)) from None
    typer.echo(results_table(loaded))


@eval_app.command("report")
def report(run: Annotated[Path, typer.Argument(help="A run folder holding results.jsonl.")]) -> None:
    """Rebuild summary.json, report.md and the plots from a run's results.jsonl (after an interrupted run)."""
    from eval.outputs import rebuild

    if not (run / "results.jsonl").exists():
        raise fail(f"no results.jsonl in {run}")
    for path in rebuild(run):
        typer.echo(f"wrote {path}")


def bench(
    out: Annotated[Path, typer.Option("--out", help="Folder for the benchmark's results.")],
    corpus: Annotated[Path, typer.Option("--corpus", help="Releases to index.")] = SHARED
    / "corpora/doj/releases.jsonl",
    sizes: Annotated[str, typer.Option("--sizes", help="Corpus sizes to index, comma-separated.")] = "1000,4000,12694",
    gold: Annotated[Path, typer.Option("--gold", help="Gold questions to time.")] = SHARED / "gold/doj_qa.dev.jsonl",
    models: Annotated[
        str,
        typer.Option(
            "--models",
            help="Models to time, comma-separated, each MODEL or MODEL@RUNTIME (transformers or llama.cpp; "
            "default: the settings' runtime, PRESSQA_RUNTIME).",
        ),
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
    index: Annotated[
        Path | None,
        typer.Option(
            "--index",
            help="Only the answer rows and memory bandwidth, over this existing index (read, never changed); "
            "--corpus, --sizes, --questions, --baseline-chunks and --guard-size do not apply.",
        ),
    ] = None,
) -> None:
    """Measure indexing and answering speed and memory at several corpus sizes (--index: answering only)."""
    from embeddings.index_types import IndexStoreError
    from embeddings.settings import get_settings
    from eval.bench import run_answers_bench, run_bench
    from eval.bench_models import check_runnable, parse_model_runs

    try:
        sizes_list = [int(s) for s in sizes.split(",") if s.strip()]
    except ValueError:
        raise fail(f"--sizes must be comma-separated numbers, not {sizes!r}") from None
    settings = get_settings()
    try:  # before any work: a bad --models entry would otherwise fail after the hour of ingesting
        runs = parse_model_runs(models, settings.runtime)
        check_runnable(runs)
    except ValueError as exc:
        raise fail(str(exc)) from None
    if not gold.exists():
        raise fail(f"no such gold file: {gold}")
    if index is not None:
        if keep_index is not None or guard_size is not None:
            raise fail("--keep-index and --guard-size build an index; --index times answers over an existing one")
        if not index.is_dir():
            raise fail(f"--index: no such folder: {index}")
        try:
            run_answers_bench(index, out, gold, runs, answer_questions, echo=typer.echo)
        except (ValueError, IndexStoreError) as exc:
            raise fail(str(exc)) from None
        return
    if not corpus.exists():
        raise fail(f"no such corpus: {corpus}")
    try:
        run_bench(
            corpus=corpus,
            sizes=sizes_list,
            out=out,
            gold=gold,
            models=runs,
            questions=questions,
            answer_questions=answer_questions,
            baseline_chunks=baseline_chunks,
            guard_size=guard_size,
            keep_index=keep_index,
            echo=typer.echo,
        )
    except ValueError as exc:
        raise fail(str(exc)) from None


def bench_memory(
    out: Annotated[Path, typer.Option("--out", help="Folder for memory.json and memory.md (and the scratch files).")],
    corpus: Annotated[Path, typer.Option("--corpus", help="JSONL releases to build the files from.")] = SHARED
    / "corpora/doj/releases.jsonl",
    text_mb: Annotated[int, typer.Option("--text-mb", min=0, help="Size of the text file (0: skip).")] = 200,
    jsonl_mb: Annotated[int, typer.Option("--jsonl-mb", min=0, help="Size of the JSONL file (0: skip).")] = 1000,
    seconds: Annotated[
        float | None, typer.Option("--seconds", min=1, help="Kill each ingest after this long (default: no cap).")
    ] = None,
    upload_mb: Annotated[
        int, typer.Option("--upload-mb", min=0, help="Size of a text file uploaded to a running server (0: skip).")
    ] = 30,
) -> None:
    """Peak memory of `pressqa ingest` on a very large text file and a very large JSONL file, and of a running
    server while a large file is uploaded to it."""
    from eval.bench_memory import memory_table, run_memory_bench, server_table

    if not corpus.exists():
        raise fail(f"no such corpus: {corpus}")
    rows, server_rows = run_memory_bench(corpus, out, text_mb, jsonl_mb, seconds, echo=typer.echo, upload_mb=upload_mb)
    typer.echo(memory_table(rows))
    typer.echo(server_table(server_rows))
