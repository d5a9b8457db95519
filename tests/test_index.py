"""The on-disk index: incremental, atomic, and strict about the model that built it."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from embeddings.index import DB_NAME, Filters, Index, IndexStoreError, MissingIndexError, ModelMismatchError
from embeddings.ingest import Ingestor
from embeddings.load import iter_releases
from embeddings.types import Release
from tests.conftest import REPO, SAMPLES


def _open(path: Path, encoder) -> Index:
    return Index.open(path, encoder.name, encoder.dim)


def test_reingesting_unchanged_releases_embeds_nothing(writable_index_dir: Path, encoder) -> None:
    index = _open(writable_index_dir, encoder)
    before = index.stats()
    report = Ingestor(index, encoder).ingest_paths([SAMPLES])
    assert (report.added, report.updated, report.unchanged, report.chunks_embedded) == (0, 0, 14, 0)
    assert index.stats().chunks == before.chunks


def test_ingest_leaves_search_files_ready_and_an_unchanged_reingest_rewrites_nothing(
    writable_index_dir: Path, encoder
) -> None:
    index = _open(writable_index_dir, encoder)
    generation = index.generation
    dense = writable_index_dir / f"dense-{generation}.faiss"
    lexical = writable_index_dir / f"lexical-{generation}"
    # A server opening the index right after an ingest loads both files instead of building them.
    assert dense.is_file() and (lexical / "ids.npy").is_file()
    written = {p: p.stat().st_mtime_ns for p in writable_index_dir.rglob("*") if p.is_file() and p.suffix != ".sqlite"}
    Ingestor(index, encoder).ingest_paths([SAMPLES])
    assert index.generation == generation
    assert {p: p.stat().st_mtime_ns for p in written} == written


def test_a_changed_release_replaces_its_chunks(writable_index_dir: Path, encoder) -> None:
    index = _open(writable_index_dir, encoder)
    old = index.release("riverton_bridge_repair")
    assert old is not None
    old_chunks = index.release_chunks(old.id)
    changed = replace(old, text=old.text.replace("$4.8 million", "$5.6 million", 1))
    report = Ingestor(index, encoder).ingest([changed])
    assert (report.added, report.updated) == (0, 1)
    # Only the edited passage is new; identical passages reuse their stored vectors.
    assert report.chunks_embedded >= 1 and report.chunks_reused == len(old_chunks) - report.chunks_embedded
    new_chunks = index.release_chunks(old.id)
    assert {c.id for c in new_chunks}.isdisjoint({c.id for c in old_chunks})
    assert "$5.6 million" in index.release(old.id).text
    assert index.dense().ntotal == index.stats().chunks


def test_remove_deletes_release_chunks_and_vectors(writable_index_dir: Path, encoder) -> None:
    index = _open(writable_index_dir, encoder)
    chunk_ids = [c.id for c in index.release_chunks("rta_fares_2024")]
    assert chunk_ids
    total = index.dense().ntotal
    assert index.remove("rta_fares_2024")
    assert index.release("rta_fares_2024") is None
    assert index.dense().ntotal == total - len(chunk_ids)
    assert not index.remove("rta_fares_2024")
    reopened = _open(writable_index_dir, encoder)
    assert reopened.dense().ntotal == total - len(chunk_ids)
    hits = reopened.lexical().search("fares concession", 50)
    assert not set(chunk_ids) & {c for c, _ in hits}


def test_stale_or_damaged_derived_files_are_rebuilt(writable_index_dir: Path, encoder) -> None:
    for f in writable_index_dir.glob("dense-*.faiss"):
        f.write_bytes(b"not a faiss index")
    index = _open(writable_index_dir, encoder)
    assert index.dense().ntotal == index.stats().chunks
    vector = encoder.encode_query("Millbrook Bridge repair")
    _, ids = index.dense().search(vector.reshape(1, -1), 1)
    assert index.chunks([int(ids[0][0])])[int(ids[0][0])].release_id == "riverton_bridge_repair"


def test_a_different_embedding_model_is_refused(writable_index_dir: Path, encoder) -> None:
    with pytest.raises(ModelMismatchError, match="all-MiniLM-L6-v2"):
        Index.open(writable_index_dir, "some-other-model", encoder.dim)
    with pytest.raises(ModelMismatchError):
        Index.open(writable_index_dir, encoder.name, 768)


def test_missing_and_corrupt_indexes_give_clear_errors(tmp_path: Path, encoder) -> None:
    with pytest.raises(MissingIndexError, match="pressqa ingest"):
        Index.open(tmp_path / "nowhere", encoder.name, encoder.dim, create=False)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / DB_NAME).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(IndexStoreError, match="unreadable"):
        Index.open(bad, encoder.name, encoder.dim)


def test_filters_by_date_and_organisation(writable_index_dir: Path, encoder) -> None:
    from datetime import date

    index = _open(writable_index_dir, encoder)
    allowed = index.allowed_chunk_ids(Filters(organisation="transit authority"))
    releases = {c.release_id for c in index.chunks(allowed.tolist()).values()}
    assert releases and all(r.startswith("rta") for r in releases)
    allowed = index.allowed_chunk_ids(Filters(since=date(2024, 1, 1), until=date(2024, 12, 31)))
    dates = {index.release(c.release_id).date for c in index.chunks(allowed.tolist()).values()}
    assert dates and all(d.year == 2024 for d in dates)


_KILL_SCRIPT = """
import sys
from embeddings.encode import Encoder
from embeddings.index import Index
from embeddings.ingest import Ingestor
from embeddings.load import iter_releases
encoder = Encoder()
index = Index.open(sys.argv[1], encoder.name, encoder.dim)
Ingestor(index, encoder, batch_releases=8).ingest_paths([sys.argv[2]])
"""


def test_a_killed_ingest_leaves_a_loadable_index(tmp_path: Path, encoder) -> None:
    corpus = tmp_path / "many.jsonl"
    with corpus.open("w") as f:
        for i in range(400):
            body = f"Release number {i} announces grant {i} of ${i},000 to project P-{i:04d}. " * 6
            f.write(json.dumps({"id": f"r{i}", "title": f"Grant {i}", "date": "2024-01-02", "text": body}) + "\n")
    target = tmp_path / "index"
    proc = subprocess.Popen([sys.executable, "-c", _KILL_SCRIPT, str(target), str(corpus)], cwd=REPO)
    deadline = time.time() + 300
    committed = 0
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
        try:
            with sqlite3.connect(target / DB_NAME) as db:
                committed = db.execute("SELECT count(*) FROM releases").fetchone()[0]
        except sqlite3.Error:
            continue
        if committed >= 16:
            break
    assert proc.poll() is None, "the ingest finished before it could be interrupted"
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    index = _open(target, encoder)
    stats = index.stats()
    assert 16 <= stats.releases < 400
    assert stats.chunks == index.dense().ntotal, "FAISS must agree with the committed database"
    for release_id in index.iter_release_ids():
        assert index.release_chunks(release_id), f"{release_id} was committed without its chunks"
    # The interrupted ingest resumes: what was committed is not embedded again.
    report = Ingestor(index, encoder).ingest(iter_releases([corpus]))
    assert report.unchanged == stats.releases and report.added == 400 - stats.releases


def test_vectors_are_unit_length_and_stored_per_chunk(writable_index_dir: Path, encoder) -> None:
    with sqlite3.connect(writable_index_dir / DB_NAME) as db:
        blobs = [row[0] for row in db.execute("SELECT vector FROM chunks")]
    vectors = np.vstack([np.frombuffer(b, dtype=np.float32) for b in blobs])
    assert vectors.shape[1] == encoder.dim
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)


def test_release_round_trip(writable_index_dir: Path, encoder) -> None:
    index = _open(writable_index_dir, encoder)
    r = Release("x1", "A title", "Body text about turnips.", None, "Org", "memory")
    Ingestor(index, encoder).ingest([r])
    assert index.release("x1") == r


def test_large_indexes_search_an_hnsw_graph_that_agrees_with_exact_search(
    writable_index_dir: Path, encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import faiss

    from embeddings import dense as dense_module

    query = encoder.encode_query("otter survey volunteers")
    exact = _open(writable_index_dir, encoder)
    expected = exact.dense_search(query, 5)
    exact.close()

    monkeypatch.setattr(dense_module, "FLAT_MAX_VECTORS", 10)  # the sample index has more chunks than this
    graph = _open(writable_index_dir, encoder)
    assert isinstance(faiss.downcast_index(graph.dense().index), faiss.IndexHNSW)
    assert [i for i, _ in graph.dense_search(query, 5)] == [i for i, _ in expected]

    top_release = graph.chunks([expected[0][0]])[expected[0][0]].release_id
    allowed = graph.allowed_chunk_ids(Filters(organisation="Greenmarsh Wildlife Trust"))
    filtered = graph.dense_search(query, 5, allowed)
    assert filtered and {i for i, _ in filtered} <= set(allowed.tolist())
    assert graph.remove(top_release)  # a graph cannot delete: it is rebuilt without the release
    assert expected[0][0] not in [i for i, _ in graph.dense_search(query, 5)]
    assert graph.dense().ntotal == graph.stats().chunks


def test_tests_keep_the_default_index_and_caches_under_the_temp_folder() -> None:
    import tempfile

    from embeddings.settings import Settings

    settings = Settings()
    temp = Path(tempfile.gettempdir())
    assert settings.cache == temp / "pressqa-test-cache", "tests must not write into the user's own cache"
    assert settings.index.is_relative_to(temp)


def test_a_graph_holds_8_bit_codes_and_hands_on_exact_scores(
    writable_index_dir: Path, encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above FLAT_MAX_VECTORS the graph stores a quarter of the float32 bytes, and its candidates are re-scored
    with the stored vectors: the scores fusion sees are the exact inner products, in exact order."""
    import faiss

    from embeddings import dense as dense_module

    monkeypatch.setattr(dense_module, "FLAT_MAX_VECTORS", 10)
    graph = _open(writable_index_dir, encoder)
    inner = faiss.downcast_index(graph.dense().index)
    assert isinstance(faiss.downcast_index(inner.storage), faiss.IndexScalarQuantizer)
    assert inner.storage.sa_code_size() == encoder.dim  # one byte a dimension
    ids, vectors = graph.all_vectors()
    for text in ("otter survey volunteers", "night buses", "bridge repair cost"):
        query = encoder.encode_query(text)
        exact = vectors @ query
        expected = [int(ids[i]) for i in np.argsort(-exact)[:5]]
        hits = graph.dense_search(query, 5)
        assert [i for i, _ in hits] == expected
        by_id = dict(zip(ids.tolist(), exact.tolist(), strict=True))
        assert all(abs(score - by_id[i]) < 1e-5 for i, score in hits), hits
