"""What a question asks for: an amount, a duration, a date, a count, a person, an organisation, a place,
a charge, or free text.

A small model answers a neighbouring fact when it writes freely ("pleaded guilty on November 15, 2011"
for "when was he scheduled to be sentenced"); knowing the type lets the reader (qa.reader) find the spans
that could answer in the passages and check the model's answer against them.

The rules read the question's first wh-word. "when", "where", "who" and the "how" forms say the type
themselves; after "what" or "which" the type is the one of the noun the wh-phrase is about: "Which Orange
County, California check-cashing company CEO was arrested" asks for a person (CEO), "Which Newark, New
Jersey company did he own" for an organisation, "What was the application deadline" for a date.
"""

from __future__ import annotations

import re
from typing import Literal

AnswerType = Literal["amount", "duration", "date", "count", "person", "organisation", "place", "charge", "text"]
ANSWER_TYPES: tuple[AnswerType, ...] = (
    "amount", "duration", "date", "count", "person", "organisation", "place", "charge", "text",
)  # fmt: skip

# How each type is named to the model ("Start with the amount of money").
TYPE_NOUNS: dict[AnswerType, str] = {
    "amount": "amount of money",
    "duration": "length of time",
    "date": "date",
    "count": "number",
    "person": "person's name",
    "organisation": "organisation's name",
    "place": "place",
    "charge": "charge",
    "text": "answer",
}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# The nouns a "what"/"which" phrase can be about, by type (lower case; plurals listed).
HEAD_NOUNS: dict[AnswerType, frozenset[str]] = {
    "duration": _words("""sentence sentences term terms probation imprisonment incarceration duration period length"""),
    "amount": _words(
        """money fine fines restitution forfeiture penalty penalties damages amount sum cash income revenue
        bribe bribes kickback kickbacks payment payments settlement compensation loss losses proceeds fund
        funds grant grants value price cost costs salary judgment award refund refunds bail bond tax taxes
        dollars worth fare fares fee fees rent wage wages budget spending investment loan loans debt premium
        subsidy"""
    ),
    "date": _words("date dates day days year years month months deadline time"),
    "count": _words("number numbers percentage percent share proportion rate quantity"),
    "charge": _words(
        """charge charges crime crimes offense offenses offence offences count counts violation violations
        felony felonies misdemeanor"""
    ),
    "place": _words(
        """place places province provinces district districts city cities town towns state states country
        countries county counties village villages region area location locations island base airport port
        border neighborhood neighbourhood jurisdiction jurisdictions site sites facility facilities prison
        street capital"""
    ),
    "person": _words(
        """judge person man woman men women individual individuals defendant defendants co-defendant
        codefendant official officials officer officers agent agents attorney prosecutor lawyer doctor
        physician nurse owner owners president ceo executive executives director chief leader founder
        employee employees member members soldier commander spokesman spokeswoman architect preparer
        whistleblower victim victims suspect suspects informant senator governor mayor minister secretary
        chairman manager partner accountant broker investor pastor teacher student boss people persons
        co-conspirator sergeant detective deputy sheriff trooper captain lieutenant sergeant guard operative
        hacker scammer adviser advisor consultant analyst engineer pilot driver husband wife son daughter
        brother sister father mother defendants' witness witnesses plaintiff relator"""
    ),
    "organisation": _words(
        """organization organisation organizations organisations agency agencies company companies firm firms
        group groups network bank banks corporation business businesses department office bureau unit units
        division court government ministry party gang cartel clinic hospital charity foundation school
        university website websites team teams newspaper subsidiary subsidiaries contractor manufacturer insurer
        partnership
        entity entities"""
    ),
}

# What "how much" asks a quantity of, not money: drugs and materials that releases weigh.
_QUANTITY_NOUNS = _words(
    """opium heroin cocaine marijuana hashish methamphetamine meth fentanyl drugs narcotics explosives
    explosive ammonium nitrate weight land water oil gas fuel waste ivory gold silver"""
)
# Words that end a "what"/"which" phrase: auxiliaries, prepositions, relatives.
_PHRASE_END = _words(
    """was were is are did does do has have had will would can could should must may might of in at for to from
    that who whom whose which with by on against over under after before during since about as"""
)
# "Who is William Schubert?" asks what he is, not for a name.
_DESCRIBE = re.compile(r"[Ww]ho (?:is|was|are|were) (?:[A-Z][\w.'’-]*\s?)+\?*\s*$")
_WH = re.compile(r"\b(what|which|who|whom|whose|when|where|how)\b", re.IGNORECASE)
_TIME_UNIT = re.compile(r"(?:years?|months?|weeks?|days?|hours?|minutes?|decades?)$")


def answer_type(question: str) -> AnswerType:
    """The type of answer `question` asks for; "text" when no rule knows it."""
    match = _WH.search(question)
    if match is None:
        return "text"
    wh = match.group(1).lower()
    rest = [w.strip(",.?;:!\"'()").lower() for w in question[match.end() :].split()]
    rest = [w for w in rest if w]
    if wh == "when":
        return "date"
    if wh == "where":
        return "place"
    if wh in ("who", "whom", "whose"):
        return "text" if _DESCRIBE.match(question[match.start() :]) else "person"
    if wh == "how":
        return _how_type(rest)
    return _head_noun_type(rest)


def _how_type(rest: list[str]) -> AnswerType:
    first = rest[0] if rest else ""
    if first == "long":
        return "duration"
    if first == "much":
        nxt = rest[1:5]
        if re.match(r"(?:prison |jail )?time\b", " ".join(nxt)):
            return "duration"
        if any(w in _QUANTITY_NOUNS for w in nxt[:2]):
            return "count"  # "how much opium": a quantity, not money
        return "amount"  # "how much did he pay", "how much fraudulent Medicare billing"
    if first == "many":
        noun = rest[1] if len(rest) > 1 else ""
        if _TIME_UNIT.match(noun):
            return "duration"
        return "amount" if noun == "dollars" else "count"
    if first == "old":
        return "count"
    return "text"


def _head_noun_type(rest: list[str]) -> AnswerType:
    """The type of the noun a "what"/"which" phrase is about: its last known noun before the phrase ends.
    "What was the approximate value of" skips the copula and article that follow the wh-word."""
    if rest and rest[0] in ("will", "would", "could", "should", "might") and rest[-1] == "be":
        rest = rest[1:-1]  # "What will the adult single fare be": a copula, like "what is the fare"
    elif rest and rest[0] in ("was", "is", "were", "are"):
        rest = rest[1:]
    if rest and rest[0] in ("the", "a", "an"):
        rest = rest[1:]
    found: AnswerType = "text"
    for word in rest[:8]:
        if word in _PHRASE_END or (found != "text" and word.endswith("ed")):
            break
        for kind, nouns in HEAD_NOUNS.items():
            if word in nouns:
                found = kind
                break
    return found
