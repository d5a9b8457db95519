"""Hybrid retrieval on a real index of the sample releases (no language model involved)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from embeddings.index import Filters, Index
from embeddings.ingest import Ingestor
from embeddings.lexical import reference_codes
from qa.retrieve import RetrievalConfig, Retriever, fuse, quoting_first


def test_finds_the_release_a_question_is_about(engine) -> None:
    passages = engine.retriever.search("How much will the Millbrook Bridge repair cost?", 5).passages
    assert passages[0].release_id == "riverton_bridge_repair"
    assert all(p.text == engine.index.release(p.release_id).text[p.start : p.end] for p in passages)


def test_exact_reference_code_is_found_first(engine) -> None:
    passages = engine.retriever.search("RCC-2024-031", 5).passages
    assert passages[0].release_id == "riverton_bridge_repair"
    assert "RCC-2024-031" in passages[0].text


def test_dense_alone_misses_what_hybrid_finds(engine) -> None:
    # A reference code means nothing to the embedding model: dense search alone ranks the release quoting it
    # tenth for this code (behind passages of unrelated releases), while BM25 in the hybrid puts it first.
    dense_only = Retriever(engine.index, engine.encoder, RetrievalConfig(lexical=False))
    code = "RCC-2024-031"
    hybrid_ids = [p.release_id for p in engine.retriever.search(code, 10).passages]
    dense_ids = [p.release_id for p in dense_only.search(code, 10).passages]
    assert hybrid_ids[0] == "riverton_bridge_repair"
    assert "riverton_bridge_repair" not in dense_ids[:5], dense_ids


def test_filters_limit_releases(engine) -> None:
    filters = Filters(since=date(2024, 1, 1), until=date(2024, 12, 31), organisation="Transit")
    passages = engine.retriever.search("bridge repair cost", 6, filters).passages
    assert passages, "a filtered search still returns what matches the filter"
    for p in passages:
        assert p.date is not None and p.date.year == 2024
        assert "Transit" in (p.organisation or "")
    none = engine.retriever.search("bridge", 6, Filters(since=date(2030, 1, 1))).passages
    assert none == []


def _index_of(tmp_path: Path, encoder, records: list[dict[str, str]]) -> Index:
    corpus = tmp_path / "releases.jsonl"
    corpus.write_text("\n".join(json.dumps(r) for r in records))
    index = Index.open(tmp_path / "index", encoder.name, encoder.dim)
    assert Ingestor(index, encoder).ingest_paths([corpus]).added == len(records)
    return index


def test_near_duplicate_passages_are_collapsed(tmp_path: Path, encoder) -> None:
    # The same release published twice (a reissue with one word changed) and one other release on the topic.
    body = (
        "The Harbour Board approved a $12.4 million dredging contract for the Quillby channel on Tuesday. "
        "Work starts in March and the channel stays open to ferries throughout, the board said."
    )
    records = [
        {"id": "dredge-1", "title": "Harbour Board approves dredging", "date": "2024-02-06", "text": body},
        {
            "id": "dredge-2",
            "title": "Harbour Board approves dredging (corrected)",
            "date": "2024-02-07",
            "text": body.replace("the board said", "the board confirmed"),
        },
        {
            "id": "ferries",
            "title": "Ferry timetable during the works",
            "date": "2024-02-08",
            "text": "Quillby ferries keep their timetable while the channel is dredged, the operator said.",
        },
    ]
    index = _index_of(tmp_path, encoder, records)
    try:
        question = "Quillby channel dredging contract"
        plain = RetrievalConfig(duplicate_jaccard=2.0, one_per_reissue=False)
        uncollapsed = Retriever(index, encoder, plain).search(question, 3).passages
        assert {p.release_id for p in uncollapsed[:2]} == {"dredge-1", "dredge-2"}, "both copies rank on their own"
        for config in (RetrievalConfig(one_per_reissue=False), RetrievalConfig(duplicate_jaccard=2.0)):
            # Either rule alone collapses them: the passages' trigram overlap, or the releases' grouping.
            collapsed = [p.release_id for p in Retriever(index, encoder, config).search(question, 3).passages]
            assert len({"dredge-1", "dredge-2"} & set(collapsed)) == 1, collapsed
            assert "ferries" in collapsed, "a different passage on the same topic is kept"
        shown = Retriever(index, encoder).search(question, 3).passages[0]
        assert shown.also_published_as == tuple({"dredge-1", "dredge-2"} - {shown.release_id})
    finally:
        index.close()


def test_a_quoted_code_outranks_a_better_topical_match(engine) -> None:
    # The wording is about night buses (rta_night_buses), the code is the fares board paper's.
    passages = engine.retriever.search("Which night bus routes run under board paper RTA-2023-088?", 5).passages
    assert passages[0].release_id == "rta_fares_2024"
    assert "RTA-2023-088" in passages[0].text


def test_reference_codes_are_the_tokens_the_index_holds() -> None:
    assert reference_codes("ISAF press release 2010-12-S-232, in Kunar?") == ["2010-12-s-232"]
    assert reference_codes("case 1:20-cr-00123 and RCC-2024-031.") == ["1:20-cr-00123", "rcc-2024-031"]
    assert reference_codes("U.S.-based firm paid $4.5 million in 2020") == []


def test_fusion_rewards_agreement() -> None:
    fused = dict(fuse([[(1, 0.9), (2, 0.8)], [(2, 7.0), (3, 5.0)]]))
    assert fused[2] > fused[1] > fused[3]
    weighted = dict(fuse([[(1, 0.9)], [(3, 5.0)]], [1.0, 2.0], depth=10))
    assert weighted[3] > weighted[1]
    assert all(0.0 <= score <= 1.0 for score in fused.values())


def test_a_flat_dense_list_does_not_outvote_a_clear_lexical_winner() -> None:
    # Dense barely separates its candidates; BM25 puts 3 far ahead. Rank fusion put 1 first.
    dense = [(1, 0.62), (2, 0.61), (3, 0.60)]
    lexical = [(3, 9.0), (1, 2.0), (2, 1.5)]
    assert fuse([dense, lexical], [0.3, 0.7])[0][0] == 3
    assert fuse([dense, lexical])[0][0] == 3


def test_one_list_alone_keeps_its_order() -> None:
    lexical = [(5, 4.0), (2, 3.0), (9, 0.5)]
    fused = fuse([[], lexical], [0.3, 0.7])
    assert [item for item, _ in fused] == [5, 2, 9]
    assert fused[0][1] == 1.0
    assert fuse([[], []]) == []


def test_a_short_list_is_complete_and_a_full_one_is_cut() -> None:
    # The short lexical list holds every BM25 match, so 1 has no lexical score at all; the full dense list
    # was cut at depth 2, so 3 may just have missed it and gets its lowest returned score.
    dense = [(1, 1.0), (2, 0.5)]
    lexical = [(3, 2.0)]
    fused = dict(fuse([dense, lexical], [0.5, 0.5], depth=2))
    assert fused[1] == 0.5 and fused[3] == 0.75


def test_passages_quoting_the_code_go_first_in_fused_order() -> None:
    fused = [(1, 0.9), (2, 0.8), (3, 0.5), (4, 0.4)]
    ranked = [item for item, _ in quoting_first(fused, [(4, 3.0), (3, 2.0), (7, 1.0)])]
    assert ranked == [3, 4, 7, 1, 2]


def test_a_date_in_the_question_finds_the_release_reporting_that_day(tmp_path: Path, encoder) -> None:
    # Look-alike releases: only the release date tells which operation the question means.
    days = [date(2012, 6, 2), date(2012, 6, 14), date(2012, 6, 30), date(2012, 7, 9), date(2012, 7, 21)]
    groups = ["Taliban", "Haqqani", "Haqqani", "Taliban", "Taliban"]
    records = [
        {
            "id": f"op-{n}",
            "title": "Security operation in Khost province",
            "date": day.isoformat(),
            "body": f"An Afghan and coalition security force arrested a {group} leader during an "
            "operation in Khost district, Khost province, yesterday. The leader coordinated attacks.",
        }
        for n, (day, group) in enumerate(zip(days, groups, strict=True))
    ]
    index = _index_of(tmp_path, encoder, records)
    try:
        retriever = Retriever(index, encoder)
        question = "Which insurgent group was targeted in the operation in Khost province on June 29, 2012?"
        assert retriever.search(question, 3).passages[0].release_id == "op-2"
        assert retriever.search("the Khost province operation of 2012-07-20", 3).passages[0].release_id == "op-4"
        # A date no release reports still gets the ordinary ranking.
        assert retriever.search("Khost province operation on January 5, 2011", 3).passages
    finally:
        index.close()


def test_the_release_stating_the_event_date_beats_the_one_merely_dated_that_day(
    tmp_path: Path, encoder, monkeypatch
) -> None:
    # Both releases fall in the question's date window; only the first reports an operation ON June 29
    # ("yesterday" in a release of June 30); the second is dated June 29 and reports an earlier one.
    records = [
        {
            "id": "reported-next-day",
            "title": "Security operation in Khost province",
            "date": "2012-06-30",
            "body": "KABUL, Afghanistan (June 30, 2012)\nAn Afghan and coalition security force arrested a Haqqani "
            "leader during an operation in Khost district, Khost province, yesterday. The leader coordinated "
            "roadside bomb attacks against Afghan and coalition forces throughout the province.",
        },
        {
            "id": "dated-that-day",
            "title": "Security operation in Khost province",
            "date": "2012-06-29",
            "body": "KABUL, Afghanistan (June 29)\nAn Afghan and coalition security force arrested a Taliban "
            "leader during an operation in Khost district, Khost province, on June 27. The leader coordinated "
            "roadside bomb attacks against Afghan and coalition forces throughout the province.",
        },
    ]
    index = _index_of(tmp_path, encoder, records)
    try:
        question = "Which insurgent group was targeted in the operation in Khost province on June 29, 2012?"
        assert Retriever(index, encoder).search(question, 2).passages[0].release_id == "reported-next-day"
        monkeypatch.setattr("qa.retrieve.EVENT_DATE_BONUS", 0.0)
        assert Retriever(index, encoder).search(question, 2).passages[0].release_id == "dated-that-day"
    finally:
        index.close()


def test_full_dates_are_every_complete_date_once() -> None:
    from embeddings.text.dates import full_dates

    text = "On June 29, 2012 and 2012-07-01 (not June 2012, not 07/01), then Jun. 29, 2012 again."
    assert full_dates(text) == [date(2012, 6, 29), date(2012, 7, 1)]
    assert full_dates("no dates here, only 2012") == []


def test_a_quoted_code_keeps_only_the_releases_quoting_it() -> None:
    from qa.retrieve import quoting_releases_only
    from qa.types import Passage

    def passage(chunk_id: int, release_id: str) -> Passage:
        return Passage(chunk_id, release_id, "t", None, None, None, "text", 0, 4, 1.0, None, None)

    passages = [passage(1, "a"), passage(2, "b"), passage(3, "a"), passage(4, "c")]
    # Chunk 1 quotes the code: release a's other passage stays, b and c go.
    assert [p.chunk_id for p in quoting_releases_only(passages, {1})] == [1, 3]
    assert [p.chunk_id for p in quoting_releases_only(passages, {2, 4})] == [2, 4]
    # No shown passage quotes it (the quoting chunk ranked below k): nothing is dropped.
    assert quoting_releases_only(passages, {99}) == passages


def test_a_quoted_code_question_is_answered_from_that_release_alone(engine) -> None:
    passages = engine.retriever.search("Which night bus routes run under board paper RTA-2023-088?", 6).passages
    assert passages and {p.release_id for p in passages} == {"rta_fares_2024"}
