"""Release dates: from a field value, or from the dateline at the head of the text.

What a complete date looks like in text is embeddings.text.dates' rule; this module only decides where to look.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from dateutil import parser as dateutil_parser

from embeddings.text.dates import DATE_PATTERNS, DAY, NAMED_MONTH, dates_at, month_number, to_date

# Datelines sometimes omit the year ("KABUL, Afghanistan (Aug. 22)"); ISAF-style reference codes
# such as "2010-08-CA-256" carry it, so a year is taken from one only when its month agrees.
_MONTH_DAY = re.compile(rf"\b{NAMED_MONTH}\s*{DAY}(?!,?\s*\d)", re.IGNORECASE)
_REF_CODE = re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>[01]\d)-[A-Z]{1,3}\s*[-–]\s*\d+")

DATELINE_CHARS = 600


def _first_full_date(text: str) -> tuple[int, date] | None:
    return min(dates_at(text), key=lambda f: f[0], default=None)


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
    month = month_number(md["month"])
    # The code's month is the release month, give or take a release written just before midnight.
    if month == ref_month:
        year = ref_year
    elif (ref_month - month) % 12 == 1:
        year = ref_year - (month == 12)
    elif (month - ref_month) % 12 == 1:
        year = ref_year + (month == 1)
    else:
        return None
    return to_date(str(year), str(month), md["day"])


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
    for pattern in DATE_PATTERNS:
        m = pattern.fullmatch(s)
        if m:
            return to_date(m["year"], m["month"], m["day"])
    try:
        # dateutil fills missing parts from its default: parsing against two different defaults and
        # comparing is how "March 2024" is told apart from a full date.
        a = dateutil_parser.parse(s, default=_DEFAULT_A)
        b = dateutil_parser.parse(s, default=_DEFAULT_B)
    except (ValueError, OverflowError):
        return None
    return a.date() if a.date() == b.date() else None
