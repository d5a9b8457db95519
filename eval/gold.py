"""Gold-set readers: question and summary gold items, and the corpora some gold formats carry with them.

Formats, told apart by content rather than file name:
- gold questions, JSONL: {"id", "question", "answers": [...], "type", "release_id"}; answers [] = unanswerable;
- SQuAD v1.1 JSON ({"data": [{"title", "paragraphs": [{"context", "qas"}]}]}): each paragraph becomes a
  release with id "<file stem>-<article>-<paragraph>" (0-based positions in the file, so stable for a
  given file), its questions gold items whose release is that paragraph;
- gold summaries, JSONL: {"id", "release_id", "key_facts": [...], "reference"};
- CNN/DailyMail JSONL: {"id", "article", "highlights"}: each article becomes a release (id = record id,
  title = its first sentence) and a gold summary whose reference is the highlights, without key facts.

Gold answers, key facts and references stay here and in the metrics: only `Release` objects (texts) and
question strings are ever handed to the product.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal, TypeVar

from embeddings.types import Release

T = TypeVar("T")
GoldFormat = Literal["qa", "squad", "summaries", "cnndm", "topics", "releases"]
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'“‘(])")
_URL_DATE = re.compile(r"/(\d{4})/(\d{2})/(\d{2})/")


class GoldFormatError(ValueError):
    """A gold or corpus file that none of the readers understands; the message says what was expected."""


@dataclass(frozen=True, slots=True)
class GoldQuestion:
    id: str
    question: str
    answers: tuple[str, ...]  # empty: the corpus does not answer it
    type: str
    release_id: str | None  # always a string: DOJ gold gives ints, the index stores strings

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


@dataclass(frozen=True, slots=True)
class GoldSummary:
    id: str
    release_id: str
    key_facts: tuple[str, ...]  # empty for CNN/DailyMail: only ROUGE and faithfulness are measured
    reference: str


@dataclass(frozen=True, slots=True)
class QASet:
    items: tuple[GoldQuestion, ...]
    releases: tuple[Release, ...] = ()  # the corpus, when the gold file carries one (SQuAD)


@dataclass(frozen=True, slots=True)
class SummarySet:
    items: tuple[GoldSummary, ...]
    releases: tuple[Release, ...] = ()  # the corpus, when the gold file carries one (CNN/DailyMail)


def _str_id(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise GoldFormatError(f"{path}:{n}: not JSON ({exc.msg})") from None
            if not isinstance(record, dict):
                raise GoldFormatError(f"{path}:{n}: expected a JSON object per line")
            yield n, record


def detect_format(path: Path) -> GoldFormat:
    """Which reader a file needs, from its first record."""
    path = Path(path)
    if path.is_dir():
        return "releases"
    if path.suffix.lower() == ".json":
        with path.open(encoding="utf-8") as f:
            head = f.read(4096)
        if '"paragraphs"' in head or ('"data"' in head and '"qas"' in head):
            return "squad"
        return "releases"
    if path.suffix.lower() != ".jsonl":
        return "releases"
    for _, record in _jsonl(path):
        if "question" in record and "answers" in record:
            return "qa"
        if "topic" in record and "releases" in record:
            return "topics"
        if "key_facts" in record or ("reference" in record and "release_id" in record):
            return "summaries"
        if "article" in record and "highlights" in record:
            return "cnndm"
        return "releases"
    raise GoldFormatError(f"{path} is empty")


def _gold_format(path: Path, formats: tuple[GoldFormat, ...], expected: str) -> GoldFormat:
    """The file's format, which must be one of `formats`; else the error says what was `expected`."""
    kind = detect_format(path)
    if kind not in formats:
        raise GoldFormatError(f"{path} is not a {expected}")
    return kind


_QUESTION_FILE = (
    "gold question file: expected JSONL lines with id, question, answers, type, release_id, or a SQuAD v1.1 JSON file"
)
_SUMMARY_FILE = (
    "gold summary file: expected JSONL lines with id, release_id, key_facts, reference, "
    "or CNN/DailyMail lines with id, article, highlights"
)


def read_questions(path: Path) -> QASet:
    path = Path(path)
    if _gold_format(path, ("qa", "squad"), _QUESTION_FILE) == "squad":
        return read_squad(path)
    return QASet(tuple(_question(path, n, r) for n, r in _jsonl(path)))


def _question(path: Path, n: int, r: dict[str, Any]) -> GoldQuestion:
    """Line n of a gold question file."""
    if not isinstance(r.get("question"), str) or not isinstance(r.get("answers"), list):
        raise GoldFormatError(f"{path}:{n}: needs a 'question' string and an 'answers' list")
    return GoldQuestion(
        id=str(r.get("id") or f"{path.stem}-{n}"),
        question=r["question"],
        answers=tuple(str(a) for a in r["answers"] if str(a).strip()),
        type=str(r.get("type") or "all"),
        release_id=_str_id(r.get("release_id")),
    )


@dataclass(frozen=True, slots=True)
class GoldConversation:
    """Questions asked one after another in one chat: turn 1 stands alone, later turns lean on it ("And how
    long was he sentenced to?"); `standalone` holds each turn rewritten to stand alone, asked separately
    to compare."""

    id: str
    turns: tuple[GoldQuestion, ...]
    standalone: tuple[str, ...]


def read_conversations(path: Path) -> tuple[GoldConversation, ...]:
    """A follow-up gold file (eval/gold/followups.dev.jsonl): one conversation a line, {"id", "turns": [{
    "question", "standalone", "answers", "release_id", "type"}, ...]}."""
    path = Path(path)
    conversations = []
    for n, r in _jsonl(path):
        turns = r.get("turns")
        if not isinstance(turns, list) or not turns or not all(isinstance(t, dict) for t in turns):
            raise GoldFormatError(f"{path}:{n}: needs a 'turns' list of question objects (a conversation file)")
        cid = str(r.get("id") or f"{path.stem}-{n}")
        questions = tuple(_question(path, n, {**t, "id": f"{cid}-t{i}"}) for i, t in enumerate(turns, 1))
        alone = tuple(str(t.get("standalone") or t["question"]) for t in turns)
        conversations.append(GoldConversation(cid, questions, alone))
    return tuple(conversations)


def _title_from_url(url: str) -> str:
    """SQuADShifts titles are article URLs: their slug is the headline."""
    slug = url.rstrip("/").rsplit("/", 1)[-1]
    slug = re.sub(r"\.html?$", "", slug)
    words = slug.replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else url


def read_squad(path: Path) -> QASet:
    path = Path(path)
    with path.open(encoding="utf-8") as f:
        doc = json.load(f)
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise GoldFormatError(f"{path}: expected a SQuAD v1.1 object with a 'data' list")
    releases: list[Release] = []
    items: list[GoldQuestion] = []
    for a, article in enumerate(doc["data"]):
        raw_title = str(article.get("title") or f"article {a}")
        is_url = raw_title.startswith("http")
        title = _title_from_url(raw_title) if is_url else raw_title.replace("_", " ")
        m = _URL_DATE.search(raw_title) if is_url else None
        when = None
        if m:
            try:
                when = date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                when = None
        for p, paragraph in enumerate(article.get("paragraphs", [])):
            rid = f"{path.stem}-{a:04d}-{p:03d}"
            releases.append(
                Release(
                    id=rid,
                    title=title,
                    text=paragraph["context"],
                    date=when,
                    origin=raw_title if is_url else f"{path}#{a}/{p}",
                )
            )
            for qa in paragraph.get("qas", []):
                answers = tuple(dict.fromkeys(x["text"] for x in qa.get("answers", []) if x.get("text", "").strip()))
                items.append(
                    GoldQuestion(
                        id=str(qa["id"]),
                        question=qa["question"],
                        answers=answers,
                        type="squad" if answers else "unanswerable",
                        release_id=rid,
                    )
                )
    return QASet(tuple(items), tuple(releases))


def first_sentence(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    sentence = _SENTENCE_END.split(text, maxsplit=1)[0] if text else ""
    if len(sentence) > limit:
        sentence = sentence[:limit].rsplit(" ", 1)[0] + "…"
    return sentence


def read_cnndm(path: Path) -> SummarySet:
    path = Path(path)
    items: list[GoldSummary] = []
    releases: list[Release] = []
    for n, r in _jsonl(path):
        if not isinstance(r.get("article"), str) or not isinstance(r.get("highlights"), str):
            raise GoldFormatError(f"{path}:{n}: a CNN/DailyMail record needs 'article' and 'highlights' strings")
        rid = str(r.get("id") or f"{path.stem}-{n}")
        # Only the article goes into the release: the highlights are the gold summary.
        releases.append(Release(id=rid, title=first_sentence(r["article"]), text=r["article"], origin=f"{path}#{n}"))
        items.append(GoldSummary(id=rid, release_id=rid, key_facts=(), reference=r["highlights"]))
    return SummarySet(tuple(items), tuple(releases))


def read_summaries(path: Path) -> SummarySet:
    path = Path(path)
    if _gold_format(path, ("summaries", "cnndm"), _SUMMARY_FILE) == "cnndm":
        return read_cnndm(path)
    return SummarySet(tuple(_summary(path, n, r) for n, r in _jsonl(path)))


def _summary(path: Path, n: int, r: dict[str, Any]) -> GoldSummary:
    """Line n of a gold summary file."""
    rid = _str_id(r.get("release_id"))
    if rid is None:
        raise GoldFormatError(f"{path}:{n}: a gold summary needs a release_id")
    return GoldSummary(
        id=str(r.get("id") or f"{path.stem}-{n}"),
        release_id=rid,
        key_facts=tuple(str(k) for k in r.get("key_facts") or ()),
        reference=str(r.get("reference") or ""),
    )


@dataclass(frozen=True, slots=True)
class GoldTopic:
    """A topic summary's gold: the releases that belong to the topic, with each one's date and key facts."""

    id: str
    topic: str
    story: bool  # the releases tell one story over time: the summary should follow their dates
    releases: tuple[str, ...]
    dates: dict[str, str]  # release id -> YYYY-MM-DD
    key_facts: dict[str, tuple[str, ...]]  # release id -> facts, each a verbatim phrase of that release


def read_topics(path: Path) -> tuple[GoldTopic, ...]:
    path = Path(path)
    _gold_format(path, ("topics",), "topic gold file (JSONL lines with 'topic' and 'releases')")
    topics = []
    for n, r in _jsonl(path):
        releases = r.get("releases") or []
        ids = [_str_id(x.get("release_id")) for x in releases]
        if not r.get("topic") or not ids or None in ids:
            raise GoldFormatError(f"{path}:{n}: a gold topic needs a topic and releases with release_id")
        topics.append(
            GoldTopic(
                id=str(r.get("id") or f"{path.stem}-{n}"),
                topic=str(r["topic"]),
                story=bool(r.get("story")),
                releases=tuple(str(i) for i in ids),
                dates={str(i): str(x.get("date") or "") for i, x in zip(ids, releases, strict=True)},
                key_facts={
                    str(i): tuple(str(f) for f in x.get("key_facts") or ()) for i, x in zip(ids, releases, strict=True)
                },
            )
        )
    return tuple(topics)


def corpus_releases(path: Path) -> tuple[Release, ...] | None:
    """The releases a SQuAD or CNN/DailyMail file carries; None for a plain corpus the loaders read."""
    kind = detect_format(Path(path))
    if kind == "squad":
        return read_squad(path).releases
    if kind == "cnndm":
        return read_cnndm(path).releases
    if kind in ("qa", "summaries", "topics"):
        raise GoldFormatError(f"{path} is a gold file, not a corpus: pass it as --gold")
    return None


def select(
    items: Sequence[T],
    sample: int | None = None,
    seed: int = 0,
    limit: int | None = None,
    types: Sequence[str] | None = None,
) -> list[T]:
    """A seeded random sample (kept in file order, so reports read like the file), the items of the given
    types among it, then the first `limit`."""
    chosen = list(items)
    if sample is not None and sample < len(chosen):
        picked = sorted(random.Random(seed).sample(range(len(chosen)), sample))
        chosen = [chosen[i] for i in picked]
    if types:
        chosen = [item for item in chosen if getattr(item, "type", None) in types]
    if limit is not None:
        chosen = chosen[:limit]
    return chosen
