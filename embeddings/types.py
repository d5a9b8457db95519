"""The records that flow from files to the index."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

_HASH_SLICE_CHARS = 1 << 20


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
        """Changes whenever anything the index stores about the release changes.

        The sha256 of the fields joined by "\x1f" in UTF-8, fed a slice at a time: joining and encoding a
        200 MB text whole held two more copies of it.
        """
        digest = hashlib.sha256()
        parts = [self.title, self.text, self.date.isoformat() if self.date else "", self.organisation or ""]
        for n, part in enumerate(parts):
            if n:
                digest.update(b"\x1f")
            for start in range(0, len(part), _HASH_SLICE_CHARS):
                digest.update(part[start : start + _HASH_SLICE_CHARS].encode("utf-8"))
        return digest.hexdigest()


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
