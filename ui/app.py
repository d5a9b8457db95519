"""The web chat: `pressqa serve` calls `serve(engine, ...)`; tests call `start(...)` and get a URL back.

Layout: the chat (Ask or Summarize) on the left; Sources, Add releases and Settings tabs on the right.
Every model generation, from the chat or the API, goes through one Gradio concurrency group with a
limit of one, so users wait in line (and see their place in it) instead of each loading the CPU and
memory with a generation of their own. The chat's own events are private; scripts use the named
endpoints defined in ui.api.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from qa.models import available_models
from ui import render
from ui.api import Api
from ui.chat import Request, Update, error_turn, make_options, run_turn, stop_all_turns
from ui.render import Turn
from ui.theme import CSS, HEAD, theme
from ui.uploads import accepted_types, add_files, results_markdown

if TYPE_CHECKING:
    from qa.engine import Engine

logger = logging.getLogger(__name__)

GENERATE = "generate"  # the concurrency group of everything that runs the language model
INGEST = "ingest"
RELEASE_CHOICES = 300  # releases listed up front; typing in the picker searches the whole index
DEFAULT_MAX_NEW_TOKENS = 200
ASK, SUMMARIZE = "Ask", "Summarize"
ASK_PLACEHOLDER = "Ask a question about the press releases…"
# The chat fills the window down to the input row; Summarize mode has the release picker above it.
CHAT_HEIGHT = {ASK: "calc(100vh - 330px)", SUMMARIZE: "calc(100vh - 430px)"}
TOPIC_PLACEHOLDER = "…or type a topic to summarise every release about it"


@dataclass
class Live:
    """The turn a session is running: what it asked for, how to stop it, and its text so far."""

    request: Request
    stop: threading.Event = field(default_factory=threading.Event)
    text: str = ""


class Sessions:
    """Running turns by Gradio session, so that Stop and New chat can reach them (Events cannot live in gr.State)."""

    def __init__(self) -> None:
        self._live: dict[str, Live] = {}
        self._lock = threading.Lock()

    def begin(self, session: str, request: Request) -> Live | None:
        with self._lock:
            if session in self._live:
                return None
            live = self._live[session] = Live(request)
            return live

    def get(self, session: str) -> Live | None:
        with self._lock:
            return self._live.get(session)

    def end(self, session: str, live: Live) -> bool:
        """Marks `live` finished; False when Stop or New chat ended it first (and so own the chat view)."""
        with self._lock:
            if self._live.get(session) is live:
                del self._live[session]
                return True
            return False

    def stop(self, session: str) -> Live | None:
        with self._lock:
            live = self._live.pop(session, None)
        if live is not None:
            live.stop.set()
        return live


def _nothing_to_run() -> gr.Error:
    """Ends an event chain quietly: `.success()` listeners do not run after an error, shown or not."""
    return gr.Error("nothing to run", visible=False, print_exception=False)


def max_new_tokens_setting(engine: Engine) -> int:
    """Answer length cap: Settings.max_new_tokens when the core has it, else $PRESSQA_MAX_NEW_TOKENS."""
    value = getattr(engine.settings, "max_new_tokens", None) or os.environ.get("PRESSQA_MAX_NEW_TOKENS")
    return int(value) if value else DEFAULT_MAX_NEW_TOKENS


class WebApp:
    def __init__(self, engine: Engine, max_new_tokens: int | None = None) -> None:
        self.engine = engine
        self.max_new_tokens = max_new_tokens or max_new_tokens_setting(engine)
        self.max_upload_bytes = engine.settings.max_upload_bytes
        self.sessions = Sessions()
        self.api = Api(engine, self.max_new_tokens, self.max_upload_bytes)
        self.export_dir = Path(tempfile.mkdtemp(prefix="pressqa-export-"))
        atexit.register(shutil.rmtree, self.export_dir, True)

    # ------------------------------------------------------------ small views of the index

    def lookup(self, release_id: str) -> Any:
        return self.engine.index.release(release_id)

    def release_choices(self, query: str = "") -> list[tuple[str, str]]:
        infos = self.engine.index.find_releases(query, limit=RELEASE_CHOICES)
        return [(render.release_choice(r.title, r.date, r.organisation), r.id) for r in infos]

    def organisation_choices(self) -> list[tuple[str, str]]:
        return [("All organisations", ""), *((o, o) for o in self.engine.index.organisations())]

    def model_choices(self) -> list[str]:
        names = available_models()
        return names if self.engine.settings.model in names else [self.engine.settings.model, *names]

    def stats(self) -> str:
        return render.stats_markdown(self.engine.index.stats())

    def export_file(self, turns: list[Turn], session: str) -> str:
        # The session hash comes from the browser: hashed, so it can never name a path of its own.
        folder = self.export_dir / hashlib.sha256(session.encode()).hexdigest()[:20]
        folder.mkdir(exist_ok=True)
        path = folder / "pressqa-conversation.md"
        path.write_text(render.export_markdown(turns), encoding="utf-8")
        return str(path)

    # ------------------------------------------------------------ layout

    def build(self) -> gr.Blocks:
        with gr.Blocks(title="pressqa", analytics_enabled=False, delete_cache=(1800, 3600)) as demo:
            self._header()
            with gr.Row(equal_height=False):
                with gr.Column(scale=7, min_width=480):
                    self._chat_column()
                with gr.Column(scale=5, min_width=380):
                    self._side_column()
            self._api_only()
            self._wire(demo)
        return demo

    def _header(self) -> None:
        with gr.Row(elem_id="pq-header", equal_height=True):
            gr.Markdown(
                "# pressqa\nAnswers and summaries from your press releases, with the passages they rest on.",
                elem_id="pq-brand",
            )
            self.stats_md = gr.Markdown(self.stats(), elem_id="pq-stats")

    def _chat_column(self) -> None:
        self.mode = gr.Radio([ASK, SUMMARIZE], value=ASK, show_label=False, elem_id="pq-mode")
        with gr.Row(visible=False, elem_id="pq-summarize-row") as self.summarize_row:
            self.release_pick = gr.Dropdown(
                choices=self.release_choices(),
                value=None,
                label="Release to summarise",
                info="Type to search the titles, or type a topic in the box below to summarise all releases on it.",
                filterable=True,
                allow_custom_value=True,
                scale=4,
                elem_id="pq-release-pick",
            )
            self.summarize_btn = gr.Button(
                "Summarize release", variant="primary", scale=0, min_width=190, elem_id="pq-summarize"
            )
        self.chatbot = gr.Chatbot(
            elem_id="pq-chat",
            height=CHAT_HEIGHT[ASK],
            min_height=340,
            layout="bubble",
            show_label=False,
            sanitize_html=True,
            render_markdown=True,
            allow_tags=False,
            latex_delimiters=[],
            buttons=["copy"],
            feedback_options=None,
            placeholder="**Ask about the indexed press releases.** Each answer cites its sources, like [1]; "
            "they appear on the right with the supporting sentence highlighted.",
        )
        self.turns = gr.State([])
        with gr.Row(elem_id="pq-controls"):
            self.msg = gr.Textbox(
                placeholder=ASK_PLACEHOLDER,
                show_label=False,
                lines=1,
                max_lines=6,
                scale=8,
                autofocus=True,
                elem_id="pq-input",
                submit_btn=False,
            )
            self.send = gr.Button("Ask", variant="primary", scale=1, elem_id="pq-send")
            self.stop = gr.Button("Stop", variant="stop", scale=1, visible=False, elem_id="pq-stop")
        with gr.Row(elem_id="pq-chat-actions"):
            self.new_chat = gr.Button("New chat", size="sm", scale=0, min_width=110, elem_id="pq-new")
            self.export = gr.DownloadButton(
                "Export as Markdown",
                value=None,
                interactive=False,
                size="sm",
                scale=0,
                min_width=170,
                elem_id="pq-export",
            )

    def _side_column(self) -> None:
        settings = self.engine.settings
        with gr.Tabs(selected="sources") as self.tabs:
            with gr.Tab("Sources", id="sources", elem_id="pq-sources-tab"):
                self.sources = gr.HTML(render.EMPTY_SOURCES, elem_id="pq-sources-panel")
            with gr.Tab("Add releases", id="add", elem_id="pq-add-tab"):
                self.files = gr.File(
                    file_count="multiple",
                    type="filepath",
                    label="Release files",
                    elem_id="pq-files",
                )
                gr.Markdown(
                    f"Accepted: {accepted_types()}; several at once, up to "
                    f"{settings.max_upload_bytes // (1024 * 1024)} MB each. New releases are searchable "
                    "as soon as they are added.",
                    elem_id="pq-upload-help",
                )
                self.add_btn = gr.Button("Add to index", variant="primary", elem_id="pq-add")
                self.add_result = gr.Markdown(elem_id="pq-upload-result")
            with gr.Tab("Settings", id="settings", elem_id="pq-settings-tab"):
                self.model = gr.Dropdown(self.model_choices(), value=settings.model, label="Model", elem_id="pq-model")
                self.k = gr.Slider(
                    1,
                    20,
                    value=settings.top_k,
                    step=1,
                    label="Passages per answer",
                    info="More passages: broader answers, slower replies",
                    elem_id="pq-k",
                )
                with gr.Row():
                    self.since = gr.DateTime(include_time=False, type="string", label="From", elem_id="pq-since")
                    self.until = gr.DateTime(include_time=False, type="string", label="To", elem_id="pq-until")
                self.organisation = gr.Dropdown(
                    self.organisation_choices(),
                    value="",
                    label="Organisation",
                    allow_custom_value=True,
                    filterable=True,
                    elem_id="pq-org",
                )
                self.length = gr.Radio(
                    ["short", "bullets", "detailed"], value="short", label="Summary length", elem_id="pq-length"
                )
                self.stats_detail = gr.Markdown(self.stats(), elem_id="pq-stats-detail")

    def _api_only(self) -> None:
        """Hidden components behind /add_releases, so uploads from scripts get Gradio's file checks."""
        with gr.Row(visible=False):
            self.api_files = gr.File(file_count="multiple", type="filepath", label="files")
            self.api_result = gr.JSON()
            self.api_trigger = gr.Button()

    # ------------------------------------------------------------ events

    def _wire(self, demo: gr.Blocks) -> None:
        private: dict[str, Any] = {"api_visibility": "private"}
        settings_inputs = [self.turns, self.k, self.model, self.since, self.until, self.organisation, self.length]
        turn_outputs = [self.chatbot, self.turns, self.sources, self.tabs, self.export, self.send, self.stop, self.msg]
        run_kwargs: dict[str, Any] = {
            "concurrency_id": GENERATE,
            "concurrency_limit": 1,
            "show_progress": "minimal",
            "show_progress_on": [self.chatbot],
            **private,
        }
        started_text = gr.on(
            [self.msg.submit, self.send.click],
            self.start_text,
            [self.msg, self.mode, self.turns],
            turn_outputs,
            queue=False,
            **private,
        )
        run_text = started_text.success(self.run, settings_inputs, turn_outputs, **run_kwargs)
        started_release = self.summarize_btn.click(
            self.start_release, [self.release_pick, self.turns], turn_outputs, queue=False, **private
        )
        run_release = started_release.success(self.run, settings_inputs, turn_outputs, **run_kwargs)
        runs = [run_text, run_release]
        stopped = self.stop.click(self.stop_turn, [self.turns], turn_outputs, cancels=runs, queue=False, **private)
        # The chat's own trash icon starts a new chat too, so the conversation state never disagrees with the view.
        cleared = gr.on(
            [self.new_chat.click, self.chatbot.clear],
            self.clear,
            None,
            [*turn_outputs, self.add_result],
            cancels=runs,
            queue=False,
            **private,
        )
        for event in (stopped, cleared):  # a streamed update sent just before the click may arrive after it
            event.then(self.redraw, [self.turns], [self.chatbot], queue=False, **private)
        self.mode.change(
            self.switch_mode,
            [self.mode],
            [self.summarize_row, self.msg, self.send, self.chatbot],
            queue=False,
            **private,
        )
        self.release_pick.key_up(
            self.search_releases,
            None,
            [self.release_pick],
            queue=False,
            trigger_mode="always_last",
            show_progress="hidden",
            **private,
        )
        refreshed = [self.stats_md, self.stats_detail, self.release_pick, self.organisation]
        self.add_btn.click(
            self.upload_files,
            [self.files],
            [self.add_result, self.files, *refreshed],
            concurrency_id=INGEST,
            concurrency_limit=1,
            **private,
        )
        demo.load(self.refresh, None, refreshed, queue=False, **private)
        demo.unload(self.forget)
        self._api()

    def _api(self) -> None:
        gen: dict[str, Any] = {"concurrency_id": GENERATE, "concurrency_limit": 1}
        gr.api(self.api.ask, api_name="ask", **gen)
        gr.api(self.api.summarize, api_name="summarize", **gen)
        gr.api(self.api.releases, api_name="releases", concurrency_limit=None)
        gr.api(self.api.stats, api_name="stats", concurrency_limit=None)
        self.api_trigger.click(
            self.api.add_releases,
            [self.api_files],
            [self.api_result],
            api_name="add_releases",
            concurrency_id=INGEST,
            concurrency_limit=1,
        )

    # ------------------------------------------------------------ handlers: a turn

    def _pending(self, turns: list[Turn], live: Live, update: Update | None = None) -> list[dict[str, str]]:
        message = render.streaming_message(update.text if update else "", update.status if update else "")
        if update is None:
            message = "*Waiting for the model… (answers are written one at a time)*"
        return render.chat_messages(turns, (live.request.prompt, message))

    def _begin(self, request: Request, turns: list[Turn], session: str) -> dict[Any, Any]:
        live = self.sessions.begin(session, request)
        if live is None:
            gr.Warning("Wait for the current answer to finish, or press Stop.")
            raise _nothing_to_run()
        return {
            self.chatbot: self._pending(turns, live),
            self.msg: "",
            self.send: gr.Button(visible=False),
            self.stop: gr.Button(visible=True),
        }

    def start_text(self, message: str, mode: str, turns: list[Turn], request: gr.Request) -> dict[Any, Any]:
        text = (message or "").strip()
        if not text:
            raise _nothing_to_run()
        if mode == SUMMARIZE:
            return self._begin(
                Request("topic", text, f"Summarize the releases about: {text}"), turns, request.session_hash or ""
            )
        return self._begin(Request("ask", text, text), turns, request.session_hash or "")

    def start_release(self, release: str | None, turns: list[Turn], request: gr.Request) -> dict[Any, Any]:
        if not (release or "").strip():
            gr.Warning("Pick a release to summarise first (type in the box to search).")
            raise _nothing_to_run()
        found = self.lookup(release or "")
        prompt = f"Summarize: {found.title}" if found else f"Summarize: {release}"
        return self._begin(Request("release", release or "", prompt), turns, request.session_hash or "")

    def run(
        self,
        turns: list[Turn],
        k: float,
        model: str | None,
        since: str | None,
        until: str | None,
        organisation: str | None,
        length: str,
        request: gr.Request,
    ) -> Iterator[dict[Any, Any]]:
        session = request.session_hash or ""
        live = self.sessions.get(session)
        if live is None:  # stopped while it waited in the queue
            yield {}
            return
        try:
            try:
                options = make_options(k, model, since, until, organisation, length, self.max_new_tokens)
            except ValueError as exc:
                if self.sessions.end(session, live):
                    yield self._finished(turns, error_turn(live.request, exc), session)
                return
            for update in run_turn(self.engine, live.request, turns, options, live.stop):
                live.text = update.text
                if update.turn is not None:
                    if self.sessions.end(session, live):
                        yield self._finished(turns, update.turn, session)
                    return
                if self.sessions.get(session) is not live:
                    return  # Stop or New chat took over the view: writing to it now would undo theirs
                yield {self.chatbot: self._pending(turns, live, update)}
        finally:
            self.sessions.end(session, live)

    def _finished(self, turns: list[Turn], turn: Turn, session: str) -> dict[Any, Any]:
        turns = [*turns, turn]
        return {
            self.chatbot: render.chat_messages(turns),
            self.turns: turns,
            self.sources: render.sources_html(turns, self.lookup),
            self.tabs: gr.Tabs(selected="sources"),
            self.export: gr.DownloadButton(value=self.export_file(turns, session), interactive=True),
            self.send: gr.Button(visible=True),
            self.stop: gr.Button(visible=False),
        }

    def stop_turn(self, turns: list[Turn], request: gr.Request) -> dict[Any, Any]:
        session = request.session_hash or ""
        live = self.sessions.stop(session)
        if live is None:  # it finished just before the click
            return {self.send: gr.Button(visible=True), self.stop: gr.Button(visible=False)}
        r = live.request
        kind = "ask" if r.kind == "ask" else r.kind
        return self._finished(turns, Turn(kind, r.prompt, live.text.strip(), False, stopped=True), session)

    def clear(self, request: gr.Request) -> dict[Any, Any]:
        self.sessions.stop(request.session_hash or "")
        return {
            self.chatbot: [],
            self.turns: [],
            self.sources: render.EMPTY_SOURCES,
            self.export: gr.DownloadButton(value=None, interactive=False),
            self.send: gr.Button(visible=True),
            self.stop: gr.Button(visible=False),
            self.msg: "",
            self.add_result: "",
        }

    def redraw(self, turns: list[Turn]) -> list[dict[str, str]]:
        """The chat from the conversation state, after Stop or New chat, over any update still in flight."""
        return render.chat_messages(turns)

    def forget(self, request: gr.Request) -> None:
        """The page was closed: stop its generation so the next person in line need not wait for it."""
        self.sessions.stop(request.session_hash or "")

    # ------------------------------------------------------------ handlers: everything else

    def switch_mode(self, mode: str) -> tuple[Any, Any, Any, Any]:
        summarize = mode == SUMMARIZE
        return (
            gr.Row(visible=summarize),
            gr.Textbox(placeholder=TOPIC_PLACEHOLDER if summarize else ASK_PLACEHOLDER),
            gr.Button("Summarize topic" if summarize else "Ask"),
            gr.Chatbot(height=CHAT_HEIGHT[mode]),
        )

    def search_releases(self, key: gr.KeyUpData) -> Any:
        if len(self.engine.index.find_releases("", limit=RELEASE_CHOICES + 1)) <= RELEASE_CHOICES:
            return gr.skip()  # every release is listed already; the dropdown filters them itself
        return gr.Dropdown(choices=self.release_choices(key.input_value or ""))

    def refresh(self) -> tuple[Any, Any, Any, Any]:
        stats = self.stats()
        return (
            stats,
            stats,
            gr.Dropdown(choices=self.release_choices()),
            gr.Dropdown(choices=self.organisation_choices()),
        )

    def upload_files(self, files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        if not files:
            return ("Choose one or more files first.", gr.skip(), *([gr.skip()] * 4))
        pairs = [(Path(f), Path(f).name) for f in files]
        results = add_files(
            self.engine, pairs, self.max_upload_bytes, lambda fraction, message: progress(fraction, desc=message)
        )
        return (results_markdown(results), None, *self.refresh())


def build_app(engine: Engine, max_new_tokens: int | None = None) -> gr.Blocks:
    app = WebApp(engine, max_new_tokens)
    demo = app.build()
    demo.queue(default_concurrency_limit=4)
    return demo


def parse_auth(auth: str | None) -> tuple[str, str] | None:
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not (sep and user and password):
        raise ValueError("--auth (or PRESSQA_AUTH) must be USER:PASS, both non-empty")
    return user, password


def launch_options(engine: Engine, host: str, port: int | None, auth: str | None) -> dict[str, Any]:
    return {
        "server_name": host,
        "server_port": port,
        "auth": parse_auth(auth),
        "auth_message": "pressqa: sign in to ask about the press releases.",
        "share": False,  # never: the releases and questions stay on this machine
        "max_file_size": engine.settings.max_upload_bytes,
        "footer_links": ["api"],
        "show_error": False,
        "ssr_mode": False,
        "mcp_server": False,
        "pwa": False,
        "enable_monitoring": False,
        "theme": theme(),
        "css": CSS,
        "head": HEAD,
    }


def _preload(engine: Engine) -> None:
    """Loads the language model in the background, so the first question does not wait for it."""
    try:
        engine.generator()
    except Exception as exc:  # reported to whoever asks first, as a message in the chat
        logger.warning("could not preload the language model: %s", exc)


def start(
    engine: Engine,
    host: str = "127.0.0.1",
    port: int | None = None,
    auth: str | None = None,
    max_new_tokens: int | None = None,
    block: bool = False,
) -> tuple[gr.Blocks, str]:
    """Launches the app; returns (demo, local URL) at once unless `block`."""
    demo = build_app(engine, max_new_tokens)
    _, url, _ = demo.launch(prevent_thread_lock=not block, **launch_options(engine, host, port, auth))
    return demo, url


def serve(engine: Engine, host: str = "127.0.0.1", port: int = 7860, auth: str | None = None) -> None:
    """Serves the web chat until interrupted (what `pressqa serve` runs)."""
    try:
        parse_auth(auth)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    threading.Thread(target=_preload, args=(engine,), name="pressqa-preload", daemon=True).start()
    try:
        start(engine, host, port, auth, block=True)
    finally:
        stop_all_turns()
