"""Counting questions over the archive: "how many releases about opioids in 2016?", "which month had the
most releases about fraud?", "releases about hate crimes per year". Such a question is answered by counting
every release that holds the topic's words (qa.count_answers, Index.count_releases), not by the model,
which sees a handful of passages and cannot count an archive.

A question is read into its topic, an optional period and what it asks: the total, the peak month or year,
or a series by month or year. A period must be stated with its year ("in 2016", "between 2012 and 2014",
"since March 2015"); one that needs today's date ("last year", "recently") cannot be resolved from the
question, so such a question goes to the model, as does anything else this module does not recognise.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from embeddings.text.words import STOP_WORDS

CountAsk = Literal["total", "peak", "series"]
Period = Literal["month", "year"]

_MONTHS = {name.lower(): n for n, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): n for n, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH = r"(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?:19|20)\d\d"
# A point in time the question names: an ISO day, a month and year, or a year.
_WHEN = rf"(?:{_YEAR}-\d\d-\d\d|{_YEAR}-\d\d|{_MONTH}\s+{_YEAR}|{_YEAR})"

_RANGE = re.compile(
    rf"\b(?:between|from)\s+(?P<a>{_WHEN})\s+(?:and|to|through|thru|until|till|-|–)\s+(?P<b>{_WHEN})\b"
    rf"|\b(?P<a2>{_YEAR})\s*[-–]\s*(?P<b2>{_YEAR})\b",
    re.IGNORECASE,
)
_SINCE = re.compile(rf"\b(?:since|after|from|starting(?:\s+in)?|beginning(?:\s+in)?)\s+(?P<a>{_WHEN})\b", re.IGNORECASE)
_UNTIL = re.compile(rf"\b(?:before|until|till|up\s+to|through|by\s+the\s+end\s+of)\s+(?P<b>{_WHEN})\b", re.IGNORECASE)
_DURING = re.compile(
    rf"\b(?:in|of|during|for|over|throughout|within)\s+(?:the\s+year\s+)?(?P<a>{_WHEN})\b", re.IGNORECASE
)
# Times that need today's date to resolve: the question goes to the model.
_RELATIVE = re.compile(
    r"\b(?:(?:last|this|next|past|previous|current|recent)\s+(?:\d+\s+)?(?:years?|months?|weeks?|days?|decade|quarter)"
    r"|recently|lately|nowadays|today|yesterday|so\s+far|to\s+date|ago|in\s+" + _MONTH + r"(?!\s*(?:19|20)\d\d))\b",
    re.IGNORECASE,
)

# Parts of a year the question names but this module does not read: "the first half of 2016", "mid-2015".
_UNREAD_PERIOD = re.compile(
    r"\b(?:half|quarter|early|late|mid|middle|end|beginning|start|spring|summer|fall|autumn|winter)"
    r"(?:[\s-]+\w+){0,2}?[\s-]+(?:19|20)\d\d\b",
    re.IGNORECASE,
)

_BY = re.compile(
    r"\b(?:(?:per|by|each|every|a)\s+(?P<unit>month|year)|(?P<ly>monthly|yearly|annually)|month\s+by\s+month"
    r"|year\s+by\s+year|over\s+the\s+years|over\s+time)\b",
    re.IGNORECASE,
)

_RELEASES = r"(?:press\s+)?(?:releases?|announcements?|news\s+releases?)"
# What joins "releases" to the topic: "about", "mentioning", "that mention", "which were about", ...
_VERBS = (
    r"mention(?:s|ed|ing)?|discuss(?:es|ed|ing)?|name[sd]?|naming|cite[sd]?|citing|involv(?:e|es|ed|ing)"
    r"|concern(?:s|ed|ing)?|cover(?:s|ed|ing)?|refer(?:s|red|ring)?\s+to|talk(?:s|ed|ing)?\s+about"
    r"|deal(?:s|t|ing)?\s+with|relat(?:e|es|ed|ing)\s+to|featur(?:e|es|ed|ing)"
)
_ABOUT = (
    rf"(?:about|on|regarding|re|concerning|over|with|(?:that|which|to)\s+(?:(?:were|was|are|is|have|has|had|did|do)\s+)?"
    rf"(?:been\s+)?(?:about|{_VERBS})|(?:were|was|are|is)\s+(?:about|on)|{_VERBS})"
)
# Words between "releases" and the topic: "were there", "did the department publish", "were issued".
_FILLER = r"(?:\s+(?!about\b|on\b)[\w.'’]+){0,5}?"
_TAIL = re.compile(
    r"(?:\s+(?:were|was|are|is|have\s+been|has\s+been|did\s+\w+(?:\s+\w+){0,3}|do\s+\w+(?:\s+\w+){0,3}))?"
    r"(?:\s+(?:there|published|issued|released|put\s+out|sent\s+out|posted|come\s+out|came\s+out|out|"
    r"publish|issue|release|put\s+out|in\s+total|in\s+all|altogether|overall|all\s+told))*$",
    re.IGNORECASE,
)

_TOTAL = re.compile(
    r"^(?:how\s+many|(?:the\s+)?(?:total\s+)?number\s+of|count(?:\s+of)?(?:\s+the)?|total)\s+(?P<rest>.+)$",
    re.IGNORECASE,
)
_HOW_OFTEN = re.compile(
    r"^how\s+(?:often|many\s+times)\s+(?:was|is|were|are|has|have|did)\s+(?P<topic>.+?)\s+(?:been\s+)?"
    r"(?:mentioned|named|cited|discussed|mention(?:ed)?)(?:\s+in\s+(?:the\s+)?(?:press\s+)?releases)?$",
    re.IGNORECASE,
)
_MOST = r"(?:the\s+)?(?:most|highest\s+number\s+of|largest\s+number\s+of|greatest\s+number\s+of|biggest\s+number\s+of)"
_PEAK = re.compile(
    r"^(?:(?:in\s+)?(?:which|what)\s+(?P<unit>month|year)\s+(?:had|has|saw|sees|produced|brought|got|"
    r"was\s+there|were\s+there|were|did\s+\w+(?:\s+\w+){0,3}\s+(?:publish|issue|put\s+out|release|have))\s+"
    + _MOST
    + r"|(?:what|which)\s+(?:was|is)\s+the\s+(?:busiest|top|peak)\s+(?P<unit2>month|year)\s+(?:for|of|in)"
    r"|when\s+(?:were|was|did)(?:\s+there)?\s+" + _MOST + r")\s+(?P<rest>.+)$",
    re.IGNORECASE,
)
_SERIES = re.compile(
    r"^(?:(?:show|list|give|plot|chart|count)\s+(?:me\s+)?)?(?:the\s+)?(?:number\s+of\s+|count\s+of\s+)?(?P<rest>.+)$",
    re.IGNORECASE,
)
# "releases [were published] about X" and "X releases [were published]".
_ABOUT_FORM = re.compile(rf"^{_RELEASES}{_FILLER}\s+{_ABOUT}\s+(?P<topic>.+)$", re.IGNORECASE)
_BEFORE_FORM = re.compile(rf"^(?P<topic>.+?)\s+{_RELEASES}$", re.IGNORECASE)
_TOPIC_ENDS = " ?.!,;:"  # quote marks stay: a quoted topic is a phrase
_QUOTED = re.compile(r"[\"“”]([^\"“”]+)[\"“”]")
# Lower-case words that stay inside a name written in capitals: "Bureau of Prisons", "Drug Enforcement
# Administration for ...". "and" does not: "FBI and DEA" is two names.
_NAME_JOINERS = {"of", "the", "for", "de", "del", "la", "le", "van", "von", "da", "du"}
# A word as a topic gives it: joined by hyphens, slashes or apostrophes ("MS-13", "9/11", "O'Brien").
_TOKEN = re.compile(r"[^\W_]+(?:[-/'’][^\W_]+)*")


@dataclass(frozen=True, slots=True)
class CountQuestion:
    """What a counting question asks, read from its words."""

    ask: CountAsk
    topic: str  # as the question gives it: "opioids", "Eric Holder"
    words: tuple[str, ...]  # content words, lower-case, each matched in a singular or plural form
    phrases: tuple[str, ...]  # names, acronyms and quoted words, lower-case, matched as written
    since: date | None = None
    until: date | None = None
    by: Period | None = None  # the series or peak asked for; None for a total


def count_question(question: str) -> CountQuestion | None:
    """The question's form, or None when it does not ask for a count this module can resolve."""
    q = " ".join(question.split()).strip(_TOPIC_ENDS)
    if _RELATIVE.search(q) or _UNREAD_PERIOD.search(q):
        return None
    taken = _take_period(q)
    if taken is None:
        return None  # a period naming a day that does not exist, or running backwards
    q, since, until = taken
    by: Period | None = None
    if m := _BY.search(q):
        by = _unit(m)
        q = (q[: m.start()] + " " + q[m.end() :]).strip()
        q = " ".join(q.split()).strip(_TOPIC_ENDS)
    ask: CountAsk
    topic: str | None = None
    if m := _PEAK.match(q):
        ask, topic = "peak", _topic(m["rest"])
        by = "year" if (m["unit"] or m["unit2"] or "month").lower() == "year" else "month"
    elif m := _HOW_OFTEN.match(q):
        ask, topic = ("series" if by else "total"), m["topic"]
    elif m := _TOTAL.match(q):
        ask, topic = ("series" if by else "total"), _topic(m["rest"])
    elif by and (m := _SERIES.match(q)):
        ask, topic = "series", _topic(m["rest"])
    else:
        return None
    if topic is None:
        return None
    topic = _TAIL.sub("", topic.strip(_TOPIC_ENDS)).strip(_TOPIC_ENDS)
    if re.search(r"\b(?:or|either|nor)\b", _QUOTED.sub(" ", topic), re.IGNORECASE):
        return None  # "X or Y": every release holds all of a topic's words, so one of them is not a count of it
    words, phrases = topic_terms(topic)
    if not words and not phrases:
        return None
    return CountQuestion(ask, topic, words, phrases, since, until, by)


def _unit(m: re.Match[str]) -> Period:
    text = m.group(0).lower()
    return "month" if "month" in text else "year"


def _topic(rest: str) -> str | None:
    """The topic of "releases [...] about X" or "X releases [...]", or None when `rest` is neither (or
    both: "ISAF releases about Kandahar" names a publisher the words of a release need not hold)."""
    if m := _ABOUT_FORM.match(rest):
        return m["topic"]
    if m := _BEFORE_FORM.match(_TAIL.sub("", rest)):
        return m["topic"]
    return None


def topic_terms(topic: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(content words, phrases) of a topic. Phrases are matched as written (case aside): quoted words, names
    (two or more capitalised words in a row, "of" and "the" allowed between them), words joined by a hyphen
    or slash ("MS-13", "9/11") and acronyms ending in S ("AIDS" is not "aid"). The other words, less
    articles and prepositions, are matched one by one, in any order, each in its singular or plural."""
    phrases = [" ".join(m.lower().split()) for m in _QUOTED.findall(topic)]
    rest = _QUOTED.sub(" ", topic)
    tokens = [re.sub(r"['’]s$", "", t).replace("’", "'") for t in _TOKEN.findall(rest)]
    words: list[str] = []
    i = 0
    while i < len(tokens):
        j, capitals = i, 0
        while j < len(tokens) and (_capitalised(tokens[j]) or (capitals and tokens[j] in _NAME_JOINERS)):
            capitals += _capitalised(tokens[j])
            j += 1
        while j > i and not _capitalised(tokens[j - 1]):
            j -= 1  # a name ends on a capitalised word: "Bureau of" is "Bureau"
        if capitals >= 2:
            phrases.append(" ".join(tokens[i:j]).lower())
            i = j
            continue
        token = tokens[i]
        i += 1
        if re.search(r"[-/']", token) or (len(token) > 1 and token.isupper() and token.endswith("S")):
            phrases.append(token.lower())
        elif token.lower() not in STOP_WORDS and token.lower() not in _TOPIC_STOP_WORDS:
            words.append(token.lower())
    return tuple(dict.fromkeys(words)), tuple(dict.fromkeys(p for p in phrases if p))


# Words of a topic that say how it is asked, not what it is: "releases about the topic of fraud".
_TOPIC_STOP_WORDS = {"about", "any", "some", "topic", "subject", "issue", "word", "words", "term", "s", "'s"} | set(
    "it its this that these those they them their he him his she her we our you your".split()
)


def _capitalised(token: str) -> bool:
    return token[:1].isupper()


def _take_period(q: str) -> tuple[str, date | None, date | None] | None:
    """The question less its period, and the period's first and last day (None where open); None when the
    period names a day that does not exist or runs backwards."""
    since: date | None = None
    until: date | None = None
    try:
        if m := _RANGE.search(q):
            a, b = (m["a"], m["b"]) if m["a"] else (m["a2"], m["b2"])
            since, until = _first_day(a), _last_day(b)
            q = _cut(q, m)
        else:
            if m := _SINCE.search(q):
                after = m.group(0).lower().startswith("after")
                since = _last_day(m["a"]) + timedelta(days=1) if after else _first_day(m["a"])
                q = _cut(q, m)
            if m := _UNTIL.search(q):
                before = m.group(0).lower().startswith("before")
                until = _first_day(m["b"]) - timedelta(days=1) if before else _last_day(m["b"])
                q = _cut(q, m)
            if since is None and until is None and (m := _DURING.search(q)):
                since, until = _first_day(m["a"]), _last_day(m["a"])
                q = _cut(q, m)
    except ValueError:
        return None
    if since and until and since > until:
        return None
    return q, since, until


def _cut(q: str, m: re.Match[str]) -> str:
    return " ".join((q[: m.start()] + " " + q[m.end() :]).split()).strip(_TOPIC_ENDS)


def _parts(when: str) -> tuple[int, int | None, int | None]:
    """(year, month or None, day or None) of an ISO day, "March 2015" or "2015"."""
    when = when.strip()
    if m := re.fullmatch(r"(\d{4})-(\d\d)(?:-(\d\d))?", when):
        return int(m[1]), int(m[2]), int(m[3]) if m[3] else None
    if m := re.fullmatch(r"([A-Za-z]+)\.?\s+(\d{4})", when):
        return int(m[2]), _MONTHS[m[1].lower()], None
    return int(when), None, None


def _first_day(when: str) -> date:
    year, month, day = _parts(when)
    return date(year, month or 1, day or 1)


def _last_day(when: str) -> date:
    year, month, day = _parts(when)
    if month is None:
        return date(year, 12, 31)
    return date(year, month, day or calendar.monthrange(year, month)[1])
