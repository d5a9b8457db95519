"""A release's fact sheet: who, what, when, where, the amounts and penalties, and who said what, each line
cited to the sentence that states it.

No model writes it: every line is the release's own words, found by the typed-span rules the reader uses
(qa.spans) and the quote rules (embeddings.text.quotes), so nothing in it can be made up, and it takes milliseconds. A
line gives the span and a few words around it ("civil penalty of $2.6 million to settle allegations") so
that it says what the number is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from embeddings.text.name_kinds import PLACES, fold, name_words
from embeddings.text.quotes import find_quotes
from embeddings.text.sentences import split_sentences
from embeddings.types import Release
from qa.spans import TypedSpan, find_spans
from qa.types import Fact

# How many lines each part keeps, in the order the release states them: enough for the facts a summary
# must carry (DOJ dev gold: at most 7 key facts a release), few enough to read at a glance.
MAX_LINES = {"who": 6, "when": 4, "where": 4, "amounts": 6, "penalties": 5, "numbers": 4, "quotes": 4}
# Words of context on each side of a span, within its sentence.
CONTEXT_WORDS = 6
QUOTE_WORDS = 40  # a quote's first words; the citation holds the whole
# Who the release is about is who it names most: the defendant or the company comes back by surname or
# short name in sentence after sentence, the officials announcing the case once or twice. An official's
# title before a name ("Assistant Attorney General", "Special Agent in Charge") counts against it this many
# mentions; the officials are in the quotes part when they speak.
OFFICIAL_PENALTY = 2
# ... and so does a name that is itself a prosecutor's or investigator's ("Trial Attorney Dustin M. Davis",
# "Justice Departments Tax Division", "FBIs New York Field Office").
_OFFICIAL_NAME = re.compile(
    r"\b(?:attorneys?|agents?|divisions?|sections?|office|bureau|police|sheriffs?|inspector|task force|FBIs?|IRS)\b",
    re.IGNORECASE,
)
_OFFICIAL_BEFORE = re.compile(
    r"(?:attorney|agent|director|secretary|commissioner|chief|inspector|in charge|chairman|administrator)"
    r"(?: general)?\s+$",
    re.IGNORECASE,
)
LEAD_MIN_WORDS = 8
HEADLINE_CAPITALISED = 0.7
# Lines that open a release without saying anything: a reference code, a dateline, "For Immediate Release".
_NOT_A_LEAD = re.compile(r"^(?:[\w-]*\d[\w-]*|for immediate release|[A-Z ,.]+\([^)]*\)\s*[-–—]?)$", re.IGNORECASE)
# A dateline and whatever heading lines run into it where the text lost its line breaks:
# "ISAF Joint Command - Afghanistan 2010-12-S-232 For Immediate Release KABUL, Afghanistan (Dec. 20) –".
_DATELINE = re.compile(
    r"^.{0,160}?\b[A-Z][A-Za-z .,'-]*\([A-Z][a-z]{2,8}\.? \d{1,2}(?:, \d{4})?\)\s*[-–—]?\s*"
    r"|^[A-Z][A-Z .'-]+,\s+[A-Z][a-z]{2,8}\.? \d{1,2}, \d{4}\s*[-–—]\s*"  # "RIVERTON, March 3, 2024 —"
)

PARTS = (
    ("what", "What"),
    ("who", "Who"),
    ("when", "When"),
    ("where", "Where"),
    ("amounts", "Amounts"),
    ("penalties", "Terms and charges"),
    ("numbers", "Numbers"),
    ("quotes", "Quotes"),
)


@dataclass(frozen=True)
class FactSheet:
    release: Release
    facts: tuple[Fact, ...]

    def part(self, name: str) -> list[Fact]:
        return [f for f in self.facts if f.part == name]

    def numbered_sentences(self) -> dict[tuple[int, int], int]:
        """A citation number for each sentence the sheet cites, in the order the sheet lists them."""
        numbers: dict[tuple[int, int], int] = {}
        for f in self.facts:
            numbers.setdefault((f.start, f.end), len(numbers) + 1)
        return numbers

    def lines(self) -> list[str]:
        """The sheet as text: a line a part ("- Who: ..."), a line a quote, each fact with its [n]."""
        numbers = self.numbered_sentences()
        out = []
        for key, label in PARTS:
            facts = self.part(key)
            if not facts:
                continue
            cited = [f"{f.text} [{numbers[(f.start, f.end)]}]" for f in facts]
            if key in ("what", "quotes"):
                out += [f"- {label}: {line}" for line in cited]
            else:
                out.append(f"- {label}: {'; '.join(cited)}")
        return out


def fact_sheet(release: Release) -> FactSheet:
    """The release's fact sheet; its title line, which the text often repeats, and its dateline give none."""
    text = _without_heading(release)
    sentences = [(s.start, s.end) for s in split_sentences(text)]
    what = _what(text, sentences)
    facts: list[Fact] = [what] if what else []
    facts += _named(_who(release, text), "who", text, sentences)
    dates = [s for s in find_spans("date", text, release.date) if not text[max(0, s.start - 2) : s.start].count("(")]
    facts += _spans("when", dates, text, sentences)  # the dateline "(Jan. 25, 2013)" is the release's date
    facts += _named(find_spans("place", text, release.date), "where", text, sentences)
    facts += _spans("amounts", find_spans("amount", text, release.date), text, sentences)
    penalties = [*find_spans("duration", text, release.date), *find_spans("charge", text, release.date)]
    facts += _spans("penalties", sorted(penalties, key=lambda s: s.start), text, sentences)
    counts = [s for s in find_spans("count", text, release.date) if " " in s.text.strip()]  # with what they count
    facts += _spans("numbers", counts, text, sentences)
    for q in find_quotes(text)[: MAX_LINES["quotes"]]:
        words = q.text.split()
        said = " ".join(words[:QUOTE_WORDS]) + (" …" if len(words) > QUOTE_WORDS else "")
        role = f" ({q.role})" if q.role else ""
        facts.append(Fact("quotes", q.speaker, q.start, q.end, after=f"{role}: {said}"))
    return FactSheet(release, tuple(facts))


# The facts a summary is asked to carry, at most this many a part, from the parts that hold what a press
# release summary must say (who, the amounts and penalties, counts, where, when); more than about ten and
# a two-sentence summary turns into a list.
SUMMARY_FACTS = (("who", 3), ("amounts", 2), ("penalties", 2), ("numbers", 2), ("where", 1), ("when", 1))


def summary_facts(sheet: FactSheet) -> list[str]:
    """The key facts for a summary to carry, in the release's words: names and values alone, except a
    value's nearest words where they say what it is ("civil penalty of $2.6 million")."""
    out: list[str] = []
    for part, most in SUMMARY_FACTS:
        for f in sheet.part(part)[:most]:
            if part == "when" and "(" in f.key:
                continue  # "today (December 31, 2014)": the release's own day, not an event's
            out.append(f.key)
    return list(dict.fromkeys(out))


def _without_heading(release: Release) -> str:
    """The text with its title line and its opening dateline blanked out (offsets kept): they repeat the
    facts the body states, and the body's sentence is the one to cite."""
    text = release.text
    title = " ".join(release.title.split())
    if title:
        for s in split_sentences(text)[:3]:
            if " ".join(text[s.start : s.end].split()) == title:
                text = text[: s.start] + " " * (s.end - s.start) + text[s.end :]
                break
    first = text.lstrip()
    at = len(text) - len(first)
    if m := _DATELINE.match(first):
        text = text[:at] + " " * m.end() + text[at + m.end() :]
    elif (m := re.match(r"[A-Z]{4,}(?= [A-Z])", first)) and fold(m.group()) in PLACES:
        text = text[:at] + " " * m.end() + text[at + m.end() :]  # "WASHINGTON TRW ...": the scrape lost the dash
    return text


def lead_fact(release: Release) -> Fact | None:
    """The sheet's "what" line alone: the release's first sentence that says something, without its dateline
    (what a timeline tells an event by, without the rest of the sheet's work)."""
    text = _without_heading(release)
    return _what(text, [(s.start, s.end) for s in split_sentences(text)])


def _what(text: str, sentences: Sequence[tuple[int, int]]) -> Fact | None:
    lead = _lead(text, sentences)
    if lead is None:
        return None
    a, b = lead
    return Fact("what", _DATELINE.sub("", " ".join(text[a:b].split())), a, b)


def _lead(text: str, sentences: Sequence[tuple[int, int]]) -> tuple[int, int] | None:
    """The first sentence that says something: not a code, a dateline alone or a boilerplate line."""
    for a, b in sentences:
        sentence = " ".join(text[a:b].split())
        words = _DATELINE.sub("", sentence).split()
        if _NOT_A_LEAD.match(sentence) or len(words) < LEAD_MIN_WORDS or _headline(words):
            continue
        return a, b
    return None


# The publisher itself, named in nearly every sentence of its releases.
_NOT_WHO = frozenset(
    {"justice department", "department of justice", "the department", "immediate release", "download pdf"}
)


def _headline(words: Sequence[str]) -> bool:
    """A title line repeated in the text: most words capitalised, no full stop."""
    capitalised = sum(w[0].isupper() for w in words)
    return not words[-1].endswith(".") and capitalised >= HEADLINE_CAPITALISED * len(words)


def _who(release: Release, text: str) -> list[TypedSpan]:
    """People (by a full name: a lone capitalised word is as often a demonym as a surname) and bodies,
    most-named first."""
    spans = [
        *(s for s in find_spans("person", text, release.date) if len(s.text.split()) > 1),
        *(s for s in find_spans("organisation", text, release.date) if not _adjective(text, s)),
    ]
    title = release.title.strip().lower()
    spans = [
        _without_dateline(s)
        for s in spans
        if s.text.lower() not in _NOT_WHO
        and not (title and title.startswith(s.text.lower()))
        and not re.fullmatch(r"(?:[A-Z][a-z]?\.?){1,3}|(?:A|An|The) .*", s.text)  # "N.Y.", "M.D.", "A Florida"
    ]
    folded = fold(text)

    def prominence(span: TypedSpan) -> tuple[int, int]:
        words = name_words(span.text)
        # A person by surname, a body by its first word ("Fiskars" of "Fiskars Brands Inc").
        word = (words[-1] if span.kind == "person" else words[0]) if words else ""
        mentions = len(re.findall(rf"\b{re.escape(word)}\b", folded)) if word else 0
        official = bool(
            _OFFICIAL_BEFORE.search(text[max(0, span.start - 40) : span.start]) or _OFFICIAL_NAME.search(span.text)
        )
        return -(mentions - OFFICIAL_PENALTY * official), span.start

    return sorted(spans, key=prominence)


def _adjective(text: str, span: TypedSpan) -> bool:
    """A lone word before a lower-case one is a demonym or "-based", not a body: "Aruban official",
    "German automobile manufacturers". Acronyms ("CPSC") are bodies."""
    if " " in span.text or span.text.isupper():
        return False
    return span.text.endswith("-based") or bool(re.match(r"\s+[a-z]", text[span.end : span.end + 3]))


def _without_dateline(span: TypedSpan) -> TypedSpan:
    """ "WASHINGTON TRW Deutschland Holding GmbH" -> "TRW Deutschland Holding GmbH": the scrape lost the
    dash after the dateline's city."""
    head, _, rest = span.text.partition(" ")
    if rest and head.isupper() and len(head) > 3 and fold(head) in PLACES:
        return TypedSpan(span.kind, span.start + len(head) + 1, span.end, rest, span.key.partition(" ")[2])
    return span


def _sentence_of(sentences: Sequence[tuple[int, int]], offset: int) -> tuple[int, int]:
    return next(((a, b) for a, b in sentences if a <= offset < b), (offset, offset))


def _named(spans: Iterable[TypedSpan], part: str, text: str, sentences: Sequence[tuple[int, int]]) -> list[Fact]:
    """One line a name, at its first mention; a later "Branda" is the "Joyce R. Branda" already listed."""
    facts: list[Fact] = []
    seen: list[set[str]] = []
    for s in spans:
        words = set(name_words(s.text))
        if not words or any(words <= other or other <= words for other in seen):
            continue
        seen.append(words)
        a, b = _sentence_of(sentences, s.start)
        facts.append(Fact(part, s.text, a, b))
        if len(facts) == MAX_LINES[part]:
            break
    return facts


def _spans(part: str, spans: Iterable[TypedSpan], text: str, sentences: Sequence[tuple[int, int]]) -> list[Fact]:
    """One line a value, at its first mention, with the words around it in its sentence; a value inside
    the words shown around the last one ("from January 2008 until at least June 2011") adds no line."""
    facts: list[Fact] = []
    seen: set[str] = set()
    shown = (0, 0)
    for s in spans:
        if s.key in seen or shown[0] <= s.start < shown[1]:
            continue
        seen.add(s.key)
        a, b = _sentence_of(sentences, s.start)
        fact, shown = _in_context(part, text, s, a, b)
        facts.append(fact)
        if len(facts) == MAX_LINES[part]:
            break
    return facts


def _in_context(part: str, text: str, span: TypedSpan, a: int, b: int) -> tuple[Fact, tuple[int, int]]:
    """The span with up to CONTEXT_WORDS words either side, inside its sentence ("…" where cut), and the
    offsets those words cover."""
    before = list(re.finditer(r"\S+", text[a : span.start]))
    after = list(re.finditer(r"\S+", text[span.end : b]))
    head, tail = before[-CONTEXT_WORDS:], after[:CONTEXT_WORDS]
    left = " ".join(m.group() for m in head)
    right = " ".join(m.group() for m in tail).rstrip(" ,;:")
    key = span.text if span.kind == "date" else text[span.start : span.end]
    shown = (a + head[0].start() if head else span.start, span.end + tail[-1].end() if tail else span.end)
    return Fact(
        part,
        key,
        a,
        b,
        before=f"{'… ' if len(before) > len(head) else ''}{left}{' ' if left else ''}",
        after=f"{' ' if right and right[0] not in '.,;:)' else ''}{right}{' …' if len(after) > len(tail) else ''}",
    ), shown
