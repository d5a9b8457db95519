"""The records an evaluation run produces, each with one JSON form: a question's result, a summary's
result (one line each of results.jsonl) and the run summary (summary.json).

Runners make these, eval.store writes and reads them, eval.aggregate and the reports read them.
Readers accept every file written so far: a key an older file lacks takes its default, and a key this
code does not know is kept in `extra` and written back as it was (so `pressqa eval report` loses nothing).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from eval.metrics import Faithfulness

Latency = dict[str, float]  # seconds by step: retrieve, first_token, total
# A group's metrics by name ("accuracy", "hit@5", ...); latency_s holds p50/p95/mean by step.
Metrics = dict[str, Any]
RunConfig = dict[str, Any]  # the run's settings as given; older runs lack keys added since


def _split(cls: type, data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The keys that are fields of `cls`, and the rest."""
    names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
    known = {k: v for k, v in data.items() if k in names}
    return known, {k: v for k, v in data.items() if k not in names}


def _plain(record: object) -> dict[str, Any]:
    """Fields as JSON values (tuples as lists), `extra` merged back at the end."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(record):  # type: ignore[arg-type]
        if f.name == "extra":
            continue
        value = getattr(record, f.name)
        if isinstance(value, tuple):
            value = [v.to_json() if hasattr(v, "to_json") else v for v in value]
        elif hasattr(value, "to_json"):
            value = value.to_json()
        out[f.name] = value
    return {**out, **getattr(record, "extra", {})}


@dataclass(frozen=True, slots=True)
class CitedRelease:
    n: int
    release_id: str
    title: str

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "release_id": self.release_id, "title": self.title}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CitedRelease:
        return cls(n=data.get("n", 0), release_id=str(data["release_id"]), title=data.get("title", ""))


@dataclass(frozen=True, slots=True)
class RetrievedPassage:
    release_id: str
    score: float
    title: str | None = None  # kept for the first few only (report.md shows 5); more would bloat results.jsonl

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"release_id": self.release_id, "score": self.score}
        return out | ({"title": self.title} if self.title is not None else {})

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RetrievedPassage:
        return cls(release_id=str(data["release_id"]), score=data.get("score", 0.0), title=data.get("title"))


@dataclass(frozen=True)
class QAResult:
    """One gold question: what went in, what the product answered and retrieved, and the scores."""

    id: str
    type: str
    question: str
    gold_answers: tuple[str, ...]
    gold_release_id: str | None
    answerable: bool
    retrieval_only: bool = False  # only retrieved: no answer, so only hit@k and MRR count
    answer: str | None = None
    key: str | None = None  # the answer in a few words (Answer.key)
    raw_answer: str | None = None  # the model's words before refusal rewording / marker repair
    found: bool | None = None  # False: answered "not in the releases"; None: not asked (retrieval only)
    citations: tuple[CitedRelease, ...] = ()
    shown: tuple[str, ...] = ()  # release ids of the passages the model saw
    retrieved: tuple[RetrievedPassage, ...] = ()  # the top max(10, top_k), for hit@k and MRR
    latency: Latency = field(default_factory=dict)
    engine_timings: dict[str, float] = field(default_factory=dict)
    # How the reader got the answer (qa.reader): the asked type, the method, the span check's outcome, the
    # candidates offered; and the model's own answer ("draft") and the best-supported candidate's
    # ("fallback") where they differ from the answer, each {"answer", "found", "cited"}: the ablation
    # (eval.ablation) scores them as the answers the pipeline without the later steps would give.
    answer_type: str | None = None
    method: str | None = None
    check: str | None = None
    candidates: tuple[str, ...] = ()
    stages: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    # The scores (eval.scoring); None where they do not apply (retrieval only) or were not made yet.
    correct: bool | None = None
    matched_answer: str | None = None
    exact_match: float | None = None
    f1: float | None = None
    key_exact_match: float | None = None  # the same, of the answer's key words
    key_f1: float | None = None
    normalized_answer: str | None = None
    normalized_gold: tuple[str, ...] = ()
    ok: bool | None = None  # answerable answered correctly, or unanswerable refused
    gold_rank: int | None = None
    cites_gold: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return _plain(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> QAResult:
        known, extra = _split(cls, data)
        known["gold_answers"] = tuple(known.get("gold_answers") or ())
        known["citations"] = tuple(CitedRelease.from_json(c) for c in known.get("citations") or ())
        known["shown"] = tuple(str(s) for s in known.get("shown") or ())
        known["retrieved"] = tuple(RetrievedPassage.from_json(p) for p in known.get("retrieved") or ())
        known["normalized_gold"] = tuple(known.get("normalized_gold") or ())
        known["candidates"] = tuple(known.get("candidates") or ())
        for name in ("latency", "engine_timings", "stages"):
            known[name] = dict(known.get(name) or {})
        known["retrieval_only"] = bool(known.get("retrieval_only"))
        known.setdefault("type", "all")
        return cls(**known, extra=extra)


@dataclass(frozen=True)
class SummaryResult:
    """One gold summary: the release, what the product wrote, and the scores."""

    id: str
    release_id: str
    reference: str
    title: str | None = None
    source_words: int | None = None
    summary: str | None = None
    key_facts: tuple[str, ...] = ()
    # Checked against the release text, which results.jsonl does not keep: not re-scored by `eval report`.
    faithfulness: Faithfulness | None = None
    latency: Latency = field(default_factory=dict)
    engine_timings: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    # The scores (eval.scoring).
    key_fact_recall: float | None = None  # None: the gold has no key facts (CNN/DailyMail)
    missing_facts: tuple[str, ...] = ()
    rouge: dict[str, float] = field(default_factory=dict)
    words: int | None = None
    reference_words: int | None = None
    # The trivial summaries of the same release (eval.baselines), name -> {"text", then after scoring
    # "key_fact_recall", "rouge", "words"}: every run measures how far above them the product is.
    baselines: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = _plain(self)
        faith = self.faithfulness
        if faith is not None:
            out["faithfulness"] = {
                **dataclasses.asdict(faith),
                "numbers_supported": faith.numbers_supported,
                "dates_supported": faith.dates_supported,
                "names_supported": faith.names_supported,
            }
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SummaryResult:
        known, extra = _split(cls, data)
        faith = known.get("faithfulness")
        if faith is not None:
            kinds = [f.name for f in dataclasses.fields(Faithfulness)]
            known["faithfulness"] = Faithfulness(**{k: list(faith.get(k) or []) for k in kinds})
        for name in ("key_facts", "missing_facts"):
            known[name] = tuple(known.get(name) or ())
        for name in ("latency", "engine_timings", "rouge", "baselines"):
            known[name] = dict(known.get(name) or {})
        known["release_id"] = str(known["release_id"])
        known.setdefault("reference", "")
        return cls(**known, extra=extra)


@dataclass(frozen=True)
class TopicResult:
    """One gold topic: the summary over the releases the product found, and how it covers the gold ones."""

    id: str
    topic: str
    story: bool
    gold_releases: tuple[str, ...]
    gold_dates: dict[str, str] = field(default_factory=dict)
    key_facts: dict[str, list[str]] = field(default_factory=dict)  # release id -> facts
    summary: str | None = None
    sources: tuple[str, ...] = ()  # release ids the model was shown, in [n] order
    cited: tuple[str, ...] = ()  # release ids the summary's markers cite, in order of first citation
    latency: Latency = field(default_factory=dict)
    engine_timings: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    # The scores (eval.scoring.score_topic).
    release_coverage: float | None = None  # gold releases cited / gold releases
    shown_coverage: float | None = None  # gold releases shown to the model / gold releases (retrieval's share)
    fact_recall: float | None = None  # gold key facts in the summary / gold key facts
    citation_precision: float | None = None  # cited releases that are gold / cited releases
    in_date_order: bool | None = None  # story topics: gold releases first cited in date order
    missing_facts: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return _plain(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TopicResult:
        known, extra = _split(cls, data)
        for name in ("gold_releases", "sources", "cited", "missing_facts"):
            known[name] = tuple(known.get(name) or ())
        for name in ("gold_dates", "key_facts", "latency", "engine_timings"):
            known[name] = dict(known.get(name) or {})
        return cls(**known, extra=extra)


ItemResult = QAResult | SummaryResult | TopicResult


def item_from_json(data: Mapping[str, Any]) -> ItemResult:
    """A results.jsonl line as its record: question results have a question, topic results a topic."""
    if "question" in data:
        return QAResult.from_json(data)
    return TopicResult.from_json(data) if "topic" in data else SummaryResult.from_json(data)


@dataclass(frozen=True)
class RunSummary:
    """summary.json: every metric, the run's configuration and what made it, so runs can be compared."""

    kind: Literal["qa", "summaries", "topics"]
    config: RunConfig
    git: dict[str, Any] | None  # {"commit", "dirty"}: the code that produced the answers
    timing: dict[str, float | None]
    overall: Metrics
    by_type: dict[str, Metrics] = field(default_factory=dict)
    definitions: dict[str, str] = field(default_factory=dict)
    # embeddings.hardware.machine_info(): CPU model, cores, flags, threads, versions. None: the run
    # predates recording it (all such runs were made on the project's 2-core AVX2 AMD EPYC).
    machine: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = _plain(self)
        # Key order as summary.json has always had it, with the machine after the code it ran.
        order = ["kind", "config", "git", "machine", "timing", "overall", "by_type", "definitions"]
        if self.machine is None:
            order.remove("machine")
            out.pop("machine")
        return {**{k: out[k] for k in order}, **self.extra}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunSummary:
        known, extra = _split(cls, data)
        known.setdefault("kind", "qa")
        for name in ("config", "timing", "overall"):
            known[name] = dict(known.get(name) or {})
        known.setdefault("git", None)
        return cls(**known, extra=extra)
