"""Release dates: from a field value, or from the dateline at the head of the text."""

from __future__ import annotations

import re
from datetime import date, datetime

from dateutil import parser as dateutil_parser

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
# Whole words only, so "Marches" or "Decade" never count; "Sept" has to be spelled out because it
# is the one abbreviation longer than three letters.
_MONTH_NAMES = (
    r"Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?"
)
MONTH = rf"(?:{_MONTH_NAMES})\b\.?"  # for other modules' patterns; captures nothing
_MONTH = rf"(?P<month>{_MONTH_NAMES})\b\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\b"
_YEAR = r"(?P<year>(?:19|20)\d\d)(?!\d)"
_PATTERNS = [
    re.compile(rf"\b{_MONTH}\s*{_DAY}[,.]?\s+{_YEAR}", re.IGNORECASE),  # Aug. 19, 2020 (or "19. 2020")
    re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}", re.IGNORECASE),  # 19 August 2020
    # 2020-08-19, but not inside longer dashed codes
    re.compile(r"(?<![\d-])(?P<year>(?:19|20)\d\d)-(?P<month>[01]\d)-(?P<day>[0-3]\d)(?![\d-])"),
]
# Datelines sometimes omit the year ("KABUL, Afghanistan (Aug. 22)"); ISAF-style reference codes
# such as "2010-08-CA-256" carry it, so a year is taken from one only when its month agrees.
_MONTH_DAY = re.compile(rf"\b{_MONTH}\s*{_DAY}(?!,?\s*\d)", re.IGNORECASE)
_REF_CODE = re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>[01]\d)-[A-Z]{1,3}\s*[-–]\s*\d+")

DATELINE_CHARS = 600


def _build(year: str, month: str, day: str) -> date | None:
    m = int(month) if month.isdigit() else _MONTHS[month[:3].lower()]
    try:
        return date(int(year), m, int(day))
    except ValueError:
        return None


def _dates_at(text: str) -> list[tuple[int, date]]:
    """(offset, date) of every complete date in the text, in no particular order."""
    found: list[tuple[int, date]] = []
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            d = _build(m["year"], m["month"], m["day"])
            if d is not None:
                found.append((m.start(), d))
    return found


def _first_full_date(text: str) -> tuple[int, date] | None:
    return min(_dates_at(text), key=lambda f: f[0], default=None)


def full_dates(text: str) -> list[date]:
    """Every complete date written in the text (month name or ISO form), in order of appearance, once each."""
    return list(dict.fromkeys(d for _, d in sorted(_dates_at(text), key=lambda f: f[0])))


def parse_dateline(text: str) -> date | None:
    """The first complete date in the first DATELINE_CHARS characters, where datelines live.

    A date needs a month name, or the ISO form: bare numbers ("12/03", "2019") are never taken.
    """
    head = text[:DATELINE_CHARS]
    first = _first_full_date(head)
    if first is not None:
        return first[1]
    ref = _REF_CODE.search(head)
    md = _MONTH_DAY.search(head)
    if ref is None or md is None:
        return None
    ref_year, ref_month = int(ref["year"]), int(ref["month"])
    month = _MONTHS[md["month"][:3].lower()]
    # The code's month is the release month, give or take a release written just before midnight.
    if month == ref_month:
        year = ref_year
    elif (ref_month - month) % 12 == 1:
        year = ref_year - (month == 12)
    elif (month - ref_month) % 12 == 1:
        year = ref_year + (month == 1)
    else:
        return None
    return _build(str(year), str(month), md["day"])


_DEFAULT_A = datetime(2001, 1, 1)
_DEFAULT_B = datetime(2002, 2, 2)


def parse_date(value: object) -> date | None:
    """A field's value as a date, or None when it is not a complete date (no guessed day or year)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    s = value.strip()
    if not s or len(s) > 64:
        return None
    for pattern in _PATTERNS:
        m = pattern.fullmatch(s)
        if m:
            return _build(m["year"], m["month"], m["day"])
    try:
        # dateutil fills missing parts from its default: parsing against two different defaults and
        # comparing is how "March 2024" is told apart from a full date.
        a = dateutil_parser.parse(s, default=_DEFAULT_A)
        b = dateutil_parser.parse(s, default=_DEFAULT_B)
    except (ValueError, OverflowError):
        return None
    return a.date() if a.date() == b.date() else None
