"""Hybrid retrieval: dense (FAISS) and lexical (BM25) candidates fused by a weighted sum of normalised scores.

Dense search finds paraphrases; BM25 finds exact names, numbers and reference codes that a small
embedding model blurs. On press releases BM25 is the stronger of the two, so it carries more weight, and
fusion keeps score sizes rather than ranks only: with reciprocal rank fusion a dense list that barely
separates its candidates outvoted a clear BM25 winner. A passage that quotes a reference code of the
question whole goes first; one that states a date the question names, its relative days resolved ("yesterday"
in a release of June 30), moves up. Near-duplicate passages (boilerplate repeated across releases, releases
published twice) are collapsed so the top-k shows k different things.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from embeddings.encode import Encoder
from embeddings.index import Filters, Index
from embeddings.lexical import reference_codes
from embeddings.text.dates import full_dates
from embeddings.text.words import words
from qa.spans import find_spans
from qa.types import Passage

# BM25's share of the fused score, dense similarity has the rest. Dense still lifts paraphrased questions
# that share few words with the passage; a larger dense share let near-identical similarities among
# look-alike releases override what the names, dates and places in the question match.
LEXICAL_WEIGHT = 0.7
# Releases report an event on its day or a day or two later ("killed yesterday", "arrested Thursday"), and
# their text rarely repeats the date. A question that names a date ("the operation in Khost province on
# June 29, 2012") is therefore also searched (BM25) among the releases dated from that day to
# EVENT_REPORT_DAYS after it, and that list joins the fusion with DATE_WEIGHT.
EVENT_REPORT_DAYS = 2
DATE_WEIGHT = 0.3
# Of the first EVENT_DATE_DEPTH fused passages, those that state a date the question names, with relative
# days resolved against their release's date ("yesterday" in a release of March 29 is March 28) and the
# dateline "(March 28, 2011)" left out, gain EVENT_DATE_BONUS (of the fused [0, 1] range). ISAF dev, 664
# questions, retrieval only: hit@1 75.6 -> 76.8% (which group: 69.9 -> 73.9%) at 0.1; 0.2 gave 76.2 and
# 0.4 74.7, as a passage stating the date but another province started to win. DOJ dev unchanged (79.4).
EVENT_DATE_BONUS = 0.1
EVENT_DATE_DEPTH = 30
_DATELINE = re.compile(r"\(\s*$")


@dataclass(frozen=True)
class RetrievalConfig:
    candidates: int = 50  # from each retriever, before fusion
    dense: bool = True
    lexical: bool = True
    duplicate_jaccard: float = 0.8  # word-trigram overlap above which two passages count as one
    code_scope: bool = True  # a question quoting a reference code gets only the releases quoting it
    one_per_reissue: bool = True  # a release published under several ids is shown once (embeddings/reissues.py)


@dataclass(frozen=True)
class Retrieval:
    passages: list[Passage]
    timings: dict[str, float]


class Retriever:
    def __init__(self, index: Index, encoder: Encoder, config: RetrievalConfig | None = None) -> None:
        self.index = index
        self.encoder = encoder
        self.config = config or RetrievalConfig()

    def search(self, query: str, k: int, filters: Filters | None = None) -> Retrieval:
        timings: dict[str, float] = {}
        allowed = None
        if filters is not None and not filters.is_empty():
            allowed = self.index.allowed_chunk_ids(filters)
            if len(allowed) == 0:
                return Retrieval([], timings)
        # The searches of the index's current generation (FAISS and BM25 reloaded if another process changed
        # it, or the vector engine brought level), kept for this whole search while a later one may load newer.
        # A vector engine applies `filters` itself; FAISS and BM25 take the `allowed` chunk ids.
        searchers = self.index.searchers()
        n = self.config.candidates
        dense_hits: list[tuple[int, float]] = []
        lexical_hits: list[tuple[int, float]] = []
        if self.config.dense:
            t0 = time.perf_counter()
            vector = self.encoder.encode_query(query)
            timings["embed_query"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            dense_hits = searchers.dense_search(vector, n, allowed, filters)
            timings["dense"] = time.perf_counter() - t0
        exact_hits: list[tuple[int, float]] = []
        dated_hits: list[tuple[int, float]] = []
        asked = full_dates(query)[:3]  # the dates the question names
        if self.config.lexical:
            t0 = time.perf_counter()
            lexical_hits = searchers.lexical_search(query, n, allowed, filters)
            codes = reference_codes(query)
            if codes:
                exact_hits = searchers.token_search(codes, n, allowed, filters)
            dated = self._reported_on(asked, allowed)
            if dated is not None and len(dated):
                dated_hits = searchers.lexical_search(query, n, dated)
            timings["lexical"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        fused = fuse(
            [dense_hits, lexical_hits, dated_hits], [1.0 - LEXICAL_WEIGHT, LEXICAL_WEIGHT, DATE_WEIGHT], depth=n
        )
        if asked:
            fused = self._event_dated_first(fused, asked)
        if exact_hits:
            fused = quoting_first(fused, exact_hits)
        passages = self._passages(fused, dict(dense_hits), dict(lexical_hits), k)
        if exact_hits and self.config.code_scope:
            passages = quoting_releases_only(passages, {chunk_id for chunk_id, _ in exact_hits})
        timings["fuse"] = time.perf_counter() - t0
        return Retrieval(passages, timings)

    def _reported_on(self, dates: list[date], allowed: np.ndarray | None) -> np.ndarray | None:
        """Chunks of releases dated on a date the question names or up to EVENT_REPORT_DAYS after it."""
        if not dates:
            return None
        windows = [
            self.index.allowed_chunk_ids(Filters(since=d, until=d + timedelta(days=EVENT_REPORT_DAYS))) for d in dates
        ]
        ids = np.unique(np.concatenate(windows))
        return ids if allowed is None else np.intersect1d(ids, allowed)

    def _event_dated_first(self, fused: list[tuple[int, float]], asked: list[date]) -> list[tuple[int, float]]:
        """`fused` with EVENT_DATE_BONUS added to the passages among its first EVENT_DATE_DEPTH that state one
        of the `asked` dates (not as their dateline), re-sorted."""
        head = [chunk_id for chunk_id, _ in fused[:EVENT_DATE_DEPTH]]
        chunks = self.index.chunks(head)
        infos = {i.id: i for i in self.index.release_infos(c.release_id for c in chunks.values())}
        wanted = {d.isoformat() for d in asked}
        scores = dict(fused)
        for chunk_id, chunk in chunks.items():
            released = infos[chunk.release_id].date
            for span in find_spans("date", chunk.text, released):
                if span.key in wanted and not _DATELINE.search(chunk.text[max(0, span.start - 3) : span.start]):
                    scores[chunk_id] += EVENT_DATE_BONUS
                    break
        return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))

    def _passages(
        self, fused: list[tuple[int, float]], dense: dict[int, float], lexical: dict[int, float], k: int
    ) -> list[Passage]:
        # Fetch a few more than k: some will be collapsed as duplicates.
        wanted = [chunk_id for chunk_id, _ in fused[: k * 4]]
        chunks = self.index.chunks(wanted)
        infos = {i.id: i for i in self.index.release_infos(c.release_id for c in chunks.values())}
        # A release published under several ids is shown once, under the id retrieved first, with the others.
        reissued = self.index.reissues(infos) if self.config.one_per_reissue else []
        groups = {rid: group for group in reissued for rid in group}
        shown_as: dict[str, str] = {}
        kept: list[Passage] = []
        shingles: list[set[tuple[str, ...]]] = []
        for chunk_id, score in fused[: k * 4]:
            chunk = chunks.get(chunk_id)
            if chunk is None:
                continue
            group = groups.get(chunk.release_id, [chunk.release_id])
            if shown_as.setdefault(min(group), chunk.release_id) != chunk.release_id:
                continue
            grams = trigrams(chunk.text)
            if any(jaccard(grams, other) >= self.config.duplicate_jaccard for other in shingles):
                continue
            info = infos[chunk.release_id]
            kept.append(
                Passage(
                    chunk_id=chunk_id,
                    release_id=chunk.release_id,
                    title=info.title,
                    date=info.date,
                    organisation=info.organisation,
                    origin=info.origin,
                    text=chunk.text,
                    start=chunk.start,
                    end=chunk.end,
                    score=score,
                    dense_score=dense.get(chunk_id),
                    lexical_score=lexical.get(chunk_id),
                    also_published_as=tuple(r for r in group if r != chunk.release_id),
                )
            )
            shingles.append(grams)
            if len(kept) == k:
                break
        return kept


def fuse(
    rankings: list[list[tuple[int, float]]], weights: list[float] | None = None, depth: int | None = None
) -> list[tuple[int, float]]:
    """Weighted sum of each list's scores divided by its top score; fused scores lie in [0, 1].

    Dividing by the top score (with 0 as the floor: BM25 0 and cosine 0 both mean no match) puts cosine
    similarities and unbounded BM25 scores on one scale while keeping how far ahead a list's leader is, which
    ranks alone lose. An item missing from a list that was cut at `depth` (or any list, without `depth`)
    gets that list's lowest returned score: it ranked below all of them, and 0 would sink an item that one
    retriever just left out of its top candidates. A list shorter than `depth` holds every match, so an
    item missing from it gets 0. Weights are shared among the non-empty lists, so one list alone keeps its
    own order and spans the whole scale.
    """
    weights = weights or [1.0] * len(rankings)
    used = [(ranking, weight) for ranking, weight in zip(rankings, weights, strict=True) if ranking]
    total = sum(weight for _, weight in used)
    if not used or total <= 0:
        return []
    normalised: list[tuple[dict[int, float], float, float]] = []
    for ranking, weight in used:
        top = max(score for _, score in ranking)
        scaled = {item: max(score, 0.0) / top if top > 0 else 0.0 for item, score in ranking}
        floor = min(scaled.values()) if depth is None or len(ranking) >= depth else 0.0
        normalised.append((scaled, floor, weight / total))
    items = {item for scaled, _, _ in normalised for item in scaled}
    scores = {item: sum(w * scaled.get(item, floor) for scaled, floor, w in normalised) for item in items}
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def quoting_first(fused: list[tuple[int, float]], quoting: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Passages that quote a reference code of the question whole, ahead of all others, each group in fused order.

    A code is an identifier, not a topic: the passage that carries it is the one asked about, however well
    other passages match the rest of the question. Adding 1 (the whole fused range) keeps scores comparable.
    """
    scores = dict(fused)
    for item, _ in quoting:
        scores[item] = 1.0 + scores.get(item, 0.0)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def quoting_releases_only(passages: list[Passage], quoting: set[int]) -> list[Passage]:
    """The passages of releases that quote the question's reference code, when any of them does.

    "According to press release 2011-08-S-031, in which province..." is about that release alone; other
    passages (look-alike operations elsewhere) only give a small model a wrong place to copy from. Passages
    come from the first k, so a release that quotes the code but did not rank stays out, as before.
    """
    releases = {p.release_id for p in passages if p.chunk_id in quoting}
    return [p for p in passages if p.release_id in releases] if releases else passages


def trigrams(text: str) -> set[tuple[str, ...]]:
    found = words(text)
    return {tuple(found[i : i + 3]) for i in range(max(len(found) - 2, 1))}


def jaccard(a: set[tuple[str, ...]], b: set[tuple[str, ...]]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)
