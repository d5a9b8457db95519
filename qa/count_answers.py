"""Answers to counting questions (qa.count_questions) from the index's own records, never from the model:
every release holding the topic's words is counted (Index.count_releases), by month or year, and a few of
them are cited as examples, the words marked.

The answer states the number with its period ("71 releases about opioids; the most in April 2018 (8)."),
the peak month or year, or the series, and carries the series itself (`Answer.counts`) for the web app's
chart and the JSON of the CLI and the API.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from embeddings.index import CountedRelease, Index, ReleaseCount
from embeddings.release_text_index import phrase_forms
from embeddings.text.word_forms import forms, word_list
from qa.count_questions import CountQuestion, Period
from qa.summarize import release_passage
from qa.types import Answer, Citation

EXAMPLES_CITED = 3
# A total's chart goes by year when its span is longer than this many months, else by month: 24 monthly
# bars stay readable in the sources panel's 480 pixels, the 112 months of the DOJ archive do not.
MONTHLY_CHART_MAX_MONTHS = 24
# A series is written out in the answer's text up to this many periods; a longer one is left to the chart
# (the web app), the table (`pressqa count`) and `counts` in the JSON.
SERIES_IN_TEXT = 24
_MONTH_NAMES = "January February March April May June July August September October November December".split()


def answer_count(
    asked: CountQuestion,
    question: str,
    index: Index,
    organisation: str | None = None,
    examples: int = EXAMPLES_CITED,
    within: set[str] | None = None,
) -> Answer:
    """The counted answer: its text, a few cited examples and the series (Answer.counts); `within`: only
    those releases (what the other filters let through)."""
    counted = index.count_releases(asked.words, asked.phrases, asked.since, asked.until, organisation, within)
    by = asked.by or _chart_unit(asked, counted, index)
    series = fill_series(counted.months(), by, *_span(asked, counted, index))
    chosen = _examples(counted, examples, _peak_keys(series) if asked.ask == "peak" else None)
    citations = _citations(index, chosen, asked)
    text = _text(asked, counted, series, by)
    if citations:
        text += "\n" + "\n".join(_example_line(c) for c in citations)
    key = peak_label(series)[0] if asked.ask == "peak" and series else f"{counted.total}"
    counts = tuple(series) if counted.total else ()
    return Answer(text, counted.total > 0, tuple(citations), tuple(c.passage for c in citations), question,
                  answer_type="number", method="count", key=key, counts=counts, total=counted.total)  # fmt: skip


# ---------------------------------------------------------------- the series


def fill_series(
    months: Sequence[tuple[str, int]], by: Period, first: str | None, last: str | None
) -> list[tuple[str, int]]:
    """Counts by month ("YYYY-MM") or year ("YYYY") from `first` to `last` (months, inclusive), the months
    or years without a release as 0; `months` alone when no span is known."""
    if by == "year":
        totals: dict[str, int] = {}
        for month, n in months:
            totals[month[:4]] = totals.get(month[:4], 0) + n
        keys = [str(y) for y in range(int(first[:4]), int(last[:4]) + 1)] if first and last else sorted(totals)
        return [(k, totals.get(k, 0)) for k in keys]
    found = dict(months)
    if not (first and last):
        return sorted(found.items())
    keys, (year, month) = [], (int(first[:4]), int(first[5:7]))
    while f"{year:04d}-{month:02d}" <= last:
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return [(k, found.get(k, 0)) for k in keys]


def _span(asked: CountQuestion, counted: ReleaseCount, index: Index) -> tuple[str | None, str | None]:
    """The months the series runs over: the question's period, within the archive's dates; else the
    archive's dates, so that years without a release about the topic show as 0."""
    stats = index.stats()
    first = max(filter(None, (asked.since, stats.first_date)), default=None)
    last = min(filter(None, (asked.until, stats.last_date)), default=None)
    if first is None or last is None or first > last:
        months = [m for m, _ in counted.months()]
        return (months[0], months[-1]) if months else (None, None)
    return f"{first.year:04d}-{first.month:02d}", f"{last.year:04d}-{last.month:02d}"


def _chart_unit(asked: CountQuestion, counted: ReleaseCount, index: Index) -> Period:
    first, last = _span(asked, counted, index)
    if first is None or last is None:
        return "month"
    months = (int(last[:4]) - int(first[:4])) * 12 + int(last[5:7]) - int(first[5:7]) + 1
    return "year" if months > MONTHLY_CHART_MAX_MONTHS else "month"


def period_label(key: str) -> str:
    """ "2016-10" -> "October 2016"; "2016" stays."""
    return f"{_MONTH_NAMES[int(key[5:7]) - 1]} {key[:4]}" if len(key) == 7 else key


def peak_label(series: Sequence[tuple[str, int]]) -> tuple[str, int]:
    """The period (or periods, when tied) with the most releases, and that number."""
    top = max((n for _, n in series), default=0)
    peaks = [period_label(k) for k, n in series if n == top and top > 0]
    return (" and ".join(peaks[:3]) + (" and others" if len(peaks) > 3 else "")), top


# ---------------------------------------------------------------- the text


def _text(asked: CountQuestion, counted: ReleaseCount, series: Sequence[tuple[str, int]], by: Period) -> str:
    topic, period = asked.topic, describe_period(asked.since, asked.until)
    total = counted.total
    if total == 0:
        return f"No release about {topic}{period}."
    releases = f"{total:,} release{'s' * (total != 1)} about {topic}{period}"
    peak, top = peak_label(series)
    notes = _notes(counted)
    if asked.ask == "peak":
        each = " each" if " and " in peak else ""
        return f"{peak} had the most releases about {topic}{period}: {top:,}{each}, of {total:,}.{notes}"
    if asked.ask == "series":
        unit = "year" if by == "year" else "month"
        if len(series) <= SERIES_IN_TEXT:
            listed = "; ".join(f"{period_label(k)}: {n:,}" for k, n in series)
            return f"{releases}, by {unit}: {listed}.{notes}"
        return f"{releases}, by {unit} ({len(series):,} {unit}s); the most in {peak} ({top:,}).{notes}"
    return f"{releases}; the most in {peak} ({top:,}).{notes}" if top else f"{releases}.{notes}"


def _notes(counted: ReleaseCount) -> str:
    notes = []
    if counted.undated:
        notes.append(f"{counted.undated:,} of them undated, so in no month")
    if counted.merged:
        notes.append(f"{counted.merged:,} re-issued under another id counted once")
    return f" ({'; '.join(notes)}.)" if notes else ""


def describe_period(since: date | None, until: date | None) -> str:
    """ " in 2016", " from March 2015 to 2016", " since 2012"; "" for no period."""
    if since is None and until is None:
        return ""
    start = _start_label(since) if since else ""
    end = _end_label(until) if until else ""
    if since and until and start == end:
        return f" in {start}"
    if since and until:
        return f" from {start} to {end}"
    return f" since {start}" if since else f" through {end}"


def _start_label(day: date) -> str:
    if day.day != 1:
        return day.isoformat()
    return str(day.year) if day.month == 1 else f"{_MONTH_NAMES[day.month - 1]} {day.year}"


def _end_label(day: date) -> str:
    if (day.month, day.day) == (12, 31):
        return str(day.year)
    following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    if (following - day).days == 1:
        return f"{_MONTH_NAMES[day.month - 1]} {day.year}"
    return day.isoformat()


# ---------------------------------------------------------------- the examples


def _examples(counted: ReleaseCount, n: int, periods: set[str] | None = None) -> list[CountedRelease]:
    """The `n` best-matching releases (the topic's words in the title weigh most), of the peak's periods
    when given ("YYYY" or "YYYY-MM"), newest first."""
    pool = counted.releases
    if periods:
        pool = tuple(r for r in pool if r.date and ({f"{r.date:%Y}", f"{r.date:%Y-%m}"} & periods))
    best = list(pool[:n])
    return sorted(best, key=lambda r: (r.date is not None, r.date or date.min, r.id), reverse=True)


def _peak_keys(series: Sequence[tuple[str, int]]) -> set[str]:
    top = max((n for _, n in series), default=0)
    return {k for k, n in series if n == top and top > 0}


def _terms(asked: CountQuestion) -> list[str]:
    """The topic's words and phrases in the order the topic gives them."""
    lowered = asked.topic.lower()
    terms = [*asked.words, *asked.phrases]
    return sorted(terms, key=lambda t: (lowered.find(t) if t in lowered else len(lowered), terms.index(t)))


def term_pattern(term: str, is_phrase: bool) -> re.Pattern[str]:
    """A word (in any of its forms) or a phrase, as whole words, for finding it in a text."""
    found = word_list(term)
    if is_phrase:
        alternatives = [r"[\W_]+".join(map(re.escape, words)) for words in phrase_forms(term)]
    else:
        alternatives = [f for w in found for f in forms(w)]
    alternatives.sort(key=len, reverse=True)
    return re.compile(r"(?<![^\W_])(?:" + "|".join(alternatives or ["(?!)"]) + r")(?![^\W_])", re.IGNORECASE)


# Words of a topic that follow each other in a text are marked as one span ("hate crimes") when no more than
# this many characters (a space, a hyphen, a comma) separate them.
_JOINED_CHARS = 2


def matched_span(text: str, asked: CountQuestion) -> tuple[int, int]:
    """Where the text names the topic first: the first place holding the topic's first term, run on over
    the topic's other terms that follow at once; (0, 0) when the text holds none (the title did)."""
    patterns = [term_pattern(t, t in asked.phrases) for t in _terms(asked)]
    for i, pattern in enumerate(patterns):
        if (found := pattern.search(text)) is None:
            continue
        start, end = found.span()
        others = patterns[:i] + patterns[i + 1 :]
        while True:
            gap = len(text[end : end + _JOINED_CHARS]) - len(text[end : end + _JOINED_CHARS].lstrip(" -,"))
            following = next((m for p in others if (m := p.match(text, end + gap))), None)
            if following is None:
                break
            end = following.end()
        return start, end
    return 0, 0


def _citations(index: Index, chosen: Sequence[CountedRelease], asked: CountQuestion) -> list[Citation]:
    citations = []
    for counted in chosen:
        release = index.release(counted.id)
        if release is None:
            continue  # removed since the count
        passage = replace(release_passage(release), also_published_as=counted.also_published_as)
        start, end = matched_span(release.text, asked)
        citations.append(Citation(len(citations) + 1, passage, start, end))
    return citations


def _example_line(c: Citation) -> str:
    when = c.passage.date.isoformat() if c.passage.date else "undated"
    return f"- {when}: {c.passage.title} [{c.n}]"
