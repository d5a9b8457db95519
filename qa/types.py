"""What retrieval and answering hand to the interfaces."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from embeddings.index_types import NamedIn, StoredQuote


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrieved chunk with its release's metadata and its scores."""

    chunk_id: int
    release_id: str
    title: str
    date: date | None
    organisation: str | None
    origin: str
    text: str
    start: int  # character offsets of `text` inside the release text
    end: int
    score: float  # fused score: weighted sum of max-normalised dense and BM25 scores
    dense_score: float | None = None
    lexical_score: float | None = None
    also_published_as: tuple[str, ...] = ()  # the same release under other ids (embeddings/reissues.py)


@dataclass(frozen=True, slots=True)
class Citation:
    n: int  # the [n] marker used in the answer text
    passage: Passage
    # The sentence inside the passage that best supports the answer, as offsets into the release text.
    quote_start: int
    quote_end: int

    @property
    def quote(self) -> str:
        """The supporting sentence's text (the passage's text between the quote offsets)."""
        p = self.passage
        return p.text[self.quote_start - p.start : self.quote_end - p.start]

    def to_json(self) -> dict[str, Any]:
        p = self.passage
        return {
            "n": self.n,
            "release_id": p.release_id,
            "title": p.title,
            "date": p.date.isoformat() if p.date else None,
            "organisation": p.organisation,
            "passage": p.text,
            "start": p.start,
            "end": p.end,
            "quote_start": self.quote_start,
            "quote_end": self.quote_end,
            "quote": self.quote,
            "score": round(p.score, 6),
        }


@dataclass(frozen=True, slots=True)
class Fact:
    """One line of a release's fact sheet (qa.fact_sheet)."""

    part: str  # qa.fact_sheet.PARTS: "what", "who", "when", "where", "amounts", "penalties", "numbers", "quotes"
    key: str  # the fact itself, in the release's words: "$2.6 million", "Joyce R. Branda"
    start: int  # the sentence that states it, as offsets into the release text
    end: int
    before: str = ""  # the words around it that say what it is
    after: str = ""

    @property
    def text(self) -> str:
        return f"{self.before}{self.key}{self.after}"

    def to_json(self) -> dict[str, Any]:
        return {"part": self.part, "key": self.key, "text": self.text, "start": self.start, "end": self.end}


# "model": the model's own words (checked when the question has a type); "chosen": the model chose it among
# the candidates after its own answer failed the check; "best supported": the best-supported candidate,
# when the choice gave no usable number; "refused": the releases do not say; "quote": read from the quotes kept
# at ingest (qa.quote_answers), no model; "names": the releases naming someone (qa.mentions), no model; "count":
# counted over every release (qa.count_answers), no model.
READ_METHODS = ("model", "chosen", "best supported", "refused", "quote", "names", "count")


@dataclass(frozen=True)
class Answer:
    """An answer or a summary; `to_json()` is its one JSON form (CLI --json, the web API)."""

    text: str
    found: bool
    citations: tuple[Citation, ...] = ()
    passages: tuple[Passage, ...] = ()  # everything the model was shown, cited or not
    question: str = ""  # the standalone question actually searched (after follow-up rewriting)
    timings: dict[str, float] = field(default_factory=dict)
    # How the answer was read (qa.reader): the type the question asks for, "" when not typed (summaries);
    # the method, one of READ_METHODS; the span check's outcome; the candidates offered when one was chosen.
    answer_type: str = ""
    method: str = "model"
    check: str = ""
    candidates: tuple[str, ...] = ()
    # The model's own answer before the check, and the best-supported candidate's, when they differ from
    # this one: for the evaluation's ablation, not shown to users.
    draft: Answer | None = None
    fallback: Answer | None = None
    # The answer in a few words (qa.key_words): the checked or chosen span for a typed question, else what
    # the answer says that the question did not; "" for a refusal or a summary.
    key: str = ""
    facts: tuple[Fact, ...] = ()  # a fact sheet's lines, each cited by the citation of the same sentence
    quotes: tuple[StoredQuote, ...] = ()  # quotes listed (qa.quote_answers), the nth cited by citation n
    named_in: tuple[NamedIn, ...] = ()  # every release naming someone (qa.mentions), newest first
    # A count's series (qa.count_answers): ("YYYY-MM" or "YYYY", releases), oldest first, empty periods as 0;
    # and its releases in all, the undated ones (in no period) included.
    counts: tuple[tuple[str, int], ...] = ()
    total: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.text,
            "found": self.found,
            "question": self.question,
            "key": self.key,
            "answer_type": self.answer_type,
            "method": self.method,
            "check": self.check,
            "candidates": list(self.candidates),
            "citations": [c.to_json() for c in self.citations],
            "retrieved": [
                {
                    "release_id": p.release_id,
                    "title": p.title,
                    "score": round(p.score, 6),
                    **({"also_published_as": list(p.also_published_as)} if p.also_published_as else {}),
                }
                for p in self.passages
            ],
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            **({"facts": [f.to_json() for f in self.facts]} if self.facts else {}),
            **({"quotes": [quote_dict(n, q) for n, q in enumerate(self.quotes, 1)]} if self.quotes else {}),
            **(mentions_dict(self.named_in) if self.named_in else {}),
            **({"total": self.total} if self.total is not None else {}),
            **({"counts": [{"period": k, "releases": n} for k, n in self.counts]} if self.counts else {}),
        }


def mentions_dict(found: tuple[NamedIn, ...]) -> dict[str, Any]:
    months: dict[str, int] = {}
    for n in found:
        month = n.date.strftime("%Y-%m") if n.date else "undated"
        months[month] = months.get(month, 0) + 1
    return {"releases": [named_dict(n) for n in found], "by_month": dict(sorted(months.items()))}


def named_dict(n: NamedIn) -> dict[str, Any]:
    return {
        "release_id": n.release_id,
        "title": n.title,
        "date": n.date.isoformat() if n.date else None,
        "name": n.name,
        "type": n.type,
        "mentions": n.mentions,
        "start": n.start,
        "end": n.end,
    }


def quote_dict(n: int, q: StoredQuote) -> dict[str, Any]:
    return {
        "n": n,
        "speaker": q.speaker,
        "role": q.role,
        "quote": q.text,
        "release_id": q.release_id,
        "title": q.title,
        "date": q.date.isoformat() if q.date else None,
        "start": q.start,
        "end": q.end,
    }


def passage_dict(p: Passage) -> dict[str, Any]:
    d = asdict(p)
    d["date"] = p.date.isoformat() if p.date else None
    return d
