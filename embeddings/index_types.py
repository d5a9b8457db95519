"""What the index hands out and takes in: its records, its filters and its errors."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np

from embeddings.types import Chunk, Release


class IndexStoreError(RuntimeError):
    """A problem with the index directory, worded for the person who has to fix it."""


class MissingIndexError(IndexStoreError):
    pass


class ModelMismatchError(IndexStoreError):
    pass


class DamagedIndexError(IndexStoreError):
    """The database file is not a readable SQLite database any more (a bad sector, a partial copy)."""


class IndexAccessError(IndexStoreError):
    """The index folder cannot be read or written: permissions, a full disk, an I/O error, a lock held too long."""


class EmbeddingModelMissingError(IndexStoreError):
    """The index records an embedding model that cannot be loaded here."""


@dataclass(frozen=True, slots=True)
class StoredChunk:
    id: int
    release_id: str
    ordinal: int
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class ReleaseInfo:
    id: str
    title: str
    date: date | None
    organisation: str | None
    origin: str


@dataclass(frozen=True, slots=True)
class StoredQuote:
    """A quote kept at ingest (embeddings/quote_table.py), with its release's title and date."""

    release_id: str
    title: str
    date: date | None
    speaker: str  # the person's name, or the body speaking when no person is named
    role: str  # the title and body around the name, as the release gives them
    text: str  # the quoted words, without the attribution
    start: int  # the quote with its attribution, as offsets into the release text
    end: int


@dataclass(frozen=True, slots=True)
class NamedIn:
    """A release naming a person or organisation (embeddings/name_table.py)."""

    release_id: str
    title: str
    date: date | None
    name: str  # the entity as this release writes it in full
    type: str  # "person" or "organisation"
    mentions: int  # how many times the release names it
    start: int  # its first mention, as offsets into the release text
    end: int


@dataclass(frozen=True, slots=True)
class CountedRelease:
    """A release that holds a counted topic's words (embeddings/release_text_index.py)."""

    id: str
    date: date | None
    rank: float  # bm25, lower is better: the title's words weigh more than the text's
    also_published_as: tuple[str, ...] = ()  # the same release under other ids, not counted again


@dataclass(frozen=True, slots=True)
class ReleaseCount:
    """Every release holding a topic's words in a period, each re-issued release once (Index.count_releases)."""

    releases: tuple[CountedRelease, ...]  # best match first
    merged: int  # re-issues left out: releases matched again under a later id of one release

    @property
    def total(self) -> int:
        return len(self.releases)

    @property
    def undated(self) -> int:
        return sum(r.date is None for r in self.releases)

    def months(self) -> list[tuple[str, int]]:
        """("YYYY-MM", releases) for each month with any, oldest first; undated releases are left out."""
        counts: dict[str, int] = {}
        for r in self.releases:
            if r.date is not None:
                key = f"{r.date.year:04d}-{r.date.month:02d}"
                counts[key] = counts.get(key, 0) + 1
        return sorted(counts.items())


@dataclass(frozen=True, slots=True)
class IndexStats:
    releases: int
    chunks: int
    embedding_model: str
    dimension: int
    first_date: date | None
    last_date: date | None
    bytes_on_disk: int


DateBasis = Literal["published", "happened"]
DATE_BASES: tuple[DateBasis, ...] = ("published", "happened")


class DateRangeError(ValueError):
    """A date range whose start is after its end: no release could match it."""


@dataclass(frozen=True, slots=True)
class Filters:
    """What a search is narrowed to. The one place the date-range rule lives: the CLI and the web app each word
    a DateRangeError for their own options."""

    since: date | None = None
    until: date | None = None
    organisation: str | None = None  # case-insensitive substring of the release's organisation
    release_ids: tuple[str, ...] | None = None
    mentions: str | None = None  # only releases naming this person or organisation (embeddings/name_table.py)
    # Which day since/until bound: the release's date ("published"), or the day its main event happened
    # ("happened": "yesterday" in a release of Jan. 25 is Jan. 24; embeddings/date_table.py), where read.
    dates: DateBasis = "published"

    def __post_init__(self) -> None:
        if self.dates not in DATE_BASES:
            raise ValueError(f"dates must be one of {', '.join(DATE_BASES)}, not {self.dates!r}")
        if self.since and self.until and self.since > self.until:
            raise DateRangeError(f"The date range is empty: {self.since} is after {self.until}.")

    def is_empty(self) -> bool:
        return not (self.since or self.until or self.organisation or self.release_ids or self.mentions)


@dataclass(frozen=True, slots=True)
class PendingRelease:
    """A release ready to be written: its chunks and one vector per chunk."""

    release: Release
    content_hash: str
    chunks: Sequence[Chunk]
    vectors: Iterable[np.ndarray]  # one row per chunk, in order: an array, or spooled rows read as they are used


@dataclass(frozen=True, slots=True)
class Written:
    """What one committed write changed, for the search structures built on the store."""

    removed: list[int]  # chunk ids deleted
    added_ids: list[int]
    added_vectors: list[np.ndarray] | None  # None: too many to keep; structures are rebuilt from the store
    base_generation: int  # the generation the change was applied to
    generation: int  # the generation it committed
