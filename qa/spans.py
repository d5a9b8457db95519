"""Typed spans in text: the amounts, durations, dates, counts, names and charges a passage (or an answer)
states, each with the key it compares by.

One finder per answer type, run the same way over a passage (to list what could answer a question) and
over the model's answer (to see what it claims). The key makes two spellings of one value equal: "$1.3
million" and "$1,300,000" are both ``usd 1300000``, "two" and "2" are ``2``, "Aug. 2, 2017" and "August 2,
2017" are ``2017-08-02``, a name is its lower-cased words without titles.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from embeddings.text.dates import DATE_PATTERNS, MONTH_NAMES, WEEKDAY, WEEKDAYS, month_number, to_date
from embeddings.text.names import NOT_NAMES, ORG_WORDS, PLACE_WORDS, PLACES, TITLES
from qa.question_types import AnswerType


@dataclass(frozen=True, slots=True)
class TypedSpan:
    kind: AnswerType
    start: int  # offsets into the text searched
    end: int
    text: str  # the span as an answer gives it: as written, or a relative day spelled out
    key: str  # equal keys say the same thing


# Numbers, in digits or words.
_UNIT_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
).split()
_TEN_WORDS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALE_WORDS = {"hundred": 100, "thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_WORD_NUMBER = (
    rf"(?:(?:{'|'.join(_TEN_WORDS)})(?:[- ](?:{'|'.join(_UNIT_WORDS[1:10])}))?"
    rf"|{'|'.join(reversed(_UNIT_WORDS))}|a dozen)"
)
_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
NUMBER = rf"(?:{_DIGITS}|{_WORD_NUMBER})"
_SCALE = r"(?:\s?(?:hundred|thousand|million|billion|trillion)\b|\s?(?:[mb]n?|k)\b)"
_QUALIFIER = (
    r"(?:(?:more than|less than|fewer than|over|under|about|approximately|nearly|almost|roughly|at least|"
    r"in excess of|up to|an estimated|some|around|a total of|a combined|totaling|totalling)\s+)?"
)


def number_value(text: str) -> float | None:
    """The value of a number in digits or words: "1,967" -> 1967, "forty-eight" -> 48, "4.8 million" ->
    4800000, "a dozen" -> 12; None when `text` holds none."""
    t = text.lower().replace(",", "").strip()
    if t == "a dozen":
        return 12.0
    value = 0.0
    current: float | None = None
    for part in re.split(r"[\s-]+", t):
        if re.fullmatch(r"\d+(?:\.\d+)?", part):
            current = (current or 0) + float(part)
        elif part in _UNIT_WORDS:
            current = (current or 0) + _UNIT_WORDS.index(part)
        elif part in _TEN_WORDS:
            current = (current or 0) + 10 * (_TEN_WORDS.index(part) + 2)
        elif part in _SCALE_WORDS or part in ("m", "mn", "b", "bn", "k"):
            scale = _SCALE_WORDS.get(part) or {"m": 10**6, "mn": 10**6, "b": 10**9, "bn": 10**9, "k": 10**3}[part]
            if current is None:
                return None
            if scale == 100:
                current *= 100
            else:
                value += current * scale
                current = None
        elif part in ("and", "a"):
            continue
        else:
            return None
    if current is None and value == 0:
        return None
    return value + (current or 0)


def _number_key(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


# Amounts of money: "$4.8 million", "US$ 300,000", "more than $40 million", "5 million dollars".
_MONEY = re.compile(
    rf"(?<![\w.$]){_QUALIFIER}(?:US\s?)?\$\s?(?P<n1>{_DIGITS}){_SCALE}?"
    rf"|(?<![\w.$]){_QUALIFIER}(?P<n2>{NUMBER}(?:\s(?:hundred|thousand|million|billion))?)\s+dollars\b",
    re.IGNORECASE,
)
_SCALED = re.compile(rf"(?P<n>{_DIGITS}){_SCALE}?", re.IGNORECASE)

# Durations: "66 months", "five years in prison", "12 months and one day", "48-month", "life in prison".
_TIME_UNIT = r"(?:years?|months?|weeks?|days?|hours?|minutes?|decades?)"
_DURATION = re.compile(
    rf"\b{_QUALIFIER}(?:{NUMBER}\s+life\s+(?:terms?|sentences?)"
    rf"(?:\s+(?:and|plus|as well as)\s+{NUMBER}[\s-]{_TIME_UNIT})?"
    rf"|life(?:\s+in\s+(?:federal\s+)?prison|\s+imprisonment|\s+sentences?|\s+terms?)"
    rf"|{NUMBER}[\s-]{_TIME_UNIT}(?:,?\s+and\s+{NUMBER}\s+{_TIME_UNIT})?"
    rf"(?:\s+(?:in|of)\s+(?:federal\s+|state\s+)?(?:prison|jail|probation|incarceration|imprisonment|"
    rf"supervised release|home confinement))?)",
    re.IGNORECASE,
)
_DURATION_PART = re.compile(rf"(?P<n>{NUMBER})[\s-](?P<unit>{_TIME_UNIT})|(?P<life>life)", re.IGNORECASE)

# Dates besides the complete ones of embeddings.text.dates.
_MONTH_DAY = re.compile(rf"\b(?P<month>{MONTH_NAMES})\b\.?\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\b(?![,.]?\s*\d)")
_MONTH_YEAR = re.compile(rf"\b(?P<month>{MONTH_NAMES})\b\.?,?\s+(?:of\s+)?(?P<year>(?:19|20)\d\d)\b")
_YEAR = re.compile(r"\b(?:in|since|by|during|until|of|from|to|through)\s+(?P<year>(?:19|20)\d\d)\b(?![-/]\d)")
_RELATIVE = re.compile(rf"\b(?:yesterday|last night|today|this morning|earlier today|tonight|(?P<day>{WEEKDAY}))\b")
_FUTURE_BEFORE = re.compile(r"\b(?:will|next|scheduled|set for|until|expected|due)\b[^.;]{0,40}$", re.IGNORECASE)

# Counts: a number that is not part of an amount, a duration, a date or a code, with the words it counts.
_COUNT = re.compile(
    rf"(?<![\w$.,/-]){_QUALIFIER}(?P<n>{NUMBER})(?![\w/]|[.,]\d|-\w*\d)(?P<noun>(?:[\s-]+(?!(?:and|or|of|in|on|at|to|for|by|with|from|were|was|are|is|had|have|who|which|that|the|during|while|after|before|being|been|when|as|since|into|over|under|near|including|each|per|will|would|could|can|may|must|should|also|not)\b)[a-z][\w-]*){{0,3}})",
    re.IGNORECASE,
)

# Names: a run of capitalised words. Leading titles (embeddings.text.names.TITLES) go ("U.S. District Judge
# Neil V. Wake" -> "Neil V. Wake"): answers give names with or without them.
_PLACE_PAIR = re.compile(r"^[A-Z][\w.'’-]+(?:\s[A-Z][\w.'’-]+)*,\s+[A-Z][\w.]+")  # "Sandy, Utah", "Catoosa, Okla."
_AL_NAME = re.compile(r"\bal[- ]Qa[e']?ida\b|\bal[- ]Shabaab\b", re.IGNORECASE)
_PLACE_PREPOSITION = re.compile(r"\b(?:in|at|near|into|outside)\s+$")
# A run of capitalised words and initials ("Neil V. Wake", "Bank of America", "Hezb-e-Islami Gulbuddin"): unlike
# embeddings.text.names.NAME_RUN, initials and abbreviations keep their stops, so "V." does not end a name;
# any other word's stop ends a sentence ("at Camp Arifjan, Kuwait. Saani admitted").
_ABBREVIATION = r"(?:St|Ft|Mt|Jr|Sr|Mr|Mrs|Ms|Dr|Gen|Sgt|Lt|Col|Capt|Gov|Sen|Rep|Hon|Co|Corp|Inc|Ltd|Bros|Dept|Ave)"
_NAME_WORD = rf"(?:(?:[A-Z]\.){{1,3}}|{_ABBREVIATION}\.(?=\s+[A-Z])|[A-Z][\w'’&]*(?:-[\w'’&]+)*(?![\w'’&-]))"
_NAME_RUN = re.compile(rf"\b{_NAME_WORD}(?:[ \t]+(?:(?:of|de|del|la|van|von|der|el|bin|&)[ \t]+)?{_NAME_WORD})*")
_NAMED_PLACE_AFTER = re.compile(r"^,\s+([A-Z][\w.]+)")  # the ", Utah" after "Sandy"
_PERSON_TITLE_BEFORE = re.compile(
    r"\b(?:judge|mr|mrs|ms|dr|agent|officer|director|president|attorney)\.?\s+$", re.IGNORECASE
)
_PLACE_NOUN_AFTER = re.compile(r"^\s+(?:district|province|county|city|area|region|valley|village)\b")
_NAMED_GROUP_AFTER = re.compile(r"^\s+(?:network|group|gang|cartel|movement|militants?|insurgents?)\b")

# Charges: what someone pleaded guilty to, was convicted of or charged with, up to where the clause ends.
_CHARGE = re.compile(
    r"\b(?:pleaded guilty|pled guilty|plead guilty|pleads guilty|convicted|found guilty|charged|charging|"
    r"indicted|sentenced)\b[^.;]{0,40}?\b(?:to|of|with|on|for)\s+"
    r"(?P<charge>(?:(?:one|two|three|four|five|six|seven|eight|nine|ten|\d+)\s+counts?\s+of\s+)?"
    r"(?:conspiracy|wire|mail|bank|health|tax|securities|money|aggravated|attempted|possession|distribution|"
    r"making|filing|evasion|fraud|bribery|theft|obstruct|obstruction|deprivation|violat|illegal|unlawful|"
    r"sex|child|murder|kidnap|assault|extortion|racketeer|false|smuggl|traffick|export|receiv|launder|"
    r"transport|use|using|failing|failure|destruction|perjury|embezzl|identity|access|solicit|counterfeit|"
    r"one count|two counts|\w+ counts)[^.;]{0,160}?)"
    r"(?=[.;]|,\s+(?:and|which|a|before|in|for|according|said|the)\b|\s+(?:before|in connection|and was|and faces|"
    r"and is|and agreed|and will|in federal court|in U\.S\.|$))",
    re.IGNORECASE,
)


def fold(text: str) -> str:
    """Lower case without accents or apostrophes: the scraped DOJ text lost both."""
    text = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    return text.replace("'", "").replace("’", "")


def name_words(name: str) -> list[str]:
    """The words that identify a name: folded, without titles, stops and possessives ("Judge Neil V. Wake"
    -> neil, v, wake; "Stacey's" -> stacey)."""
    parts = [p.strip(".,") for p in fold(re.sub(r"['’]s\b", "", name)).replace("-", " ").split()]
    return [p for p in parts if p and p not in TITLES and f"{p}." not in TITLES and p not in NOT_NAMES]


def find_spans(kind: AnswerType, text: str, released: date | None = None) -> list[TypedSpan]:
    """Every span of `kind` in `text`, in order. `released` resolves "yesterday" and bare weekdays."""
    finder = _FINDERS.get(kind)
    if finder is None:
        return []
    spans = sorted(finder(text, released), key=lambda s: (s.start, -s.end))
    kept: list[TypedSpan] = []
    for s in spans:  # overlapping finds: the first, longest one
        if not kept or s.start >= kept[-1].end:
            kept.append(s)
    return kept


def _amounts(text: str, released: date | None) -> Iterator[TypedSpan]:
    for m in _MONEY.finditer(text):
        number = m["n1"] or m["n2"]
        if m["n1"]:
            scaled = _SCALED.match(text, m.start("n1"), m.end())
            number = scaled.group(0) if scaled else number
        value = number_value(number)
        if value is not None:
            yield TypedSpan("amount", m.start(), m.end(), m.group(0), f"usd {_number_key(value)}")


def _duration_key(span: str) -> str:
    parts = []
    for m in _DURATION_PART.finditer(span):
        if m["life"]:
            parts.append("life")
        else:
            value = number_value(m["n"])
            parts.append(f"{_number_key(value or 0)} {m['unit'].lower().rstrip('s')}")
    return " ".join(parts)


def _durations(text: str, released: date | None) -> Iterator[TypedSpan]:
    for m in _DURATION.finditer(text):
        if key := _duration_key(m.group(0)):
            yield TypedSpan("duration", m.start(), m.end(), m.group(0), key)


def _spelled(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _dates(text: str, released: date | None) -> Iterator[TypedSpan]:
    for pattern in DATE_PATTERNS:
        for m in pattern.finditer(text):
            if (d := to_date(m["year"], m["month"], m["day"])) is not None:
                yield TypedSpan("date", m.start(), m.end(), m.group(0), d.isoformat())
    for m in _MONTH_YEAR.finditer(text):
        yield TypedSpan("date", m.start(), m.end(), m.group(0), f"{m['year']}-{month_number(m['month']):02d}")
    for m in _MONTH_DAY.finditer(text):
        key = f"{month_number(m['month']):02d}-{int(m['day']):02d}"
        if released is not None and (d := _in_year(released.year, m["month"], m["day"])) is not None:
            if d > released + timedelta(days=200):  # "Dec. 29" in a release of January 3
                d = _in_year(released.year - 1, m["month"], m["day"]) or d
            yield TypedSpan("date", m.start(), m.end(), f"{m.group(0)} ({_spelled(d)})", d.isoformat())
        else:
            yield TypedSpan("date", m.start(), m.end(), m.group(0), key)
    for m in _YEAR.finditer(text):
        yield TypedSpan("date", m.start("year"), m.end("year"), m["year"], m["year"])
    if released is None:
        return
    for m in _RELATIVE.finditer(text):
        word = m.group(0)
        if m["day"]:
            if re.match(r",?\s+(?:\(|\d|[A-Z])", text[m.end() : m.end() + 3]) or _FUTURE_BEFORE.search(
                text[max(0, m.start() - 60) : m.start()]
            ):
                continue  # "Tuesday, April 10" is dated already; "will be sentenced Tuesday" is ahead
            d = released - timedelta(days=(released.weekday() - WEEKDAYS.index(m["day"])) % 7)
        else:
            d = released - timedelta(days=1 if word.lower() in ("yesterday", "last night") else 0)
        yield TypedSpan("date", m.start(), m.end(), f"{word} ({_spelled(d)})", d.isoformat())


def _in_year(year: int, month: str, day: str) -> date | None:
    return to_date(str(year), month, day)


def _counts(text: str, released: date | None) -> Iterator[TypedSpan]:
    taken = [(s.start, s.end) for kind in ("amount", "duration", "date") for s in find_spans(kind, text, released)]
    for m in _COUNT.finditer(text):
        if any(a < m.end("n") and m.start("n") < b for a, b in taken):
            continue
        number = m["n"]
        if re.fullmatch(r"(?:19|20)\d\d", number):
            continue  # a year
        value = number_value(number)
        if value is None or (number.lower() == "one" and not m["noun"].strip()):
            continue  # "one" alone is a pronoun far more often than a count
        end = m.end() if m["noun"].strip() else m.end("n")
        yield TypedSpan("count", m.start(), end, text[m.start() : end], _number_key(value))


def _name_runs(text: str) -> Iterator[tuple[int, int, str]]:
    """Name runs without their leading non-names and titles: (start, end, name)."""
    for m in _NAME_RUN.finditer(text):
        start, name = m.start(), m.group(0)
        while True:
            head, _, tail = name.partition(" ")
            if tail and (head.lower() in NOT_NAMES or head.lower() in TITLES):
                start += len(head) + 1
                name = tail.lstrip()
                continue
            break
        if name.lower() in NOT_NAMES or name.lower() in TITLES or any(c.isdigit() for c in name):
            continue
        yield start, start + len(name), name
    for m in _AL_NAME.finditer(text):
        yield m.start(), m.end(), m.group(0)


def name_kind(text: str, start: int, end: int) -> AnswerType | None:
    """Whether the name run text[start:end] names an organisation, a place or a person, from its words and
    what stands around it; None when nothing says ("Bogomolny", "Taliban", "Kabul")."""
    name = text[start:end]
    lowered = [w.strip(",") for w in name.lower().split()]
    if any(w in ORG_WORDS for w in lowered) or _AL_NAME.fullmatch(name):
        return "organisation"
    if _NAMED_GROUP_AFTER.match(text[end : end + 20]):
        return "organisation"
    if _PLACE_NOUN_AFTER.match(text[end : end + 20]):
        return "place"
    if any(w in PLACE_WORDS for w in lowered) or fold(name) in PLACES or _PLACE_PAIR.match(name):
        return "place"
    if (after := _NAMED_PLACE_AFTER.match(text[end : end + 30])) and fold(after.group(1).strip(".")) in PLACES:
        return "place"
    if name.isupper() and len(name) >= 2:
        return "organisation"  # an acronym: FBI, IRS, IMU
    if _PLACE_PREPOSITION.search(text[max(0, start - 8) : start]):
        return "place"  # "in Central Islip"
    if _PERSON_TITLE_BEFORE.search(text[max(0, start - 12) : start]):
        return "person"
    return None


def _names(kind: AnswerType) -> object:
    def finder(text: str, released: date | None) -> Iterator[TypedSpan]:
        lowered_words = set(re.findall(r"\b[a-z][a-z'-]+\b", text))
        for start, end, name in _name_runs(text):
            if " " not in name and name.lower() in lowered_words:
                continue  # a common word capitalised at a sentence start: "Sentencing", "Agents"
            named = name_kind(text, start, end)
            # A name nothing marks as a place is not offered as one: "Where was he arrested" has people
            # and companies around it, and a place is nearly always marked ("in Livonia", "Kunar province").
            if named != kind and (named is not None or kind == "place"):
                continue
            end, name = _with_place_tail(text, start, end, name) if kind == "place" else (end, name)
            end, name = _with_group_tail(text, end, name) if kind == "organisation" else (end, name)
            if words := name_words(name):
                yield TypedSpan(kind, start, end, name, " ".join(words))

    return finder


def _with_place_tail(text: str, start: int, end: int, name: str) -> tuple[int, str]:
    """ "Sandy" -> "Sandy, Utah": a place with its state or country, as releases and answers write it."""
    if m := _PLACE_NOUN_AFTER.match(text[end : end + 20]):
        return end + m.end(), text[start : end + m.end()]
    # "New York", but not "Kuwait. Saani": a word ending in a stop ends the tail.
    m = re.match(r",\s+([A-Z][\w.]*[\w](?:\.|\s[A-Z][\w.]+)?)", text[end : end + 40])
    if m and (head := fold(m.group(1).split()[0].strip("."))) in PLACES | _STATE_ABBREVIATIONS:
        stop = m.end() - (m.group(0).endswith(".") and head not in _STATE_ABBREVIATIONS)  # a sentence's stop
        return end + stop, text[start : end + stop]
    return end, name


# The state abbreviations releases write after a town ("Catoosa, Okla."), whose stop belongs to them.
_STATE_ABBREVIATIONS = frozenset(
    """ala ariz ark calif colo conn del fla ga ill ind kan ky la md mass mich minn miss mo mont neb nev okla
    ore pa tenn tex va vt wash wis wyo d.c""".split()
)


def _with_group_tail(text: str, end: int, name: str) -> tuple[int, str]:
    """ "Haqqani" -> "Haqqani network"."""
    m = re.match(r"\s+(network|group|movement)\b", text[end : end + 20])
    return (end + m.end(), name + m.group(0)) if m else (end, name)


def _charges(text: str, released: date | None) -> Iterator[TypedSpan]:
    for m in _CHARGE.finditer(text):
        charge = m["charge"].strip(" ,")
        key = " ".join(w for w in re.findall(r"[a-z]+", fold(charge)) if len(w) > 3)
        if key:
            yield TypedSpan("charge", m.start("charge"), m.start("charge") + len(charge), charge, key)


_FINDERS = {
    "amount": _amounts,
    "duration": _durations,
    "date": _dates,
    "count": _counts,
    "person": _names("person"),
    "organisation": _names("organisation"),
    "place": _names("place"),
    "charge": _charges,
}
