"""Ingest streams: a long release goes through the spool and comes out as the batch path would write it, BM25
is built from streamed rows, and a JSONL file is read a line at a time whatever its size."""

from __future__ import annotations

import errno
import hashlib
import json
from datetime import date
from itertools import islice
from pathlib import Path

import bm25s
import numpy as np
import pytest

from embeddings import ingest as ingest_module
from embeddings import lexical_build
from embeddings import store as store_module
from embeddings.chunk import Chunker
from embeddings.dense import build_dense, write_dense
from embeddings.index import Index
from embeddings.ingest import Ingestor
from embeddings.lexical import LexicalIndex, tokenize
from embeddings.load import LoadError, iter_releases
from embeddings.types import Release
from eval.bench_memory import MB, measure_ingest, repeated_text
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


def test_bm25_built_over_many_spilled_blocks_matches_one_block(monkeypatch) -> None:
    """The counting sort writes each token's chunks in row order whatever the block size; empty texts still count."""
    texts = [r.text[:2_000] for r in _doj(120)] + ["", "   "]
    ids = list(range(len(texts)))
    whole = LexicalIndex.from_rows(zip(ids, texts, strict=True))
    monkeypatch.setattr(lexical_build, "BLOCK_PAIRS", 97)  # ~1 chunk a block, blocks of every size
    blocked = LexicalIndex.from_rows(zip(ids, texts, strict=True))
    for key in ("data", "indices", "indptr"):
        assert np.array_equal(whole.retriever.scores[key], blocked.retriever.scores[key]), key
    reference = bm25s.BM25()
    reference.index([tokenize(t) or [""] for t in texts], show_progress=False)
    query = [t for t in tokenize("sentenced to prison for fraud") if t in reference.vocab_dict]
    assert np.allclose(blocked.retriever.get_scores(query), reference.get_scores(query), rtol=1e-5)


def test_bm25_saved_and_loaded_searches_the_same(tmp_path: Path) -> None:
    texts = [r.text[:2_000] for r in _doj(60)]
    built = LexicalIndex.from_rows(zip(range(5, 65), texts, strict=True))
    built.save(tmp_path / "bm25")
    loaded = LexicalIndex.load(tmp_path / "bm25")
    assert loaded.search("fraud sentenced", 5) == built.search("fraud sentenced", 5) != []


def test_a_filter_finds_chunk_positions_whether_ids_come_in_order_or_not() -> None:
    texts = ["night buses run late", "bridge repair costs", "night trains stop", "the budget grows"]
    for ids in ([10, 20, 30, 40], [30, 10, 40, 20]):
        lexical = LexicalIndex.build(ids, texts)
        assert [c for c, _ in lexical.search("night", 5, allowed=np.asarray([ids[2], 99]))] == [ids[2]]
        assert {c for c, _ in lexical.search("night", 5)} == {ids[0], ids[2]}


def test_the_content_hash_is_the_one_stored_indexes_hold() -> None:
    """Fed in slices now; it must stay the sha256 of the joined fields, or every release would re-ingest."""
    release = Release("r", "Title", "Text é " * 400_000, date(2020, 1, 2), "Org")
    joined = "\x1f".join([release.title, release.text, "2020-01-02", "Org"])
    assert release.content_hash() == hashlib.sha256(joined.encode("utf-8")).hexdigest()
    assert Release("e", "", "").content_hash() == hashlib.sha256(b"\x1f\x1f\x1f").hexdigest()


def test_a_long_release_embeds_a_passage_it_repeats_only_once(tmp_path: Path, encoder, monkeypatch) -> None:
    monkeypatch.setattr(ingest_module, "EMBED_GROUP_CHUNKS", 16)  # copies fall in different groups
    base = _doj(3)
    text = "\n\n".join(r.text for r in base) + "\n\n" + "archive " * 300 + "\n\n"
    release = Release("long", "A long release", text * 6)
    index = Index.open(tmp_path / "index", encoder.name, encoder.dim)
    report = Ingestor(index, encoder, large_release_chars=1_000).ingest([release])
    copies = len(Chunker(encoder.tokenizer).chunk(Release("x", "t", text)))
    assert report.chunks == len(index.release_chunks("long")) >= 6 * copies - 6
    assert report.chunks_embedded <= 2 * copies, "each later copy's chunks come from the spool"


def test_an_ingest_that_has_not_searched_writes_the_search_files_and_keeps_neither(tmp_path: Path, encoder) -> None:
    folder = tmp_path / "index"
    index = Index.open(folder, encoder.name, encoder.dim)
    Ingestor(index, encoder).ingest(_doj(8))
    generation = index.generation
    assert index._searchers is None  # nothing loaded in this process
    assert (folder / f"dense-{generation}.faiss").exists() and (folder / f"lexical-{generation}" / "ids.npy").exists()
    other = Index.open(folder, encoder.name, encoder.dim)
    assert other.searchers().dense.ntotal == other.stats().chunks


def test_a_write_too_large_to_apply_in_place_is_searched_after_a_rebuild(tmp_path: Path, encoder, monkeypatch) -> None:
    index = Index.open(tmp_path / "index", encoder.name, encoder.dim)
    Ingestor(index, encoder).ingest(_doj(4))
    index.searchers()  # loaded, as in a server: later writes would be applied to a copy in place
    monkeypatch.setattr(store_module, "KEPT_ADDED_VECTORS", 3)
    more = _doj(10)[4:]
    Ingestor(index, encoder).ingest(more)
    assert index.dense().ntotal == index.stats().chunks
    hits = index.dense_search(encoder.encode_query(more[3].title), 3)
    assert hits[0][0] in {c.id for c in index.release_chunks(more[3].id)}


def test_ingest_memory_does_not_grow_with_the_file(tmp_path: Path) -> None:
    """Peak RSS of `pressqa ingest` on an 8 MB text file against a 0.1 MB one (each its own process). Whole-text
    tokenizing took ~140 bytes a character: over 1 GB more for the larger file."""
    corpus = shared_path("corpora/doj/releases.jsonl")
    peaks = {}
    for mb in (0.1, 8):
        path = tmp_path / f"release-{mb}.txt"
        path.write_bytes(repeated_text(corpus, int(mb * MB), distinct_releases=20))
        row = measure_ingest(path, tmp_path / f"index-{mb}", None, echo=lambda _: None)
        assert row.finished and row.releases == 1 and row.index_opens and row.integrity == "ok"
        peaks[mb] = row.peak_rss_mb
    assert peaks[8] - peaks[0.1] < 250, peaks


def test_a_search_file_that_cannot_be_written_is_an_os_error_not_a_truncated_file(encoder) -> None:
    """faiss's own writer only printed "close error" on a full disk and left a short file; /dev/full is one."""
    dense = build_dense(encoder.dim, np.arange(3), np.eye(3, encoder.dim, dtype=np.float32))
    with pytest.raises(OSError) as caught:
        write_dense(dense, Path("/dev/full"))
    assert caught.value.errno == errno.ENOSPC


def test_a_csv_file_is_read_a_row_at_a_time(tmp_path: Path) -> None:
    """Python's allocations while every row of a 10 MB CSV is loaded: decoding it whole (and the StringIO the
    csv module read from) took ~6 bytes per byte of file."""
    import csv
    import tracemalloc

    path = tmp_path / "releases.csv"
    releases = _doj(40)
    with path.open("w", newline="", encoding="cp1252", errors="replace") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "title", "text"])
        n = 0
        while path.stat().st_size < 10 * MB:
            for r in releases:
                writer.writerow([f"{r.id}-{n}", r.title, r.text + " caf\xe9"])  # not UTF-8: the fallback is used
                n += 1
            f.flush()
    tracemalloc.start()
    try:
        loaded = [item.id for item in iter_releases([path]) if isinstance(item, Release)]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(loaded) == n
    assert peak < 8 * MB, peak  # a 1 MB piece decoded at a time, and the ids kept; whole: ~60 MB


def test_a_long_release_killed_at_any_moment_leaves_a_loadable_index_and_no_temporary_files(
    tmp_path: Path, encoder
) -> None:
    """kill -9 while a 4 MB release is spooled, written, or its search files built (a moment drawn at random):
    the index holds what it held before, opens and searches, and a new ingest completes."""
    import random
    import signal
    import sqlite3
    import subprocess
    import sys
    import time

    from embeddings.index import DB_NAME

    target = tmp_path / "index"
    index = Index.open(target, encoder.name, encoder.dim)
    Ingestor(index, encoder).ingest(_doj(5))
    index.close()
    big = tmp_path / "long.txt"
    big.write_bytes(repeated_text(shared_path("corpora/doj/releases.jsonl"), 4 * MB, distinct_releases=20))
    command = [sys.executable, "-m", "ui.cli", "ingest", str(big), "--index", str(target)]
    proc = subprocess.Popen(command, cwd=Path(__file__).parents[1], stderr=subprocess.DEVNULL)
    time.sleep(random.Random().uniform(3, 25))
    finished = proc.poll() is not None
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    with sqlite3.connect(target / DB_NAME) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert not list(target.glob(".pressqa-*")), "the spool and the BM25 spill are unnamed files"
    reopened = Index.open(target, encoder.name, encoder.dim)
    releases = {r.id for r in reopened.release_infos()}
    assert releases == {r.id for r in _doj(5)} | ({"long"} if "long" in releases or finished else set())
    assert reopened.dense().ntotal == reopened.stats().chunks
    report = Ingestor(reopened, encoder).ingest_paths([big])
    assert report.added + report.unchanged == 1 and not report.failed
    assert reopened.dense_search(encoder.encode_query(_doj(5)[2].title), 1)
