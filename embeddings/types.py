"""The records that flow from files to the index."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Release:
    """One press release as a loader found it."""

    id: str
    title: str
    text: str
    date: date | None = None
    organisation: str | None = None
    origin: str = ""  # path or URL the release came from

    def content_hash(self) -> str:
        """Changes whenever anything the index stores about the release changes."""
        parts = [self.title, self.text, self.date.isoformat() if self.date else "", self.organisation or ""]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Chunk:
    """A span of a release's text, small enough for the embedding model to read whole."""

    release_id: str
    ordinal: int
    start: int  # character offsets into Release.text
    end: int
    text: str

    def text_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()
