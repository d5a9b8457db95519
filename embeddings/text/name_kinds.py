"""Which runs of capitalised words name a person, an organisation or a place, and the words that identify
a name.

Ingest (quote speakers) and answers (qa.spans) both ask it, so it lives with the other text rules.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Literal

from embeddings.text.names import NOT_NAMES

NameKind = Literal["person", "organisation", "place"]

# Names: a run of capitalised words. Leading titles go ("U.S. District Judge Neil V. Wake" -> "Neil V.
# Wake"): answers give names with or without them.
TITLES = frozenset(
    """u.s. us district judge chief magistrate senior assistant attorney general special agent agents acting
    deputy director president vice secretary senator sen. rep. representative governor gov. mayor officer
    sgt. sergeant lt. lieutenant capt. captain col. colonel gen. general maj. major dr. mr. mrs. ms. prof.
    detective sheriff inspector commissioner administrator chairman ceo judges former federal
    professor sir dame councillor councilor chancellor provost reverend rev. bishop minister ambassador
    superintendent""".split()
)
ORG_WORDS = frozenset(
    """department office court inc. inc llc l.l.c. corp. corp corporation company co. bank service services
    agency bureau administration commission network group association university school college hospital
    center centre clinic partners securities communications systems health foundation force police army
    navy marines council committee division unit ministry authority institute trust fund church party
    board taliban cartel gang enterprises holdings industries international airlines llp ltd. ltd plc
    ag sa s.a. nv gmbh movement organization organisation""".split()
)
PLACE_WORDS = frozenset(
    """province district county city island camp base valley village town state region street avenue
    parish bay river mountains airport isla isle fort mount lake san santa port lane road drive boulevard
    square plaza quay wharf campus building""".split()
)
# Places a name run names without a word saying so: US states and Afghanistan's provinces, the two
# archives pressqa is measured on, and common countries.
PLACES = frozenset(
    """alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho
    illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota
    mississippi missouri montana nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas utah
    vermont virginia washington wisconsin wyoming
    badakhshan badghis baghlan balkh bamyan daykundi farah faryab ghazni ghor helmand herat jowzjan kabul
    kandahar kapisa khost kunar kunduz laghman logar nangarhar nimroz nuristan oruzgan uruzgan paktia
    paktiya paktika panjshir parwan samangan sar-e pul takhar wardak zabul
    afghanistan pakistan iran iraq syria china russia mexico canada colombia venezuela kuwait turkey
    india israel germany france italy spain japan korea haiti peru brazil ukraine nigeria egypt""".split()
)
_PLACE_PAIR = re.compile(r"^[A-Z][\w.'’-]+(?:\s[A-Z][\w.'’-]+)*,\s+[A-Z][\w.]+")  # "Sandy, Utah", "Catoosa, Okla."
_AL_NAME = re.compile(r"\bal[- ]Qa[e']?ida\b|\bal[- ]Shabaab\b", re.IGNORECASE)
_PLACE_PREPOSITION = re.compile(r"\b(?:in|at|near|into|outside)\s+$")
# A run of capitalised words and initials ("Neil V. Wake", "Bank of America", "Hezb-e-Islami Gulbuddin"): unlike
# embeddings.text.names.NAME_RUN, initials and abbreviations keep their stops, so "V." does not end a name;
# any other word's stop ends a sentence ("at Camp Arifjan, Kuwait. Saani admitted").
_ABBREVIATION = r"(?:St|Ft|Mt|Jr|Sr|Mr|Mrs|Ms|Dr|Gen|Maj|Sgt|Lt|Col|Capt|Gov|Sen|Rep|Hon|Co|Corp|Inc|Ltd|Bros|Dept|Ave)"
_NAME_WORD = rf"(?:(?:[A-Z]\.){{1,3}}|{_ABBREVIATION}\.(?=\s+[A-Z])|[A-Z][\w'’&]*(?:-[\w'’&]+)*(?![\w'’&-]))"
_NAME_RUN = re.compile(rf"\b{_NAME_WORD}(?:[ \t]+(?:(?:of|de|del|la|van|von|der|el|bin|&)[ \t]+)?{_NAME_WORD})*")
_NAMED_PLACE_AFTER = re.compile(r"^,\s+([A-Z][\w.]+)")  # the ", Utah" after "Sandy"
_PERSON_TITLE_BEFORE = re.compile(
    r"\b(?:judge|mr|mrs|ms|dr|agent|officer|director|president|attorney)\.?\s+$", re.IGNORECASE
)
_PLACE_NOUN_AFTER = re.compile(r"^\s+(?:district|province|county|city|area|region|valley|village)\b")
_NAMED_GROUP_AFTER = re.compile(r"^\s+(?:network|group|gang|cartel|movement|militants?|insurgents?)\b")


def fold(text: str) -> str:
    """Lower case without accents or apostrophes: the scraped DOJ text lost both."""
    text = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    return text.replace("'", "").replace("’", "")


def name_words(name: str) -> list[str]:
    """The words that identify a name: folded, without titles, stops and possessives ("Judge Neil V. Wake"
    -> neil, v, wake; "Stacey's" -> stacey)."""
    parts = [p.strip(".,") for p in fold(re.sub(r"['’]s\b", "", name)).replace("-", " ").split()]
    return [p for p in parts if p and p not in TITLES and f"{p}." not in TITLES and p not in NOT_NAMES]


def name_runs(text: str) -> Iterator[tuple[int, int, str]]:
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


def name_kind(text: str, start: int, end: int) -> NameKind | None:
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


def named_spans(kind: NameKind, text: str) -> Iterator[tuple[int, int, str, str]]:
    """(start, end, name, key) for each name run in `text` that names a `kind`; the key is the name's
    identifying words (name_words), joined."""
    lowered_words = set(re.findall(r"\b[a-z][a-z'-]+\b", text))
    for start, end, name in name_runs(text):
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
            yield start, end, name, " ".join(words)


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
