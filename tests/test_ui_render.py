"""The web app's parts that need no browser and no language model: rendering, uploads, options, errors."""

from __future__ import annotations

import errno
import re
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from embeddings.index import IndexStoreError, MissingIndexError, ModelMismatchError
from embeddings.settings import Settings
from embeddings.types import Release
from qa.engine import QuestionError, ReleaseNotFoundError
from qa.generate import PromptTooLongError
from qa.models import ModelError, UnknownModelError
from qa.types import Answer, Citation, Passage
from ui import render
from ui.chat import MAX_K, TOPIC_RELEASES, make_options, run_turn, stopped_turn
from ui.errors import EmptyIndexError, InputError, friendly_error
from ui.turns import Request, Turn
from ui.uploads import UploadRejected, add_files, results_markdown, safe_name, stage

XSS = "<script>alert(1)</script> <img src=x onerror=alert(2)> [menu](javascript:alert(3)) ![p](http://x.test/p.png)"


def passage(text: str, start: int = 0, release_id: str = "r1", chunk_id: int = 7) -> Passage:
    return Passage(
        chunk_id,
        release_id,
        "Title <b>bold</b>",
        date(2024, 1, 8),
        "Org & Co",
        "r1.txt",
        text,
        start,
        start + len(text),
        0.0321,
        0.61,
    )


def assert_inert_html(html_text: str) -> None:
    """No element, handler or script URL can come out of untrusted text."""
    lowered = html_text.lower()
    assert "<script" not in lowered and "<img" not in lowered and "<b>" not in lowered
    assert not re.search(r"href\s*=\s*[\"']?\s*javascript", lowered)


def assert_inert(markdown: str) -> None:
    """The same for Markdown, where a link or image needs no tag at all."""
    assert_inert_html(markdown)
    assert "javascript:" not in markdown.lower()
    assert "](" not in markdown


# ---------------------------------------------------------------- Markdown in the chat


def test_untrusted_text_is_escaped_for_the_chat() -> None:
    out = render.escape_markdown(XSS + "\n[ref]: javascript:alert(4)\n$2.25 & $2.50")
    assert_inert(out)
    assert "&lt;script&gt;" in out and "&amp;" in out
    assert "\\[ref]" in out  # a reference definition cannot form
    assert "$" not in out  # never read as math


def test_citation_markers_link_to_their_cards_only() -> None:
    text = render.escape_markdown("Fares rise [1]. Passes stay [1, 2]. Unknown [7]. Adjacent [1][2].")
    out = render.link_citations(text, 3, [1, 2])
    assert out.count('href="#src-3-1"') == 3 and out.count('href="#src-3-2"') == 2
    assert "[7]" in out and "#src-3-7" not in out
    assert "\\<a" not in out  # the backslash escape_markdown put before "[2]" is gone with the marker


def test_final_answer_message_is_inert_and_cited() -> None:
    c = Citation(1, passage("x"), 0, 1)
    turn = Turn("ask", "q", Answer(f"It opened {XSS} [1]", True, (c,)))
    out = render.turn_message(turn, 1)
    assert_inert(out)
    assert '<a class="pq-cite" href="#src-1-1">[1]</a>' in out


def test_an_answer_chosen_among_candidates_says_so() -> None:
    c = Citation(1, passage("x"), 0, 1)
    chosen = Answer("$4.8 million [1]", True, (c,), method="chosen", check="not in the passages",
                    candidates=("$4.8 million", "$3.2 million", f"{XSS}"))  # fmt: skip
    out = render.turn_message(Turn("ask", "q", chosen), 1)
    assert_inert(out)
    assert "chosen by the model among 3 candidates" in out and "was not in the passages" in out
    own = Answer("It costs $4.8 million [1]", True, (c,), method="model", check="passed")
    assert "candidate" not in render.turn_message(Turn("ask", "q", own), 1)


def test_a_checked_answer_of_a_sentence_leads_with_its_key_span() -> None:
    c = Citation(1, passage("x"), 0, 1)
    long = "Delay was ordered to pay $76,700 in restitution to his victims [1]"
    checked = Answer(long, True, (c,), answer_type="amount", check="passed", key="$76,700")
    out = render.turn_message(Turn("ask", "q", checked), 1)
    assert out.startswith('<span class="pq-key">In brief: &#36;76,700</span>')
    hostile = Answer(f"{XSS} {long}", True, (c,), answer_type="amount", check="passed", key=XSS)
    assert_inert(render.turn_message(Turn("ask", "q", hostile), 1))
    # Not when the answer is the span itself, nor for a free-text answer or one the check did not find.
    short = Answer("$76,700 [1]", True, (c,), answer_type="amount", check="passed", key="$76,700")
    free = Answer(long, True, (c,), answer_type="text", check="not checked", key="restitution to his victims")
    unchecked = Answer(long, True, (c,), answer_type="amount", check="refused", key="$76,700")
    assert all("pq-key" not in render.turn_message(Turn("ask", "q", a), 1) for a in (short, free, unchecked))


def test_a_fact_sheet_renders_a_part_a_heading_and_a_fact_a_cited_line() -> None:
    from qa.types import Fact

    c = Citation(3, passage("x"), 10, 20)
    facts = (Fact("amounts", "$4.8 million", 10, 20, "to approve a ", " repair"), Fact("quotes", XSS, 10, 20))
    out = render.turn_message(Turn("release", "q", Answer("…", True, (c,), facts=facts)), 2)
    assert_inert(out)
    assert "**Amounts**\n\n- to approve a **&#36;4.8 million** repair" in out
    assert out.count('<a class="pq-cite" href="#src-2-3">[3]</a>') == 2


def test_an_answer_cut_by_the_token_limit_says_so() -> None:
    assert render.looks_cut("Night buses return. The service will run from")
    assert render.looks_cut("It costs $2 [1]")
    assert not render.looks_cut("It costs $2. [1]") and not render.looks_cut("- a bullet\n- another one")
    cut = Turn("release", "p", Answer("Night buses will run from", True))
    assert render.turn_message(cut, 1).endswith("length limit]*")
    assert "length limit" not in render.turn_message(Turn("ask", "p", Answer("It rises to $2.50 [1]", True)), 1)


def test_chat_messages_follow_the_turns() -> None:
    turns = [
        Turn("ask", "<b>q1</b>", Answer("a1 [1]", True, (Citation(1, passage("x"), 0, 1),))),
        Turn("error", "q2", Answer("The question is empty", False)),
    ]
    msgs = render.chat_messages(turns, ("q3", render.streaming_message("partial")))
    assert [m["role"] for m in msgs] == ["user", "assistant"] * 3
    assert msgs[0]["content"] == "&lt;b&gt;q1&lt;/b&gt;"
    assert msgs[3]["content"].startswith("⚠")
    assert msgs[5]["content"].endswith(render.CURSOR)
    assert render.streaming_message("", "Searching…") == "*Searching…*"


# ---------------------------------------------------------------- the sources panel


def test_source_card_escapes_the_release_and_marks_the_quote() -> None:
    text = f"Intro sentence. {XSS} The kitchen cost $2.1 million. Outro."
    p = passage(text, start=100)
    q = text.index("The kitchen")
    c = Citation(2, p, 100 + q, 100 + q + len("The kitchen cost $2.1 million."))
    release = Release("r1", "Title", "H" * 100 + text, origin="https://example.test/r1?a=1&b=2")
    card = render.source_card(c, 4, release)
    assert_inert_html(card)
    assert 'id="src-4-2"' in card and "&lt;script&gt;alert(1)&lt;/script&gt;" in card
    assert "<mark>The kitchen cost $2.1 million.</mark>" in card
    assert "2024-01-08" in card and "Org &amp; Co" in card and "score 0.0321" in card
    assert "Title &lt;b&gt;bold&lt;/b&gt;" in card
    assert '<details class="pq-full">' in card and '<span class="pq-in-passage">' in card
    assert 'href="https://example.test/r1?a=1&amp;b=2"' in card


def test_origin_link_only_for_web_addresses() -> None:
    assert render._origin_html("javascript:alert(1)") == ""
    assert render._origin_html("/srv/index/uploads/r1.txt") == ""
    assert 'rel="noopener noreferrer"' in render._origin_html("https://example.test/a")


def test_long_passage_shows_a_window_around_the_quote() -> None:
    text = "word " * 400 + "The quote is here." + " tail" * 400
    start = text.index("The quote")
    c = Citation(1, passage(text), start, start + len("The quote is here."))
    shown = render.passage_html(c)
    assert shown.startswith("… ") and shown.endswith(" …")
    assert "<mark>The quote is here.</mark>" in shown
    assert len(shown) < render.CARD_CONTEXT_CHARS + 100


def test_whole_release_source_marks_nothing() -> None:
    text = "A short release."
    c = Citation(1, passage(text, chunk_id=-1), 0, len(text))
    assert "<mark>" not in render.passage_html(c)
    assert "score" not in render.source_card(c, 1, Release("r1", "T", text))


def test_release_that_is_one_passage_still_marks_the_quote() -> None:
    text = "First sentence. The quote <here>. Last one."
    q = text.index("The quote")
    c = Citation(1, passage(text), q, q + len("The quote <here>."))
    assert render.release_html(Release("r1", "T", text), c) == (
        "First sentence. <mark>The quote &lt;here&gt;.</mark> Last one."
    )


def test_release_changed_since_the_answer_is_shown_unmarked() -> None:
    c = Citation(1, passage("old words", start=0), 0, 3)
    assert render.release_html(Release("r1", "T", "new <words>"), c) == "new &lt;words&gt;"


def test_a_mode_s_sources_heading_shows_what_was_typed_without_the_chat_s_label() -> None:
    cited = Answer("- Voss [1]", True, (Citation(1, passage("Voss said"), 0, 4),))
    panel = render.sources_html([Turn("quotes", "Quotes: Elena Voss", cited)], lambda rid: None)
    assert "Quotes for: <q>Elena Voss</q>" in panel
    named = render.sources_html([Turn("mentions", "Releases naming: FBI", cited)], lambda rid: None)
    assert "Releases naming: <q>FBI</q>" in named


def test_sources_panel_shows_the_last_turn_first_and_folds_earlier_ones() -> None:
    first = Turn("ask", "first?", Answer("a [1]", True, (Citation(1, passage("one"), 0, 3),)))
    second_citation = Citation(1, passage("two", release_id="r2"), 0, 3)
    second = Turn("ask", "second?", Answer("b [1]", True, (second_citation,), (), "the second question?"))
    panel = render.sources_html([first, second], lambda rid: None)
    assert panel.index('id="src-2-1"') < panel.index("Earlier answers (1)") < panel.index('id="src-1-1"')
    assert "Searched as: <q>the second question?</q>" in panel
    assert render.sources_html([], lambda rid: None) == render.EMPTY_SOURCES
    error = Turn("error", "?", Answer("The question is empty", False))
    after_error = render.sources_html([first, second, error], lambda rid: None)
    assert after_error == panel.replace('data-turns="2"', 'data-turns="3"')  # an error has no sources, hides none


def test_unanswered_turn_lists_what_the_model_read() -> None:
    turn = Turn("ask", "q", Answer("The indexed releases do not say.", False, (), (passage("x"), passage("y"))))
    panel = render.sources_html([turn], lambda rid: None)
    assert "nothing is cited" in panel and panel.count("<li>") == 1  # one release, listed once


def test_export_has_questions_answers_and_quoted_citations() -> None:
    text = "Before. The fare rises to $2.50. After."
    q = text.index("The fare")
    c = Citation(1, passage(text), q, q + len("The fare rises to $2.50."))
    turns = [
        Turn("ask", "What is the fare?", Answer("It is $2.50 [1].", True, (c,), (), "What is the bus fare?")),
        Turn("error", "?", Answer("The question is empty", False)),
    ]
    md = render.export_markdown(turns)
    assert md.startswith("# pressqa conversation")
    assert "## 1. What is the fare?" in md and "*Searched as: What is the bus fare?*" in md
    assert "- [1] Title <b>bold</b> (2024-01-08, Org & Co; release `r1`)" in md
    assert "  > The fare rises to $2.50." in md
    assert "⚠ The question is empty" in md


def test_stats_line() -> None:
    stats = SimpleNamespace(releases=14, chunks=45, first_date=date(2021, 6, 8), last_date=date(2025, 9, 30))
    assert render.stats_markdown(stats) == "**14** releases · **45** passages · 2021-06-08 → 2025-09-30"  # type: ignore[arg-type]
    assert "empty" in render.stats_markdown(SimpleNamespace(releases=0))  # type: ignore[arg-type]
    line = render.stats_markdown(stats, [["497", "498"], ["7610", "7611", "<x>"]])  # type: ignore[arg-type]
    assert "<strong>2</strong> published more than once (5 ids)" in line
    assert 'title="497 = 498; 7610 = 7611 = &lt;x&gt;"' in line


def test_a_card_names_the_other_ids_of_a_release_published_more_than_once() -> None:
    p = replace(passage("The kitchen cost $2.1 million."), also_published_as=("r1-again", "<b>"))
    card = render.source_card(Citation(1, p, 0, 10), 1, None)
    assert "also published as <code>r1-again</code>, <code>&lt;b&gt;</code>" in card
    assert "also published as" not in render.source_card(Citation(1, passage("x"), 0, 1), 1, None)


# ---------------------------------------------------------------- uploads


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\evil.md", "evil.md"),
        (".hidden.md", "hidden.md"),
        ("Résumé 2024 (final).TXT", "Resume_2024_final.txt"),
        ("<script>.html", "script.html"),
        ("", "release"),
        ("a" * 300 + ".jsonl", "a" * 94 + ".jsonl"),
    ],
)
def test_safe_name(given: str, expected: str) -> None:
    assert safe_name(given) == expected


def test_stage_accepts_only_supported_small_nonempty_files(tmp_path: Path) -> None:
    uploads = tmp_path / "index" / "uploads"
    src = tmp_path / "in"
    src.write_text("hello")
    for name, reason in [("a.pdf", "unsupported file type '.pdf'"), ("README", "without a suffix")]:
        with pytest.raises(UploadRejected, match=re.escape(reason)):
            stage(src, name, uploads, 1000)
    with pytest.raises(UploadRejected, match=r"too large \(2 KB\); the limit is 1 KB per file"):
        src.write_bytes(b"x" * 2048)
        stage(src, "big.txt", uploads, 1024)
    with pytest.raises(UploadRejected, match="empty"):
        src.write_bytes(b"")
        stage(src, "empty.txt", uploads, 1024)
    src.write_text("Title\n\nBody.")
    staged = stage(src, "../../outside.txt", uploads, 1024)
    assert staged == (uploads / "outside.txt").resolve() and staged.read_text() == "Title\n\nBody."
    assert not (tmp_path / "outside.txt").exists()


@pytest.fixture
def writable_engine(writable_index_dir: Path, encoder):
    from embeddings.index import Index
    from embeddings.settings import get_settings
    from qa.engine import Engine

    index = Index.open(writable_index_dir, encoder.name, encoder.dim, create=False)
    yield Engine(get_settings(index=writable_index_dir, top_k=3), index, encoder)
    index.close()


def test_uploads_are_indexed_at_once_with_a_result_per_file(writable_engine, tmp_path: Path) -> None:
    new = tmp_path / "quillby.md"
    new.write_text(
        "---\ntitle: Quillby Ferries Orders Two Electric Ferries\ndate: 2025-10-02\n---\n"
        "Quillby Ferries has ordered two battery-electric ferries named Heron and Kestrel.\n"
    )
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    other = tmp_path / "notes.pdf"
    other.write_bytes(b"%PDF-1.4")
    seen: list[str] = []
    results = add_files(
        writable_engine,
        [(new, "quillby.md"), (broken, "broken.json"), (other, "notes.pdf")],
        10_000,
        lambda fraction, message: seen.append(message),
    )
    assert [r.status for r in results] == ["added", "failed", "failed"]
    assert results[0].release_ids == ("quillby",) and results[0].detail == "1 added"
    assert "unsupported file type '.pdf'" in results[2].detail
    assert str(writable_engine.index.path) not in results[1].detail  # no server paths in messages
    uploads = writable_engine.index.path / "uploads"
    assert sorted(p.name for p in uploads.iterdir()) == ["quillby.md"]  # failed copies are removed
    assert seen[0] == "Indexing quillby.md (1 of 3)" and seen[-1] == "Done"
    hits = writable_engine.retriever.search("electric ferries Heron and Kestrel", 3).passages
    assert hits[0].release_id == "quillby"  # searchable at once, no restart

    again = add_files(writable_engine, [(new, "quillby.md")], 10_000)
    assert again[0].status == "unchanged"
    summary = results_markdown(results)
    assert summary.startswith("**1 release added** from 3 files, 2 failed. They are searchable now.")
    assert "- ✗ `notes.pdf`: unsupported file type" in summary


def test_upload_results_are_inert() -> None:
    from ui.uploads import FileResult

    out = results_markdown([FileResult("a.json", "failed", "record 2: bad id '<img src=x onerror=alert(1)>'")])
    assert "<img" not in out and "&lt;img" in out


# ---------------------------------------------------------------- options, errors, sessions


def test_options_from_the_settings_tab() -> None:
    settings = Settings()
    o = make_options(settings, 4, "", "2024-01-01", "2024-12-31 00:00:00", " Riverton ", "bullets", 50)
    assert o.k == 4 and o.model is None and o.length == "bullets" and o.max_new_tokens == 50
    assert o.filters.since == date(2024, 1, 1) and o.filters.until == date(2024, 12, 31)
    assert o.filters.organisation == "Riverton"
    with pytest.raises(InputError, match="'31/12/2024' is not a date"):
        make_options(settings, 4, None, "31/12/2024", None, None, "short", 50)
    with pytest.raises(InputError, match="'From' is after 'To'"):
        make_options(settings, 4, None, "2025-01-01", "2024-01-01", None, "short", 50)
    with pytest.raises(InputError, match="Summary length"):
        make_options(settings, 4, None, None, None, None, "epic", 50)


def test_unset_options_come_from_the_settings() -> None:
    o = make_options(Settings(top_k=5, max_new_tokens=77, max_releases=4))
    assert (o.k, o.max_new_tokens, o.max_releases, o.length) == (5, 77, 4, "short")
    o = make_options(Settings(top_k=5, max_new_tokens=77, max_releases=4), k=0, max_new_tokens=0, max_releases=0)
    assert (o.k, o.max_new_tokens, o.max_releases) == (5, 77, 4)
    bounded = make_options(Settings(), k=99, max_releases=99)
    assert bounded.k == MAX_K and bounded.max_releases == TOPIC_RELEASES[1]


def final_turn(updates: Iterator) -> Turn:
    turn = None
    for update in updates:
        turn = update.turn or turn
    assert turn is not None
    return turn


@pytest.mark.parametrize(
    ("question", "model", "expected"),
    [
        ("   ", None, "The question is empty"),
        ("why? " * 500, None, "the limit is 2,000"),
        ("What will the fare be?", "no-such-model", "The model failed: unknown model 'no-such-model'"),
    ],
)
def test_errors_become_readable_chat_messages(engine, question: str, model: str | None, expected: str) -> None:
    options = make_options(engine.settings, model=model)
    turn = final_turn(run_turn(engine, Request("ask", question, question), [], options, threading.Event()))
    assert turn.kind == "error" and expected in turn.answer.text and "Traceback" not in turn.answer.text


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (QuestionError("The question is empty: type a question."), "The question is empty: type a question."),
        (ReleaseNotFoundError("No indexed release has the id 'x'."), "No indexed release has the id 'x'."),
        (InputError("The From date 'x' is not a date."), "The From date 'x' is not a date."),
        (EmptyIndexError("The index has no releases yet."), "The index has no releases yet."),
        (IndexStoreError("The index at /i is locked."), "The index at /i is locked."),
        (MissingIndexError("No index at /i."), "No index at /i."),
        (ModelMismatchError("The index was built with m1."), "The index was built with m1."),
        (
            ModelError("model 'x' needs package(s) y"),
            "The language model is not available: model 'x' needs package(s) y.",
        ),
        (
            PromptTooLongError("prompt is 9000 tokens; m accepts at most 8192"),
            "The passages are too long for the model (prompt is 9000 tokens; m accepts at most 8192). "
            "Lower 'Passages per answer' in Settings.",
        ),
        (UnknownModelError("unknown model 'x'"), "The model failed: unknown model 'x'."),
        (
            OSError(errno.ENOSPC, "No space left on device", "/i/dense-3.faiss"),
            "Cannot use /i/dense-3.faiss: No space left on device; the disk is full: free some space and try again.",
        ),
        # The type decides, not the words: an unexpected error that happens to read like a known one.
        (ValueError("prompt is 9000 tokens"), "The model failed while writing the answer (ValueError)."),
        (RuntimeError("unknown model 'x'"), "The model failed while writing the answer (RuntimeError)."),
    ],
)
def test_errors_are_told_apart_by_their_type(error: Exception, expected: str) -> None:
    assert friendly_error(error).startswith(expected)


def test_empty_index_gets_a_hint_to_add_releases(tmp_path: Path, encoder) -> None:
    from embeddings.index import Index
    from embeddings.settings import get_settings
    from qa.engine import Engine

    index = Index.open(tmp_path, encoder.name, encoder.dim, create=True)
    empty = Engine(get_settings(index=tmp_path), index, encoder)
    options = make_options(empty.settings)
    turn = final_turn(run_turn(empty, Request("ask", "Any news?", "Any news?"), [], options, threading.Event()))
    assert turn.kind == "error" and "no releases yet" in turn.answer.text and "Add releases" in turn.answer.text


class FakeStream:
    """Stands in for AnswerStream: a few pieces, then an Answer."""

    def __init__(self, question: str, stop: threading.Event) -> None:
        self.passages = [passage("The fare rises to $2.50.")]
        self.stop = stop
        self.generator = None  # the pieces below need no model
        self.answer = Answer(
            "It rises to $2.50 [1].",
            True,
            (Citation(1, self.passages[0], 0, 24),),
            tuple(self.passages),
            question + " (rewritten)",
        )

    def __iter__(self) -> Iterator[str]:
        for piece in ["It rises", " to $2.50", " [1]."]:
            if self.stop.is_set():
                return
            yield piece


class FakeEngine:
    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.settings = Settings()
        self.index = SimpleNamespace(find_releases=lambda query, limit: ["something"])

    def generator(self, model: str | None = None) -> None:
        return None

    def choice(self, model: str | None = None) -> SimpleNamespace:
        return SimpleNamespace(model=model or "qwen2.5-0.5b", runtime="llama.cpp")

    def check_question(self, question: str) -> str:
        return question

    def ask(self, question, history, k, filters, model, stop, max_new_tokens):
        self.calls.append((question, list(history), k, max_new_tokens))
        return FakeStream(question, stop)


def test_a_turn_streams_pieces_then_the_final_answer_with_the_conversation_as_history() -> None:
    engine = FakeEngine()
    earlier = [
        Turn("ask", "What will the fare be?", Answer("$2.50 [1].", True)),
        Turn("error", "?", Answer("The question is empty", False)),
    ]
    updates = list(
        run_turn(
            engine,
            Request("ask", "And the day pass?", "And the day pass?"),
            earlier,  # type: ignore[arg-type]
            make_options(engine.settings, k=2, max_new_tokens=30),
            threading.Event(),
        )
    )
    texts = [u.text for u in updates if u.turn is None and u.text]
    assert texts == ["It rises", "It rises to $2.50", "It rises to $2.50 [1]."]
    turn = updates[-1].turn
    assert turn is not None and turn.answer.citations[0].n == 1 and turn.searched == "And the day pass? (rewritten)"
    assert engine.calls == [("And the day pass?", [("What will the fare be?", "$2.50 [1].")], 2, 30)]


def test_closing_the_stream_sets_the_stop_event() -> None:
    stop = threading.Event()
    engine = FakeEngine()
    updates = run_turn(engine, Request("ask", "q", "q"), [], make_options(engine.settings), stop)  # type: ignore[arg-type]
    next(updates)
    updates.close()  # what Gradio does when the user presses Stop
    assert stop.is_set()


def test_the_api_answers_with_the_answers_own_json() -> None:
    from ui.api import Api

    engine = FakeEngine()
    result = Api(engine).ask("What will the fare be?")  # type: ignore[arg-type]
    assert result == FakeStream("What will the fare be?", threading.Event()).answer.to_json()
    assert result["citations"][0]["quote"] == "The fare rises to $2.50."
    assert engine.calls == [("What will the fare be?", [], engine.settings.top_k, engine.settings.max_new_tokens)]


def test_a_citations_json_carries_its_quote() -> None:
    text = "Before. The fare rises to $2.50. After."
    q = text.index("The fare")
    c = Citation(1, passage(text, start=40), 40 + q, 40 + q + len("The fare rises to $2.50."))
    assert c.quote == "The fare rises to $2.50." and c.to_json()["quote"] == c.quote
    assert Answer("It is $2.50 [1].", True, (c,)).to_json()["citations"] == [c.to_json()]


def test_a_stopped_turn_keeps_its_text_and_cites_nothing() -> None:
    turn = stopped_turn(Request("topic", "buses", "Summarize the releases about: buses"), " Night buses [1] ")
    assert (turn.kind, turn.answer.text, turn.answer.found, turn.stopped) == ("topic", "Night buses [1]", False, True)
    assert turn.answer.citations == () and turn.searched == ""
    assert render.turn_message(turn, 1).endswith("*Stopped.*")


def test_one_running_turn_per_session() -> None:
    from ui.sessions import Sessions

    sessions = Sessions()
    live = sessions.begin("s1", Request("ask", "q", "q"))
    assert live is not None and sessions.begin("s1", Request("ask", "q2", "q2")) is None
    assert sessions.begin("s2", Request("ask", "q", "q")) is not None
    assert sessions.stop("s1") is live and live.stop.is_set() and sessions.get("s1") is None


# ---------------------------------------------------------------- the app's configuration


def test_launch_options_are_safe_by_default(engine) -> None:
    from ui.app import launch_options, parse_auth

    opts = launch_options(engine, "127.0.0.1", 7860, None)
    assert opts["share"] is False and opts["server_name"] == "127.0.0.1" and opts["auth"] is None
    assert opts["max_file_size"] == engine.settings.max_upload_bytes
    assert launch_options(engine, "127.0.0.1", 7860, "ann:s3:cret")["auth"] == ("ann", "s3:cret")
    for bad in ["ann", ":pw", "ann:"]:
        with pytest.raises(ValueError, match="USER:PASS"):
            parse_auth(bad)


def test_named_endpoints_and_one_generation_at_a_time(engine) -> None:
    from ui.app import build_app
    from ui.webapp import GENERATE

    demo = build_app(engine)
    public = {fn.api_name: fn for fn in demo.fns.values() if fn.api_visibility == "public"}
    expected = {"ask", "summarize", "timeline", "quotes", "mentions", "names", "count", "releases", "stats"}
    assert set(public) == expected | {"add_releases"}
    generating = [fn for fn in demo.fns.values() if fn.concurrency_id == GENERATE]
    assert {fn.api_name for fn in generating} >= {"ask", "summarize"} and len(generating) >= 4
    assert all(fn.concurrency_limit == 1 for fn in generating)


def test_a_timeline_axis_places_each_event_by_date_and_links_its_card() -> None:
    days = [date(2020, 1, 1), date(2021, 1, 1), date(2024, 1, 1)]
    cites = [Citation(n, replace(passage("x", release_id=f"r{n}"), date=d), 0, 1) for n, d in enumerate(days, 1)]
    axis = render.timeline_axis_html(cites, 3)
    assert axis.count('class="pq-cite pq-tl-mark') == 3
    assert 'href="#src-3-1" style="left: 0.00%"' in axis and 'href="#src-3-3" style="left: 100.00%"' in axis
    assert 'style="left: 25.05%"' in axis  # 366 of 1,461 days
    assert "Title &lt;b&gt;bold&lt;/b&gt;" in axis and "<b>" not in axis
    assert render.timeline_axis_html([Citation(1, replace(passage("x"), date=None), 0, 1)], 1) == ""
