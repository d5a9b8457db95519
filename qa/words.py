"""The one notion of a word that answer attribution, prompt trimming and duplicate detection share."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """Lower-cased runs of letters and digits, in order: "U.S. $4.8M" -> ["u", "s", "4", "8m"]."""
    return _WORD.findall(text.lower())
