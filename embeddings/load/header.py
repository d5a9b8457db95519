"""What the head of a release's text says about it when no field does: a title, an organisation.

Kept deliberately small; each rule is here because a real corpus needed it:
- A title is the first line that is not boilerplate ("For Immediate Release", "Press release",
  "ISAF Joint Command - Afghanistan", "Regional Command North", a "By ..." byline), not a reference
  code alone ("2013-01-S-025", "Release: RTA-2024-017") and not a bare dateline
  ("KABUL, Afghanistan (Jan. 25, 2013)"); a dateline that runs into the first sentence gives up its
  place-and-date prefix. Lines over TITLE_CHARS become their first sentence, cut at a word boundary.
- The organisation is "ISAF" when "ISAF" appears in the first four lines (ISAF releases name no
  other); nothing else is guessed, so a dateline city is never taken for an organisation.
"""

from __future__ import annotations

import re

from embeddings.text.dates import MONTH
from embeddings.text.sentences import TITLE_SENTENCE_END

TITLE_CHARS = 120
HEADER_LINES = 4

_BOILERPLATE = re.compile(
    r"(?:for\s+immediate\s+release|immediate\s+release|(?:press|news|media)\s+release|news|press"
    r"|download\s+pdf|isaf\s+joint\s+command\s*[-–—]?\s*afghanistan|(?:media\s+)?contacts?\b.*"
    r"|embargoed\b.*|by\s+\S.{0,60}|\[.*\]"  # bylines, unfilled template placeholders
    r"|(?:regional\s+command|rc)[\s–—-]*(?:north|south|east|west|southwest|capital|central))",
    re.IGNORECASE,
)
# "Release: 2011-11-S-005", "Ref. RTA-2024-017": a label in front of a code is still just a code.
_CODE_LABEL = re.compile(r"^(?:(?:press\s+)?release|ref(?:erence)?)\b\.?\s*(?:no\.?|#)?\s*:?\s*", re.IGNORECASE)
# "2010-08-CA-256" at the start of a line, possibly followed by boilerplate on the same line.
_ISAF_CODE_PREFIX = re.compile(r"^(?:19|20)\d\d-[01]\d-[A-Z]{1,3}\s*[-–]\s*\d+\b\s*")
# A line that is one token with a digit and no lower-case letter: "RTA-2024-017", "18-484".
_CODE_ONLY = re.compile(r"[A-Z0-9][A-Z0-9/._–-]*\d[A-Z0-9/._–-]*")
_DATE = (
    rf"(?:{MONTH}\s*[0-3]?\d(?:st|nd|rd|th)?(?:[,.]?\s+(?:19|20)\d\d)?"
    rf"|[0-3]?\d(?:st|nd|rd|th)?\s+{MONTH},?\s+(?:19|20)\d\d|(?:19|20)\d\d-[01]\d-[0-3]\d)"
)
# "KABUL, Afghanistan (Aug. 22) - ", "WASHINGTON – Aug. 19, 2020 –", "RIVERTON, March 3, 2024 —",
# or a line that opens with a date and a separator ("Dec. 17: Militants Detained").
_DATELINE = re.compile(rf"^(?:[A-Z][^\n]{{0,58}}?[,(–—-]\s*)?\(?{_DATE}\)?\s*(?:[-–—:]+\s*|$)", re.IGNORECASE)
_ISAF = re.compile(r"\bISAF\b")


def _clean(line: str) -> str:
    return " ".join(line.replace("\xa0", " ").split())


def _content(line: str) -> str:
    """The part of a header line that could be a title, or "" if none."""
    line = _clean(line.lstrip("#"))
    line = _ISAF_CODE_PREFIX.sub("", line)
    m = _DATELINE.match(line)
    if m:
        line = line[m.end() :]
    if not line or _BOILERPLATE.fullmatch(line.strip(" .:-–—")) or _CODE_ONLY.fullmatch(_CODE_LABEL.sub("", line)):
        return ""
    return line


def shorten(line: str, limit: int = TITLE_CHARS) -> str:
    """A long line's first sentence, cut to `limit` characters at a word boundary."""
    if len(line) <= limit:
        return line
    for m in TITLE_SENTENCE_END.finditer(line):
        # Breaks this early follow abbreviations ("U.S. Attorney"), not sentences.
        if m.start() >= 40:
            line = line[: m.start()]
            break
    if len(line) <= limit:
        return line
    cut = line[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:-–— ")
    return cut + "…"


def derive_title(text: str) -> str:
    """A title for a release that has none, from the first meaningful line of its text."""
    for line in text.splitlines():  # splitlines also splits at U+2028, which ISAF texts use
        content = _content(line)
        if content:
            return shorten(content)
    return shorten(_clean(text))


def guess_organisation(text: str) -> str | None:
    lines = [line for line in text.splitlines() if line.strip()][:HEADER_LINES]
    return "ISAF" if any(_ISAF.search(line) for line in lines) else None
