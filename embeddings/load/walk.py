"""Which files a folder stands for."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from embeddings.load.base import SUPPORTED_SUFFIXES, LoadError


def walk(folder: Path, _seen: set[str] | None = None) -> Iterator[Path | LoadError]:
    """Supported, non-hidden files under `folder`, recursively, in sorted path order.

    Hidden files and folders (".git", ".DS_Store") and unsupported suffixes are skipped silently:
    a folder is expected to hold other things too.
    """
    seen = set() if _seen is None else _seen
    real = os.path.realpath(folder)
    if real in seen:  # a symlink loop, or the same folder reached twice
        return
    seen.add(real)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as e:
        yield LoadError(str(folder), f"cannot list folder: {e.strerror or e}")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(folder, entry.name)
        if entry.is_dir():
            yield from walk(path, seen)
        elif entry.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES:
            yield path
