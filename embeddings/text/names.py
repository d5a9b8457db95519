"""Capitalised names: three patterns, one per question asked of a capitalised word, and the capitalised
words that name nothing.

They differ on purpose. The name check (qa.grounding) wants every capitalised word with its hyphenated and
apostrophe'd parts ("Kowalczyk-Bey", "O'Neil") to look each up in the passages; respelling (qa.prompt)
wants only plain words of four letters or more, the place names worth comparing letter by letter; the
faithfulness check (eval.metrics) wants whole multi-word names ("Bank of America") to find in a source.
"""

from __future__ import annotations

import re

from embeddings.text.dates import MONTH, MONTH_ABBREVIATIONS, MONTHS, WEEKDAY, WEEKDAYS

# qa.grounding: capitalised words, with their hyphenated or apostrophe'd parts: "Kowalczyk-Bey", "O'Neil",
# "Miami's".
CAPITALISED_WORD = re.compile(r"\b[A-Z][A-Za-z]*(?:['’-][A-Za-z]+)*")
# qa.prompt: a capitalised word of four letters or more, lower case after its capital ("Paktya", not "US").
PLAIN_NAME = re.compile(r"\b[A-Z][a-z]{3,}\b")
# eval.metrics: runs of capitalised words, joined by "of", "de", "van", "&"... ("Bank of America"); a word
# keeps inner dots, apostrophes and ampersands ("Inc.", "O'Neil", "AT&T").
NAME_RUN = re.compile(
    r"\b[A-Z][\w'’.&-]*[\w&]"
    r"(?:\s+(?:(?:of|de|del|la|van|von|der|&)\s+)?[A-Z][\w'’.&-]*[\w&])*"
)

# qa.grounding: a month or weekday, whole, is capitalised without naming anyone.
CALENDAR_WORD = re.compile(rf"^(?:{MONTH}|{WEEKDAY})$")
# eval.metrics: lower-cased words that start sentences or are capitalised by convention without naming
# anything in the source (and months and weekdays, spelled out or abbreviated); a name run loses them
# from its front.
NOT_NAMES = frozenset(
    """a an the this that these those it its he she they his her their we our you i in on at for to of by
    with from as and or but if when while after before during under over according also however
    meanwhile further additionally finally first second third then there here today yesterday tomorrow
    mr mrs ms dr so not no yes all both each
    overall summary release press later earlier since until although because despite following
    previously currently instead prior officials authorities""".split()
) | {w.lower() for w in (*WEEKDAYS, *MONTHS, *MONTH_ABBREVIATIONS)}
