"""Ingest streams: a long release goes through the spool and comes out as the batch path would write it, BM25
is built from streamed rows, and a JSONL file is read a line at a time whatever its size."""

from __future__ import annotations

import json
from itertools import islice
from pathlib import Path

import bm25s
import numpy as np

from embeddings import ingest as ingest_module
from embeddings.index import Index
from embeddings.ingest import Ingestor
from embeddings.lexical import LexicalIndex, tokenize
from embeddings.load import LoadError, iter_releases
from embeddings.types import Release
from tests.conftest import shared_path


def _doj(n: int) -> list[Release]:
    with shared_path("corpora/doj/releases.jsonl").open() as f:
        return [Release(str(r["id"]), r["title"], r["text"]) for r in map(json.loads, islice(f, n))]


def _stored(index: Index, release_id: str) -> list[tuple[int, int, int, str]]:
    return [(c.ordinal, c.start, c.end, c.text) for c in index.release_chunks(release_id)]


def test_a_release_streamed_through_the_spool_is_stored_as_the_batch_path_stores_it(
    tmp_path: Path, encoder, monkeypatch
) -> None:
    releases = [r for r in _doj(40) if len(r.text) > 4_000][:6]
    batched = Index.open(tmp_path / "batched", encoder.name, encoder.dim)
    Ingestor(batched, encoder).ingest(releases)
    # Every one of these releases takes the long-release path, embedded three chunks at a time.
    monkeypatch.setattr(ingest_module, "EMBED_GROUP_CHUNKS", 3)
    streamed = Index.open(tmp_path / "streamed", encoder.name, encoder.dim)
    report = Ingestor(streamed, encoder, large_release_chars=1_000).ingest(releases)
    assert report.added == len(releases) and not report.failed
    for release in releases:
        assert _stored(streamed, release.id) == _stored(batched, release.id), release.id
    batched_ids, batched_vectors = batched.all_vectors()
    streamed_ids, streamed_vectors = streamed.all_vectors()
    assert len(streamed_ids) == len(batched_ids) > 6 * 3
    assert np.allclose(streamed_vectors, batched_vectors, atol=1e-5)
    assert not list((tmp_path / "streamed").glob(".pressqa-spool-*")), "the spool leaves no file behind"
    # Searching finds a streamed release, and a re-ingest of it changes nothing.
    query = encoder.encode_query(releases[2].title)
    assert streamed.dense_search(query, 3)[0][0] in {c.id for c in streamed.release_chunks(releases[2].id)}
    again = Ingestor(streamed, encoder, large_release_chars=1_000).ingest(releases)
    assert (again.unchanged, again.chunks_embedded) == (len(releases), 0)


def test_bm25_built_from_streamed_rows_scores_as_bm25s_over_token_lists() -> None:
    texts = [r.text[:3_000] for r in _doj(300)]
    ids = list(range(100, 100 + len(texts)))
    streamed = LexicalIndex.from_rows(zip(ids, texts, strict=True))
    reference = bm25s.BM25()
    reference.index([tokenize(t) or [""] for t in texts], show_progress=False)
    for query in ("fraud scheme sentenced prison", "tax return preparer", "firearm possession felon", "2010"):
        tokens = [t for t in tokenize(query) if t in reference.vocab_dict]
        expected = reference.get_scores(tokens)
        got = streamed.retriever.get_scores([t for t in tokenize(query) if t in streamed.retriever.vocab_dict])
        assert np.allclose(got, expected, rtol=1e-5), query
        top = streamed.search(query, 5)
        assert [c - 100 for c, _ in top] == list(np.argsort(-expected, kind="stable")[: len(top)])


def test_jsonl_is_read_a_line_at_a_time_so_the_file_may_exceed_the_per_file_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    good = json.dumps({"id": "a", "title": "A", "text": "Short release text. " * 20})
    huge = json.dumps({"id": "b", "title": "B", "text": "Far too long. " * 2_000})
    later = json.dumps({"id": "c", "title": "C", "text": "Another short release. " * 20})
    path.write_text(f"{good}\n{huge}\n{later}\n")
    items = list(iter_releases([path], max_file_bytes=2_000))  # the file is ~30 KB, each good line ~450 bytes
    assert [i.id for i in items if isinstance(i, Release)] == ["a", "c"]
    errors = [i for i in items if isinstance(i, LoadError)]
    assert len(errors) == 1 and errors[0].origin.endswith("#2") and "over the 2,000-byte limit" in errors[0].reason
