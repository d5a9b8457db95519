"""One chat turn (an answer or a summary), run in a worker thread and reported as a stream of updates.

The worker lets the page show what is happening while nothing streams yet (searching, loading the model,
reading the parts of a long release) and keeps the handler responsive to cancellation: every update is
a chance for Gradio to close the generator, and closing it sets the stop event, which ends the model's
generation after at most one more token.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, get_args

from embeddings.index import DateRangeError, Filters
from embeddings.index_types import DATE_BASES
from embeddings.settings import SummaryLength
from qa.types import Answer
from ui.errors import EmptyIndexError, InputError, friendly_error
from ui.turns import Request, Turn

if TYPE_CHECKING:
    from embeddings.settings import Settings
    from qa.answer import AnswerStream
    from qa.engine import Engine
    from qa.generate import Generator

LENGTHS: tuple[SummaryLength, ...] = get_args(SummaryLength)
HEARTBEAT_SECONDS = 1.0
MAX_K = 30  # passages per answer the chat accepts
TOPIC_RELEASES = (2, 8)  # bounds on how many releases one topic summary draws on


@dataclass(frozen=True)
class Options:
    """What a turn runs with; make_options fills what the user left unset from the engine's Settings."""

    k: int
    max_new_tokens: int
    max_releases: int
    model: str | None = None
    filters: Filters = field(default_factory=Filters)
    length: SummaryLength = "short"


@dataclass(frozen=True)
class Update:
    status: str
    text: str  # the answer so far
    turn: Turn | None = None  # set on the last update only


def parse_date(value: str | None, label: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise InputError(f"The {label} date '{value}' is not a date: use YYYY-MM-DD.") from None


def make_options(
    settings: Settings,
    k: float | None = None,
    model: str | None = None,
    since: str | None = None,
    until: str | None = None,
    organisation: str | None = None,
    length: str | None = None,
    max_new_tokens: int | None = None,
    max_releases: float | None = None,
    dates: str | None = None,
    mentions: str | None = None,
) -> Options:
    """Checked options; an unset (None or 0) k, max_new_tokens or max_releases takes the Settings value."""
    if (dates or "published") not in DATE_BASES:
        raise InputError(f"The dates must be one of {', '.join(DATE_BASES)}.")
    try:
        filters = Filters(
            parse_date(since, "From"),
            parse_date(until, "To"),
            (organisation or "").strip() or None,
            mentions=(mentions or "").strip() or None,
            dates=dates or "published",  # type: ignore[arg-type]
        )
    except DateRangeError:
        raise InputError("The date range is empty: 'From' is after 'To'.") from None
    length = length or settings.summary_length
    if length not in LENGTHS:
        raise InputError(f"Summary length must be one of {', '.join(LENGTHS)}.")
    low, high = TOPIC_RELEASES
    return Options(
        k=max(1, min(int(k or settings.top_k), MAX_K)),
        max_new_tokens=max_new_tokens or settings.max_new_tokens,
        max_releases=max(low, min(int(max_releases or settings.max_releases), high)),
        model=model or None,
        filters=filters,
        length=length,  # type: ignore[arg-type]
    )


def history_of(turns: Sequence[Turn]) -> list[tuple[str, str]]:
    """(user, assistant) pairs the core uses to rewrite a follow-up question."""
    return [(t.prompt, t.answer.text) for t in turns if t.kind != "error" and t.answer.text.strip()][-3:]


def check_not_empty(engine: Engine) -> None:
    if not engine.index.find_releases("", limit=1):
        raise EmptyIndexError(
            "The index has no releases yet. Add some in the 'Add releases' tab "
            "(txt, md, html, json, jsonl or csv files) and ask again."
        )


Emit = Callable[[str, str], None]


def _ask(
    engine: Engine, request: Request, turns: Sequence[Turn], options: Options, stop: threading.Event, emit: Emit
) -> Turn:
    engine.check_question(request.text)  # before the model loads: a typo should not cost a minute
    history = history_of(turns)
    if history:  # rewriting a follow-up needs the model before retrieval
        _load_model(engine, options, emit)
    emit("status", "Reading the conversation and searching the releases…" if history else "Searching the releases…")
    stream = engine.ask(request.text, history, options.k, options.filters, options.model, stop, options.max_new_tokens)
    _announce_loading(stream, emit)
    releases = len({p.release_id for p in stream.passages})
    if stream.passages:
        plural = "s" if releases != 1 else ""
        emit("status", f"Reading {len(stream.passages)} passages from {releases} release{plural}…")
    for piece in stream:
        emit("piece", piece)
    assert stream.answer is not None
    return Turn("ask", request.prompt, stream.answer, stop.is_set())


def _announce_loading(stream: AnswerStream, emit: Emit) -> None:
    """Names the wait when the stream asks for the model: a question the name check refuses loads none."""
    load = stream.generator
    if load is None:
        return

    def announced() -> Generator:
        emit("status", "Writing the answer (the first question also loads the language model)…")
        return load()

    stream.generator = announced


def _load_model(engine: Engine, options: Options, emit: Emit) -> None:
    """Loads the model as a step of its own, so a first question's long wait is named for what it is."""
    if engine.choice(options.model).runtime == "server":
        return  # nothing to load: the server holds the model
    emit("status", "Loading the language model (the first question takes longer)…")
    engine.generator(options.model)


def _summarize_release(engine: Engine, request: Request, options: Options, stop: threading.Event, emit: Emit) -> Turn:
    release = engine.find_release(request.text)
    if options.length != "facts":  # a fact sheet needs no model
        _load_model(engine, options, emit)
    emit("status", "Reading the release…")
    stream = engine.summarize_release(
        release, options.length, options.model, stop, on_status=lambda m: emit("status", m)
    )
    for piece in stream:
        emit("piece", piece)
    s = stream.summary
    assert s is not None
    # qa.summarize marks every release summary found; one the model left empty is shown as not found.
    return Turn("release", request.prompt, s if s.text else replace(s, found=False), stop.is_set())


def _summarize_topic(engine: Engine, request: Request, options: Options, stop: threading.Event, emit: Emit) -> Turn:
    engine.check_question(request.text)
    _load_model(engine, options, emit)
    emit("status", "Finding the releases on this topic…")
    f = options.filters
    stream = engine.summarize_topic(
        request.text,
        f,
        options.length,
        options.model,
        max_releases=options.max_releases,
        stop=stop,
    )
    emit("status", "Reading the matching releases…")
    for piece in stream:
        emit("piece", piece)
    assert stream.summary is not None
    return Turn("topic", request.prompt, stream.summary, stop.is_set())


def compute_turn(
    engine: Engine, request: Request, turns: Sequence[Turn], options: Options, stop: threading.Event, emit: Emit
) -> Turn:
    check_not_empty(engine)
    if request.kind == "ask":
        return _ask(engine, request, turns, options, stop, emit)
    if request.kind == "release":
        return _summarize_release(engine, request, options, stop, emit)
    if request.kind == "timeline":
        return _timeline(engine, request, options, emit)
    if request.kind == "quotes":
        return _quotes(engine, request, options, emit)
    if request.kind == "mentions":
        return _mentions(engine, request, options, emit)
    return _summarize_topic(engine, request, options, stop, emit)


def _timeline(engine: Engine, request: Request, options: Options, emit: Emit) -> Turn:
    """No model: the events come at once."""
    emit("status", "Finding the releases of this story…")
    f = options.filters
    result = engine.timeline(request.text, f)
    emit("piece", result.text)
    return Turn("timeline", request.prompt, result)


def _quotes(engine: Engine, request: Request, options: Options, emit: Emit) -> Turn:
    """No model: the quotes were read at ingest."""
    emit("status", "Finding the quotes…")
    f = options.filters
    result = engine.quotes_for(request.text, f)
    emit("piece", result.text)
    return Turn("quotes", request.prompt, result)


def _mentions(engine: Engine, request: Request, options: Options, emit: Emit) -> Turn:
    """No model: the names were read at ingest."""
    emit("status", "Finding every release that names them…")
    result = engine.mentions(request.text, None, options.filters)
    emit("piece", result.text)
    return Turn("mentions", request.prompt, result)


def error_turn(request: Request, exc: BaseException) -> Turn:
    return Turn("error", request.prompt, Answer(friendly_error(exc), False))


def stopped_turn(request: Request, partial: str) -> Turn:
    """What Stop leaves in the chat: the text written so far, citing nothing."""
    return Turn(request.kind, request.prompt, Answer(partial.strip(), False), stopped=True)


# Every turn's worker thread and its stop event, so the process can end its generations before it exits:
# torch aborts the whole process ("terminate called without an active exception") when the interpreter
# shuts down while a thread is inside a generation.
_active: dict[threading.Thread, threading.Event] = {}
_active_lock = threading.Lock()


def stop_all_turns(timeout: float = 60.0) -> bool:
    """Stops every running turn and waits for its worker; False if some were still running at the timeout."""
    with _active_lock:
        running = list(_active.items())
    for _, stop in running:
        stop.set()
    deadline = time.monotonic() + timeout
    for worker, _ in running:
        worker.join(max(0.0, deadline - time.monotonic()))
    return not any(worker.is_alive() for worker, _ in running)


def run_turn(
    engine: Engine,
    request: Request,
    turns: Sequence[Turn],
    options: Options,
    stop: threading.Event,
    heartbeat: float = HEARTBEAT_SECONDS,
) -> Iterator[Update]:
    """Updates while the turn runs; the last one carries the finished Turn (an error turn on failure)."""
    events: queue.Queue[tuple[str, object]] = queue.Queue()

    def work() -> None:
        try:
            turn = compute_turn(engine, request, turns, options, stop, lambda kind, v: events.put((kind, v)))
        except Exception as exc:
            turn = error_turn(request, exc)
        finally:
            with _active_lock:
                _active.pop(threading.current_thread(), None)
        events.put(("turn", turn))

    worker = threading.Thread(target=work, name="pressqa-turn", daemon=True)
    with _active_lock:
        _active[worker] = stop
    worker.start()
    started = time.monotonic()
    status, text = "Waiting for the model…", ""
    try:
        while True:
            try:
                kind, value = events.get(timeout=heartbeat)
            except queue.Empty:
                if not text:  # a ticking clock shows the app is alive during long silent steps
                    yield Update(f"{status} {time.monotonic() - started:.0f} s", text)
                continue
            if kind == "turn":
                assert isinstance(value, Turn)
                yield Update(status, text, value)
                return
            if kind == "status":
                status = str(value)
            else:
                text += str(value)
            yield Update(status, text)
    finally:
        stop.set()  # when Gradio closes the generator (Stop, New chat, page closed), end the generation too
