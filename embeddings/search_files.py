"""The FAISS and BM25 files beside the database, named by the generation they were built from.

When a file's generation does not match the database (a crash between commit and save), or the file is
damaged, it is rebuilt from the vectors and texts in the store instead of being trusted; files of older
generations are deleted once a newer one is written.

Several processes share the folder (a server reloading while `pressqa ingest` writes), so every file is
written under a name of its own and renamed into place: a reader never sees half a file, a process killed
mid-write leaves only a temporary file that nothing loads, and two processes saving the same generation
(whose contents are the same) cannot mix their bytes. Losing such a race is not an error: the structure
is still good in memory, and the file is whichever one won.
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from embeddings.dense import (
    CODE_TRAINING_VECTORS,
    VectorLookup,
    build_dense_from_blocks,
    fits,
    read_dense,
    search_dense,
    write_dense,
)
from embeddings.index_types import Filters
from embeddings.lexical import LexicalIndex

if TYPE_CHECKING:
    from embeddings.store import StoreView

DENSE_PREFIX = "dense-"
LEXICAL_PREFIX = "lexical-"
# The errors of a lost race with another process saving or dropping the same files; any other (a full
# disk, no permission) is the user's to see.
_RACES = {errno.ENOENT, errno.ENOTEMPTY, errno.EEXIST}


@dataclass(frozen=True)
class Searchers:
    """FAISS and BM25 of one generation of the store, never changed once made: a reload makes new ones, so a
    search holding these finishes on them while later searches use the new ones."""

    generation: int
    dense: Any  # faiss.IndexIDMap2
    lexical: LexicalIndex
    lookup: VectorLookup | None = None  # the store's float32 vectors, to re-score a graph's candidates

    # The SearchBackend of embeddings/search_backend.py; `filters` is the restriction `allowed` already holds.

    def dense_search(
        self, vector: np.ndarray, n: int, allowed: np.ndarray | None = None, filters: Filters | None = None
    ) -> list[tuple[int, float]]:
        """The `n` chunks nearest to a unit vector, as (chunk id, inner product), optionally among `allowed`."""
        return search_dense(self.dense, vector, n, allowed, self.lookup)

    def lexical_search(
        self, query: str, n: int, allowed: np.ndarray | None = None, filters: Filters | None = None
    ) -> list[tuple[int, float]]:
        return self.lexical.search(query, n, allowed)

    def token_search(
        self, tokens: list[str], n: int, allowed: np.ndarray | None = None, filters: Filters | None = None
    ) -> list[tuple[int, float]]:
        return self.lexical.search_tokens(tokens, n, allowed)


def load(
    folder: Path,
    view: StoreView,
    dim: int,
    prepared: tuple[int, Any] | None = None,
    lookup: VectorLookup | None = None,
) -> Searchers:
    """The search structures of the generation `view` reads, from its files or rebuilt from `view` and saved.

    `prepared` is (generation, FAISS structure) that this process's own writes brought up to date; it is
    used (and saved) instead of reading the file when it is of the generation `view` reads.
    """
    generation = view.generation
    count = view.chunk_count()
    if prepared is not None and prepared[0] == generation and fits(prepared[1], count):
        dense = prepared[1]
        if not dense_path(folder, generation).exists():
            save_dense(dense, folder, generation)
    else:
        dense = load_or_build_dense(folder, view, dim, count)
    return Searchers(generation, dense, load_or_build_lexical(folder, generation, count, view.lexical_rows), lookup)


def write_missing(folder: Path, view: StoreView, dim: int) -> None:
    """Writes the generation's FAISS and BM25 files where they are missing or stale, one at a time, holding
    neither afterwards: what an ingest leaves for the processes that search, with its memory peak at the larger
    structure instead of both together."""
    count = view.chunk_count()
    load_or_build_dense(folder, view, dim, count)
    load_or_build_lexical(folder, view.generation, count, view.lexical_rows)


def dense_path(folder: Path, generation: int) -> Path:
    return folder / f"{DENSE_PREFIX}{generation}.faiss"


def lexical_path(folder: Path, generation: int) -> Path:
    return folder / f"{LEXICAL_PREFIX}{generation}"


def load_or_build_dense(folder: Path, view: StoreView, dim: int, count: int):
    """The FAISS file of the generation `view` reads when it holds its `count` chunks in the right kind of
    structure, else one built from the store's vectors, streamed in id order, and saved."""
    generation = view.generation
    loaded = read_dense(dense_path(folder, generation))
    if loaded is not None and fits(loaded, count):
        return loaded
    built = build_dense_from_blocks(
        dim, count, view.vector_blocks(dim), lambda: view.vector_sample(dim, CODE_TRAINING_VECTORS)
    )
    save_dense(built, folder, generation)
    return built


def save_dense(dense: object, folder: Path, generation: int) -> None:
    path = dense_path(folder, generation)
    tmp = _private_name(path)
    try:
        write_dense(dense, tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno not in _RACES:
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        return
    drop_stale(folder, DENSE_PREFIX, generation)


def load_or_build_lexical(
    folder: Path, generation: int, count: int, rows: Callable[[], Iterable[tuple[int, str]]]
) -> LexicalIndex:
    """This generation's BM25 folder when it loads and holds `count` chunks, else one built from `rows()`
    ((chunk id, text) in id order, streamed) and saved."""
    path = lexical_path(folder, generation)
    if (path / "ids.npy").exists():
        try:
            loaded = LexicalIndex.load(path)
            if len(loaded.chunk_ids) == count:
                return loaded
        except (OSError, ValueError, json.JSONDecodeError):
            pass  # damaged, or being replaced by another process: rebuilt below
    lexical = LexicalIndex.from_rows(rows(), scratch=folder)
    save_lexical(lexical, folder, generation)
    return lexical


def save_lexical(lexical: LexicalIndex, folder: Path, generation: int) -> None:
    path = lexical_path(folder, generation)
    tmp = _private_name(path)
    old = path.with_name(f"{tmp.stem}.old")
    try:
        lexical.save(tmp)
        if path.exists():  # a damaged folder of this generation: moved aside whole, never half deleted in place
            os.replace(path, old)
        os.replace(tmp, path)
    except OSError as exc:
        if exc.errno not in _RACES:
            raise
        return
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    drop_stale(folder, LEXICAL_PREFIX, generation)


def _private_name(path: Path) -> Path:
    """A temporary name beside `path` that no other process or thread uses; it starts like `path`, so it is
    dropped with the files of its generation."""
    return path.with_name(f"{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


def _generation_of(name: str, prefix: str) -> int | None:
    match = re.match(rf"{re.escape(prefix)}(\d+)(?:\.|$)", name)
    return int(match.group(1)) if match else None


def drop_stale(folder: Path, prefix: str, generation: int) -> None:
    """Deletes the files (finished or temporary) of generations older than `generation`.

    Newer ones are kept: another process may have saved them after this one read the store.
    """
    for p in folder.glob(prefix + "*"):
        found = _generation_of(p.name, prefix)
        if found is not None and found < generation:
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)


def drop_all(folder: Path) -> None:
    """Deletes every search file: for a new database, whose generations restart at 0, they are another's."""
    for prefix in (DENSE_PREFIX, LEXICAL_PREFIX):
        drop_stale(folder, prefix, 1 << 62)
