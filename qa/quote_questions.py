"""Questions about quotations: "who said ...", "what did X say about Y", "quotes from X". Such a question
is answered from the quotes kept at ingest (qa.quote_answers), not by the model: the speaker and the span
are already read, and the model's small mistakes (a speaker taken from the wrong sentence, a paraphrase
for a quote) are the ones these questions cannot afford.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

QuoteAsk = Literal["who_said", "what_said"]

_SAY = r"(?:say|said|says|state|stated|states|declare|declared|add|added|warn|warned|comment|commented|remark|remarked)"
_WHO_SAID = re.compile(
    rf"^(?:who|which\s+(?:official|person|officer|prosecutor|one))\s+(?:(?:was|is)\s+quoted\s+(?:as\s+)?saying|{_SAY}|"
    r"called|described)\b[,:]?\s*(?:that\s+)?(?P<about>.+)$",
    re.IGNORECASE,
)
_WHAT_SAID = re.compile(
    rf"^(?:what|how)\s+(?:did|does|has|had|do)\s+(?P<who>.+?)\s+{_SAY}\b(?:\s+(?:about|on|regarding|concerning|of|to|in|at|when|after)\s+"
    r"(?P<about>.+))?$",
    re.IGNORECASE,
)
_QUOTES_FROM = re.compile(
    r"^(?:(?:show|list|give|find)\s+(?:me\s+)?)?(?:the\s+)?(?:quotes?|quotations?|statements?)\s+(?:from|by|of)\s+"
    r"(?P<who>.+?)(?:\s+(?:about|on|regarding)\s+(?P<about>.+))?$",
    re.IGNORECASE,
)
_ENDS = " ?.!\"'“”"


@dataclass(frozen=True, slots=True)
class QuoteQuestion:
    ask: QuoteAsk
    speaker: str  # who the question names ("" for "who said")
    about: str  # the words quoted or the topic asked about ("" when none is given)


def quote_question(question: str) -> QuoteQuestion | None:
    """The question's form, or None when it does not ask about a quote."""
    q = " ".join(question.split()).strip(_ENDS)
    if m := _WHO_SAID.match(q):
        return QuoteQuestion("who_said", "", m["about"].strip(_ENDS))
    for pattern in (_WHAT_SAID, _QUOTES_FROM):
        if m := pattern.match(q):
            speaker = re.sub(r"^(?:the\s+)", "", m["who"].strip(_ENDS))
            return QuoteQuestion("what_said", speaker, (m["about"] or "").strip(_ENDS))
    return None


_SPEAKER_TOPIC = re.compile(r"^(?P<who>.+?)\s*(?::|\s+(?:about|on|regarding)\s+)(?P<about>.+)$", re.IGNORECASE)


def speaker_and_topic(text: str) -> tuple[str, str]:
    """What a quotes search names: "Holder about voting rights" or "Holder: voting rights" -> ("Holder",
    "voting rights"); a question ("what did Holder say about ...") the same way; anything else is one part,
    returned as the speaker, for the caller to try as a topic when no one by that name is quoted."""
    if (asked := quote_question(text)) is not None and asked.speaker:
        return asked.speaker, asked.about
    if m := _SPEAKER_TOPIC.match(" ".join(text.split()).strip(_ENDS)):
        return m["who"].strip(_ENDS), m["about"].strip(_ENDS)
    return text.strip(_ENDS), ""
