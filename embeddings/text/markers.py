"""Citation markers: "[1]" or "[1, 2]", as the answer and summary streams write them.

MARKER is the canonical form; the number list is its group 1. Answers (qa.answer) and topic summaries
(qa.summarize) read cited passages from it and drop invalid ones; the two variants below are the same
marker with one more thing allowed, each for a reason of its caller.
"""

from __future__ import annotations

import re


def _marker(separator: str) -> str:
    return rf"\[(\d+(?:\s*{separator}\s*\d+)*)\]"


MARKER = re.compile(_marker(","))
# The web app (ui.render) finds markers in escaped Markdown: escape_markdown puts a backslash before a "["
# that follows a "]", so "[1][2]" reaches it as "[1]\[2]".
ESCAPED_MARKER = re.compile(rf"\\?{MARKER.pattern}")
# Answer normalisation (eval.normalize) strips markers from any answer it scores, gold and model alike:
# also "[2; 3]", and the white space before a marker goes with it ("paid $5 [1]." -> "paid $5.").
SPACED_MARKER = re.compile(rf"\s*{_marker('[,;]')}")


def marker_numbers(text: str) -> list[int]:
    """Every number the text's markers cite, in order of first mention, once each: "[2] [1, 2]" -> [2, 1]."""
    return list(dict.fromkeys(int(n) for m in MARKER.finditer(text) for n in m.group(1).split(",")))
