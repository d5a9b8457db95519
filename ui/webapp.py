"""The web chat's behaviour: every event of the page (ui.layout) wired to its handler.

Every model generation, from the chat or the API, goes through one Gradio concurrency group with a
limit of one, so users wait in line (and see their place in it) instead of each loading the CPU and
memory with a generation of their own. The chat's own events are private; scripts use the named
endpoints defined in ui.api.
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from ui import render
from ui.api import Api
from ui.blocks import Blocks
from ui.chat import Update, error_turn, make_options, run_turn, stopped_turn
from ui.layout import (
    ASK,
    ASK_PLACEHOLDER,
    CHAT_HEIGHT,
    MENTIONS,
    MENTIONS_PLACEHOLDER,
    QUOTES,
    QUOTES_PLACEHOLDER,
    RELEASE_CHOICES,
    SUMMARIZE,
    TIMELINE,
    TIMELINE_PLACEHOLDER,
    TOPIC_PLACEHOLDER,
    Page,
    name_choices,
    organisation_choices,
    release_choices,
    stats_line,
)
from ui.sessions import Live, Sessions
from ui.turns import Request, Turn
from ui.uploads import add_files, results_markdown

if TYPE_CHECKING:
    from qa.engine import Engine

GENERATE = "generate"  # the concurrency group of everything that runs the language model
INGEST = "ingest"


def _nothing_to_run() -> gr.Error:
    """Ends an event chain quietly: `.success()` listeners do not run after an error, shown or not."""
    return gr.Error("nothing to run", visible=False, print_exception=False)


class WebApp:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = Sessions()
        self.api = Api(engine)
        self.export_dir = Path(tempfile.mkdtemp(prefix="pressqa-export-"))
        atexit.register(shutil.rmtree, self.export_dir, True)

    @property
    def generations_at_once(self) -> int:
        """Answers and summaries run at once: one where the model runs in this process (it decodes one prompt
        at a time, so the others wait in the queue and see their place in it), settings.server_requests
        where it runs on a server, which queues or batches the requests of every app process itself."""
        if self.engine.default_choice.runtime == "server":
            return self.engine.settings.server_requests
        return 1

    def lookup(self, release_id: str) -> Any:
        return self.engine.index.release(release_id)

    def export_file(self, turns: list[Turn], session: str) -> str:
        # The session hash comes from the browser: hashed, so it can never name a path of its own.
        folder = self.export_dir / hashlib.sha256(session.encode()).hexdigest()[:20]
        folder.mkdir(exist_ok=True)
        path = folder / "pressqa-conversation.md"
        path.write_text(render.export_markdown(turns), encoding="utf-8")
        return str(path)

    def build(self) -> gr.Blocks:
        with Blocks(title="pressqa", analytics_enabled=False, delete_cache=(1800, 3600)) as demo:
            self.page = Page(self.engine)
            self._wire(demo)
        return demo

    # ------------------------------------------------------------ events

    def _wire(self, demo: gr.Blocks) -> None:
        p = self.page
        private: dict[str, Any] = {"api_visibility": "private"}
        settings_inputs = [p.turns, p.k, p.model, p.since, p.until, p.organisation, p.length, p.dates, p.mentions]
        turn_outputs = [p.chatbot, p.turns, p.sources, p.tabs, p.export, p.send, p.stop, p.msg]
        run_kwargs: dict[str, Any] = {
            "concurrency_id": GENERATE,
            "concurrency_limit": self.generations_at_once,
            "show_progress": "minimal",
            "show_progress_on": [p.chatbot],
            **private,
        }
        started_text = gr.on(
            [p.msg.submit, p.send.click],
            self.start_text,
            [p.msg, p.mode, p.turns],
            turn_outputs,
            queue=False,
            **private,
        )
        run_text = started_text.success(self.run, settings_inputs, turn_outputs, **run_kwargs)
        started_release = p.summarize_btn.click(
            self.start_release, [p.release_pick, p.turns], turn_outputs, queue=False, **private
        )
        run_release = started_release.success(self.run, settings_inputs, turn_outputs, **run_kwargs)
        runs = [run_text, run_release]
        stopped = p.stop.click(self.stop_turn, [p.turns], turn_outputs, cancels=runs, queue=False, **private)
        # The chat's own trash icon starts a new chat too, so the conversation state never disagrees with the view.
        cleared = gr.on(
            [p.new_chat.click, p.chatbot.clear],
            self.clear,
            None,
            [*turn_outputs, p.add_result],
            cancels=runs,
            queue=False,
            **private,
        )
        for event in (stopped, cleared):  # a streamed update sent just before the click may arrive after it
            event.then(self.redraw, [p.turns], [p.chatbot], queue=False, **private)
        p.mode.change(
            self.switch_mode,
            [p.mode],
            [p.summarize_row, p.msg, p.send, p.chatbot],
            queue=False,
            **private,
        )
        p.release_pick.key_up(
            self.search_releases,
            None,
            [p.release_pick],
            queue=False,
            trigger_mode="always_last",
            show_progress="hidden",
            **private,
        )
        refreshed = [p.stats_md, p.stats_detail, p.release_pick, p.organisation, p.mentions]
        p.add_btn.click(
            self.upload_files,
            [p.files],
            [p.add_result, p.files, *refreshed],
            concurrency_id=INGEST,
            concurrency_limit=1,
            **private,
        )
        demo.load(self.refresh, None, refreshed, queue=False, **private)
        demo.unload(self.forget)
        self._api()

    def _api(self) -> None:
        p = self.page
        gen: dict[str, Any] = {"concurrency_id": GENERATE, "concurrency_limit": self.generations_at_once}
        gr.api(self.api.ask, api_name="ask", **gen)
        gr.api(self.api.summarize, api_name="summarize", **gen)
        gr.api(self.api.timeline, api_name="timeline", concurrency_limit=None)
        gr.api(self.api.quotes, api_name="quotes", concurrency_limit=None)
        gr.api(self.api.count, api_name="count", concurrency_limit=None)
        gr.api(self.api.mentions, api_name="mentions", concurrency_limit=None)
        gr.api(self.api.names, api_name="names", concurrency_limit=None)
        gr.api(self.api.releases, api_name="releases", concurrency_limit=None)
        gr.api(self.api.stats, api_name="stats", concurrency_limit=None)
        p.api_trigger.click(
            self.api.add_releases,
            [p.api_files],
            [p.api_result],
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
            self.page.chatbot: self._pending(turns, live),
            self.page.msg: "",
            self.page.send: gr.Button(visible=False),
            self.page.stop: gr.Button(visible=True),
        }

    def start_text(self, message: str, mode: str, turns: list[Turn], request: gr.Request) -> dict[Any, Any]:
        text = (message or "").strip()
        if not text:
            raise _nothing_to_run()
        if mode == SUMMARIZE:
            return self._begin(
                Request("topic", text, f"Summarize the releases about: {text}"), turns, request.session_hash or ""
            )
        if mode == TIMELINE:
            return self._begin(Request("timeline", text, f"Timeline: {text}"), turns, request.session_hash or "")
        if mode == QUOTES:
            return self._begin(Request("quotes", text, f"Quotes: {text}"), turns, request.session_hash or "")
        if mode == MENTIONS:
            return self._begin(Request("mentions", text, f"Releases naming: {text}"), turns, request.session_hash or "")
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
        dates: str | None,
        mentions: str | None,
        request: gr.Request,
    ) -> Iterator[dict[Any, Any]]:
        session = request.session_hash or ""
        live = self.sessions.get(session)
        if live is None:  # stopped while it waited in the queue
            yield {}
            return
        try:
            try:
                # The Settings tab has one size slider: in Summarize mode it is how many releases a topic
                # summary draws on.
                options = make_options(
                    self.engine.settings,
                    k,
                    model,
                    since,
                    until,
                    organisation,
                    length,
                    max_releases=k,
                    dates=dates,
                    mentions=mentions,
                )
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
                yield {self.page.chatbot: self._pending(turns, live, update)}
        finally:
            self.sessions.end(session, live)

    def _finished(self, turns: list[Turn], turn: Turn, session: str) -> dict[Any, Any]:
        turns = [*turns, turn]
        return {
            self.page.chatbot: render.chat_messages(turns),
            self.page.turns: turns,
            self.page.sources: render.sources_html(turns, self.lookup),
            self.page.tabs: gr.Tabs(selected="sources"),
            self.page.export: gr.DownloadButton(value=self.export_file(turns, session), interactive=True),
            self.page.send: gr.Button(visible=True),
            self.page.stop: gr.Button(visible=False),
        }

    def stop_turn(self, turns: list[Turn], request: gr.Request) -> dict[Any, Any]:
        session = request.session_hash or ""
        live = self.sessions.stop(session)
        if live is None:  # it finished just before the click
            return {self.page.send: gr.Button(visible=True), self.page.stop: gr.Button(visible=False)}
        return self._finished(turns, stopped_turn(live.request, live.text), session)

    def clear(self, request: gr.Request) -> dict[Any, Any]:
        self.sessions.stop(request.session_hash or "")
        return {
            self.page.chatbot: [],
            self.page.turns: [],
            self.page.sources: render.EMPTY_SOURCES,
            self.page.export: gr.DownloadButton(value=None, interactive=False),
            self.page.send: gr.Button(visible=True),
            self.page.stop: gr.Button(visible=False),
            self.page.msg: "",
            self.page.add_result: "",
        }

    def redraw(self, turns: list[Turn]) -> list[dict[str, str]]:
        """The chat from the conversation state, after Stop or New chat, over any update still in flight."""
        return render.chat_messages(turns)

    def forget(self, request: gr.Request) -> None:
        """The page was closed: stop its generation so the next person in line need not wait for it."""
        self.sessions.stop(request.session_hash or "")

    # ------------------------------------------------------------ handlers: everything else

    def switch_mode(self, mode: str) -> tuple[Any, Any, Any, Any]:
        placeholder, button = {
            SUMMARIZE: (TOPIC_PLACEHOLDER, "Summarize topic"),
            TIMELINE: (TIMELINE_PLACEHOLDER, "Timeline"),
            QUOTES: (QUOTES_PLACEHOLDER, "Find quotes"),
            MENTIONS: (MENTIONS_PLACEHOLDER, "Find releases"),
        }.get(mode, (ASK_PLACEHOLDER, "Ask"))
        return (
            gr.Row(visible=mode == SUMMARIZE),
            gr.Textbox(placeholder=placeholder),
            gr.Button(button),
            gr.Chatbot(height=CHAT_HEIGHT.get(mode, CHAT_HEIGHT[ASK])),
        )

    def search_releases(self, key: gr.KeyUpData) -> Any:
        if len(self.engine.index.find_releases("", limit=RELEASE_CHOICES + 1)) <= RELEASE_CHOICES:
            return gr.skip()  # every release is listed already; the dropdown filters them itself
        return gr.Dropdown(choices=release_choices(self.engine, key.input_value or ""))

    def refresh(self) -> tuple[Any, Any, Any, Any, Any]:
        stats = stats_line(self.engine)
        return (
            stats,
            stats,
            gr.Dropdown(choices=release_choices(self.engine)),
            gr.Dropdown(choices=organisation_choices(self.engine)),
            gr.Dropdown(choices=name_choices(self.engine)),
        )

    def upload_files(self, files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        if not files:
            return ("Choose one or more files first.", gr.skip(), *([gr.skip()] * 5))
        pairs = [(Path(f), Path(f).name) for f in files]
        results = add_files(
            self.engine,
            pairs,
            self.engine.settings.max_upload_bytes,
            lambda fraction, message: progress(fraction, desc=message),
        )
        return (results_markdown(results), None, *self.refresh())
