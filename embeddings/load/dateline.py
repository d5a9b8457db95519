"""Release dates: from a field value, or from the dateline at the head of the text.

What a complete date looks like in text is embeddings.text.dates' rule, and what a dateline is (with the
year a reference code gives it) embeddings.text.event_dates'; this module only decides where to look.
"""

from __future__ import annotations

from datetime import date, datetime

from dateutil import parser as dateutil_parser

from embeddings.text.dates import DATE_PATTERNS, MONTH_DAY, dates_at, to_date
from embeddings.text.event_dates import DATELINE_CHARS, month_day_in_head


def _first_full_date(text: str) -> tuple[int, date] | None:
    return min(dates_at(text), key=lambda f: f[0], default=None)


def parse_dateline(text: str) -> date | None:
    """The first complete date in the first DATELINE_CHARS characters, where datelines live; else a month
    and day there ("KABUL, Afghanistan (Aug. 22)") with the year of the head's reference code.

    A date needs a month name, or the ISO form: bare numbers ("12/03", "2019") are never taken.
    """
    head = text[:DATELINE_CHARS]
    first = _first_full_date(head)
    if first is not None:
        return first[1]
    md = MONTH_DAY.search(head)
    return None if md is None else month_day_in_head(head, md)


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
