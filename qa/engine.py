"""One object that the CLI, the web app and the evaluation share: index + encoder + retriever + models."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from functools import cached_property

from embeddings.encode import Encoder
from embeddings.index import EmbeddingModelMissingError, Filters, Index
from embeddings.ingest import Ingestor
from embeddings.settings import Settings
from embeddings.types import Release
from qa.answer import AnswerStream, ReadyAnswerStream
from qa.choice import AUTO, ModelChoice, choose
from qa.conversation import needs_rewrite, standalone_question, with_context
from qa.count_answers import answer_count
from qa.count_questions import CountQuestion, Period, count_question, topic_terms
from qa.generate import get_generator
from qa.grounding import names_topic, topic_names
from qa.mentions import mentions_answer
from qa.prompt import SummaryLength
from qa.quote_answers import QUOTES_LISTED, answer_quote_question, is_quoted, list_quotes
from qa.quote_questions import quote_question, speaker_and_topic
from qa.reader import ReaderSteps
from qa.retrieve import RetrievalConfig, Retriever
from qa.runtime import TextGenerator
from qa.server_model import ServerGenerator
from qa.summarize import FactSheetStream, ReleaseSummaryStream, StatusCallback, TopicSummaryStream
from qa.timeline import TIMELINE_EVENTS, events, timeline_answer
from qa.types import Answer, Passage


class QuestionError(ValueError):
    """The question cannot be asked as given (empty, too long)."""


class ReleaseNotFoundError(LookupError):
    pass


def encoder_for(index_path: object, settings: Settings) -> Encoder:
    """The encoder an existing index was built with, or the default one for a new index."""
    stored = Index.stored_model(index_path)
    try:
        return Encoder.for_index(stored, cache_dir=settings.cache / "embeddings", threads=settings.threads)
    except (ValueError, RuntimeError) as exc:  # for_index's refusals: a model or backend that is not here
        if stored is None:
            raise
        raise EmbeddingModelMissingError(
            f"The index at {index_path} cannot be searched here: {exc} Restore it, or ingest the releases into "
            "a new index (--index FOLDER)."
        ) from exc


class Engine:
    def __init__(self, settings: Settings, index: Index, encoder: Encoder, retrieval: RetrievalConfig | None = None):
        self.settings = settings
        self.index = index
        self.encoder = encoder
        self.retriever = Retriever(index, encoder, retrieval)
        self._servers: dict[str, ServerGenerator] = {}
        self._servers_lock = threading.Lock()

    @classmethod
    def open(cls, settings: Settings, create: bool = False, retrieval: RetrievalConfig | None = None) -> Engine:
        encoder = encoder_for(settings.index, settings)
        index = Index.open(settings.index, encoder.name, encoder.dim, create=create)
        return cls(settings, index, encoder, retrieval)

    @cached_property
    def ingestor(self) -> Ingestor:
        return Ingestor(self.index, self.encoder)

    @cached_property
    def default_choice(self) -> ModelChoice:
        """The model and runtime that answer unless a request names another model (no model is loaded)."""
        return choose(self.settings.model, self.settings.runtime, self.settings.quantize)

    def choice(self, model: str | None = None) -> ModelChoice:
        if not model or model in (AUTO, self.default_choice.model):
            return self.default_choice
        return choose(model, self.settings.runtime, self.settings.quantize)

    def generator(self, model: str | None = None) -> TextGenerator:
        choice = self.choice(model)
        if choice.runtime == "server":
            return self._server(choice.model)
        return get_generator(
            choice.model,
            self.settings.cache,
            self.settings.threads,
            quantize=self.settings.quantize,
            runtime=choice.runtime,
        )

    def _server(self, name: str) -> ServerGenerator:
        """The generator of a model on an OpenAI-compatible server, one per name (it holds the connections)."""
        with self._servers_lock:
            if name not in self._servers:
                s = self.settings
                self._servers[name] = ServerGenerator(name, s.server_api_key, s.server_timeout_s, s.server_context)
            return self._servers[name]

    def check_question(self, question: str) -> str:
        question = question.strip()
        if not question:
            raise QuestionError("The question is empty: type a question about the releases.")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise QuestionError(
                f"The question is {len(question):,} characters long; the limit is {limit:,}. "
                "Ask about one thing at a time."
            )
        return question

    def ask(
        self,
        question: str,
        history: Sequence[tuple[str, str]] = (),
        k: int | None = None,
        filters: Filters | None = None,
        model: str | None = None,
        stop: threading.Event | None = None,
        max_new_tokens: int | None = None,
    ) -> AnswerStream | ReadyAnswerStream:
        """Retrieves at once; the model loads only when the answer needs it: to rewrite a follow-up, or on
        the first token generated (a question refused by the name check never loads one). A question about
        a quotation is answered from the quotes kept at ingest when they hold its answer, and a counting
        question by counting the releases (no model)."""
        question = self.check_question(question)
        if (counted := self.count_answer(question, filters)) is not None:
            return ReadyAnswerStream(question, counted)
        if not history and (quoted := self.quote_answer(question, k, filters)) is not None:
            return ReadyAnswerStream(question, quoted)
        timings: dict[str, float] = {}
        if history:
            t0 = time.perf_counter()
            if needs_rewrite(question, history):
                question = standalone_question(question, history, self.generator(model))
            timings["rewrite"] = time.perf_counter() - t0
        question = with_context(question, history)
        t0 = time.perf_counter()
        retrieval = self.retriever.search(question, k or self.settings.top_k, filters)
        timings.update({f"retrieve_{k}": v for k, v in retrieval.timings.items()})
        timings["retrieve"] = time.perf_counter() - t0
        return AnswerStream(
            question,
            retrieval.passages,
            lambda: self.generator(model),
            max_new_tokens or self.settings.max_new_tokens,
            stop,
            timings,
            self.settings.generation_budget_s,
            self.reader_steps,
        )

    def quote_answer(self, question: str, k: int | None = None, filters: Filters | None = None) -> Answer | None:
        """The answer to "who said ...", "what did X say about Y" or "quotes from X" from the kept quotes
        (qa.quote_answers); None for any other question, or when the quotes do not hold the answer."""
        asked = quote_question(question)
        if asked is None:
            return None
        t0 = time.perf_counter()
        answer = answer_quote_question(asked, question, self.index, self._passages, k or self.settings.top_k, filters)
        return None if answer is None else replace(answer, timings={"total": time.perf_counter() - t0})

    def _passages(self, text: str, n: int, filters: Filters | None) -> Sequence[Passage]:
        """The retrieved passages alone: what the quote answers search with (qa.quote_answers.Search)."""
        return self.retriever.search(text, n, filters).passages

    def count_answer(self, question: str, filters: Filters | None = None) -> Answer | None:
        """The answer to "how many releases about X [in PERIOD]", "which month had the most releases about
        X" or "releases about X per year", counted over every release (qa.count_answers); None for any other
        question. The filters narrow the count as they narrow a search; a period the question states wins
        over the filters' dates."""
        asked = count_question(question)
        if asked is None:
            return None
        if filters is None or filters.is_empty():
            return self._count(asked, question, None)
        stated = asked.since is not None or asked.until is not None
        if not stated and filters.dates == "published":
            asked = replace(asked, since=filters.since, until=filters.until)
        within = None
        if filters.mentions or filters.release_ids or (filters.dates == "happened" and not stated):
            # names, ids and the days events happened are the store's filter rule, not the text index's
            scope = replace(filters, since=None, until=None) if stated or filters.dates == "published" else filters
            within = self.index.allowed_release_ids(scope)
        return self._count(asked, question, filters.organisation, within)

    def count(
        self,
        topic: str,
        since: date | None = None,
        until: date | None = None,
        by: Period | None = None,
        organisation: str | None = None,
    ) -> Answer:
        """The releases about a topic counted, with their series by month or year (`pressqa count`, /count):
        `topic` is the topic's words, or a counting question; the dates given win over the question's."""
        topic = self.check_question(topic)
        asked = count_question(topic)
        if asked is None:
            words, phrases = topic_terms(topic)
            asked = CountQuestion("series" if by else "total", topic, words, phrases)
        if not asked.words and not asked.phrases:
            raise QuestionError(f"'{topic}' has no words to count: name a topic, such as opioids or Eric Holder.")
        asked = replace(asked, since=since or asked.since, until=until or asked.until, by=by or asked.by)
        if asked.since and asked.until and asked.since > asked.until:
            raise QuestionError(f"The date range is empty: {asked.since} is after {asked.until}.")
        return self._count(asked, topic, organisation)

    def _count(
        self, asked: CountQuestion, question: str, organisation: str | None, within: set[str] | None = None
    ) -> Answer:
        t0 = time.perf_counter()
        answer = answer_count(asked, question, self.index, organisation, within=within)
        return replace(answer, timings={"total": time.perf_counter() - t0})

    def quotes(
        self, speaker: str = "", query: str = "", filters: Filters | None = None, limit: int = QUOTES_LISTED
    ) -> Answer:
        """Quotes kept at ingest as a cited list: a speaker's (all of them, newest first, or those about
        `query`), or anyone's about `query`, or the newest; no model."""
        for text in (speaker, query):
            if len(text) > self.settings.max_question_chars:
                self.check_question(text)  # the one message for an over-long question
        t0 = time.perf_counter()
        answer = list_quotes(self.index, self._passages, speaker.strip(), query.strip(), filters, limit)
        return replace(answer, timings={"total": time.perf_counter() - t0})

    def quotes_for(self, text: str, filters: Filters | None = None) -> Answer:
        """Quotes for what a user typed in a quotes search: "Holder about voting", "Holder", or a topic (a
        text naming no quoted speaker is searched as a topic)."""
        text = self.check_question(text)
        speaker, about = speaker_and_topic(text)
        if not about and not is_quoted(self.index, speaker):
            speaker, about = "", speaker
        return self.quotes(speaker, about, filters)

    def mentions(self, name: str, kind: str | None = None, filters: Filters | None = None) -> Answer:
        """Every release naming the person or organisation, counted by month (qa/mentions.py); no model."""
        name = self.check_question(name)
        t0 = time.perf_counter()
        answer = mentions_answer(self.index, name, kind, filters)
        return replace(answer, timings={"total": time.perf_counter() - t0})

    @property
    def reader_steps(self) -> ReaderSteps:
        s = self.settings
        return ReaderSteps(s.span_first, s.span_check, s.choose_candidates)

    def find_release(self, release: str) -> str:
        """A release id from an id or a title search; the best match when several titles match."""
        if self.index.release(release) is not None:
            return release
        matches = self.index.find_releases(release, limit=1)
        if not matches:
            raise ReleaseNotFoundError(f"No indexed release has the id or title '{release}'.")
        return matches[0].id

    def summarize_release(
        self,
        release: str,
        length: SummaryLength | None = None,
        model: str | None = None,
        stop: threading.Event | None = None,
        on_status: StatusCallback | None = None,
    ) -> ReleaseSummaryStream | FactSheetStream:
        found = self.index.release(self.find_release(release))
        assert found is not None
        length = length or self.settings.summary_length
        if length == "facts":
            return FactSheetStream(found)
        return ReleaseSummaryStream(
            self.generator(model),
            length,
            stop,
            on_status,
            budget_s=self.settings.generation_budget_s,
            release=found,
            facts_first=self.settings.summary_facts_first,
            complete_facts=self.settings.summary_complete_facts,
            long_release=self.settings.long_release,
        )

    def _releases_about(self, topic: str, passages: Sequence[Passage]) -> dict[str, Release | None]:
        """The releases of `passages` about the topic by its names (qa.grounding.names_topic), in retrieval
        order; the best passage's release is kept whatever it names, so that a topic in other words still
        gets an answer. None for a release removed since the search (its passages are kept)."""
        names = topic_names(topic)
        about: dict[str, Release | None] = {}
        seen: set[str] = set()
        for i, p in enumerate(passages):
            if p.release_id in seen:
                continue
            seen.add(p.release_id)
            release = self.index.release(p.release_id)
            if i == 0 or release is None or names_topic(names, release.title, release.text):
                about[p.release_id] = release
        return about

    def timeline(self, query: str, filters: Filters | None = None, max_events: int | None = None) -> Answer:
        """The events of a case or story, a release each, oldest first (qa/timeline.py); no model."""
        query = self.check_question(query)
        max_events = max_events or TIMELINE_EVENTS
        t0 = time.perf_counter()
        passages = self.retriever.search(query, k=max_events * 3, filters=filters).passages
        about = self._releases_about(query, passages)
        releases = [r for r in list(about.values())[:max_events] if r is not None]
        happened = {rid: day for rid, (day, *_) in self.index.event_days(r.id for r in releases).items()}
        answer = timeline_answer(query, events(releases, [p for p in passages if p.release_id in about], happened))
        return replace(answer, timings={"total": time.perf_counter() - t0})

    def summarize_topic(
        self,
        topic: str,
        filters: Filters | None = None,
        length: SummaryLength | None = None,
        model: str | None = None,
        max_releases: int | None = None,
        stop: threading.Event | None = None,
    ) -> TopicSummaryStream:
        topic = self.check_question(topic)
        length = length or self.settings.summary_length
        if length == "facts":
            raise QuestionError("A fact sheet is made for one release: give a release, or pick another length.")
        max_releases = max_releases or self.settings.max_releases
        passages = self.retriever.search(topic, k=max_releases * 3, filters=filters).passages
        about = self._releases_about(topic, passages)
        passages = [p for p in passages if p.release_id in about]
        return TopicSummaryStream(
            self.generator(model),
            length,
            stop,
            None,
            budget_s=self.settings.generation_budget_s,
            topic=topic,
            passages=passages,
            max_releases=max_releases,
        )
