"""Which files a folder stands for."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from embeddings.load.base import SUPPORTED_SUFFIXES, LoadError


def _listing(folder: Path) -> Iterator[os.DirEntry[str]] | LoadError:
    try:
        with os.scandir(folder) as entries:
            return iter(sorted(entries, key=lambda e: e.name))
    except OSError as e:
        return LoadError(str(folder), f"cannot list folder: {e.strerror or e}")


def _folder_key(path: Path) -> tuple[int, int] | None:
    """The (device, inode) of a folder, which a symlink to it shares; None where it cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def walk(folder: Path) -> Iterator[Path | LoadError]:
    """Supported, non-hidden files under `folder`, recursively, in sorted path order.

    Hidden files and folders (".git", ".DS_Store") and unsupported suffixes are skipped silently:
    a folder is expected to hold other things too. The walk keeps its own stack of open listings instead of
    recursing, so a folder nested thousands of levels deep is walked like any other (Python's recursion limit
    is about 1,000); a folder reached twice (a symlink loop) is walked once.
    """
    seen: set[tuple[int, int]] = set()
    stack: list[Iterator[os.DirEntry[str]]] = []

    def enter(path: Path) -> LoadError | None:
        key = _folder_key(path)
        if key is not None:
            if key in seen:
                return None
            seen.add(key)
        listing = _listing(path)
        if isinstance(listing, LoadError):
            return listing
        stack.append(listing)
        return None

    error = enter(folder)
    if error is not None:
        yield error
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        if entry.is_dir():
            error = enter(path)
            if error is not None:
                yield error
        elif entry.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES:
            yield path
