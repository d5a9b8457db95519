"""A timeline of a case or a story: one event a release, oldest first, each told in the release's own
opening sentence and cited to it.

A case is told in several releases (the indictment, the plea, the verdict, the sentencing), each dated and
each opening with what happened. So the events are the releases retrieved for the query that name it
(qa.grounding.names_topic, as for a topic summary), a release published twice counting once (retrieval
shows one per group), and an event's words are its release's first sentence that says something (the fact
sheet's "what", qa.fact_sheet.lead_fact). No model: it takes the time of a search, and nothing in it can be made up.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from embeddings.text.sentences import split_sentences
from embeddings.types import Release
from qa.fact_sheet import lead_fact
from qa.summarize import release_passage
from qa.types import Answer, Citation, Passage

# Events a timeline lists by default. The 23 stories of the DOJ topics dev set (4.0 hand-listed releases
# each, 91 in all), full index: 5 events hold 93.3% of the listed releases at 87.5% precision, 6: 95.7% at 81.4%,
# 8: 98.3% at 71.8%, 10: 99.1% at 67.6% (eval/results/doj-timelines).
TIMELINE_EVENTS = 6


# "..., announced Assistant Attorney General ... and U.S. Attorney ...": who announced an event is not the
# event, and in DOJ leads it runs to 40 words.
_ANNOUNCED = re.compile(
    r",?\s+(?:announced|said|according to)\s+[^,]*(?:Attorney|Director|Secretary|Chief|Commissioner)\b.*$"
)
_PLACE_DASH = re.compile(r"^[A-Z][A-Z .,'-]{2,}?\s*[-–—]+\s*(?=[A-Z])")  # "WASHINGTON- Albert Gonzalez ..."


@dataclass(frozen=True, slots=True)
class Event:
    date: date | None  # the day it happened, where the release's dates were read; else the release's date
    release: Release
    sentence: str  # the event in the release's words, its dateline and who announced it left out
    start: int  # the sentence telling the event, as offsets into the release text
    end: int
    passage: Passage  # the release as its citation's source


def _told(sentence: str) -> str:
    text = " ".join(sentence.split())
    cut = _ANNOUNCED.sub("", _PLACE_DASH.sub("", text)).rstrip(" ,;")
    return cut + ("" if cut.endswith((".", "!", "?")) else ".") if cut else text


def events(
    releases: Sequence[Release], passages: Sequence[Passage], happened: Mapping[str, date] | None = None
) -> list[Event]:
    """One event per release, oldest first (undated last): its lead sentence, or where it has none its best
    retrieved passage's first sentence. `happened`: the day each release's main event took place
    (embeddings/date_table.py), which dates and orders it where given."""
    best = {}
    for p in passages:
        best.setdefault(p.release_id, p)
    found = []
    for r in releases:
        lead = lead_fact(r)
        if lead:
            sentence, start, end = lead.key, lead.start, lead.end
        else:
            p = best[r.id]
            first = split_sentences(p.text)[:1]
            start, end = (p.start + first[0].start, p.start + first[0].end) if first else (p.start, p.end)
            sentence = r.text[start:end]
        day = (happened or {}).get(r.id, r.date)
        found.append(Event(day, r, _told(sentence), start, end, _whole(r, best[r.id])))
    return sorted(found, key=lambda e: (e.date or date.max, e.release.id))


def _whole(release: Release, retrieved: Passage) -> Passage:
    """The release as one passage (its citation marks the event's sentence in it), keeping what retrieval
    knew of it: the other ids it was published under."""
    return replace(release_passage(release), score=retrieved.score, also_published_as=retrieved.also_published_as)


def timeline_answer(query: str, found: Sequence[Event]) -> Answer:
    """The timeline as an answer: a line an event, "- 2012-02-16: sentence [n]", each cited."""
    if not found:
        return Answer(f'The indexed releases tell no events about "{query}".', False, question=query)
    lines, citations = [], []
    for n, e in enumerate(found, 1):
        when = e.date.isoformat() if e.date else "undated"
        if e.date and e.release.date and e.date != e.release.date:
            when += f" (published {e.release.date.isoformat()})"
        lines.append(f"- {when}: {e.sentence} [{n}]")
        citations.append(Citation(n, e.passage, e.start, e.end))
    return Answer("\n".join(lines), True, tuple(citations), tuple(e.passage for e in found), query)
