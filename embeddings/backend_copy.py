"""A copy of an index for another search backend, its vectors reused: no release is read or embedded again.

    python -m embeddings.backend_copy SOURCE TARGET milvus [--milvus-uri URI]

The source is only read (SQLite's backup of a consistent snapshot); the target gets the database, records the
backend, and builds what that backend searches from the stored chunks (the engine's collection, or the FAISS and
BM25 files).
"""

from __future__ import annotations

import argparse
import sqlite3
import time
from pathlib import Path

from embeddings.index import ENGINE_GENERATION, Index
from embeddings.search_backend import BACKENDS, META_KEY, BackendChoice, BackendName
from embeddings.store import DB_NAME


def copy_index(source: Path, target: Path, backend: BackendChoice) -> Index:
    """The index at `target`, a copy of `source`'s database for `backend`, with its search structures built."""
    target.mkdir(parents=True, exist_ok=True)
    if (target / DB_NAME).exists():
        raise FileExistsError(f"{target / DB_NAME} exists: copy into a new folder.")
    with sqlite3.connect(f"file:{source / DB_NAME}?mode=ro", uri=True) as src, sqlite3.connect(target / DB_NAME) as dst:
        src.backup(dst)
        dst.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (META_KEY, backend.name))
        dst.execute("DELETE FROM meta WHERE key = ?", (ENGINE_GENERATION,))
        model, dim = (
            dst.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]
            for key in ("embedding_model", "dimension")
        )
    index = Index.open(target, model, int(dim), create=False, backend=backend)
    if backend.name == "milvus":
        index._milvus().drop()  # a collection left at this URI holds another index's chunks
    index.save()
    return index


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("backend", choices=BACKENDS)
    parser.add_argument("--milvus-uri", default=None, help="a Milvus server; none: Milvus Lite in TARGET")
    args = parser.parse_args()
    name: BackendName = args.backend
    started = time.perf_counter()
    index = copy_index(args.source, args.target, BackendChoice(name, args.milvus_uri))
    stats = index.stats()
    index.close()
    print(f"{args.target}: {stats.chunks} chunks for {name} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
