"""A timeline's events from releases as DOJ writes them (public domain): one a release, oldest first, told
in its lead without the dateline and the officials announcing it, each cited to that sentence."""

from __future__ import annotations

from datetime import date

from embeddings.types import Release
from qa.timeline import events, timeline_answer
from qa.types import Passage

PLEA = Release(
    "11551",
    "Major International Hacker Pleads Guilty",
    "WASHINGTON- Albert Gonzalez, 28, of Miami, pleaded guilty today to conspiring to hack into computer "
    "networks supporting major American retail and financial organizations, announced Assistant Attorney "
    "General of the Criminal Division Lanny A. Breuer and U.S. Attorney Paul J. Fishman. Gonzalez faces 25 years.",
    date(2009, 12, 29),
)
SENTENCE = Release(
    "11286",
    "Leader of Hacking Ring Sentenced",
    "The leader of the largest hacking and identity theft ring ever prosecuted has been sentenced to 20 years "
    "and one day in prison. Albert Gonzalez, 28, of Miami, was sentenced by U.S. District Judge Patti Saris.",
    date(2010, 3, 26),
)


def _passage(r: Release) -> Passage:
    return Passage(1, r.id, r.title, r.date, None, "", r.text[:80], 0, 80, 0.9, also_published_as=("x",))


def test_events_are_the_releases_leads_oldest_first_without_dateline_or_announcers() -> None:
    found = events([SENTENCE, PLEA], [_passage(SENTENCE), _passage(PLEA)])
    assert [e.release.id for e in found] == ["11551", "11286"], "oldest first, whatever the retrieval order"
    plea = found[0]
    assert plea.sentence.startswith("Albert Gonzalez, 28, of Miami, pleaded guilty today")
    assert plea.sentence.endswith("financial organizations.") and "Breuer" not in plea.sentence
    assert PLEA.text[plea.start : plea.end].startswith("WASHINGTON- Albert"), "cited to the whole sentence"
    assert plea.passage.also_published_as == ("x",) and plea.passage.text == PLEA.text


def test_a_timeline_answer_dates_and_cites_every_line() -> None:
    found = events([PLEA, SENTENCE], [_passage(PLEA), _passage(SENTENCE)])
    answer = timeline_answer("Albert Gonzalez", found)
    assert answer.text.splitlines()[1].startswith("- 2010-03-26: The leader of the largest hacking")
    assert [c.n for c in answer.citations] == [1, 2] and answer.text.splitlines()[0].endswith("[1]")
    assert not timeline_answer("Nobody", []).found
