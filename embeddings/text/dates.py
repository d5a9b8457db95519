"""How text writes dates: month names, weekday names, and complete dates ("Aug. 19, 2020", "19 August 2020",
"2020-08-19").

One list of month names and one of weekday names; every pattern below is built from them, so a month
spelling accepted in one place is accepted everywhere.
"""

from __future__ import annotations

import itertools
import re
from datetime import date

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
# The short forms releases write, with a stop or without: the first three letters, and "Sept", the one
# abbreviation longer than three letters. "May" is its own name.
MONTH_ABBREVIATIONS = (*(m[:3] for m in MONTHS), "Sept")
_MONTH_NUMBERS = {m[:3].lower(): i for i, m in enumerate(MONTHS, 1)}


def _spellings(name: str, short: tuple[str, ...]) -> str:
    """ "September" with short forms "Sep", "Sept" -> "Sep(?:t(?:ember)?)?": each longer form optional."""
    cuts = sorted({len(s) for s in short if name.startswith(s)} | {len(name)})
    tail = ""
    for a, b in reversed(list(itertools.pairwise(cuts))):
        tail = f"(?:{name[a:b]}{tail})?"
    return name[: cuts[0]] + tail


# "Jan(?:uary)?|...|Sep(?:t(?:ember)?)?|...": a month, spelled out or abbreviated; captures nothing.
MONTH_NAMES = "|".join(_spellings(m, MONTH_ABBREVIATIONS) for m in MONTHS)
# Whole words only, so "Marches" or "Decade" never count; an abbreviation's stop goes with it.
# Used by the dateline and title rules (embeddings.load), the weekday rule of the answer prompt and the
# name check's exclusions (qa).
MONTH = rf"(?:{MONTH_NAMES})\b\.?"


def month_number(name: str) -> int:
    """1-12 for any spelling MONTH_NAMES accepts, in any case: "Sept." -> 9."""
    return _MONTH_NUMBERS[name[:3].lower()]


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")  # date.weekday() order
# The answer prompt and the name check (qa) match full names only: the prompt's day arithmetic looks the
# matched name up in WEEKDAYS, and the name check must not take a company called "Sun" for a weekday.
WEEKDAY = rf"(?:{'|'.join(WEEKDAYS)})"
# Answer normalisation (eval.normalize) also reads abbreviated weekdays in front of a date: model answers
# and gold answers write "Tues., March 9, 2017". Each day's stem ("Tues", "Wednes", "Satur") and its
# short forms, then an optional "day": "(?:Mon|Tue|Tues|Wed|Wednes|...)(?:day)?".
WEEKDAY_ABBREVIATIONS = ("Mon", "Tue", "Tues", "Wed", "Thu", "Thur", "Thurs", "Fri", "Sat", "Sun")
WEEKDAY_OR_ABBREVIATION = (
    "(?:"
    + "|".join(
        form
        for day in WEEKDAYS
        for form in sorted({day[:-3], *(a for a in WEEKDAY_ABBREVIATIONS if day.startswith(a))}, key=len)
    )
    + ")(?:day)?"
)

# Complete dates, for the dateline (embeddings.load.dateline) and the dates a question names
# (qa.retrieve): a month name or the ISO form, never bare numbers ("12/03", "2019").
NAMED_MONTH = rf"(?P<month>{MONTH_NAMES})\b\.?"
DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\b"
YEAR = r"(?P<year>(?:19|20)\d\d)(?!\d)"
DATE_PATTERNS = [
    re.compile(rf"\b{NAMED_MONTH}\s*{DAY}[,.]?\s+{YEAR}", re.IGNORECASE),  # Aug. 19, 2020 (or "19. 2020")
    re.compile(rf"\b{DAY}\s+(?:of\s+)?{NAMED_MONTH},?\s+{YEAR}", re.IGNORECASE),  # 19 August 2020
    # 2020-08-19, but not inside longer dashed codes
    re.compile(r"(?<![\d-])(?P<year>(?:19|20)\d\d)-(?P<month>[01]\d)-(?P<day>[0-3]\d)(?![\d-])"),
]
# A month and day with no year after them ("Jan. 24", "March 3rd"): the dateline's year rule
# (embeddings.text.event_dates) and a release's event dates give them one.
MONTH_DAY = re.compile(rf"\b{NAMED_MONTH}\s*{DAY}(?!,?\s*\d)", re.IGNORECASE)


def to_date(year: str, month: str, day: str) -> date | None:
    """The date a pattern's groups spell (month as digits or a name), or None when there is none ("Feb. 30")."""
    m = int(month) if month.isdigit() else month_number(month)
    try:
        return date(int(year), m, int(day))
    except ValueError:
        return None


def date_spans(text: str) -> list[tuple[int, int, date]]:
    """(start, end, date) of every complete date in the text, in no particular order."""
    found: list[tuple[int, int, date]] = []
    for pattern in DATE_PATTERNS:
        for m in pattern.finditer(text):
            d = to_date(m["year"], m["month"], m["day"])
            if d is not None:
                found.append((m.start(), m.end(), d))
    return found


def dates_at(text: str) -> list[tuple[int, date]]:
    """(offset, date) of every complete date in the text, in no particular order."""
    return [(start, d) for start, _, d in date_spans(text)]


def full_dates(text: str) -> list[date]:
    """Every complete date written in the text (month name or ISO form), in order of appearance, once each."""
    return list(dict.fromkeys(d for _, d in sorted(dates_at(text), key=lambda f: f[0])))
