"""Hybrid retrieval on a real index of the sample releases (no language model involved)."""

from __future__ import annotations

from datetime import date

from embeddings.index import Filters
from qa.retrieve import RetrievalConfig, Retriever, fuse


def test_finds_the_release_a_question_is_about(engine) -> None:
    passages = engine.retriever.search("How much will the Millbrook Bridge repair cost?", 5).passages
    assert passages[0].release_id == "riverton_bridge_repair"
    assert all(p.text == engine.index.release(p.release_id).text[p.start : p.end] for p in passages)


def test_exact_reference_code_is_found_first(engine) -> None:
    passages = engine.retriever.search("RCC-2024-031", 5).passages
    assert passages[0].release_id == "riverton_bridge_repair"
    assert "RCC-2024-031" in passages[0].text


def test_dense_alone_misses_what_hybrid_finds(engine) -> None:
    dense_only = Retriever(engine.index, engine.encoder, RetrievalConfig(lexical=False))
    code = "RCC-2024-031"
    hybrid_rank = [p.release_id for p in engine.retriever.search(code, 10).passages].index("riverton_bridge_repair")
    dense_ids = [p.release_id for p in dense_only.search(code, 10).passages]
    dense_rank = dense_ids.index("riverton_bridge_repair") if "riverton_bridge_repair" in dense_ids else 99
    assert hybrid_rank == 0 and hybrid_rank <= dense_rank


def test_filters_limit_releases(engine) -> None:
    filters = Filters(since=date(2024, 1, 1), until=date(2024, 12, 31), organisation="Transit")
    passages = engine.retriever.search("bridge repair cost", 6, filters).passages
    assert passages, "a filtered search still returns what matches the filter"
    for p in passages:
        assert p.date is not None and p.date.year == 2024
        assert "Transit" in (p.organisation or "")
    none = engine.retriever.search("bridge", 6, Filters(since=date(2030, 1, 1))).passages
    assert none == []


def test_near_duplicate_passages_are_collapsed(engine) -> None:
    passages = engine.retriever.search("Millbrook Bridge closure dates and footbridge", 8).passages
    texts = [p.text for p in passages]
    assert len(set(texts)) == len(texts)


def test_reciprocal_rank_fusion_rewards_agreement() -> None:
    fused = dict(fuse([[(1, 0.9), (2, 0.8)], [(2, 7.0), (3, 5.0)]]))
    assert fused[2] > fused[1] > fused[3]
    weighted = dict(fuse([[(1, 0.9)], [(3, 5.0)]], [1.0, 2.0]))
    assert weighted[3] > weighted[1]
