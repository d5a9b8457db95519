"""Answer normalisation: two strings that say the same thing in different words become the same tokens.

`normalize_answer` is what the containment match, key-fact recall and the faithfulness checks
compare. In order:

1. citation markers ("[1]", "[2, 3]") are dropped: they are not part of what the answer says;
2. dates written in any common form ("March 9, 2017", "9 March 2017", "Mar. 9th, 2017", "2017-03-09",
   "03/09/2017" US month-first, "19.08.2020" day-first) become ISO "2017-03-09", parsed with dateutil,
   so dates compare as dates; a month and year ("March 2011") becomes "2011-03";
3. case, accents and apostrophes go ("Department's" and the DOJ scrape's "Departments" agree);
4. numbers become digits: "two" and "2", "forty-eight" and "48", "4,000" and "4000", "4.8 million" and
   "4800000", "one hundred and five" and "105"; "first" and "1st"; "%" and "per cent" become "percent";
5. plurals are singular ("48-month" and "48 months", "Axe" and "Axes" agree; words of 4+ letters, not
   "-ss", "-us", "-is"); dollars are one unit token: "$4 million",
   "4 million dollars", "US$4m" and "USD 4 million" all become "4000000 usd" (so "$4 million" does not
   match a bare "4 million": the amount says dollars);
6. punctuation and the articles a/an/the go and whitespace collapses.

SQuAD exact match and F1 do *not* use this: they use `squad_normalize`, the official SQuAD v1.1
normalisation, so their numbers are comparable with published ones.
"""

from __future__ import annotations

import re
import string
import unicodedata
from datetime import date, datetime

from dateutil import parser as dateparser

from embeddings.text.dates import MONTH_NAMES, WEEKDAY_OR_ABBREVIATION
from embeddings.text.markers import SPACED_MARKER
from embeddings.text.words import ARTICLES

_MONTH = rf"(?:{MONTH_NAMES})"
_WEEKDAY = rf"(?:{WEEKDAY_OR_ABBREVIATION}\.?,?\s+)?"
_ORD = r"(?:st|nd|rd|th)?"
# Longest forms first: once a full date is replaced by its ISO form, the month-year pattern cannot
# grab a piece of it.
_DATE_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b(?!-)"), "iso"),
    (re.compile(rf"\b{_WEEKDAY}({_MONTH})\.?\s+(\d{{1,2}}){_ORD},?\s+(\d{{4}})\b", re.IGNORECASE), "mdy"),
    (re.compile(rf"\b{_WEEKDAY}(\d{{1,2}}){_ORD}\s+(?:of\s+)?({_MONTH})\.?,?\s+(\d{{4}})\b", re.IGNORECASE), "dmy"),
    (re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b"), "us_numeric"),
    (re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b"), "eu_numeric"),
    (re.compile(rf"\b({_MONTH})\.?,?\s+(\d{{4}})\b", re.IGNORECASE), "my"),
]

_UNITS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen".split()
    )
}
_TENS = {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}
_SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_ORDINALS = {
    w: i
    for i, w in enumerate(
        "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
        "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth".split(),
        1,
    )
}
_ORDINALS |= {"thirtieth": 30, "fortieth": 40, "fiftieth": 50, "hundredth": 100}
# Scale abbreviations are trusted only right after a dollar amount ("$4.8m"); elsewhere "m" is metres.
_MONEY_SUFFIX = {"k": 10**3, "m": 10**6, "mn": 10**6, "mln": 10**6, "b": 10**9, "bn": 10**9}
_DOLLAR_WORDS = {"dollar", "dollars", "usd"}
# Plural "s" goes from words of 4+ letters ("48 months" and "48-month", "Axes" and "Axe", the DOJ scrape's
# "Departments" for "Department's"), but not from "-ss", "-us", "-is" words ("process", "status", "analysis").
_PLURAL = re.compile(r"[a-z]{2,}[^sui]s")

_TOKEN = re.compile(
    r"\d{4}-\d{2}-\d{2}|\d{4}-\d{2}(?!\d)"  # ISO dates made in step 2
    r"|\d+(?:st|nd|rd|th)\b"  # ordinals: "1st" stays one token
    r"|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"  # numbers, with thousands separators
    r"|[a-z0-9]+|[$%]"
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_ISO = re.compile(r"\d{4}-\d{2}(?:-\d{2})?")


def strip_citations(text: str) -> str:
    return SPACED_MARKER.sub("", text)


def _to_iso(match: re.Match[str], kind: str) -> str:
    raw = match.group(0)
    try:
        if kind == "iso":
            y, m, d = (int(g) for g in match.groups())
            return date(y, m, d).isoformat()
        if kind == "us_numeric":
            parsed = dateparser.parse(raw, dayfirst=False)
        elif kind == "eu_numeric":
            parsed = dateparser.parse(raw, dayfirst=True)
        elif kind == "my":
            # A default day that no real date has, so that a parsed day is never invented.
            parsed = dateparser.parse(raw.replace(",", ""), default=datetime(2000, 1, 1))
            return f"{parsed.year:04d}-{parsed.month:02d}"
        else:
            parsed = dateparser.parse(re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", raw), fuzzy=True)
    except (ValueError, OverflowError, dateparser.ParserError):
        return raw  # not a real date ("February 30, 2017"): leave the words alone
    return parsed.date().isoformat()


def canonical_dates(text: str) -> str:
    """Every recognised date as ISO text, so "March 9, 2017" and "2017-03-09" read the same."""
    for pattern, kind in _DATE_PATTERNS:
        text = pattern.sub(lambda m, kind=kind: _to_iso(m, kind), text)
    return text


def _fold(text: str) -> str:
    """Lower case without accents, apostrophes or typographic dashes."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"['’‘`´]", "", text)
    return re.sub(r"[‐‑‒–—―]", "-", text).lower()


def _format_number(value: float) -> str:
    if value == int(value):
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _read_number(tokens: list[str], i: int) -> tuple[float, int] | None:
    """The number starting at tokens[i] (digits or words, with scale words) and where it ends."""
    tok = tokens[i]
    if _NUMBER.fullmatch(tok.replace(",", "")) and not _ISO.fullmatch(tok):
        value = float(tok.replace(",", ""))
        j = i + 1
        if j < len(tokens) and tokens[j] == "hundred":
            value *= 100
            j += 1
        while j < len(tokens) and tokens[j] in _SCALES:
            value *= _SCALES[tokens[j]]
            j += 1
        return value, j
    if tok not in _UNITS and tok not in _TENS:
        return None
    # Words: a standard left-to-right reader that stops at the first word that cannot continue the
    # number, so "one two" is two numbers, not three.
    total, current, last, j = 0, 0, "", i
    while j < len(tokens):
        t = tokens[j]
        if t in _UNITS and (last in ("", "hundred", "scale") or (last == "tens" and _UNITS[t] < 10 and _UNITS[t])):
            current += _UNITS[t]
            last = "unit"
        elif t in _TENS and last in ("", "hundred", "scale"):
            current += _TENS[t]
            last = "tens"
        elif t == "hundred" and last in ("unit", "tens") and 0 < current < 100:
            current *= 100
            last = "hundred"
        elif t in _SCALES and last in ("unit", "tens", "hundred") and current > 0:
            total += current * _SCALES[t]
            current = 0
            last = "scale"
        elif (
            t == "and"
            and last == "hundred"
            and j + 1 < len(tokens)
            and (tokens[j + 1] in _UNITS or tokens[j + 1] in _TENS)
        ):
            pass  # "one hundred and five"
        else:
            break
        j += 1
    return float(total + current), j


def _numbers(tokens: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok in _ORDINALS:
            out.append(f"{_ORDINALS[tok]}th" if _ORDINALS[tok] > 3 else ("1st", "2nd", "3rd")[_ORDINALS[tok] - 1])
            i += 1
            continue
        dollars = tok == "$" or (tok in ("us", "usd") and i + 1 < len(tokens) and tokens[i + 1] == "$")
        if dollars or (tok == "usd" and i + 1 < len(tokens) and _read_number(tokens, i + 1)):
            i += 2 if tokens[i + 1 : i + 2] == ["$"] and tok != "$" else 1
            read = _read_number(tokens, i) if i < len(tokens) else None
            if read is None:
                continue  # a stray "$"
            value, i = read
            if i < len(tokens) and tokens[i] in _MONEY_SUFFIX:
                value *= _MONEY_SUFFIX[tokens[i]]
                i += 1
            out += [_format_number(value), "usd"]
            if i < len(tokens) and tokens[i] in _DOLLAR_WORDS:
                i += 1  # "$4 million dollars"
            continue
        read = _read_number(tokens, i)
        if read is None:
            if tok == "%":
                out.append("percent")
            elif tok == "per" and i + 1 < len(tokens) and tokens[i + 1] == "cent":
                out.append("percent")
                i += 1
            elif tok in _DOLLAR_WORDS:
                out.append("usd")
            elif _PLURAL.fullmatch(tok):
                out.append(tok[:-1])
            else:
                out.append(tok)
            i += 1
            continue
        value, i = read
        out.append(_format_number(value))
    return out


def answer_tokens(text: str) -> list[str]:
    """The normalised tokens of `text`: see the module docstring for every step."""
    text = _fold(canonical_dates(strip_citations(text)))
    tokens = [t.replace(",", "") if _NUMBER.fullmatch(t.replace(",", "")) else t for t in _TOKEN.findall(text)]
    return [t for t in _numbers(tokens) if t not in ARTICLES]


def normalize_answer(text: str) -> str:
    return " ".join(answer_tokens(text))


def contains(haystack: str, needle: str) -> bool:
    """Whether `needle` occurs in `haystack` after normalisation, on whole tokens ("2" is not in "12")."""
    n = normalize_answer(needle)
    if not n:
        return False
    return f" {n} " in f" {normalize_answer(haystack)} "


# ----------------------------------------------------------------- SQuAD v1.1, verbatim semantics

_SQUAD_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = set(string.punctuation)


def squad_normalize(text: str) -> str:
    """Lower case, no punctuation, no articles, single spaces: the official SQuAD v1.1 evaluation."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    return " ".join(_SQUAD_ARTICLES.sub(" ", text).split())


def is_number_token(token: str) -> bool:
    return bool(_NUMBER.fullmatch(token))


def is_date_token(token: str) -> bool:
    return bool(_ISO.fullmatch(token))
