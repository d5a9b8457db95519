"""The dates a release states: its dateline ("KABUL, Afghanistan (Jan. 25, 2013) –"), every day its body
names, with relative days ("yesterday", "Tuesday", "Jan. 24") resolved against the release's own date, and
the day of its main event.

Press releases seldom write the day their event happened: they write "yesterday" or "Thursday" and leave
the reader to count back from the dateline. `stated_dates` does the counting; `event_day` picks the day
the release is about. What counts as a written date is embeddings.text.dates' rule; this module decides
what each one means in a release.

The choices below were measured on the 724 ISAF releases, whose annotations give each event's day
(`pressqa eval dates`, eval/run_dates.py), and on the DOJ releases' dated field where ISAF has too few
cases; each constant carries its measurement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from embeddings.text.dates import MONTH, MONTH_DAY, WEEKDAY, WEEKDAYS, date_spans, month_number, to_date
from embeddings.text.sentences import split_sentences

# Datelines live in the first DATELINE_CHARS characters, after a title and a reference code at most.
DATELINE_CHARS = 600
# Bumped whenever these rules change what they find: an index read by older rules is read again by its next
# ingest (embeddings.date_table).
DATE_RULES_VERSION = 2

How = Literal["full date", "month and day", "same day", "day before", "overnight", "weekday"]


@dataclass(frozen=True, slots=True)
class StatedDate:
    """A day the text names: `text[start:end]` as written, `day` the calendar day it means, `how` the rule
    that read it."""

    start: int
    end: int
    text: str
    day: date
    relative: bool  # counted from the release's date ("yesterday", "Tuesday", "Jan. 24" given a year)
    how: How


@dataclass(frozen=True, slots=True)
class Dateline:
    """The release's own place and date: "KABUL, Afghanistan (Jan. 25, 2013)", `text[start:end]`. `place`
    is "" for a title that opens or ends with the date; `day` is None where no date is written, or no year
    for it can be found in the head."""

    place: str
    day: date | None
    start: int
    end: int


# ---------------------------------------------------------------------------------------- the dateline

# ISAF-style reference codes, "2010-08-CA-256" (or an unfilled "2010-08-CA-XXX"), carry the year a
# dateline may omit.
_REF_CODE = re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>[01]\d)-[A-Z]{1,3}\s*[-–]\s*(?:\d+|X+)\b")


def year_from_reference(head: str, month: int) -> int | None:
    """The year of a month written without one, from a reference code in the head whose month agrees.

    The code's month is the release month, give or take a release written just before midnight; any
    other month is not this release's, and gives no year.
    """
    ref = _REF_CODE.search(head)
    if ref is None:
        return None
    ref_year, ref_month = int(ref["year"]), int(ref["month"])
    if month == ref_month:
        return ref_year
    if (ref_month - month) % 12 == 1:
        return ref_year - (month == 12)
    if (month - ref_month) % 12 == 1:
        return ref_year + (month == 1)
    return None


def month_day_in_head(head: str, match: re.Match[str]) -> date | None:
    """A MONTH_DAY match in a release's head ("(Aug. 22)"), its year read from the head's reference code."""
    year = year_from_reference(head, month_number(match["month"]))
    return None if year is None else to_date(str(year), match["month"], match["day"])


# A place ("KABUL", "BAGRAM AIRFIELD", "Kabul"), its country or state ("Afghanistan", "D.C."), then the
# date in brackets ("KABUL, Afghanistan (Jan. 25, 2013)"), or, for a place in capitals at the start of a
# line, a dash alone ("WASHINGTON –"). Brackets must open with a month ("Miami (Fla.)" is no dateline),
# and a dash must start a line, or any capitalised name before a dash mid-sentence would be a dateline.
_CAPS_PLACE = r"[A-Z][A-Z.'’-]*[A-Z.](?: [A-Z][A-Z.'’-]*[A-Z.]){0,3}"
_NAMED_PLACE = r"[A-Z][A-Za-z.'’-]*(?: [A-Z][A-Za-z.'’-]*){0,3}"
_REGION = r"(?:, [A-Z][A-Za-z.]*(?: [A-Z][A-Za-z.]*){0,2})?"
_DATELINE = re.compile(
    rf"\b(?P<place>{_NAMED_PLACE}{_REGION})\s*\((?P<date>{MONTH}[^()\n]{{1,26}})\)(?:\s*[-–—]+)?"
    rf"|(?:^|(?<=[\n\u2028]))[ \t\xa0]*(?P<dated>{_CAPS_PLACE}{_REGION}),\s*(?P<written>{MONTH}\s*[0-3]?\d"
    rf"(?:st|nd|rd|th)?\b(?:[,.]?\s+(?:19|20)\d\d\b)?)\s*[-–—]+"
    rf"|(?:^|(?<=[\n\u2028]))[ \t\xa0]*(?P<caps>{_CAPS_PLACE}{_REGION})(?:\s[-–—]+(?=\s)|\s?[–—])"
)
# A first line that opens with the release's date, "Dec. 23: Joint Force Captures Kabul Criminal Group",
# or ends with it, "ISAF Joint Command Morning Operational Update, Feb. 21, 2011", dates the release as a
# dateline does (embeddings.load.header reads the first so too). ISAF: 38 releases have no other dateline,
# and reading theirs as one puts 29 more event days right (their titles' dates are not the events').
_WRITTEN_DATE = rf"{MONTH}\s*[0-3]?\d(?:st|nd|rd|th)?\b(?:[,.]?\s+(?:19|20)\d\d\b)?"
_DATE_TITLE = re.compile(
    rf"\s*(?P<opens>{_WRITTEN_DATE})\s*:|[ \t]*[^\n\u2028]{{0,120}}?\s(?P<ends>{_WRITTEN_DATE})[ \t]*(?=[\n\u2028])",
    re.IGNORECASE,
)


def find_dateline(text: str) -> Dateline | None:
    """The release's dateline, where its head has one: the place and the date it writes; else a first line
    that opens or ends with a date, with no place."""
    head = text[:DATELINE_CHARS]
    if m := _DATELINE.search(head):
        # "KABUL, Afghanistan (Jan. 25, 2013)", "RIVERTON, Nov. 14, 2023 —", "WASHINGTON –"
        group = "place" if m["place"] else "dated" if m["dated"] else "caps"
        return Dateline(m[group], _written_day(head, m["date"] or m["written"]), m.start(group), m.end())
    if m := _DATE_TITLE.match(head):
        group = "opens" if m["opens"] else "ends"
        return Dateline("", _written_day(head, m[group]), m.start(group), m.end())
    return None


def _written_day(head: str, written: str | None) -> date | None:
    """The day a dateline writes: a complete date, or a month and day with the reference code's year."""
    if not written:
        return None
    if spans := date_spans(written):
        return min(spans)[2]
    md = MONTH_DAY.search(written)
    return None if md is None else month_day_in_head(head, md)


# ------------------------------------------------------------------------------------------ stated days

# Same day, day before, and the night before, as releases write them ("lastnight": a scraping slip ISAF
# has). "overnight" is the night before the release, begun on the day before; the ISAF annotations do not
# decide it (of the 16 releases it dates, 8 are annotated with the day before, 8 with the release's date).
# "last week", "earlier this month" and "recently" name no one day, and are not read.
_SAME_DAY = r"earlier today|today|tonight|this (?:morning|afternoon|evening)"
_DAY_BEFORE = r"yesterday|last ?night"
_RELATIVE = re.compile(
    rf"\b(?:(?P<same>{_SAME_DAY})|(?P<before>{_DAY_BEFORE})|(?P<overnight>overnight))\b", re.IGNORECASE
)
# "Tuesday", "on Tuesday", "last Tuesday", "Tuesday night"; not "Tuesday, April 10" (the date is stated)
# nor "Sunday Times" (a name).
_WEEKDAY = re.compile(rf"\b(?:(?P<last>last)\s+)?(?P<day>{WEEKDAY})\b(?!,?\s+(?:\(|\d|{MONTH}\s*\d))(?!\s+[A-Z])")
# "will be sentenced Tuesday", "next Friday": a weekday ahead of the release, which the release date alone
# does not place (qa.prompt skips them alike).
# "..., starting on Monday, October 6": a start ahead, as in a release announcing a service.
_FUTURE_BEFORE = re.compile(
    r"\b(?:will|next|scheduled|set for|until|expected|due|starting|beginning)\b[^.;]{0,40}$", re.IGNORECASE
)
_LOOK_BEFORE = 60
# A month and day without a year ("March 3") is the one of the years around the release's that falls no
# later than AHEAD_DAYS after it: releases look back any distance but forward only to hearings and
# sentencings a few months off. Measured on the DOJ releases' 10,664 complete dates within a year of their
# release, their years dropped: 84.6% got back, against 63.2% for "on or before the release date", 80.5%
# for "nearest to it", 68.0% at 30 days ahead and 83.5% at 150. (ISAF's are all days before the release.)
AHEAD_DAYS = 120


def stated_dates(text: str, published: date | None) -> list[StatedDate]:
    """Every day the release's body names, in text order: after the dateline, which with any title before
    it is the release's own label. Without `published`, complete dates only: relative days and missing
    years have nothing to count from."""
    dateline = find_dateline(text)
    body = dateline.end if dateline else 0
    found = _full_dates(text)
    if published is not None:
        found += _without_overlaps(_month_days(text, published), found)
        found += _without_overlaps([*_relative_days(text, published), *_weekdays(text, published)], found)
    return sorted((s for s in found if s.start >= body), key=lambda s: s.start)


def _without_overlaps(new: list[StatedDate], taken: list[StatedDate]) -> list[StatedDate]:
    return [s for s in new if not any(t.start < s.end and s.start < t.end for t in taken)]


def _full_dates(text: str) -> list[StatedDate]:
    return [StatedDate(a, b, text[a:b], d, False, "full date") for a, b, d in date_spans(text)]


def _month_days(text: str, published: date) -> list[StatedDate]:
    found = []
    for m in MONTH_DAY.finditer(text):
        if not m["month"][0].isupper():  # "may 5" is a verb and a number
            continue
        if (d := month_day_near(m["month"], m["day"], published)) is not None:
            found.append(StatedDate(m.start(), m.end(), m.group(0), d, True, "month and day"))
    return found


def month_day_near(month: str, day: str, published: date) -> date | None:
    """ "Dec. 31" in a release of Jan. 2, 2012 -> Dec. 31, 2011: the latest such day no more than
    AHEAD_DAYS after the release."""
    latest = published + timedelta(days=AHEAD_DAYS)
    years = (published.year - 1, published.year, published.year + 1)
    return max((d for y in years if (d := to_date(str(y), month, day)) is not None and d <= latest), default=None)


def _relative_days(text: str, published: date) -> list[StatedDate]:
    found = []
    for m in _RELATIVE.finditer(text):
        how: How = "same day" if m["same"] else "day before" if m["before"] else "overnight"
        day = published if m["same"] else published - timedelta(days=1)
        found.append(StatedDate(m.start(), m.end(), m.group(0), day, True, how))
    return found


def _weekdays(text: str, published: date) -> list[StatedDate]:
    found = []
    for m in _WEEKDAY.finditer(text):
        if _FUTURE_BEFORE.search(text, max(0, m.start() - _LOOK_BEFORE), m.start()):
            continue
        day = last_weekday(WEEKDAYS.index(m["day"]), published, before=bool(m["last"]))
        found.append(StatedDate(m.start(), m.end(), m.group(0), day, True, "weekday"))
    return found


def last_weekday(weekday: int, published: date, *, before: bool = False) -> date:
    """The latest `weekday` (0 = Monday) on or before the release date; `before`: strictly before ("last
    Tuesday" in a Tuesday release is a week back).

    On or before, because a release names its own weekday for the day it reports: of the 10 ISAF releases
    whose event is dated by their own weekday, 9 are annotated with the release's date, none a week earlier.
    """
    back = (published.weekday() - weekday) % 7
    return published - timedelta(days=back or (7 if before else 0))


# -------------------------------------------------------------------------------------------- the event

# The main event is stated in the lead: ISAF scores the same with any lead from 400 to 1,000 characters
# after the dateline (300 loses 4 releases, 200 loses 36); past it, DOJ releases recount earlier steps of
# the case ("previously pleaded guilty on July 10").
LEAD_CHARS = 600
# Text past the lead that finishes its last sentence, for finding where the event's sentence ends.
SENTENCE_CHARS = 2_000
# Days that date something other than the event: "the July 2 attack", "Tuesday's attack", "responsible
# for an attack Jan. 7", "since Oct. 1", "between Oct. 24 and Dec. 20", and days ahead ("will be sentenced
# on May 3"). ISAF: 4 releases more right with this rule.
_BACKGROUND_BEFORE = re.compile(
    r"\b(?:the|since|until|through)\s+$|\battacks?\s+(?:on\s+)?$|\bbetween\s+(?:(?:[\w.,]+\s+){1,4}?and\s+)?$",
    re.IGNORECASE,
)
_POSSESSIVE = re.compile(r"['’]s\b")
# "forces today confirmed the arrest ... Oct. 19", "Today, Afghan forces confirmed ...": the day of a
# confirmation, not of the event confirmed. It dates the event only when nothing else does. ISAF: 13
# releases more right. "announced today" is not one: DOJ announces a sentencing on its day.
_CONFIRMED_BEFORE = re.compile(r"\bconfirmed\s+$", re.IGNORECASE)
_CONFIRMED_AFTER = re.compile(r"(?:,\s+(?:[\w’'-]+\s+){1,6}?|\s+)confirmed\b", re.IGNORECASE)
# Within the event's sentence a night ("during an overnight operation ... Monday") is vaguer than any
# other day it states; the rest go by their order. ISAF: 1 release more right. Ranking "today" below the
# other days as well changes no ISAF release and 34 of the first 2,000 DOJ ones, read mostly for the worse
# ("sentenced today ... after pleading guilty on Oct. 6, 2017" would date the plea).
_VAGUE: frozenset[str] = frozenset({"overnight"})


def is_background(text: str, stated: StatedDate) -> bool:
    """Whether `stated` dates something besides the release's event: an earlier attack, a period, the future."""
    before = text[max(0, stated.start - _LOOK_BEFORE) : stated.start]
    return bool(
        _BACKGROUND_BEFORE.search(before) or _POSSESSIVE.match(text, stated.end) or _FUTURE_BEFORE.search(before)
    )


def is_confirmation(text: str, stated: StatedDate) -> bool:
    """Whether a relative day dates a confirmation ("confirmed today") rather than the event."""
    return stated.how in ("same day", "day before") and bool(
        _CONFIRMED_BEFORE.search(text, max(0, stated.start - 20), stated.start)
        or _CONFIRMED_AFTER.match(text, stated.end, stated.end + 80)
    )


def main_event(text: str, published: date | None, stated: list[StatedDate] | None = None) -> StatedDate | None:
    """The stated day the release is about, or None where its lead states none.

    The first sentence of the lead that states a day of the event holds it; of its days, the first that is
    not a night. Background days never count; confirmation days only where nothing else is stated; nor, for
    a dated release, days more than RECENT_DAYS before it or after it ("indicted today for the May 1, 2010
    attempted bombing": the indictment, not the bombing, is the release's event). `stated`: the release's
    stated_dates, where the caller has them already.
    """
    dateline = find_dateline(text)
    lead_end = (dateline.end if dateline else 0) + LEAD_CHARS
    candidates = [
        s
        for s in (stated_dates(text, published) if stated is None else stated)
        if s.start < lead_end and not is_background(text, s) and _recent(s.day, published)
    ]
    events = [s for s in candidates if not is_confirmation(text, s)]
    if not events:
        return candidates[0] if candidates else None
    # The lead's sentences only: the event is in the lead, and a sentence ends where it ends in the whole text.
    lead = text[: lead_end + SENTENCE_CHARS]
    sentence_end = next((sp.end for sp in split_sentences(lead) if sp.end > events[0].start), len(lead))
    in_sentence = [s for s in events if s.start < sentence_end]
    return next((s for s in in_sentence if s.how not in _VAGUE), in_sentence[0])


# A release reports what happened in the days before it. ISAF: every window from 14 days up leaves the 541
# right event days as they were (7 days: 539, 3 days: 530); DOJ leads name the crime's date beside the day of
# the indictment or plea they report, and two of the 23 dev story timelines fell out of date order until
# those earlier days were left out.
RECENT_DAYS = 14


def _recent(day: date, published: date | None) -> bool:
    return published is None or 0 <= (published - day).days <= RECENT_DAYS


def event_day(text: str, published: date | None) -> date | None:
    """The day of the release's main event: the day its lead states (main_event), else its own date.

    ISAF: of the 57 dated releases whose lead states no day, 43 are annotated with the release's date, 11
    with the day before, 3 with two days before.
    """
    main = main_event(text, published)
    return main.day if main is not None else published
