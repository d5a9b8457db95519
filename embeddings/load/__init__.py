"""Loaders: files of press releases in, Release records (or LoadErrors) out.

    for item in iter_releases(["corpus/", "extra.jsonl"]):
        if isinstance(item, LoadError): report(item) else: index(item)

Bad input never raises: each problem is a LoadError with a one-line reason, and loading goes on
with the next record or file. Releases are yielded one at a time as files are read. Within one call
ids are unique: a later release with an id already seen is a LoadError, not a Release.
Each format's conventions for id, title, text, date and organisation are in its module's docstring
(text.py, html.py, records.py) and header.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from embeddings.load.base import SUPPORTED_SUFFIXES, BadFile, FieldMap, LoadError, LoadResult
from embeddings.load.dateline import parse_date, parse_dateline
from embeddings.load.html import load_html  # imports no HTML library until a page is read
from embeddings.load.records import load_csv, load_json, load_jsonl
from embeddings.load.text import load_text
from embeddings.load.walk import walk
from embeddings.types import Release

__all__ = [
    "SUPPORTED_SUFFIXES",
    "FieldMap",
    "LoadError",
    "iter_releases",
    "parse_date",
    "parse_dateline",
]

Loader = Callable[[Path, FieldMap, int], Iterator[LoadResult]]
_LOADERS: dict[str, Loader] = {
    ".txt": load_text,
    ".md": load_text,
    ".html": load_html,
    ".htm": load_html,
    ".json": load_json,
    ".jsonl": load_jsonl,
    ".csv": load_csv,
}
assert set(_LOADERS) == SUPPORTED_SUFFIXES


def _load_file(path: Path, fields: FieldMap, max_file_bytes: int) -> Iterator[LoadResult]:
    try:
        yield from _LOADERS[path.suffix.lower()](path, fields, max_file_bytes)
    except BadFile as e:
        yield LoadError(str(path), e.reason)
    except OSError as e:
        yield LoadError(str(path), f"cannot read: {e.strerror or e}")
    except Exception as e:  # a loader bug must not stop the other files from loading
        yield LoadError(str(path), " ".join(f"unexpected {type(e).__name__}: {e}".split()))


def _files(given: str | Path) -> Iterator[Path | LoadError]:
    path = Path(given)
    if path.is_dir():
        yield from walk(path)
    elif not path.exists():
        yield LoadError(str(given), "no such file or folder")
    elif path.suffix.lower() not in SUPPORTED_SUFFIXES:
        kind = f"'{path.suffix}'" if path.suffix else "without a suffix"
        yield LoadError(str(path), f"unsupported file type {kind} (supported: {', '.join(sorted(_LOADERS))})")
    else:
        yield path


def iter_releases(
    paths: Iterable[str | Path],
    fields: FieldMap | None = None,
    max_file_bytes: int = 200 * 1024 * 1024,
) -> Iterator[Release | LoadError]:
    """Every release in `paths` (files, or folders walked recursively), in order, one at a time."""
    if isinstance(paths, str | Path):  # one path, not an iterable of one-letter paths
        paths = [paths]
    fields = fields or FieldMap()
    first_origin: dict[str, str] = {}
    for given in paths:
        for file in _files(given):
            if isinstance(file, LoadError):
                yield file
                continue
            for item in _load_file(file, fields, max_file_bytes):
                if isinstance(item, Release):
                    first = first_origin.get(item.id)
                    if first is not None:
                        yield LoadError(item.origin, f"duplicate id {item.id!r} (first loaded from {first})")
                        continue
                    first_origin[item.id] = item.origin
                yield item
