"""Answers to questions about quotations (qa.quote_questions), from the quotes kept at ingest
(embeddings/quote_table.py), each cited to its exact span.

"Who said X": the quotes of the releases retrieved for the question, the one holding the most of X's
words; it must hold at least MIN_WORDS_HELD of them, or the question goes to the model like any other.
"What did S say about Y": every quote by S (a lookup, not a search), ranked by Y's words held and by the
rank of the retrieved passage they stand in when the search is confined to S's releases; the best
QUOTES_SHOWN. With no Y, S's newest quotes. A speaker the releases never quote goes to the model too, which
refuses a name the passages do not mention.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import Stemmer

from embeddings.index import Filters, Index, StoredQuote
from embeddings.text.name_kinds import name_words
from embeddings.text.words import PROMPT_STOP_WORDS, words
from qa.quote_questions import QuoteQuestion
from qa.summarize import release_passage
from qa.types import Answer, Citation, Passage

# Share of the asked words a quote must hold to be the one a "who said" question means. Of the 47 who-said
# questions of the quotes dev set (eval/gold/quotes.dev.jsonl), the gold quote holds 0.4 or more of the asked
# words 47 times, 0.5 or more 43 times; the best other quote of the same release 10 and 3 times. At 0.4 the
# dev answers gain a point or two (speaker right 87.2% -> 89.4%), but a question about words no kept quote
# holds would more often get a wrong quote instead of the model's reading: 0.5 keeps that rare.
MIN_WORDS_HELD = 0.5
QUOTES_SHOWN = 3
# Quotes `pressqa quotes` and the web app's Quotes view list unless told otherwise.
QUOTES_LISTED = 10
# Releases whose quotes a "who said" question considers: the retrieval's first few.
WHO_SAID_RELEASES = 8

Search = Callable[[str, int, Filters | None], Sequence[Passage]]


@dataclass(frozen=True, slots=True)
class _Scored:
    quote: StoredQuote
    held: float  # share of the asked words the quote holds
    rank: int  # rank of the first retrieved passage the quote stands in (a large number when none)


def _asked_words(text: str) -> set[str]:
    return {_stem(w) for w in words(text) if w not in PROMPT_STOP_WORDS and len(w) > 1}


def _stem(word: str) -> str:
    """The word's Snowball stem, as the lexical index takes it: "frauds" asks for "fraud", "convictions" for
    "convicted", "sentences" for "sentenced"."""
    return _stemmer.stemWord(word)


_stemmer = Stemmer.Stemmer("english")


def _held(asked: set[str], text: str) -> float:
    return len(asked & _asked_words(text)) / len(asked) if asked else 0.0


def _release_words(
    index: Index, asked: set[str], release_ids: Iterable[str]
) -> tuple[dict[str, float], dict[str, float]]:
    """Share of the asked words each release holds, title and text, and its title alone."""
    in_release, in_title = {}, {}
    for rid in release_ids:
        if (release := index.release(rid)) is not None:
            in_release[rid] = _held(asked, f"{release.title}\n{release.text}")
            in_title[rid] = _held(asked, release.title)
    return in_release, in_title


def _rank(quote: StoredQuote, passages: Sequence[Passage]) -> int:
    for i, p in enumerate(passages):
        if p.release_id == quote.release_id and p.start < quote.end and quote.start < p.end:
            return i
    return len(passages) + 1


def answer_quote_question(
    ask: QuoteQuestion, question: str, index: Index, search: Search, k: int, filters: Filters | None
) -> Answer | None:
    """The answer from the kept quotes, or None when they cannot give one (the model answers instead)."""
    if ask.ask == "who_said":
        return _who_said(ask, question, index, search, k, filters)
    return _what_said(ask, question, index, search, k, filters)


def _who_said(
    ask: QuoteQuestion, question: str, index: Index, search: Search, k: int, filters: Filters | None
) -> Answer | None:
    asked = _asked_words(ask.about)
    if not asked:
        return None
    passages = search(ask.about, max(k, WHO_SAID_RELEASES * 2), filters)
    releases = list(dict.fromkeys(p.release_id for p in passages))[:WHO_SAID_RELEASES]
    # The asked words the quote holds come first; those its release holds elsewhere ("after the Nampa Wal-Mart
    # assault convictions") tell apart two quotes that say much the same.
    in_release, in_title = _release_words(index, asked, releases)
    scored = [_Scored(q, _held(asked, q.text), _rank(q, passages)) for q in index.quotes(release_ids=releases)]
    scored = [s for s in scored if s.held >= MIN_WORDS_HELD]
    if not scored:
        return None
    rid = lambda s: s.quote.release_id  # noqa: E731
    best = max(scored, key=lambda s: (s.held + in_release.get(rid(s), 0.0), in_title.get(rid(s), 0.0), -s.rank)).quote
    role = f", {best.role}," if best.role else ""
    text = f"{best.speaker}{role} said it [1]: “{best.text}”"
    return _answer(text, question, [best], index, key=best.speaker)


def _what_said(
    ask: QuoteQuestion, question: str, index: Index, search: Search, k: int, filters: Filters | None
) -> Answer | None:
    theirs = _quotes_by(index, ask.speaker, filters)
    if not theirs:
        return None
    return list_quotes(index, search, ask.speaker, ask.about, filters, QUOTES_SHOWN, question, k, theirs)


def list_quotes(
    index: Index,
    search: Search,
    speaker: str = "",
    about: str = "",
    filters: Filters | None = None,
    limit: int = QUOTES_SHOWN,
    question: str = "",
    k: int = 0,
    theirs: list[StoredQuote] | None = None,
) -> Answer:
    """Quotes as a cited list, a line each: by a speaker (every quote of theirs, a lookup), about a topic (the
    quotes of the releases a search finds, or of the speaker's releases ranked for it), or the newest."""
    allowed = _allowed(index, filters)
    if theirs is None and speaker.strip():  # "what did X say" hands on the quotes it already looked up
        theirs = _quotes_by(index, speaker, filters, allowed)
    asked = _asked_words(about)
    if theirs is not None and not theirs:
        return Answer(f"The releases quote no one named {speaker}.", False, question=question, method="refused")
    if not asked and theirs is not None:
        chosen = theirs[:limit]  # newest first
    elif not asked:  # the newest of all, those the filters let through
        newest = index.quotes(limit=None if allowed is not None else limit)
        chosen = [q for q in newest if allowed is None or q.release_id in allowed][:limit]
    else:
        confined = filters
        if theirs is not None:
            releases = tuple(dict.fromkeys(q.release_id for q in theirs))
            confined = replace(filters or Filters(), release_ids=releases)
        passages = search(about, max(k, limit * 4), confined)
        # Releases ranked for the topic: the search finds what a release is about from all of its text, where
        # the quote itself may not name the topic ("the Lorenzana organization"). A case's releases all match
        # its name, so the asked words come first, as for "who said": those the quote holds plus those its
        # release holds ("sentences", "27-year" tell the sentencing from the plea), then those its title
        # holds; then the search's order.
        release_rank = {rid: i for i, rid in enumerate(dict.fromkeys(p.release_id for p in passages))}
        in_release, in_title = _release_words(index, asked, release_rank)
        pool = theirs if theirs is not None else index.quotes(release_ids=list(release_rank))
        scored = [_Scored(q, _held(asked, q.text), _rank(q, passages)) for q in pool]
        relevant = [s for s in scored if s.quote.release_id in release_rank or s.held > 0]
        last = len(release_rank)
        rid = lambda s: s.quote.release_id  # noqa: E731
        relevant.sort(key=lambda s: (-(s.held + in_release.get(rid(s), 0.0)), -in_title.get(rid(s), 0.0),
                                     release_rank.get(rid(s), last), s.rank))  # fmt: skip
        chosen = [s.quote for s in relevant[:limit]]
        if not chosen:
            who = " and ".join(sorted({q.speaker for q in theirs})) if theirs else "anyone"
            return Answer(f"The releases quote {who}, but none of those quotes is about {about}.", False,
                          question=question, method="refused")  # fmt: skip
    if not chosen:
        return Answer("The indexed releases hold no quotes.", False, question=question, method="refused")
    lines = []
    for n, q in enumerate(chosen, 1):
        when = f" ({q.date.isoformat()})" if q.date else ""
        role = f", {q.role}" if q.role else ""
        lines.append(f"- {q.speaker}{role}{when}: “{q.text}” [{n}]")
    return _answer("\n".join(lines), question or about or speaker, chosen, index, key=chosen[0].speaker)


def _quotes_by(
    index: Index, speaker: str, filters: Filters | None, allowed: set[str] | None = None
) -> list[StoredQuote]:
    """The quotes of the speaker a question names: every quote whose speaker has the name's surname and no
    other given name ("Timothy Fuhrman": not John Fuhrman's; "Andre Birotte": Andr Birotte's too, the accent
    lost in the scrape; "William Sweeney": a quote the release gives to "Sweeney" alone), those matching
    more of the question's words about them first, in name or role ("FBI agent Timothy Fuhrman", "William
    Sweeney of the FBI"), newest first within each."""
    words = _name_asked(speaker)
    if not words:
        return []
    if allowed is None:
        allowed = _allowed(index, filters)
    found = [q for q in index.quotes(speaker=words[-1]) if allowed is None or q.release_id in allowed]
    asked = [w for w in name_words(speaker) if w not in _NAME_SUFFIXES]
    given = [w for w in words[:-1] if len(w) > 1]
    theirs = [q for q in found if not _other_person(given, words[-1], q.speaker)]
    matched = {id(q): sum(_same_word(w, name_words(f"{q.speaker} {q.role}")) for w in asked) for q in theirs}
    return sorted(theirs, key=lambda q: -matched[id(q)])  # stable: newest first within a count


def _name_asked(speaker: str) -> list[str]:
    """The identifying words of the name a question gives, its surname last: "William Sweeney of the FBI"
    -> william, sweeney; "Andre Birotte Jr." -> andre, birotte."""
    name = re.split(r"\s+(?:of|from|at|with)\s+|,\s*", speaker)[0]
    return [w for w in name_words(name) if w not in _NAME_SUFFIXES]


def is_quoted(index: Index, speaker: str) -> bool:
    """Whether the releases quote anyone of the name's surname."""
    words = _name_asked(speaker)
    return bool(words) and bool(index.quotes(speaker=words[-1], limit=1))


# Ends of names that are not a given name or a surname.
_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})


def _same_word(word: str, among: Sequence[str]) -> bool:
    """The word, or one it begins or that begins it ("andr" for "andre": accents lost), is among `among`."""
    return any(w == word or (min(len(w), len(word)) >= 3 and (w.startswith(word) or word.startswith(w))) for w in among)


def _other_person(given: Sequence[str], surname: str, speaker: str) -> bool:
    """The speaker has given names, and none of them is one of those asked: another person of the surname."""
    theirs = [w for w in name_words(speaker) if w not in _NAME_SUFFIXES and w != surname and len(w) > 1]
    return bool(given) and bool(theirs) and not any(_same_word(w, given) for w in theirs)


def _allowed(index: Index, filters: Filters | None) -> set[str] | None:
    """The releases the filters let through (dates, organisation, names), or None for every release."""
    return None if filters is None or filters.is_empty() else index.allowed_release_ids(filters)


def _answer(text: str, question: str, quotes: Sequence[StoredQuote], index: Index, key: str) -> Answer:
    citations, passages, kept = [], [], []
    for q in quotes:
        release = index.release(q.release_id)
        if release is None:
            continue  # removed since the lookup
        whole = release_passage(release)
        kept.append(q)
        citations.append(Citation(len(kept), whole, q.start, q.end))
        passages.append(whole)
    return Answer(text, bool(citations), tuple(citations), tuple(passages), question, answer_type="person",
                  method="quote", key=key, quotes=tuple(kept))  # fmt: skip
