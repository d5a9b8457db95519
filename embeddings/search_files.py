"""The FAISS and BM25 files beside the database, named by the generation they were built from.

When a file's generation does not match the database (a crash between commit and save), or the file is
damaged, it is rebuilt from the vectors and texts in the store instead of being trusted; files of older
generations are deleted once the current one is written.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

from embeddings.dense import build_dense, fits, read_dense, write_dense
from embeddings.lexical import LexicalIndex

DENSE_PREFIX = "dense-"
LEXICAL_PREFIX = "lexical-"


def dense_path(folder: Path, generation: int) -> Path:
    return folder / f"{DENSE_PREFIX}{generation}.faiss"


def lexical_path(folder: Path, generation: int) -> Path:
    return folder / f"{LEXICAL_PREFIX}{generation}"


def load_or_build_dense(
    folder: Path, generation: int, dim: int, count: int, vectors: Callable[[], tuple[np.ndarray, np.ndarray]]
):
    """This generation's FAISS file when it holds `count` vectors in the right kind of structure, else one
    built from `vectors()` (ids, vectors) and saved."""
    path = dense_path(folder, generation)
    loaded = read_dense(path)
    if loaded is not None and fits(loaded, count):
        return loaded
    built = build_dense(dim, *vectors())
    save_dense(built, folder, generation)
    return built


def save_dense(dense: object, folder: Path, generation: int) -> None:
    path = dense_path(folder, generation)
    write_dense(dense, path)
    drop_stale(folder, DENSE_PREFIX, path.name)


def load_or_build_lexical(
    folder: Path, generation: int, texts: Callable[[], tuple[list[int], list[str]]]
) -> LexicalIndex:
    """This generation's BM25 folder when it loads, else one built from `texts()` (chunk ids, texts) and saved."""
    path = lexical_path(folder, generation)
    if (path / "ids.npy").exists():
        try:
            return LexicalIndex.load(path)
        except (OSError, ValueError, json.JSONDecodeError):
            pass
    lexical = LexicalIndex.build(*texts())
    tmp = path.with_name(path.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    lexical.save(tmp)
    shutil.rmtree(path, ignore_errors=True)
    os.replace(tmp, path)
    drop_stale(folder, LEXICAL_PREFIX, path.name)
    return lexical


def drop_stale(folder: Path, prefix: str, keep: str) -> None:
    for p in folder.glob(prefix + "*"):
        if p.name != keep:
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
