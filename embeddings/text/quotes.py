"""Who said what in a release: its quotes, each with its speaker, the speaker's role and its place.

Press releases quote officials in one shape: the words, then ", said" and the speaker with a title
("..., said Acting Assistant Attorney General Joyce R. Branda for the Justice Department's Civil
Division."), or the speaker then "said". Scraping often drops the quote marks (the DOJ corpus has none),
so marks are not required: a sentence that ends in such an attribution is a quote, and so are the sentences
after it in its paragraph (a release gives a quote a paragraph of its own). With marks, the marked words
are the quote, wherever the attribution stands.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from embeddings.text.name_kinds import ORG_WORDS, TITLES, name_kind, name_runs, name_words, named_spans
from embeddings.text.sentences import split_sentences

_VERB = r"(?:said|says|stated|states|added|adds|noted|notes|explained|commented|remarked|declared)"
_NAME = r"(?:(?:[A-Z][\w.'’-]*|of|the|for|and|de|van|in)\s+){0,12}?[A-Z][\w.'’-]*"
# "..., said Acting Assistant Attorney General Joyce R. Branda for the Civil Division."
# "..., said Thomas E. Perez, Assistant Attorney General for the Civil Rights Division." The sentence splitter
# has already kept the abbreviations' stops inside the sentence, so what follows the name runs to its end.
# ",stated John Trasvia": the scrape sometimes lost the space after the comma.
_SAID_WHO = re.compile(
    rf"(?:,\s*|\s+){_VERB}\s+(?P<who>(?:the\s+)?{_NAME}(?:,?\s+(?:of|for|at|with|in\s+charge\s+of)\s+[^;]*?"
    rf"|,\s+(?:the\s+|a\s+|an\s+|head\s+of\s+|who\s+|[A-Z])[^;]*?)?)\s*[.!]?\s*$"
)
# "Harold W. Geisel, Deputy Inspector General, said, We are very pleased ...": the speaker first.
_WHO_FIRST = re.compile(
    rf"^(?P<who>(?:the\s+)?[A-Z][^;:]{{2,200}}?),?\s+(?:{_VERB})\s*[,:]\s+(?P<words>[A-Z].*)$", re.DOTALL
)
# "..., Branda said." / "..., the FBI's Smith added."
_WHO_SAID = re.compile(rf",\s+(?P<who>(?:the\s+)?{_NAME})\s+{_VERB}\s*[.!]?\s*$")
# “Marked words,” said X. / "Marked words," X said.
# A stop inside a title or name does not end the attribution: "said U.S. Army Lt. Col. David Fivecoat".
_WHO_CHAR = (
    r"(?:[^.;“\"]|\.(?=[A-Za-z])|(?<=\b[A-Z])\.|(?<=\bLt|\bSt|\bDr|\bMr|\bMs|\bJr|\bSr)\."
    r"|(?<=\bCol|\bSgt|\bGen|\bMaj|\bMrs|\bGov|\bSen|\bRep)\.|(?<=\bCapt)\.)"
)
_MARKED_ATTRIBUTION = re.compile(rf"^\s*,?\s*(?:{_VERB}\s+(?P<who1>{_WHO_CHAR}+)|(?P<who2>{_WHO_CHAR}+?)\s+{_VERB})")
_SAID_COLON = re.compile(rf"(?P<who>(?:the\s+)?{_NAME})\s+{_VERB}:\s*$")
_PARAGRAPHS = re.compile(r"\n\s*\n|\n(?=\S)")
# A quote is words of opinion or intent, not a fragment: "Smith, said the report" is not one.
MIN_QUOTE_WORDS = 6
# Bumped whenever these rules change what they find: an index read by older rules is read again by its next
# ingest (embeddings.quote_table).
QUOTE_RULES_VERSION = 2
_ROLE_EDGES = " ,.;:"
# Words of a title that stand before a speaker's name inside one run of capitalised words ("FBI Director
# Christopher A. Wray", "Chief Postal Inspector Cottrell", "EPA Regional Administrator Pete Lopez").
_TITLE_WORDS = (
    TITLES
    | ORG_WORDS
    | frozenset(
        """regional associate postal united states assistant principal first charge marine corps professor
        maj. brig. adm. spc. cpl. pfc.""".split()
    )
)


@dataclass(frozen=True, slots=True)
class Quote:
    speaker: str  # the person's name, or the body speaking ("the FBI") when no person is named
    role: str  # the title and body around the name: "Acting Assistant Attorney General ... Civil Division"
    text: str  # the quoted words, without the attribution
    # The quote as offsets into the release text: its first quoted word to its last (quote marks left out),
    # the attribution inside when the quote goes on after it ("A, said X. B"); the speaker-first form
    # ("X said, A") starts at the quoted words.
    start: int
    end: int


def find_quotes(text: str) -> list[Quote]:
    """Every quote in `text`, in order; marked quotes first where a marked and an unmarked reading overlap."""
    marked = list(_marked_quotes(text))
    taken = [(q.start, q.end) for q in marked]
    unmarked = [q for q in _attributed_paragraphs(text) if not any(q.start < e and s < q.end for s, e in taken)]
    merged: list[Quote] = []
    for q in sorted(marked + unmarked, key=lambda q: q.start):
        last = merged[-1] if merged else None
        if last is not None and last.speaker == q.speaker and "\n" not in text[last.end : q.start]:
            # “...,” said Mayor Voss. “...”: one quote, in two pieces
            joined = f"{last.text.rstrip(',')}{'' if last.text.endswith(('.', '!', '?')) else '.'} {q.text}"
            merged[-1] = Quote(last.speaker, last.role, joined, last.start, q.end)
        else:
            merged.append(q)
    return _with_full_names(text, merged)


def _with_full_names(text: str, quotes: list[Quote]) -> list[Quote]:
    """ "..., Branda said." -> Joyce R. Branda, with the role an earlier attribution gave her: a release
    names its speaker in full once, then by surname. The fullest person name in the release whose words hold
    the speaker's is the speaker."""
    if not quotes:
        return quotes  # reading the release's names costs more than finding its quotes
    people = {name: name_words(name) for *_, run, _ in named_spans("person", text) if (name := _bare_name(run))}
    roles = {q.speaker: q.role for q in quotes if q.role}
    out = []
    for q in quotes:
        words = set(name_words(q.speaker))
        fuller = [name for name, key in people.items() if words and words < set(key)]
        if fuller:
            name = max(fuller, key=lambda n: len(people[n]))
            q = Quote(name, q.role or roles.get(name, ""), q.text, q.start, q.end)
        out.append(q)
    return out


def _attributed_paragraphs(text: str) -> Iterator[Quote]:
    start = 0
    introduced: re.Match[str] | None = None
    for m in [*_paragraph_breaks(text), None]:
        end = m.start() if m else len(text)
        if introduced and (quote := _introduced_paragraph(text, start, end, introduced["who"])):
            yield quote
        else:
            yield from _paragraph_quotes(text, start, end)
        introduced = _SAID_COLON.search(text[start:end])
        start = m.end() if m else len(text)


def _paragraph_breaks(text: str) -> Iterator[re.Match[str]]:
    """Breaks between paragraphs, less those the scrape put inside a sentence: "... to stop schemes that
    imperil scarce health care" + blank line + "resources." is one paragraph."""
    for m in _PARAGRAPHS.finditer(text):
        if not (text[m.end() : m.end() + 1].islower() and text[: m.start()].rstrip()[-1:].isalpha()):
            yield m


def _introduced_paragraph(text: str, start: int, end: int, who: str) -> Quote | None:
    """ "In announcing the settlement, Attorney General Sessions said:" and the next paragraph is his."""
    words = text[start:end].strip()
    speaker, role = _speaker(who)
    if not speaker or len(words.split()) < MIN_QUOTE_WORDS or '"' in words or "“" in words or _attributed(words):
        return None
    begin = start + len(text[start:end]) - len(text[start:end].lstrip())
    return Quote(speaker, role, " ".join(words.split()), begin, begin + len(words))


def _paragraph_quotes(text: str, start: int, end: int) -> Iterator[Quote]:
    sentences = [
        piece for s in split_sentences(text[start:end]) for piece in _after_suffix(text, start + s.start, start + s.end)
    ]
    for i, (a, b) in enumerate(sentences):
        sentence = text[a:b]
        if '"' in sentence or "“" in sentence:
            continue
        m = _SAID_WHO.search(sentence) or _WHO_SAID.search(sentence)
        first = None if m else _WHO_FIRST.match(sentence)
        if first:
            speaker, role = _speaker(first["who"])
            if speaker and len(first["words"].split()) >= MIN_QUOTE_WORDS:
                begin, rest_end = a + first.start("words"), _quote_goes_on(text, sentences, i)
                yield Quote(speaker, role, " ".join(text[begin:rest_end].split()), begin, rest_end)
            continue
        if not m:
            continue
        words = sentence[: m.start()].strip(" ,")
        speaker, role = _speaker(m["who"])
        if not speaker:
            continue
        begin = _quote_begins(text, sentences, i, speaker)
        rest_end = _quote_goes_on(text, sentences, i)
        # "Justice has been served, said Attorney General Eric Holder. The hate crimes ...": a short first
        # piece counts with the sentences that go on quoting.
        if len(words.split()) < 3 or len(text[begin:rest_end].split()) - len(m[0].split()) < MIN_QUOTE_WORDS:
            continue
        if rest_end == b:  # the attribution ends the quote: the span ends with the quoted words
            rest_end = a + len(sentence[: m.start()].rstrip(" ,"))
        before = text[begin:a].strip()
        more = text[b:rest_end].strip()
        quoted = " ".join(part for part in (before, f"{words}." if more else words, more) if part)
        yield Quote(speaker, role, " ".join(quoted.split()), begin, rest_end)


def _after_suffix(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The sentence, cut after a name's "Jr." or "Sr." that a new sentence follows: the splitter keeps them
    inside a sentence ("Ralph J. Marra Jr. of ..."), but "..., said Acting U.S. Attorney Cohen Jr. When his
    scheme collapsed, ..." ends the attribution there."""
    pieces, at = [], start
    for m in _SUFFIX_THEN_SENTENCE.finditer(text, start, end):
        pieces.append((at, m.start() + 1))
        at = m.end()
    return [*pieces, (at, end)]


# "Jr." or "Sr.", then a word that starts sentences and not names.
_SUFFIX_THEN_SENTENCE = re.compile(
    r"(?<=\b[JS]r)\.\s+(?=(?:We|Our|The|This|These|That|It|I|He|She|They|His|Her|Their|When|As|In|With|Today)\b)"
)


def _attributed(sentence: str) -> bool:
    return bool(_SAID_WHO.search(sentence) or _WHO_SAID.search(sentence) or _WHO_FIRST.match(sentence))


def _quote_goes_on(text: str, sentences: Sequence[tuple[int, int]], i: int) -> int:
    """Where the quote of the attributed sentence i ends: the rest of the paragraph goes on quoting, unless
    another attribution starts there."""
    end = sentences[i][1]
    for c, d in sentences[i + 1 :]:
        if _attributed(text[c:d]):
            break
        end = d
    return end


def _quote_begins(text: str, sentences: Sequence[tuple[int, int]], i: int, speaker: str) -> int:
    """Where the quote of the attributed sentence i starts: the paragraph's sentences before it are the
    speaker's too, back to another attribution or to a sentence naming the speaker, which is narration
    about them ("Oduya thanked the investigators."). A release gives a quote its own paragraph; in 400 DOJ
    releases, the 18 quotes this lengthens all began with the speaker's own words ("Dog fighting is vicious
    and cruel. ...")."""
    surname = (name_words(speaker) or [""])[-1]
    start = sentences[i][0]
    for c, d in reversed(sentences[:i]):
        sentence = text[c:d]
        if _attributed(sentence) or (surname and surname in name_words(sentence)):
            break
        start = c
    return start


def _marked_spans(text: str) -> Iterator[tuple[int, int, bool]]:
    """(start, end, closed) of each marked passage, quote marks included, pairing marks in order: a short
    "poor" must close before the next quote opens, or the text between two quotes would read as one. A mark
    the paragraph does not close (the scrape lost it: 'Yates said, "We recognize ... such conduct.') marks
    the rest of the paragraph (to a blank line), closed=False."""
    opened: int | None = None
    for m in re.finditer(r"[“”\"]", text):
        mark = m.group()
        if opened is not None and (blank := _BLANK_LINE.search(text, opened, m.start())):
            yield opened, blank.start(), False
            opened = None
        if opened is None and mark in '“"':
            opened = m.start()
        elif opened is not None and mark in '”"':
            yield opened, m.end(), True
            opened = None
        elif mark == "“":
            opened = m.start()  # an opening mark never closed: start again here
    if opened is not None:
        blank = _BLANK_LINE.search(text, opened)
        yield opened, blank.start() if blank else len(text), False


# A paragraph's end, where an open quote mark is closed if the text does not close it: a quote may run on
# over a single line break ("...gun violence.\nWe are increasing ...").
_BLANK_LINE = re.compile(r"\n\s*\n")


def _marked_quotes(text: str) -> Iterator[Quote]:
    last: Quote | None = None
    for start, end, closed in _marked_spans(text):
        inside_end = end - 1 if closed else len(text[:end].rstrip())
        words = text[start + 1 : inside_end].strip(" ,")
        line_end = text.find("\n", end)
        after = _MARKED_ATTRIBUTION.match(text[end : min(end + 160, line_end if line_end >= 0 else len(text))])
        if not closed:
            after = None  # the quote runs to the paragraph's end; only an attribution before it names its speaker
        # A marked piece with its attribution right after it is a quote however short (“The people are
        # respecting us,” Rahman said. “They ask us ...”).
        if len(words.split()) < (3 if after else MIN_QUOTE_WORDS) or "\n\n" in words:
            continue
        who = (after["who1"] or after["who2"]) if after else ""
        if not who:
            # "Branda said: “...”" — the attribution before the quote.
            before = re.search(rf"(?P<who>{_NAME})\s+{_VERB}[,:]?\s*$", text[max(0, start - 120) : start])
            who = before["who"] if before else ""
        speaker, role = _speaker(who)
        if not speaker and closed and last is not None and "\n" not in text[last.end : start]:
            speaker, role = last.speaker, last.role  # the same speaker goes on in the same paragraph
        if speaker:
            inner = start + 1 + len(text[start + 1 : inside_end]) - len(text[start + 1 : inside_end].lstrip())
            last = Quote(speaker, role, " ".join(words.split()), inner, inner + len(words))
            yield last


def _speaker(who: str) -> tuple[str, str]:
    """The name in an attribution and the role around it; ("", "") when it names no one.

    Attributions put a title, then the name, then the body ("Acting Special Agent in Charge Cindy M. Johnson
    of Immigration and Customs Enforcement"), or the name, then a comma and the title ("Stuart F. Delery, the
    Acting Assistant Attorney General ..."). So the speaker is the first run of capitalised words that is
    left with a name once its title words are off and its "of ..." is cut; a body speaks when no one is named
    ("the FBI")."""
    # "Lt.Col. Ian Tudlong": a rank's stop without its space.
    who = re.sub(r"\b(Lt|Col|Gen|Maj|Sgt|Capt)\.(?=[A-Z])", r"\1. ", who.strip(_ROLE_EDGES))
    if not who or len(who.split()) > 25:
        return "", ""
    for start, _end, run in name_runs(who):
        title, _ = _title_before(run)
        name = _bare_name(run)
        if not name or not name[0].isupper() or name.isupper() or name.lower() in _TITLE_WORDS:
            continue
        name_start = start + len(run) - len(run.lstrip()) + (len(title) + 1 if title else 0)
        if name_kind(who, name_start, name_start + len(name)) in ("organisation", "place"):
            continue
        return name, _joined(f"{who[:name_start]} {who[name_start + len(name) :]}", "")
    head = who.partition(", ")[0]
    if not re.match(r"(?:the\s+)?[A-Z]", head) or len(head.split()) > 8:
        return "", ""
    return head, who[len(head) :].strip(_ROLE_EDGES)


def _joined(role: str, rest: str) -> str:
    """The role's pieces as one phrase: "Dr" and ", director of public health" -> "Dr, director of public health"."""
    pieces = (re.sub(r"\s+,", ",", " ".join(r.strip(_ROLE_EDGES).split())) for r in (role, rest))
    return ", ".join(p for p in pieces if p)


def _bare_name(run: str) -> str:
    """A run's name without its title and without an "of ..." after it ("Assistant Secretary Gustavo
    Velasquez of HUDs Fair Housing" -> "Gustavo Velasquez")."""
    name = _title_before(run)[1]
    cut = re.search(r"\s(?:of|for)\s", name)
    return name[: cut.start()] if cut else name


def _title_before(name: str) -> tuple[str, str]:
    """ "FBI Director Christopher A. Wray" -> ("FBI Director", "Christopher A. Wray"): the run's words up to
    its last title word or acronym are the title, when a name is left after them."""
    words = name.split()
    last = -1
    for i, word in enumerate(words[:-1]):
        bare = word.strip(",").lower()
        if bare in _TITLE_WORDS or (word.isupper() and len(word) >= 2 and "." not in word):
            last = i
        elif bare in ("in", "of", "for") and last == i - 1 and words[i + 1].lower() in _TITLE_WORDS:
            last = i  # "Special Agent in Charge Fuhrman"
        elif i >= 2 and re.fullmatch(r"[A-Z]\.", word):
            last = i - 2  # a middle initial: the name is the word before it on ("National Security John C. Demers")
    return " ".join(words[: last + 1]), " ".join(words[last + 1 :])
