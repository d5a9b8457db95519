"""The Milvus search backend, against Milvus Lite itself: the same passages as the default search, kept in step
with the store through ingest and removal, each filter pushed down, and an index refusing the other backend."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from embeddings.backend_copy import copy_index
from embeddings.index import BackendChoice, BackendMismatchError, Filters, Index
from embeddings.ingest import Ingestor
from qa.retrieve import Retriever
from tests.conftest import SAMPLES

pytest.importorskip("pymilvus")
MILVUS = BackendChoice("milvus")
LOCAL = BackendChoice("local")
QUESTIONS = [
    "How much will the Millbrook Bridge repair cost?",
    "What does council reference RCC-2024-031 approve?",
    "When do the new transit fares start?",
    "Which otters were counted in the survey?",
]


@pytest.fixture(scope="module")
def milvus_index_dir(sample_index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample index copied for Milvus once per module (Milvus Lite in the folder); copy it before changing it."""
    path = tmp_path_factory.mktemp("milvus") / "index"
    copy_index(sample_index_dir, path, MILVUS).close()
    return path


@pytest.fixture
def writable_milvus_dir(milvus_index_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "milvus-index"
    shutil.copytree(milvus_index_dir, target)
    return target


def _open(path: Path, encoder, backend: BackendChoice) -> Index:
    return Index.open(path, encoder.name, encoder.dim, create=False, backend=backend)


def _held(index: Index) -> np.ndarray:
    return index.searchers().engine.chunk_ids(max(index.chunk_ids(), default=0))


def _in_step(index: Index) -> None:
    """The engine holds exactly the store's chunks."""
    assert np.array_equal(_held(index), np.array(sorted(index.chunk_ids())))


def _passages(index: Index, encoder, question: str, filters: Filters | None = None) -> list[int]:
    return [p.chunk_id for p in Retriever(index, encoder).search(question, 6, filters).passages]


def test_same_passages_as_the_default_search(sample_index_dir: Path, milvus_index_dir: Path, encoder) -> None:
    local, milvus = _open(sample_index_dir, encoder, LOCAL), _open(milvus_index_dir, encoder, MILVUS)
    _in_step(milvus)
    for question in QUESTIONS:
        assert _passages(milvus, encoder, question) == _passages(local, encoder, question), question
        # BM25 scores differ a little: lengths are normalised by AVERAGE_LENGTH, not the sample's own average.
        ours = milvus.searchers().lexical_search(question, 10)
        theirs = local.searchers().lexical_search(question, 10)
        assert [c for c, _ in ours] == [c for c, _ in theirs]
        assert np.allclose([s for _, s in ours], [s for _, s in theirs], rtol=0.05)
    codes = milvus.searchers().token_search(["rcc-2024-031"], 5)
    assert codes and {milvus.chunks([c])[c].release_id for c, _ in codes} == {"riverton_bridge_repair"}


def test_each_filter_is_pushed_down_with_the_stores_rule(
    sample_index_dir: Path, milvus_index_dir: Path, encoder
) -> None:
    local, milvus = _open(sample_index_dir, encoder, LOCAL), _open(milvus_index_dir, encoder, MILVUS)
    name = milvus.most_named(limit=1)[0][0]
    cases = [
        Filters(since=date(2024, 3, 1), until=date(2024, 6, 30)),
        Filters(since=date(2024, 3, 1), until=date(2024, 6, 30), dates="happened"),
        Filters(organisation="transit authority"),
        Filters(mentions=name),
        Filters(release_ids=("riverton_bridge_repair", "rta_fares_2024")),
        Filters(organisation="no such body"),
    ]
    for filters in cases:
        allowed = {milvus.chunks([c])[c].release_id for c in milvus.allowed_chunk_ids(filters).tolist()}
        for question in QUESTIONS[:2]:
            found = _passages(milvus, encoder, question, filters)
            assert found == _passages(local, encoder, question, filters), filters
            assert {milvus.chunks([c])[c].release_id for c in found} <= allowed
        # The engine's own searches, without the retriever's fallback to chunk ids.
        hits = milvus.searchers().lexical_search("the council and the authority", 50, filters=filters)
        assert {milvus.chunks([c])[c].release_id for c, _ in hits} <= allowed
        assert bool(hits) == bool(allowed), filters


def test_unchanged_releases_write_nothing_and_a_changed_one_replaces_its_chunks(
    writable_milvus_dir: Path, encoder
) -> None:
    index = _open(writable_milvus_dir, encoder, MILVUS)
    generation, held = index.generation, _held(index)
    report = Ingestor(index, encoder).ingest_paths([SAMPLES])
    assert (report.added, report.updated, report.chunks_embedded) == (0, 0, 0)
    assert index.generation == generation and np.array_equal(_held(index), held)

    old = index.release("riverton_bridge_repair")
    old_ids = {c.id for c in index.release_chunks(old.id)}
    changed = replace(old, text=old.text.replace("$4.8 million", "$5.6 million", 1))
    assert Ingestor(index, encoder).ingest([changed]).updated == 1
    _in_step(index)
    assert old_ids.isdisjoint(_held(index).tolist())
    top = Retriever(index, encoder).search("repair costing $5.6 million", 1).passages[0]
    assert top.release_id == old.id and "$5.6 million" in top.text


def test_remove_takes_the_chunks_out_of_the_engine(writable_milvus_dir: Path, encoder) -> None:
    index = _open(writable_milvus_dir, encoder, MILVUS)
    chunk_ids = {c.id for c in index.release_chunks("rta_fares_2024")}
    assert chunk_ids and index.remove("rta_fares_2024")
    _in_step(index)
    hits = index.searchers().lexical_search("fares concession", 50)
    assert hits and not chunk_ids & {c for c, _ in hits}
    index.close()
    reopened = _open(writable_milvus_dir, encoder, MILVUS)  # the change outlives the process's client
    assert not chunk_ids & set(_held(reopened).tolist())


def test_an_engine_left_behind_is_brought_level(writable_milvus_dir: Path, encoder) -> None:
    index = _open(writable_milvus_dir, encoder, MILVUS)
    index.searchers().engine.delete(_held(index)[:5].tolist())  # as if killed between the store's commit and the engine
    index._store.set_meta_value("engine_generation", "-1")
    index.close()
    _in_step(_open(writable_milvus_dir, encoder, MILVUS))


def test_an_index_refuses_the_other_backend(sample_index_dir: Path, milvus_index_dir: Path, encoder) -> None:
    with pytest.raises(BackendMismatchError, match="searched with milvus, not local") as refused:
        _open(milvus_index_dir, encoder, LOCAL)
    assert "\n" not in str(refused.value) and "PRESSQA_SEARCH_BACKEND=milvus" in str(refused.value)
    with pytest.raises(BackendMismatchError, match="searched with local, not milvus"):
        _open(sample_index_dir, encoder, MILVUS)
