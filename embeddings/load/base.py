"""The small types every loader module shares."""

from __future__ import annotations

from dataclasses import dataclass

from embeddings.types import Release

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".txt", ".md", ".html", ".htm", ".json", ".jsonl", ".csv"})


@dataclass(frozen=True)
class LoadError:
    """Something that could not become a Release; loading goes on with the rest."""

    origin: str  # the file, or "file#n" for one record in it
    reason: str  # one line, specific enough to fix the input by

    def __str__(self) -> str:
        return f"{self.origin}: {self.reason}"


@dataclass(frozen=True)
class FieldMap:
    """Names the record fields to read (json, jsonl, csv); None means: look for the usual names."""

    id: str | None = None
    title: str | None = None
    date: str | None = None
    text: str | None = None
    organisation: str | None = None


class BadFile(Exception):
    """Raised inside a loader when a whole file is unusable; the dispatcher turns it into a LoadError."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


LoadResult = Release | LoadError
