"""People and organisations a release names, each once, with every mention and its character span.

`find_entities(text)` reads runs of capitalised words, joined across "of", "for" and "and" where the word
before is an organisation's head word ("Department of Health and Human Services"); splits possessives
whose apostrophe the scrape lost ("Justice Departments Criminal Division" -> the Justice Department, the
Criminal Division); drops titles ("U.S. Attorney"), places, laws and capitalised words that name nothing;
types each name; and groups the mentions of one entity: a surname with the full name ("Mikheev",
"Alexander Mikheev"), an acronym with what it stands for ("Federal Bureau of Investigation (FBI)", "FBI"),
a company's short name with its full one ("AK Steel", "AK Steel Corporation").

The rules follow eval/gold/names.README.md; `pressqa eval names` measures them against that gold.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from embeddings.text.dates import MONTH_ABBREVIATIONS, MONTHS, WEEKDAYS
from embeddings.text.name_kinds import ORG_WORDS, PLACE_WORDS, PLACES, TITLES
from embeddings.text.names import NOT_NAMES
from embeddings.text.person_model import person_spans

EntityType = Literal["person", "organisation"]


@dataclass(frozen=True, slots=True)
class Mention:
    start: int
    end: int
    text: str  # text[start:end]


@dataclass(frozen=True, slots=True)
class Entity:
    name: str  # the longest mention
    type: EntityType
    mentions: tuple[Mention, ...]  # in text order

    @property
    def forms(self) -> tuple[str, ...]:
        """The distinct strings used for the entity, longest first."""
        return tuple(sorted({m.text for m in self.mentions}, key=lambda s: (-len(s), s)))


@dataclass(slots=True)
class _Name:
    """One name while the rules work on it. `type` None: nothing says yet (a lone word, which only joins an
    entity named in full); `by_shape`: a person only because its words look like a name."""

    start: int
    end: int
    text: str
    type: EntityType | None = None
    by_shape: bool = False
    alias_of: _Name | None = None  # "(FBI)" after "Federal Bureau of Investigation"


# --- words ---------------------------------------------------------------------------------------------

# A name word: initials ("R.", "B.W."), an abbreviation that keeps its stop ("Inc.", "Jr.", "U.S."), a
# capitalised word with its hyphenated and apostrophe'd parts ("Rawlings-Blake", "HHS-OIG", "R&S"), or an
# Arabic name with its particle ("al-Rabiah").
_ABBREVIATION = r"(?:Inc|Corp|Co|Ltd|Jr|Sr|St|Ft|Mt|Dr|Mr|Mrs|Ms|Gen|Sgt|Lt|Col|Capt|Brig|Maj|Gov|Sen|Rep|Bros)\."
_WORD = (
    rf"(?:(?:[A-Z]\.){{1,3}}(?![A-Za-z])|{_ABBREVIATION}|(?:al|el|bin|ibn|abu)-[A-Z][\w'’]*"
    rf"|[A-Z][\w'’&]*(?:-[\w'’&]+)*(?![\w'’&-]))"
)
# Words one space apart: a line break or a double space ends a name (headings, datelines).
_RUN = re.compile(rf"{_WORD}(?: {_WORD})*")
# What may stand between two runs of one name.
_JOINER = re.compile(r" (of the|of|for the|for|and|&|de|del|van|von|bin|ibn) | - |, ")

# Head words: the word of an organisation's name after which "of"/"for" go on with the name ("Department
# of Justice", "Office for the District of Utah", "Centers for Medicare"). Place heads join too ("District
# of Utah", "Commonwealth of Kentucky"), so that the whole place is dropped.
_ORG_HEADS = frozenset(
    """department departments office bureau court commission agency administration service services
    association associations center centers centre institute university college school council committee
    authority board command corporation company section branch unit team division ministry force forces
    enforcement investigation investigations""".split()
)
_PLACE_HEADS = frozenset("district commonwealth state territory city county republic kingdom province".split())
_COMPANY_SUFFIXES = frozenset(
    "inc. inc llc l.l.c. corp. corp corporation co. company ltd. ltd limited plc llp lp holdings group".split()
)
# Words that make a name an organisation's besides the heads and the shared list.
_MORE_ORG_WORDS = frozenset("treasury congress labs laboratories laboratory".split())
_PERSON_SUFFIXES = frozenset("jr. sr. ii iii iv".split())
# Plurals that end names ("Paradyne Consulting Services", "U.S. Attorneys Office"): never possessives.
_PLURAL_NAME_WORDS = frozenset(
    """services industries resources products brokers systems securities partners holdings associations
    affairs programs statistics prisons forces disabilities centers communications solutions sciences
    technologies enterprises investments suppliers distributors pharmaceuticals laboratories relations
    states islands marshals attorneys sheriffs generals futures sales networks investigations""".split()
)
# Titles beyond the shared list: words that stand before names ("Trial Attorney", "Special Agent in
# Charge", "Mullah") or after them ("EPA Acting Regional Administrator") and name no one themselves.
_MORE_TITLES = frozenset(
    """trial attorneys principal head charge chief executive spokeswoman spokesman mullah commander
    brig. acting interim regional united states""".split()
)
_TITLE_WORDS = TITLES | _MORE_TITLES
# The last word of a law, a programme, a document or a plan, which name no one ("False Claims Act",
# "Troubled Asset Relief Program", "Executive Order"), unless a name goes on after it ("Special Inspector
# General for the Troubled Asset Relief Program").
_NOT_ENTITY_TAILS = frozenset(
    """act acts code plan program programme agreement order initiative rule rules regulation regulations
    report system letter update release routes lecture lectures prize award awards scholars scholarship
    scholarships fellowship fellows""".split()
)
# Capitalised words and acronyms that name no one in these archives: document words, weapons, markets,
# datelines, nationalities, programmes. Each was a false find on the tune split of eval/gold/names.dev.jsonl.
_NOT_ENTITIES = frozenset(
    """update download pdf ied ieds rpg otc php sirf immediate release kabul washington afghan american
    african-american caucasian kuwaiti usa u.s. u.s.a. medicare medicaid tricare
    os lan cctv gps tv dna pin usb wi-fi url sms vpn faq""".split()
)
_CALENDAR_WORDS = frozenset(w.lower() for w in (*MONTHS, *MONTH_ABBREVIATIONS, *WEEKDAYS))
# Organisations these archives name by one word, with nothing around it to say so.
_ONE_WORD_ORGS = frozenset("taliban congress facebook isaf nato haqqani".split())
# Cities that name field offices and divisions ("the FBIs Miami Division", "Los Angeles Field Office"),
# and US states of two words, which the shared list keeps as single words.
_MORE_PLACES = frozenset(
    """new york|new jersey|new mexico|new hampshire|north carolina|south carolina|north dakota|south dakota|
    rhode island|west virginia|district of columbia|puerto rico|american samoa|united states|united kingdom|
    los angeles|las vegas|san francisco|san diego|new orleans|salt lake city|miami|houston|dallas|chicago|
    detroit|atlanta|boston|philadelphia|baltimore|denver|seattle|phoenix|tampa|brooklyn|newark|cleveland|
    pittsburgh|minneapolis|memphis|nashville|louisville|baton rouge|el paso|san antonio|austin|portland|
    sacramento|honolulu|anchorage|albuquerque|omaha|milwaukee|buffalo|richmond|norfolk|charlotte|
    jacksonville|orlando|birmingham|mobile|jackson|little rock|oklahoma city|kansas city|st. louis|
    indianapolis|cincinnati|columbus|knoxville|albany|new haven|springfield|key west|guantanamo bay""".split("|")
)
_GENERIC_UNIT = re.compile(
    r"(?:[A-Z][\w.]*(?: [A-Z][\w.]*){0,2} )?(?:Field Office|Regional Office|District Office|Resident Agency|Region)"
    r"|Office of (?:the )?(?:Inspector General|Chief Counsel|General Counsel)"
)
# "Afghan and coalition forces", "a coalition security force": the word names the ISAF coalition.
_COALITION = re.compile(
    r"\b[Cc]oalition\b(?= (?:and |security |forces?\b|elements|troops|aircraft|members|partners|helicopters?))"
    r"|(?<=and )[Cc]oalition\b|(?<=, )Coalition\b"
)


# What confirms a person found only by the shape of its words: character spans a model labels PERSON.
PersonSpans = Callable[[str], list[tuple[int, int]]]
# Text the model reads either side of a name to confirm. Against reading each such name's whole sentence,
# over 336 DOJ and ISAF releases (every 40th): 16.5 ms a release against 23.8 (rules included, AVX-512
# EPYC, other work running), and 8 of 4,941 entities found differently, 4 each way (3 wrong finds dropped,
# 3 others made); the same finds at 30, 40 and 50 characters, 12.5 ms at 30 and 14.5 at 40 (quiet); at 20,
# 11.3 ms and 2 entities more differ, and at 15 five.
CONTEXT_CHARS = 30


def find_entities(text: str, people: PersonSpans | None = person_spans) -> list[Entity]:
    """Every person and organisation `text` names, each once, in order of first mention.

    A name that only the shape of its words makes a person ("Phase One", "Sandias Azucaradas") is kept
    when `people` (default: the packaged NER model) labels it a person too; `people=None` keeps them all,
    the rules alone. On the held-out gold releases the check took person precision from 0.73 to 0.94
    (recall 0.94 -> 0.93) and the time from 3.4 to 7.9 ms a gold release; see eval/results/names/names.json."""
    names = _typed_names(text)
    if people is not None and any(n.by_shape for n in names):
        names = _confirmed_people(names, _spans_around(text, names, people))
    names += [_Name(m.start(), m.end(), m.group(0), "organisation") for m in _COALITION.finditer(text)]
    return _grouped(names)


def _spans_around(text: str, names: list[_Name], people: PersonSpans) -> list[tuple[int, int]]:
    """The model's person spans, read only around the names to confirm: each name with CONTEXT_CHARS either
    side (out to whole words, overlapping pieces merged), the pieces given to the model as one text a blank
    line apart."""
    pieces: list[tuple[int, int]] = []
    for name in sorted((n for n in names if n.by_shape), key=lambda n: n.start):
        start, end = max(0, name.start - CONTEXT_CHARS), min(len(text), name.end + CONTEXT_CHARS)
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        while end < len(text) and not text[end].isspace():
            end += 1
        if pieces and start <= pieces[-1][1]:
            pieces[-1] = (pieces[-1][0], max(end, pieces[-1][1]))
        else:
            pieces.append((start, end))
    offsets, at = [], 0  # (where a piece starts in the joined text, where in `text`)
    for start, end in pieces:
        offsets.append((at, start))
        at += end - start + 2
    spans = []
    for a, b in people("\n\n".join(text[start:end] for start, end in pieces)):
        piece_at, text_at = max(o for o in offsets if o[0] <= a)
        spans.append((text_at + a - piece_at, text_at + b - piece_at))
    return spans


def _confirmed_people(names: list[_Name], spans: list[tuple[int, int]]) -> list[_Name]:
    def confirmed(name: _Name) -> bool:
        return any(start < name.end and name.start < end for start, end in spans)

    return [n for n in names if not (n.type == "person" and n.by_shape and not confirmed(n))]


# --- finding names -------------------------------------------------------------------------------------


def _typed_names(text: str) -> list[_Name]:
    runs = list(_joined_runs(text))
    known = {n.text for n in runs}
    names: list[_Name] = []
    for run in _outside_headlines(runs, text):
        for piece in _pieces(run, known):
            for name in _without_titles(piece):
                if _names_nothing(name, text) or _is_place(name, text):
                    continue
                name.type, name.by_shape = _type_of(name, text)
                names.append(name)
    _mark_aliases(names, text)
    return names


def _joined_runs(text: str) -> Iterator[_Name]:
    """Runs of capitalised words, joined where the words say one name goes on."""
    runs = [_Name(m.start(), m.end(), m.group(0)) for m in _RUN.finditer(text)]
    i = 0
    while i < len(runs):
        current = runs[i]
        while i + 1 < len(runs) and (joined := _join(current, runs[i + 1], text)) is not None:
            current = joined
            i += 1
        yield current
        i += 1


def _join(left: _Name, right: _Name, text: str) -> _Name | None:
    m = _JOINER.fullmatch(text[left.end : right.start])
    if m is None or not _may_join(left.text, m.group(0).strip(" ,") or ",", right.text):
        return None
    return _Name(left.start, right.end, text[left.start : right.end])


def _may_join(left: str, joiner: str, right: str) -> bool:
    last = left.split()[-1].lower()
    head = last in _ORG_HEADS or last in _PLACE_HEADS or left.lower().endswith("inspector general")
    if joiner in ("of", "of the", "for", "for the"):
        return head and not right.startswith(("U.S.", "United States"))
    if joiner == "&":
        return True  # "Medicare & Medicaid"
    if joiner == ",":
        return right.split()[0].strip(".") in ("Inc", "LLC", "Ltd", "Corp")  # "Amgen, Inc."
    if joiner == "-":
        return _is_acronym(left)  # "IRS - Criminal Investigation"
    if joiner == "and":
        # "Department of Health and Human Services", "Securities and Exchange Commission"; not "Mary Young
        # and Christian Young", nor "Clover Bottom Center and Greene Valley Developmental Center".
        if head or _is_acronym(left.split()[-1]) or _is_acronym(right.split()[0]):
            return False
        if last in _NAME_ENDINGS or right.split()[0] in _NAME_STARTS:
            return False  # "Data Industries and Paradyne ...", "Afghan National Security and International ..."
        right_ends_in_head = right.split()[-1].lower() in _ORG_HEADS
        return (" of " in left and len(right.split()) <= 3) or (
            right_ends_in_head and not _has_head(_after_owner(left))
        )
    return True  # "de", "van", "bin": inside a person's name


# Words that end a company's name, and words that start a new name: "and" before or after them joins no
# two runs into one name.
_NAME_ENDINGS = frozenset(
    """industries products brokers systems partners holdings enterprises suppliers distributors
    pharmaceuticals laboratories solutions technologies""".split()
)
_NAME_STARTS = frozenset("International National Federal U.S. United State American Afghan".split())


def _after_owner(name: str) -> str:
    """The words after the last possessive ("Justice Departments Environment" -> "Environment")."""
    words = name.split()
    cut = max((i + 1 for i, w in enumerate(words) if w.endswith("s") and w[:-1].lower() in _ORG_HEADS), default=0)
    return " ".join(words[cut:])


def _has_head(name: str) -> bool:
    lowered = name.lower()
    return "inspector general" in lowered or any(
        w in _ORG_HEADS or w in _COMPANY_SUFFIXES for w in re.split(r"[\s,-]+", lowered)
    )


def _is_org_like(name: str) -> bool:
    return _has_head(name) or any(w in ORG_WORDS or w in _MORE_ORG_WORDS for w in name.lower().split())


def _is_acronym(word: str) -> bool:
    letters = re.sub(r"[^A-Za-z]", "", word)
    return len(letters) >= 2 and letters.isupper()


def _outside_headlines(runs: list[_Name], text: str) -> Iterator[_Name]:
    """Runs, less those in a title-case headline line ("Joint Operation Targets Smuggling Routes"), where
    capitals mark no name; a headline keeps its acronyms, one-word organisations, and names that the body
    gives too."""
    in_headline = [_in_headline(r, text) for r in runs]
    body_names = {r.text for r, headline in zip(runs, in_headline, strict=True) if not headline}
    for run, headline in zip(runs, in_headline, strict=True):
        if not headline:
            yield run
            continue
        taken = (0, 0)
        for name in sorted(body_names, key=len, reverse=True):
            if " " in name and (at := run.text.find(name)) >= 0:
                taken = (at, at + len(name))
                yield _Name(run.start + at, run.start + at + len(name), name)
                break
        for m in re.finditer(r"\S+", run.text):
            word = m.group(0)
            inside = taken[0] <= m.start() < taken[1]
            if not inside and (_is_acronym(word) or word.lower() in _ONE_WORD_ORGS):
                yield _Name(run.start + m.start(), run.start + m.end(), word)


def _in_headline(run: _Name, text: str) -> bool:
    line_start = text.rfind("\n", 0, run.start) + 1
    line_end = text.find("\n", run.end)
    return _is_headline(text[line_start : line_end if line_end >= 0 else len(text)])


@lru_cache(maxsize=1024)
def _is_headline(line: str) -> bool:
    """(Cached: a line is asked about once for each run it holds.)"""
    words = [w for w in re.findall(r"[A-Za-z][\w'-]*", line) if len(w) > 3]
    if len(words) < 3 or len(line) > 200 or line.rstrip().endswith((".", '"', "”")):
        return False  # a sentence, which may be mostly names
    return sum(w[0].isupper() for w in words) >= 0.8 * len(words)


def _pieces(run: _Name, known: set[str]) -> Iterator[_Name]:
    """A run cut where one name ends and another starts: at a month or weekday ("Afghanistan Thursday"),
    after a possessive ("Justice Departments Criminal Division"), after a state before a person ("Kentucky
    Kerry B. Harvey")."""
    for part in _cut_at_calendar_words(run):
        for piece in _split_possessives(part, known):
            for name in _split_place_prefix(piece):
                yield _parent_of_unit(name)


def _parent_of_unit(name: _Name) -> _Name:
    """ "Salt Lake City Division of the FBI" -> "FBI": an office named through its parent is the parent."""
    m = re.fullmatch(r"(.+?) (?:Division|Field Office|Regional Office|District Office) of the (.+)", name.text)
    if m and _place_prefix(m.group(1)):
        return _Name(name.start + m.start(2), name.end, m.group(2))
    return name


def _cut_at_calendar_words(run: _Name) -> Iterator[_Name]:
    start = 0
    for m in re.finditer(r"\S+", run.text):
        if m.group(0).strip(".,").lower() in _CALENDAR_WORDS:
            if m.start() > start:
                yield _Name(run.start + start, run.start + m.start() - 1, run.text[start : m.start() - 1])
            start = m.end() + 1
    if start < len(run.text):
        yield _Name(run.start + start, run.end, run.text[start:])


def _split_possessives(run: _Name, known: set[str]) -> Iterator[_Name]:
    """ "Justice Departments Criminal Division" -> "Justice Department", "Criminal Division"; "FBIs" -> "FBI".
    A word ending in s is a possessive when its stem is an acronym, a head word, a place, a name the release
    gives elsewhere, or a word ending in y ("Treasurys"); plural name words ("Services") never are."""
    words = list(re.finditer(r"\S+", run.text))
    start = 0
    for i, w in enumerate(words):
        last = i == len(words) - 1
        if not _is_possessive(w.group(0), run.text[start : w.end()], known, last):
            continue
        end = w.end() - (2 if w.group(0).endswith(("'s", "’s")) else 1)
        if end > start:
            yield _Name(run.start + start, run.start + end, run.text[start:end])
        start = words[i + 1].start() if not last else len(run.text)
    if start < len(run.text):
        yield _Name(run.start + start, run.end, run.text[start:])


def _is_possessive(token: str, so_far: str, known: set[str], last: bool) -> bool:
    if token.endswith(("'s", "’s")):
        return True  # the few releases that kept their apostrophes
    if token == "Generals" and last:
        return True  # "Office of Inspector Generals (HHS-OIG) Los Angeles Region"
    if not token.endswith("s") or len(token) < 3 or token.lower() in _PLURAL_NAME_WORDS:
        return False
    stem = token[:-1]
    if _is_acronym(stem) and not _is_acronym(token):
        return True  # "FBIs", "IRS-CIs", "HHSs"
    words = so_far[:-1].split()
    if any(" ".join(words[k:]) in known for k in range(len(words))):
        return True  # "AK Steels", "American Samoas": the name without its s is given elsewhere
    if any(k.startswith(so_far[:-1] + " ") and _is_org_like(k) for k in known):
        return True  # "Harbor Points trucks" after "Harbor Point Logistics LLC"
    if last:
        return False
    lowered = stem.lower()
    return lowered in _ORG_HEADS or lowered in PLACES or stem.endswith("y") or lowered in ("general", "agriculture")


def _split_place_prefix(name: _Name) -> Iterator[_Name]:
    """ "Eastern District of Kentucky Kerry B. Harvey" (after "U.S. Attorney for the") -> "Eastern District of
    Kentucky", "Kerry B. Harvey": a place, then a person of two words or more."""
    words = name.text.split()
    for j in range(1, len(words) - 1):
        rest = " ".join(words[j:])
        ends_in_place = any(" ".join(words[max(0, j - n) : j]).lower() in PLACES | _MORE_PLACES for n in (1, 2))
        if ends_in_place and _looks_like_person(rest) and not _is_org_like(rest):
            cut = len(" ".join(words[:j]))
            yield _Name(name.start, name.start + cut, name.text[:cut])
            yield _Name(name.start + cut + 1, name.end, rest)
            return
    yield name


def _without_titles(name: _Name) -> list[_Name]:
    """The name without the titles around it ("U.S. Attorney Preet Bharara" -> "Preet Bharara"; "EPA Acting
    Regional Administrator" -> "EPA"). A title inside a run starts a person's name ("Baltimore Police
    Commissioner Batts" -> "Batts"); what stands before that title is kept only when it names an
    organisation itself ("Civil Rights Division Special Litigation Section Deputy Chief Judy Preston").
    An organisation's name keeps its title-like words ("U.S. District Court", "Federal Bureau of Prisons")."""
    words = name.text.split()
    for i in range(len(words) - 2, 0, -1):
        if _is_title_word(words[i]) and not _is_title_word(words[i + 1]):
            rest = " ".join(words[i + 1 :])
            if _looks_like_person(rest) and not _is_org_like(rest):
                cut = len(" ".join(words[: i + 1])) + 1
                before = _Name(name.start, name.start + len(" ".join(words[:i])), " ".join(words[:i]))
                kept = [b for b in _without_titles(before) if _has_head(b.text) and "Court" not in b.text]
                return [*kept, _Name(name.start + cut, name.end, rest)]
    if _is_org_like(name.text) and (not _is_title_word(words[-1]) or "Inspector General" in name.text):
        return [_without_leading(name, lambda w: w.lower() in NOT_NAMES)]
    trimmed = _without_leading(name, lambda w: _is_title_word(w) or w.lower() in NOT_NAMES or _is_dateline_word(w))
    kept = trimmed.text.split()
    while kept and _is_title_word(kept[-1]):
        kept.pop()
    if not kept:
        return []
    return [_Name(trimmed.start, trimmed.start + len(" ".join(kept)), " ".join(kept))]


def _without_leading(name: _Name, drop: Callable[[str], bool]) -> _Name:
    cut = 0
    while True:
        head, _, tail = name.text[cut:].partition(" ")
        if not (tail and drop(head)):
            break
        cut += len(head) + 1
    return _Name(name.start + cut, name.end, name.text[cut:])


def _is_dateline_word(word: str) -> bool:
    return len(word) >= 4 and word.isupper() and word.isalpha()  # "WASHINGTON", "KABUL"


def _is_title_word(word: str) -> bool:
    return word.lower() in _TITLE_WORDS


def _names_nothing(name: _Name, text: str) -> bool:
    """Capitalised words that name no one: sentence openers ("Sentencing"), laws and programmes ("False
    Claims Act"), offices named only through their parent ("the FBIs Salt Lake City Field Office"),
    document words, datelines."""
    lowered = name.text.lower()
    words = lowered.split()
    if lowered in _NOT_ENTITIES or lowered in NOT_NAMES or any(c.isdigit() for c in name.text):
        return True
    if name.text.endswith(("-based", "-led", "-area")) or _GENERIC_UNIT.fullmatch(name.text):
        return True
    if name.text.endswith(" Division") and _place_prefix(name.text):
        return True  # "the FBIs Miami Division"
    if words[-1] in _NOT_ENTITY_TAILS and " for the " not in lowered:
        return True
    if len(words) == 1:
        # a head word alone refers back ("the Department"); a common word is capitalised at a sentence start
        return words[0] in _ORG_HEADS or _written_lower(lowered, text)
    return False


def _written_lower(word: str, text: str) -> bool:
    """Whether `text` has `word` in lower case as a whole word (not inside a hyphenated one)."""
    if _WORD_RUN.fullmatch(word):
        return word in _lower_words(text)
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


_WORD_RUN = re.compile(r"[\w-]+")


@lru_cache(maxsize=4)
def _lower_words(text: str) -> frozenset[str]:
    """The whole words of `text`, hyphenated ones whole, as written (cached: asked for each one-word name
    of a release; one search of the text each took 1.3 s of 14.6 s over 300 DOJ releases)."""
    return frozenset(_WORD_RUN.findall(text))


def _place_prefix(name: str) -> bool:
    words = name.split()
    return any(" ".join(words[:n]).lower() in PLACES | _MORE_PLACES for n in (1, 2, 3))


# --- what a name names ---------------------------------------------------------------------------------


def _type_of(name: _Name, text: str) -> tuple[EntityType | None, bool]:
    """(type, by_shape): an organisation by its words, a person by a cue or by the shape of its words, or
    None: a single word nothing marks, which only joins an entity named in full elsewhere ("Andres" with
    "Robert Andres", "Winsome" with "Winsome Investment Trust")."""
    lowered = [w.strip(",").lower() for w in name.text.split()]
    if _is_org_like(name.text) or name.text.lower() in _ONE_WORD_ORGS:
        return "organisation", False
    if len(lowered) == 1 and _is_acronym(name.text):
        return "organisation", False
    if not _looks_like_person(name.text):
        return None, False
    if _person_cue_around(name, text):
        return "person", False
    if len(lowered) > 1:
        return "person", True
    return None, False


def _is_place(name: _Name, text: str) -> bool:
    """Places are not entities: "Houston, Texas", "District of Utah", "Salt Lake City", "in Kuwait"."""
    lowered = [w.strip(",").lower() for w in name.text.split()]
    joined = " ".join(lowered)
    if joined in PLACES or joined in _MORE_PLACES or all(w in PLACES or w in _PLACE_HEADS for w in lowered):
        return True
    if len(lowered) > 1 and lowered[-1] in _STREET_WORDS:
        return True  # "College Road", "Cinder Lane": an organisation's word does not make a street one
    org_words = [w for w in lowered if w in _ORG_HEADS or w in ORG_WORDS or w in _MORE_ORG_WORDS]
    if org_words:
        return False
    if any(w in _PLACE_HEADS for w in lowered) or lowered[-1] in PLACE_WORDS:
        return True  # "District of Utah", "Panama City Beach", "U.S. Territory of American Samoa"
    if lowered[0] in ("new", "north", "south", "east", "west", "san", "santa", "los", "las", "st."):
        return True  # "New Orleans", "South Carolina"
    state = re.match(r",\s+([A-Z][a-z]+(?: [A-Z][a-z]+)?\.?)", text[name.end : name.end + 30])
    if state and (state.group(1).lower() in PLACES or re.fullmatch(r"[A-Z][a-z]{1,4}\.", state.group(1))):
        return True  # "Houston, Texas", "Ashland, Ky."
    if re.match(r"\s+(?:districts?|provinces?|villages?|area|region|valley)\b", text[name.end : name.end + 12]):
        return True  # "the Alisheng and Dowlat Shah districts"
    before = text[max(0, name.start - 8) : name.start]
    in_place = re.search(r"\b(?:in|near|at|into|outside)\s+$", before)
    return bool(in_place) and len(lowered) <= 2 and not _person_cue_around(name, text)


_STREET_WORDS = frozenset("street avenue road lane drive boulevard".split())


def _person_cue_around(name: _Name, text: str) -> bool:
    """A title or a case caption that marks a person: "President Trumps", "Mr. Greenberg", "ex rel. Kurnik
    v. Amgen", "Nunez v. City of New York", "Leslie R. Caldwell" (an initial)."""
    before = text[max(0, name.start - 20) : name.start]
    after = text[name.end : name.end + 6]
    return bool(
        re.search(r"\b(?:Mr|Mrs|Ms|Dr|Judge|President|Secretary|Senator|Governor|Mayor|rel)\.?\s+$", before)
        or re.match(r"\s+v\.\s", after)
        or re.search(r"\b[A-Z]\. [A-Z]", name.text)
    )


def _looks_like_person(name: str) -> bool:
    words = [w for w in name.split() if w.lower() not in _PERSON_SUFFIXES]
    if not 1 <= len(words) <= 5 or any(w.lower() in _NOT_PERSON_WORDS for w in words):
        return False
    return all(re.fullmatch(r"(?:[A-Z]\.){1,3}|(?:al|el|bin|ibn|abu)-[A-Z][\w'’]*|[A-Z][\w'’-]*", w) for w in words)


# Words of organisations, places, laws and documents, which no person's name holds.
_NOT_PERSON_WORDS = (
    _ORG_HEADS
    | ORG_WORDS
    | _MORE_ORG_WORDS
    | PLACE_WORDS
    | _NOT_ENTITY_TAILS
    | frozenset(
        """national security international federal joint united states department justice operation
        petroleum horizon deepwater relief asset crime control clean air implementation settlement
        immediate download evening operational targets smuggling afghan american works""".split()
    )
)


def _mark_aliases(names: list[_Name], text: str) -> None:
    """ "Federal Deposit Insurance Corporation (FDIC)", "AK Steel Corporation (AK Steel)", "(collectively,
    Inchcape)": the name in brackets is another mention of the name before them."""
    for before, inside in itertools.pairwise(names):
        gap = text[before.end : inside.start]
        bracketed = re.fullmatch(r",? \((?:collectively,? )?", gap) and text[inside.end : inside.end + 1] == ")"
        if bracketed and before.type is not None and (before.type == "organisation" or not _is_acronym(inside.text)):
            inside.alias_of = before
            inside.type, inside.by_shape = before.type, False
    targets = {_key(n.text): n.alias_of for n in names if n.alias_of is not None}
    for name in names:  # later mentions of a bracketed name ("USMS") go where the brackets said
        if name.alias_of is None and (target := targets.get(_key(name.text))) is not None and target is not name:
            name.alias_of = target
            name.type, name.by_shape = target.type, False


# --- one entity per thing named ------------------------------------------------------------------------


def _grouped(names: list[_Name]) -> list[Entity]:
    """Mentions of one entity together: the same name; a name in brackets after another; a surname after
    the full name; an acronym, a short form or a company's name without its suffix after the full name.
    Longer names go first, so that a short one finds the full name it stands for."""
    groups: list[list[_Name]] = []
    group_of: dict[int, list[_Name]] = {}
    for name in sorted(names, key=lambda n: (n.alias_of is not None, n.type is None, -len(n.text), n.start)):
        if name.alias_of is not None and id(name.alias_of) in group_of:
            group: list[_Name] | None = group_of[id(name.alias_of)]
        else:
            group = _matching_group(groups, name)
        if group is None:
            if name.type is None:
                continue  # a lone word nothing marks and no entity claims
            group = []
            groups.append(group)
        if group:
            name.type = group[0].type
        group.append(name)
        group_of[id(name)] = group
    return sorted((_entity(g) for g in groups), key=lambda e: e.mentions[0].start)


def _matching_group(groups: list[list[_Name]], name: _Name) -> list[_Name] | None:
    def may_be(group: list[_Name]) -> bool:
        return name.type is None or name.by_shape or group[0].type == name.type

    key = _key(name.text)
    same = [g for g in groups if may_be(g) and any(_key(n.text) == key for n in g)]
    if same:
        return same[0]
    candidates = [g for g in groups if may_be(g) and _short_form_of(name.text, g[0])]
    return candidates[0] if len(candidates) == 1 else None  # a surname two people share names neither


def _short_form_of(text: str, full: _Name) -> bool:
    key, long = _key(text), _key(full.text)
    if full.type == "person":
        return key in (_surname(full.text), _first_and_last(full.text))
    return _short_form(key, long)


@lru_cache(maxsize=65_536)
def _key(text: str) -> str:
    """A name as compared (cached: grouping compares every name with every group, 194,000 calls over 150 DOJ
    releases, 1.7 s of their 11 s): lower case, without "the", apostrophes and end stops; "Department of Justice"
    and "Justice Department" alike."""
    text = re.sub(r"^the\s+", "", text, flags=re.IGNORECASE)
    text = re.sub(r"^Department of (?:the )?(\w+)$", r"\1 Department", text)
    return " ".join(text.lower().replace("’", "'").replace("'", "").strip(" .,").split())


def _surname(full: str) -> str:
    words = [w for w in full.split() if w.lower() not in _PERSON_SUFFIXES]
    return _key(words[-1]) if len(words) > 1 else ""


def _first_and_last(full: str) -> str:
    words = [w for w in full.split() if w.lower() not in _PERSON_SUFFIXES]
    return _key(f"{words[0]} {words[-1]}") if len(words) > 2 else ""


@lru_cache(maxsize=65_536)
def _short_form(short: str, long: str) -> bool:
    """ "fbi" for "federal bureau of investigation", "navy" for "u.s. navy", "ak steel" for "ak steel
    corporation", "winsome" for "winsome investment trust". (Cached, as _key: 50,000 calls over 300 DOJ
    releases, 0.6 s of their 6.2 s.)"""
    if short in (_initials(long), _initials(long, with_small=True)):
        return True
    if long.endswith(" " + short) and short not in _ORG_HEADS:
        return True  # "navy" in "u.s. navy", "bureau of prisons" in "federal bureau of prisons"
    bare = _without_company_suffix(long)
    if bare == long:
        return False
    return short == bare or (long.startswith(short + " ") and short.split()[0] not in _ORG_HEADS)


def _initials(name: str, *, with_small: bool = False) -> str:
    words = [w for w in re.split(r"[\s-]+", name) if w and w not in ("u.s.", "us")]
    small = {"of", "the", "and", "for", "&"}
    return "".join(w[0] for w in words if with_small or w not in small)


def _without_company_suffix(name: str) -> str:
    words = name.replace(",", "").split()
    while words and words[-1] in _COMPANY_SUFFIXES | {"trust", "shipping", "services", "limited"}:
        words.pop()
    return " ".join(words)


def _entity(group: Iterable[_Name]) -> Entity:
    names = sorted(group, key=lambda n: n.start)
    longest = max(names, key=lambda n: (len(n.text), -n.start))
    mentions = tuple(Mention(n.start, n.end, n.text) for n in names)
    return Entity(longest.text, longest.type or "organisation", mentions)
