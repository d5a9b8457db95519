"""What the web page is made of: the chat column, the side tabs and the API's hidden inputs.

Layout: the chat (Ask or Summarize) on the left; Sources, Add releases and Settings tabs on the right.
Building a Page only creates the components, inside the caller's gr.Blocks; ui.webapp wires their events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import gradio as gr

from qa.models import available_models
from ui import render
from ui.uploads import accepted_types

if TYPE_CHECKING:
    from qa.engine import Engine

RELEASE_CHOICES = 300  # releases listed up front; typing in the picker searches the whole index
ASK, SUMMARIZE, TIMELINE, QUOTES, MENTIONS = "Ask", "Summarize", "Timeline", "Quotes", "Mentions"
ASK_PLACEHOLDER = "Ask a question about the press releases…"
# The chat fills the window down to the input row; Summarize mode has the release picker above it.
CHAT_HEIGHT = {
    ASK: "calc(100vh - 330px)",
    SUMMARIZE: "calc(100vh - 430px)",
    TIMELINE: "calc(100vh - 330px)",
    QUOTES: "calc(100vh - 330px)",
    MENTIONS: "calc(100vh - 330px)",
}
TOPIC_PLACEHOLDER = "…or type a topic to summarise every release about it"
TIMELINE_PLACEHOLDER = "A case or a story (names, a company, an operation): its releases in date order"
MENTIONS_PLACEHOLDER = "A person or organisation: every release that names them, counted by month"
QUOTES_PLACEHOLDER = "Who is quoted, what about, or both: “Holder”, “hate crimes”, “Holder about voting rights”"


# ---------------------------------------------------------------- small views of the index


def release_choices(engine: Engine, query: str = "") -> list[tuple[str, str]]:
    infos = engine.index.find_releases(query, limit=RELEASE_CHOICES)
    return [(render.release_choice(r.title, r.date, r.organisation), r.id) for r in infos]


def organisation_choices(engine: Engine) -> list[tuple[str, str]]:
    return [("All organisations", ""), *((o, o) for o in engine.index.organisations())]


# People and organisations offered in the Settings' name filter: the most named, with their counts.
NAME_CHOICES = 200


def name_choices(engine: Engine) -> list[tuple[str, str]]:
    named = engine.index.most_named(limit=NAME_CHOICES)
    return [("Anyone", ""), *((f"{name} ({kind}, {n} releases)", name) for name, kind, n in named)]


def model_choices(engine: Engine) -> list[str]:
    names = available_models()
    chosen = engine.default_choice.model
    return names if chosen in names else [chosen, *names]


def stats_line(engine: Engine) -> str:
    return render.stats_markdown(engine.index.stats(), engine.index.reissues())


# ---------------------------------------------------------------- the page


class Page:
    """Every component of the page, as attributes; create it inside a gr.Blocks context."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._header()
        with gr.Row(equal_height=False):
            with gr.Column(scale=7, min_width=480):
                self._chat_column()
            with gr.Column(scale=5, min_width=380):
                self._side_column()
        self._api_only()

    def _header(self) -> None:
        with gr.Row(elem_id="pq-header", equal_height=True):
            gr.Markdown(
                "# pressqa\nAnswers and summaries from your press releases, with the passages they rest on.",
                elem_id="pq-brand",
            )
            self.stats_md = gr.Markdown(stats_line(self.engine), elem_id="pq-stats")

    def _chat_column(self) -> None:
        settings = self.engine.settings
        self.mode = gr.Radio(
            [ASK, SUMMARIZE, TIMELINE, QUOTES, MENTIONS], value=ASK, show_label=False, elem_id="pq-mode"
        )
        with gr.Row(visible=False, elem_id="pq-summarize-row") as self.summarize_row:
            self.release_pick = gr.Dropdown(
                choices=release_choices(self.engine),
                value=None,
                label="Release to summarise",
                info="Type to search the titles, or type a topic in the box below to summarise all releases on it.",
                filterable=True,
                allow_custom_value=True,
                scale=4,
                elem_id="pq-release-pick",
            )
            self.length = gr.Radio(
                [("short", "short"), ("bullets", "bullets"), ("detailed", "detailed"), ("fact sheet", "facts")],
                value=settings.summary_length,
                label="Length",
                info="A fact sheet lists one release's names, dates, places, amounts and quotes, each cited",
                scale=3,
                elem_id="pq-length",
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
                chosen = self.engine.default_choice
                self.model = gr.Dropdown(
                    model_choices(self.engine),
                    value=chosen.model,
                    label="Model",
                    info=f"Default here: {chosen.describe(settings.threads)}",
                    elem_id="pq-model",
                )
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
                self.mentions = gr.Dropdown(
                    name_choices(self.engine),
                    value="",
                    label="Names",
                    info="Only releases naming this person or organisation (the most named are listed; type any name)",
                    allow_custom_value=True,
                    filterable=True,
                    elem_id="pq-mentions",
                )
                self.dates = gr.Radio(
                    [("published", "published"), ("happened", "happened")],
                    value="published",
                    label="From and To bound the day a release was",
                    info="happened: the day its main event took place ('yesterday' counted from the release date)",
                    elem_id="pq-dates",
                )
                self.organisation = gr.Dropdown(
                    organisation_choices(self.engine),
                    value="",
                    label="Organisation",
                    allow_custom_value=True,
                    filterable=True,
                    elem_id="pq-org",
                )
                self.stats_detail = gr.Markdown(stats_line(self.engine), elem_id="pq-stats-detail")

    def _api_only(self) -> None:
        """Hidden components behind /add_releases, so uploads from scripts get Gradio's file checks."""
        with gr.Row(visible=False):
            self.api_files = gr.File(file_count="multiple", type="filepath", label="files")
            self.api_result = gr.JSON()
            self.api_trigger = gr.Button()
