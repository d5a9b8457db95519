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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

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
    """Plural and tense endings off, so that "fraud" asks for "frauds" and "protect" for "protecting"."""
    for end in ("ing", "ed", "es", "s"):
        if word.endswith(end) and len(word) - len(end) >= 4:
            return word[: -len(end)]
    return word


def _held(asked: set[str], text: str) -> float:
    return len(asked & _asked_words(text)) / len(asked) if asked else 0.0


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
    in_release = {rid: _held(asked, r.text) for rid in releases if (r := index.release(rid)) is not None}
    scored = [_Scored(q, _held(asked, q.text), _rank(q, passages)) for q in index.quotes(release_ids=releases)]
    scored = [s for s in scored if s.held >= MIN_WORDS_HELD]
    if not scored:
        return None
    best = max(scored, key=lambda s: (s.held + in_release.get(s.quote.release_id, 0.0), -s.rank)).quote
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
        # the quote itself may not name the topic ("the Lorenzana organization").
        release_rank = {rid: i for i, rid in enumerate(dict.fromkeys(p.release_id for p in passages))}
        pool = theirs if theirs is not None else index.quotes(release_ids=list(release_rank))
        scored = [_Scored(q, _held(asked, q.text), _rank(q, passages)) for q in pool]
        relevant = [s for s in scored if s.quote.release_id in release_rank or s.held > 0]
        relevant.sort(key=lambda s: (release_rank.get(s.quote.release_id, len(release_rank)), -s.held, s.rank))
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
    """The quotes of the speaker a question names: every quote whose speaker's surname (the name's last
    identifying word) it gives, those matching more of the question's words about them first ("FBI agent
    Timothy Fuhrman": Fuhrman's; "William Sweeney of the FBI": Sweeney's)."""
    name = re.split(r"\s+(?:of|from|at|with)\s+|,\s*", speaker)[0]
    words = name_words(name)
    if not words:
        return []
    asked = set(name_words(speaker))
    if allowed is None:
        allowed = _allowed(index, filters)
    found = [q for q in index.quotes(speaker=words[-1]) if allowed is None or q.release_id in allowed]
    best = max((len(asked & set(name_words(f"{q.speaker} {q.role}"))) for q in found), default=0)
    return [q for q in found if len(asked & set(name_words(f"{q.speaker} {q.role}"))) == best]


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
