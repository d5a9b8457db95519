"""Two limits on every generation, whichever runtime decodes it: a loop detector and a time budget.

Greedy decoding of a small model can fall into a loop: a bullets summary of a short hostile release
repeated "- Body script" until its token cap, 136 s on the 2-core EPYC. Repeating text adds nothing a
reader needs, so generation ends at the third copy of a line, or of a run-on chunk of text, and when its
time budget is spent (a wall-clock bound on what a request can cost, whatever the CPU).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

logger = logging.getLogger(__name__)

# Three copies of one line: a list can repeat a word, but a whole line three times is a loop. Lines this
# short ("- Yes.") can legitimately recur, so they never count.
LINE_REPEATS = 3
MIN_LINE_CHARS = 8
# A loop without line breaks: the same 8-120 characters back to back this many times.
RUN_REPEATS = 4
MIN_RUN_CHARS = 8
MAX_RUN_CHARS = 120


def is_looping(text: str) -> bool:
    """True when ``text`` ends in a loop: a line's third copy, or a run-on chunk's fourth in a row."""
    lines = [line.strip() for line in text.splitlines()]
    complete = lines[:-1] if text and not text.endswith("\n") else lines
    if complete:
        last = complete[-1]
        if len(last) >= MIN_LINE_CHARS and sum(line == last for line in complete) >= LINE_REPEATS:
            return True
    tail = text[-MAX_RUN_CHARS * RUN_REPEATS :]
    for size in range(MIN_RUN_CHARS, len(tail) // RUN_REPEATS + 1):
        unit = tail[-size:]
        if unit.strip() and tail.endswith(unit * RUN_REPEATS):
            return True
    return False


def guarded(pieces: Iterator[str], budget_s: float | None = None) -> Iterator[str]:
    """``pieces`` until they end, loop, or ``budget_s`` seconds pass; closing the source stops its decoding."""
    deadline = None if budget_s is None else time.monotonic() + budget_s
    text = ""
    try:
        for piece in pieces:
            yield piece
            text += piece
            if is_looping(text):
                logger.warning("generation stopped: the text repeats itself (%d chars)", len(text))
                return
            if deadline is not None and time.monotonic() > deadline:
                logger.warning("generation stopped: its %.0f s budget is spent", budget_s)
                return
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:
            close()
