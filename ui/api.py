"""The named API endpoints: plain JSON in and out, for scripts using gradio_client.

They share the chat's code paths (ui.chat) and its queue, but not its session state: each call is
self-contained, and a follow-up question passes the earlier exchanges as `history`.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from qa.engine import QuestionError
from qa.types import Answer
from ui.chat import Options, make_options, run_turn
from ui.turns import Request, Turn
from ui.uploads import add_files

if TYPE_CHECKING:
    from qa.engine import Engine

MAX_API_TOKENS = 1024


def _finish(engine: Engine, request: Request, options: Options, history: Sequence[Sequence[str]] | None) -> Answer:
    turns = [Turn("ask", str(h[0]), Answer(str(h[1]), True)) for h in history or () if len(h) >= 2]
    turn: Turn | None = None
    for update in run_turn(engine, request, turns, options, threading.Event()):
        turn = update.turn or turn
    assert turn is not None
    if turn.kind == "error":
        raise gr.Error(html.escape(turn.answer.text, quote=False), print_exception=False)  # Gradio shows it as HTML
    return turn.answer


def _options(engine: Engine, **given: Any) -> Options:
    try:
        return make_options(engine.settings, **given)
    except ValueError as exc:
        raise gr.Error(html.escape(str(exc), quote=False), print_exception=False) from None


class Api:
    """Each endpoint's answer or summary is its Answer's `to_json()`, the same object as `pressqa ask --json`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def ask(
        self,
        question: str,
        k: int = 0,
        since: str = "",
        until: str = "",
        organisation: str = "",
        model: str = "",
        history: list[list[str]] | None = None,
        max_new_tokens: int = 0,
        dates: str = "published",
        mentions: str = "",
    ) -> dict[str, Any]:
        """Answer a question from the indexed releases, citing passages.

        k: passages shown to the model (0: the server's default). since/until: YYYY-MM-DD or "", bounding
        the release date, or with dates="happened" the day the release's main event happened.
        organisation: part of the organisation's name, or "". model: a model name, or "" for the default.
        history: earlier [question, answer] pairs, for follow-up questions. max_new_tokens: 0 for the
        server's default, at most 1024.
        Returns {answer, found, question (as searched), citations: [{n, release_id, title, date,
        organisation, passage, start, end, quote_start, quote_end, quote, score}], retrieved, timings}.
        """
        tokens = max(1, min(int(max_new_tokens), MAX_API_TOKENS)) if max_new_tokens else None
        options = _options(
            self.engine,
            k=k,
            model=model,
            since=since,
            until=until,
            organisation=organisation,
            max_new_tokens=tokens,
            dates=dates,
            mentions=mentions,
        )
        return _finish(self.engine, Request("ask", question, question), options, history).to_json()

    def summarize(
        self,
        release: str = "",
        topic: str = "",
        since: str = "",
        until: str = "",
        organisation: str = "",
        length: str = "short",
        model: str = "",
        max_releases: int = 0,
        dates: str = "published",
        mentions: str = "",
    ) -> dict[str, Any]:
        """Summarise one release (its id, or words of its title) or every release on a topic.

        Give exactly one of release and topic. since/until/organisation narrow a topic. length: short,
        bullets, detailed, or facts (one release's fact sheet: its names, dates, places, amounts and quotes,
        each cited; then "facts" lists them as {part, key, text, start, end}). max_releases: releases a
        topic summary draws on (0: the server's default). Returns the same shape as /ask, with the summary
        in "answer" and, in "question", the release's title or the topic.
        """
        if bool(release.strip()) == bool(topic.strip()):
            raise gr.Error("Give exactly one of 'release' (an id or title words) and 'topic'.", print_exception=False)
        options = _options(
            self.engine,
            model=model,
            since=since,
            until=until,
            organisation=organisation,
            length=length,
            max_releases=max_releases,
            dates=dates,
            mentions=mentions,
        )
        request = Request("release", release.strip(), release) if release.strip() else Request("topic", topic, topic)
        return _finish(self.engine, request, options, None).to_json()

    def timeline(
        self,
        query: str,
        since: str = "",
        until: str = "",
        organisation: str = "",
        max_events: int = 0,
        dates: str = "published",
        mentions: str = "",
    ) -> dict[str, Any]:
        """The events of a case or story, one release each, oldest first, each cited to its opening sentence
        (no model). max_events: 0 for the default (6), at most 50. Returns the same shape as /ask: the
        events as "- YYYY-MM-DD: sentence [n]" lines in "answer", one citation per event."""
        options = _options(
            self.engine, since=since, until=until, organisation=organisation, dates=dates, mentions=mentions
        )
        f = options.filters
        try:
            events = max(0, min(int(max_events), 50)) or None
            result = self.engine.timeline(query, f, events)
        except QuestionError as exc:
            raise gr.Error(html.escape(str(exc), quote=False), print_exception=False) from None
        return result.to_json()

    def quotes(
        self,
        speaker: str = "",
        query: str = "",
        since: str = "",
        until: str = "",
        organisation: str = "",
        limit: int = 10,
        dates: str = "published",
        mentions: str = "",
    ) -> dict[str, Any]:
        """Quotes read from the releases at ingest, each cited to its exact span (no model): a speaker's (a
        name, a surname or a body), about `query`, or both; the newest when neither is given. limit: at
        most 500. Returns the same shape as /ask, plus "quotes": [{n, speaker, role, quote, release_id,
        title, date, start, end}], the nth cited by citation n."""
        options = _options(
            self.engine, since=since, until=until, organisation=organisation, dates=dates, mentions=mentions
        )
        f = options.filters
        try:
            result = self.engine.quotes(speaker, query, f, max(1, min(int(limit), 500)))
        except QuestionError as exc:
            raise gr.Error(html.escape(str(exc), quote=False), print_exception=False) from None
        return result.to_json()

    def mentions(self, name: str, type: str = "", since: str = "", until: str = "") -> dict[str, Any]:
        """Every release naming a person or organisation (read at ingest: exhaustive, no model). type:
        "person", "organisation" or "" for either. Returns the same shape as /ask, plus "releases": [{release_id,
        title, date, name, type, mentions, start, end}] newest first and "by_month": {"YYYY-MM": count}; the
        newest ten are cited, at their first mention of the name."""
        if type not in ("", "person", "organisation"):
            raise gr.Error("type must be person, organisation or empty.", print_exception=False)
        options = _options(self.engine, since=since, until=until)
        try:
            result = self.engine.mentions(name, type or None, options.filters)
        except QuestionError as exc:
            raise gr.Error(html.escape(str(exc), quote=False), print_exception=False) from None
        return result.to_json()

    def count(
        self, topic: str, since: str = "", until: str = "", organisation: str = "", by: str = ""
    ) -> dict[str, Any]:
        """Count every release about a topic, no model: its words (each in a singular or plural form), a name
        ("Eric Holder") or a counting question ("how many releases about opioids in 2016?"). by: "month",
        "year" or "" (by year over more than 24 months). Returns the same shape as /ask, with the total in
        "key", a few example releases cited, and "counts": [{period: "YYYY" or "YYYY-MM", releases}]."""
        if by not in ("", "month", "year"):
            raise gr.Error(f"'by' must be month, year or empty, not '{html.escape(by)}'.", print_exception=False)
        options = _options(self.engine, since=since, until=until, organisation=organisation)
        f = options.filters
        try:
            result = self.engine.count(topic, f.since, f.until, by or None, f.organisation)  # type: ignore[arg-type]
        except QuestionError as exc:
            raise gr.Error(html.escape(str(exc), quote=False), print_exception=False) from None
        return result.to_json()

    def names(self, type: str = "", limit: int = 50) -> list[dict[str, Any]]:
        """The people and organisations named in the most releases: [{name, type, releases}]. type: "person",
        "organisation" or "" for both; limit: at most 1000."""
        rows = self.engine.index.most_named(type or None, max(1, min(int(limit), 1000)))
        return [{"name": n, "type": t, "releases": c} for n, t, c in rows]

    def releases(self, query: str = "", limit: int = 50) -> list[dict[str, Any]]:
        """Indexed releases whose title contains every word of `query` (all when empty), newest first."""
        infos = self.engine.index.find_releases(query, limit=max(1, min(int(limit), 1000)))
        return [
            {
                "id": r.id,
                "title": r.title,
                "date": r.date.isoformat() if r.date else None,
                "organisation": r.organisation,
            }
            for r in infos
        ]

    def stats(self) -> dict[str, Any]:
        """What the index holds: releases, passages (chunks) and the date span."""
        s = self.engine.index.stats()
        return {
            "releases": s.releases,
            "chunks": s.chunks,
            "first_date": s.first_date.isoformat() if s.first_date else None,
            "last_date": s.last_date.isoformat() if s.last_date else None,
            "embedding_model": s.embedding_model,
            # One release published under several ids, each group oldest first (embeddings/reissues.py).
            "reissues": self.engine.index.reissues(),
        }

    def add_releases(self, files: list[str] | None) -> dict[str, Any]:
        """Add release files (txt, md, html, htm, json, jsonl, csv) to the index; one result per file."""
        pairs = [(Path(f), Path(f).name) for f in files or []]
        if not pairs:
            raise gr.Error("No files were sent.", print_exception=False)
        results = add_files(self.engine, pairs, self.engine.settings.max_upload_bytes)
        return {
            "added": sum(len(r.release_ids) for r in results),
            "files": [r.to_json() for r in results],
            "failed": sum(r.status == "failed" for r in results),
        }
