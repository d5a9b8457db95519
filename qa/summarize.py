"""Summaries of one release (condensed to the sentences that carry its facts, or map-reduced, when it is
longer than a comfortable prompt) or of a topic."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from embeddings.settings import LongRelease
from embeddings.text.markers import MARKER, marker_numbers
from embeddings.text.sentences import split_sentences
from embeddings.text.words import STOP_WORDS, words
from embeddings.types import Release
from qa.fact_completion import COMPLETION_WORDS, completed, completing_sentences
from qa.fact_sheet import FactSheet, fact_sheet, summary_facts
from qa.generate import Generator
from qa.prompt import (
    LENGTH_TOKENS,
    SummaryLength,
    combine_notes_messages,
    section_notes_messages,
    summary_messages,
    topic_summary_messages,
)
from qa.retrieve import jaccard, trigrams
from qa.types import Answer, Citation, Passage

# Releases up to this many model tokens are summarised in one pass; longer ones are split into
# sections of SECTION_TOKENS, noted one by one, and the notes combined.
SINGLE_PASS_TOKENS = 1800
# A longer release is condensed to this many tokens of its own sentences (PRESSQA_LONG_RELEASE=condense).
# Reading the prompt is most of a long summary's time. 12 long DOJ releases, with fact completion: condensed
# to 1,800 tokens, 21.6 s p50 to the first token and 26.9 s in all; to 1,200, 14.0 s and 19.4 s (1.83x the
# 10.6 s answer p50 of the same run) with the same 30.9% of the key facts.
CONDENSED_TOKENS = 1200
SECTION_TOKENS = 1200
TOPIC_EXCERPT_TOKENS = 220
# A topic summary has a sentence (a bullet, a few sentences) a release: ~35 tokens for a DOJ release's
# sentence with its name, charge and figure, and some room.
TOPIC_TOKENS_PER_RELEASE = {"short": 45, "bullets": 50, "detailed": 100}
TOPIC_FACTS_PER_RELEASE = 4  # key facts listed under each release's excerpt: a sentence carries about that many

StatusCallback = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Section:
    start: int
    end: int


def split_sections(text: str, count_tokens: Callable[[str], int], budget: int = SECTION_TOKENS) -> list[Section]:
    """Consecutive runs of whole sentences of at most `budget` tokens each, covering the text."""
    sections: list[Section] = []
    start = end = None
    used = 0
    for span in split_sentences(text):
        tokens = count_tokens(text[span.start : span.end])
        if start is not None and used + tokens > budget:
            sections.append(Section(start, end))
            start, used = None, 0
        if start is None:
            start = span.start
        end = span.end
        used += tokens
    if start is not None:
        sections.append(Section(start, end))
    return sections


# The opening sentences a condensed release always keeps: the lead says what the release is about.
CONDENSE_LEAD_SENTENCES = 4
# Sentences that state the sheet's facts, by part, in this order, then the first sentence of each paragraph.
CONDENSE_PARTS = ("who", "amounts", "penalties", "numbers", "when", "where", "quotes")
GAP = " … "


def condensed(text: str, sheet: FactSheet, count_tokens: Callable[[str], int], budget: int) -> str:
    """The release cut to `budget` tokens of its own sentences, in their order, "…" where text is left
    out: its lead, then the sentences that state its fact sheet's facts, then each paragraph's first
    sentence. One pass over this reads the whole release's facts in the time of one short summary, where
    map-reduce costs a model pass per section."""
    sentences = [(s.start, s.end) for s in split_sentences(text)]
    wanted = sentences[:CONDENSE_LEAD_SENTENCES]
    for part in CONDENSE_PARTS:
        wanted += [(f.start, f.end) for f in sheet.part(part) if (f.start, f.end) in set(sentences)]
    paragraph_starts = {0, *(m.end() for m in re.finditer(r"\n\s*\n", text))}
    wanted += [(a, b) for a, b in sentences if any(a - 3 <= p <= a for p in paragraph_starts)]
    kept: set[tuple[int, int]] = set()
    used = 0
    for span in dict.fromkeys(wanted):
        tokens = count_tokens(text[span[0] : span[1]]) + 2
        if used + tokens > budget:
            continue
        kept.add(span)
        used += tokens
    out, last = [], None
    for i, span in enumerate(sentences):
        if span not in kept:
            continue
        if last is not None and i != last + 1:
            out.append(GAP.strip())
        out.append(" ".join(text[span[0] : span[1]].split()))
        last = i
    return " ".join(out)


def release_passage(release: Release, start: int = 0, end: int | None = None) -> Passage:
    end = len(release.text) if end is None else end
    return Passage(
        chunk_id=-1,
        release_id=release.id,
        title=release.title,
        date=release.date,
        organisation=release.organisation,
        origin=release.origin,
        text=release.text[start:end],
        start=start,
        end=end,
        score=1.0,
    )


@dataclass
class SummaryStream:
    """Iterate for the summary's text pieces; `summary` holds the final Answer afterwards."""

    generator: Generator
    length: SummaryLength
    stop: threading.Event | None = None
    on_status: StatusCallback | None = None
    summary: Answer | None = None
    timings: dict[str, float] = field(default_factory=dict)
    budget_s: float | None = None  # Settings.generation_budget_s, through the Engine

    def _status(self, message: str) -> None:
        if self.on_status:
            self.on_status(message)


@dataclass
class ReleaseSummaryStream(SummaryStream):
    release: Release | None = None
    facts_first: bool = True  # Settings.summary_facts_first
    complete_facts: bool = True  # Settings.summary_complete_facts
    long_release: LongRelease = "condense"  # Settings.long_release

    def __iter__(self) -> Iterator[str]:
        release = self.release
        assert release is not None
        started = time.perf_counter()
        max_tokens = LENGTH_TOKENS[self.length]
        sheet = fact_sheet(release)
        facts = summary_facts(sheet) if self.facts_first else []
        if self.generator.count_tokens(release.text) <= SINGLE_PASS_TOKENS:
            messages = summary_messages(release.title, release.text, self.length, facts)
        elif self.long_release == "condense":
            self._status("Picking the sentences that carry the release's facts…")
            text = condensed(release.text, sheet, self.generator.count_tokens, CONDENSED_TOKENS)
            self.timings["condense"] = time.perf_counter() - started
            messages = summary_messages(release.title, text, self.length, facts)
        else:
            sections = split_sections(release.text, self.generator.count_tokens)
            notes = []
            for i, section in enumerate(sections, 1):
                if self.stop is not None and self.stop.is_set():
                    break
                self._status(f"Reading part {i} of {len(sections)} of the release…")
                part = release.text[section.start : section.end]
                notes.append(
                    self.generator.complete(section_notes_messages(release.title, i, len(sections), part), 200)
                )
            self.timings["map"] = time.perf_counter() - started
            self._status("Combining the parts…")
            messages = combine_notes_messages(release.title, notes, self.length, facts)
        text = ""
        for piece in self.generator.stream(messages, max_tokens, self.stop, self.budget_s):
            if not text:
                self.timings["first_token"] = time.perf_counter() - started
            text += piece
            yield piece
        whole = release_passage(release)
        citations = [Citation(1, whole, 0, len(release.text))]
        stopped = self.stop is not None and self.stop.is_set()
        draft = None  # the model's text, when fact completion changed it
        if self.complete_facts and text.strip() and not stopped:
            added = completing_sentences(text, sheet, COMPLETION_WORDS[self.length])
            if added:
                draft = Answer(text.strip(), True, tuple(citations), (whole,), release.title)
                text, piece = completed(text, added, self.length, first=2)
                citations += [Citation(n, whole, a.start, a.end) for n, a in enumerate(added, 2)]
                if piece:
                    yield piece
        self.timings["total"] = time.perf_counter() - started
        self.summary = Answer(text.strip(), True, tuple(citations), (whole,), release.title, self.timings, draft=draft)


@dataclass
class FactSheetStream:
    """A release's fact sheet as a summary: every line the release's own words, each cited to its sentence.
    No model: the whole text comes at once."""

    release: Release
    summary: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        started = time.perf_counter()
        sheet = fact_sheet(self.release)
        whole = release_passage(self.release)
        numbers = sheet.numbered_sentences()
        citations = tuple(Citation(n, whole, a, b) for (a, b), n in numbers.items())
        text = "\n".join(sheet.lines()) or "The release states no names, dates, places or amounts to list."
        timings = {"total": time.perf_counter() - started}
        self.summary = Answer(text, bool(sheet.facts), citations, (whole,), self.release.title, timings,
                              facts=sheet.facts)  # fmt: skip
        yield text


@dataclass
class TopicSummaryStream(SummaryStream):
    topic: str = ""
    passages: Sequence[Passage] = ()
    max_releases: int = field(kw_only=True)  # Settings.max_releases, through Engine.summarize_topic

    def sources(self) -> list[tuple[Passage, str]]:
        """One entry per release, oldest first (a topic is often a story told over time, and the model
        follows the order it reads): its best passage, extended by its other retrieved ones. A release whose
        excerpt repeats one already taken (a re-issued release) counts once."""
        by_release: dict[str, list[Passage]] = {}
        for p in self.passages:
            if p.release_id in by_release or len(by_release) < self.max_releases:
                by_release.setdefault(p.release_id, []).append(p)
        sources: list[tuple[Passage, str]] = []
        for group in by_release.values():
            excerpt = ""
            for p in sorted(group, key=lambda p: p.start):
                candidate = f"{excerpt} {p.text}".strip()
                if excerpt and self.generator.count_tokens(candidate) > TOPIC_EXCERPT_TOKENS:
                    break
                excerpt = candidate
            grams = trigrams(excerpt)
            if not any(jaccard(grams, trigrams(other)) >= DUPLICATE_JACCARD for _, other in sources):
                sources.append((group[0], excerpt))
        return sorted(sources, key=lambda s: (s[0].date or date.max, s[0].release_id))

    def __iter__(self) -> Iterator[str]:
        started = time.perf_counter()
        sources = self.sources()
        if not sources:
            text = f'The indexed releases say nothing about "{self.topic}" in that period.'
            self.summary = Answer(text, False, (), (), self.topic, self.timings)
            yield text
            return
        facts = [
            summary_facts(fact_sheet(Release(p.release_id, p.title, excerpt, p.date)))[:TOPIC_FACTS_PER_RELEASE]
            for p, excerpt in sources
        ]
        messages = topic_summary_messages(self.topic, sources, self.length, facts)
        text = ""
        tokens = max(LENGTH_TOKENS[self.length], TOPIC_TOKENS_PER_RELEASE[self.length] * len(sources)) + 40
        for piece in self.generator.stream(messages, tokens, self.stop, self.budget_s):
            if not text:
                self.timings["first_token"] = time.perf_counter() - started
            text += piece
            yield piece
        self.timings["total"] = time.perf_counter() - started
        text = cite_sentences(text.strip(), [excerpt for _, excerpt in sources])
        cited = [n for n in marker_numbers(text) if 1 <= n <= len(sources)]
        # Every release the model was shown shaped the summary; markers only say which fact came from where.
        numbers = cited + [n for n in range(1, len(sources) + 1) if n not in cited]
        citations = tuple(
            Citation(n, sources[n - 1][0], sources[n - 1][0].start, sources[n - 1][0].end) for n in sorted(numbers)
        )
        self.summary = Answer(text, True, citations, tuple(p for p, _ in sources), self.topic, self.timings)


# A summary sentence without a marker is attributed to the excerpt holding this share of its content words;
# below it, the sentence is the model's own linking words ("Together, these releases show ...").
ATTRIBUTION_OVERLAP = 0.5
# Word-trigram overlap above which two excerpts are one release published twice: the retriever's rule for
# near-duplicate passages (qa.retrieve.RetrievalConfig.duplicate_jaccard).
DUPLICATE_JACCARD = 0.8


def cite_sentences(text: str, excerpts: Sequence[str]) -> str:
    """The summary with a marker on each sentence that has none, naming the excerpt it draws on."""
    out: list[str] = []
    last = 0
    for span in split_sentences(text):
        sentence = text[span.start : span.end]
        out.append(text[last : span.end])
        last = span.end
        if marker_numbers(sentence) or not excerpts:
            continue
        wanted = _content(sentence)
        if not wanted:
            continue
        shares = [len(wanted & _content(e)) / len(wanted) for e in excerpts]
        best = max(range(len(excerpts)), key=lambda i: shares[i])
        if shares[best] >= ATTRIBUTION_OVERLAP:
            out[-1] = _marked(out[-1], best + 1)
    out.append(text[last:])
    return "".join(out)


def _marked(sentence: str, n: int) -> str:
    """The sentence with [n] before its final stop."""
    stripped = sentence.rstrip()
    if stripped and stripped[-1] in ".!?":
        return f"{stripped[:-1]} [{n}]{stripped[-1]}{sentence[len(stripped) :]}"
    return f"{stripped} [{n}]{sentence[len(stripped) :]}"


def _content(text: str) -> set[str]:
    return {w for w in words(MARKER.sub("", text)) if w not in STOP_WORDS and len(w) > 2}
