"""An open index follows changes that other processes commit to its folder, without being reopened."""

from __future__ import annotations

from pathlib import Path

from embeddings.settings import get_settings
from qa.engine import Engine
from tests.other_process import QUOKKA_ID, QUOKKA_QUESTION, ingest_quokkas, pressqa


def _engine(index_dir: Path) -> Engine:
    return Engine.open(get_settings(index=index_dir))


def test_a_release_another_process_ingests_is_retrieved(writable_index_dir: Path, tmp_path: Path) -> None:
    engine = _engine(writable_index_dir)
    before = engine.retriever.search(QUOKKA_QUESTION, 3).passages  # loads FAISS and BM25 of this generation
    assert QUOKKA_ID not in {p.release_id for p in before}
    ingest_quokkas(writable_index_dir, tmp_path)
    passages = engine.retriever.search(QUOKKA_QUESTION, 3).passages
    assert passages[0].release_id == QUOKKA_ID, [p.release_id for p in passages]
    assert engine.index.dense().ntotal == engine.index.stats().chunks
