"""An open index follows changes that other processes commit to its folder, without being reopened.

The other process is the real `pressqa ingest` or `pressqa remove` (tests/other_process.py); the
process under test keeps one Engine open throughout, as `pressqa serve` does.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from embeddings.index import DB_NAME, Index
from embeddings.ingest import Ingestor
from embeddings.load import iter_releases
from embeddings.settings import get_settings
from qa.engine import Engine
from qa.retrieve import Retrieval, Retriever
from tests.other_process import QUOKKA_ID, QUOKKA_QUESTION, QUOKKA_RELEASE, REPO, ingest_quokkas, pressqa

NIGHT_BUSES = "rta_night_buses"
WAIT_SECONDS = 600  # only so that a broken test fails instead of hanging; nothing is timed


def _engine(index_dir: Path) -> Engine:
    return Engine.open(get_settings(index=index_dir))


def _ids(retrieval: Retrieval) -> list[str]:
    return [p.release_id for p in retrieval.passages]


def test_a_release_another_process_ingests_is_retrieved(writable_index_dir: Path, tmp_path: Path) -> None:
    engine = _engine(writable_index_dir)
    before = engine.retriever.search(QUOKKA_QUESTION, 3)  # loads FAISS and BM25 of this generation
    assert QUOKKA_ID not in _ids(before)
    ingest_quokkas(writable_index_dir, tmp_path)
    after = engine.retriever.search(QUOKKA_QUESTION, 3)
    assert _ids(after)[0] == QUOKKA_ID, _ids(after)
    assert engine.index.dense().ntotal == engine.index.stats().chunks


def test_a_release_another_process_removes_leaves_the_search_structures(writable_index_dir: Path) -> None:
    engine = _engine(writable_index_dir)
    question = "When do the night buses start running?"
    assert _ids(engine.retriever.search(question, 3))[0] == NIGHT_BUSES
    removed = {c.id for c in engine.index.release_chunks(NIGHT_BUSES)}
    pressqa("remove", NIGHT_BUSES, index=writable_index_dir)
    after = engine.retriever.search(question, 3)
    assert NIGHT_BUSES not in _ids(after) and len(after.passages) == 3
    assert engine.index.dense().ntotal == engine.index.stats().chunks
    assert removed.isdisjoint(int(c) for c in engine.index.lexical().chunk_ids)
    # The removed release's vectors are gone from FAISS, not only filtered out after the search.
    hits = engine.index.dense_search(engine.encoder.encode_query(question), engine.index.dense().ntotal)
    assert removed.isdisjoint(chunk_id for chunk_id, _ in hits)


class _PausedEncoder:
    """The real encoder, stopping inside a search (once it holds its search structures) until told to go on."""

    def __init__(self, encoder) -> None:
        self.encoder = encoder
        self.inside = threading.Event()
        self.go_on = threading.Event()

    def encode_query(self, query: str) -> np.ndarray:
        self.inside.set()
        assert self.go_on.wait(WAIT_SECONDS)
        return self.encoder.encode_query(query)


def test_a_search_in_flight_finishes_on_its_generation_while_another_reloads(
    writable_index_dir: Path, tmp_path: Path
) -> None:
    engine = _engine(writable_index_dir)
    engine.retriever.search(QUOKKA_QUESTION, 3)
    paused = _PausedEncoder(engine.encoder)
    held = Retriever(engine.index, paused)  # type: ignore[arg-type]
    results: dict[str, Retrieval | BaseException] = {}

    def search_in_flight() -> None:
        try:
            results["held"] = held.search(QUOKKA_QUESTION, 3)
        except BaseException as exc:  # reported below, not lost in the thread
            results["held"] = exc

    thread = threading.Thread(target=search_in_flight)
    thread.start()
    assert paused.inside.wait(WAIT_SECONDS)
    ingest_quokkas(writable_index_dir, tmp_path)
    # This search reloads while the other is halfway through its own: it neither waits for it nor disturbs it.
    fresh = engine.retriever.search(QUOKKA_QUESTION, 3)
    assert _ids(fresh)[0] == QUOKKA_ID
    paused.go_on.set()
    thread.join(WAIT_SECONDS)
    held_result = results["held"]
    assert isinstance(held_result, Retrieval), held_result
    assert len(held_result.passages) == 3 and QUOKKA_ID not in _ids(held_result)


def test_a_write_in_this_process_never_changes_the_structures_a_search_holds(
    writable_index_dir: Path, tmp_path: Path, encoder
) -> None:
    index = Index.open(writable_index_dir, encoder.name, encoder.dim, create=False)
    held = index.searchers()
    chunks = held.dense.ntotal
    release = tmp_path / f"{QUOKKA_ID}.md"
    release.write_text(QUOKKA_RELEASE, encoding="utf-8")
    Ingestor(index, encoder).ingest(iter_releases([release]))
    assert held.dense.ntotal == chunks and len(held.lexical.chunk_ids) == chunks
    now = index.searchers()
    assert now.generation == held.generation + 1 and now.dense.ntotal == index.stats().chunks > chunks
    with_quokkas = now.dense.ntotal
    assert index.remove(QUOKKA_ID)
    assert now.dense.ntotal == with_quokkas and index.searchers().dense.ntotal == chunks


def test_a_new_database_never_loads_search_files_left_by_another(writable_index_dir: Path, encoder) -> None:
    # Generations count from 0 again in a new database: older files would otherwise pass for its own.
    for p in writable_index_dir.glob(DB_NAME + "*"):
        p.unlink()
    index = Index.open(writable_index_dir, encoder.name, encoder.dim)
    assert not [p.name for p in writable_index_dir.iterdir() if p.name.startswith(("dense-", "lexical-"))]
    assert index.searchers().dense.ntotal == 0 and index.searchers().lexical.search("night buses", 5) == []


# Rewrites one release (a new title each time, its stored chunks and vectors) to commit generation after
# generation, saving the search files now and then as an ingest does.
_WRITER = """
import sys, time
from dataclasses import replace
import numpy as np
from embeddings.index import Index, PendingRelease
from embeddings.types import Chunk
path, model, dim = sys.argv[1], sys.argv[2], int(sys.argv[3])
index = Index.open(path, model, dim, create=False)
release = index.release("rta_fares_2024")
stored = index.release_chunks(release.id)
chunks = [Chunk(c.release_id, c.ordinal, c.start, c.end, c.text) for c in stored]
by_hash = index.vectors_for_text_hashes(c.text_hash() for c in chunks)
vectors = np.vstack([by_hash[c.text_hash()] for c in chunks])
i = 0
while True:
    i += 1
    changed = replace(release, title=f"{release.title} ({i})")
    index.write([PendingRelease(changed, changed.content_hash(), chunks, vectors)])
    if i % 7 == 0:
        index.save()
    time.sleep(0.002)  # the reader, about ten times slower per generation, stays behind and so keeps reloading
"""

# Reloads whenever the generation changed (almost always: the writer runs) and searches; one line per reload.
_READER = """
import sys
import numpy as np
from embeddings.index import Index
path, model, dim = sys.argv[1], sys.argv[2], int(sys.argv[3])
index = Index.open(path, model, dim, create=False)
vector = np.ones(dim, dtype=np.float32) / np.sqrt(dim)
last = None
while True:
    searchers = index.searchers()
    if searchers.generation != last:
        assert searchers.dense_search(vector, 5) and searchers.lexical.search("night buses", 5)
        print(searchers.generation, flush=True)
        last = searchers.generation
"""


def _child(script: str, index_dir: Path, encoder) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, str(index_dir), encoder.name, str(encoder.dim)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_a_process_killed_while_reloading_leaves_an_index_that_opens_and_searches(
    writable_index_dir: Path, encoder
) -> None:
    rng = random.Random(12)
    writer = _child(_WRITER, writable_index_dir, encoder)
    try:
        for _ in range(6):
            reader = _child(_READER, writable_index_dir, encoder)
            assert reader.stdout is not None
            for _ in range(rng.randint(1, 6)):  # reloads done before the kill; it lands inside a later one
                line = reader.stdout.readline()
                assert line.strip().isdigit(), f"the reader stopped: {reader.wait()}"
            time.sleep(rng.uniform(0, 0.02))  # a different moment of the next reload each round
            reader.send_signal(signal.SIGKILL)
            reader.wait()
    finally:
        writer.send_signal(signal.SIGKILL)  # mid-write or mid-save, as it happens
        writer.wait()

    with sqlite3.connect(writable_index_dir / DB_NAME) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    index = Index.open(writable_index_dir, encoder.name, encoder.dim, create=False)
    searchers = index.searchers()
    chunks = index.stats().chunks
    assert searchers.generation == index.generation > 1
    assert searchers.dense.ntotal == chunks and len(searchers.lexical.chunk_ids) == chunks
    night = {c.id for c in index.release_chunks(NIGHT_BUSES)}
    assert searchers.lexical.search("night buses", 1)[0][0] in night
    vector = encoder.encode_query("When do the night buses start running?")
    assert searchers.dense_search(vector, 1)[0][0] in night
    retrieved = Retriever(index, encoder).search("What will the adult single fare be?", 3)
    assert retrieved.passages[0].release_id == "rta_fares_2024"
