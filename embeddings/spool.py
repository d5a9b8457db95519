"""A long release's chunks and vectors on their way to the index, held on disk instead of in memory.

A 200 MB text file is about 285,000 chunks: 440 MB of float32 vectors and as much again of chunk text as
Python strings. The spool keeps two integers per chunk in memory and the vectors in an unnamed temporary
file in the index folder (the disk the index is on, which has to hold them anyway), so that the release can
be written in one transaction after the last chunk is embedded, without holding the store's lock meanwhile.
The vectors are read back a block at a time with plain reads, never mapped: mapped pages stay resident.
"""

from __future__ import annotations

import os
import tempfile
from array import array
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, overload

import numpy as np

from embeddings.types import Chunk, Release

# Rows read back at a time while the release is written: 4,096 x 384 float32 is 6 MB.
READ_BLOCK_ROWS = 4_096
# Distinct chunk texts whose row the spool remembers, so a passage the release repeats (boilerplate, a
# re-pasted section) is embedded once: ~200 bytes each, 40 MB at the cap.
REMEMBERED_TEXTS = 200_000


class SpooledChunks:
    """Use as a context manager: `add` groups of chunks with their vectors, then read `chunks()` and `vectors()`."""

    def __init__(self, release: Release, folder: Path, dim: int) -> None:
        self.release = release
        self.dim = dim
        self.embed_seconds = 0.0  # the time `add`'s callers spent embedding, kept apart from chunking time
        self._folder = folder
        self._starts = array("q")
        self._ends = array("q")
        self._rows: dict[str, int] = {}  # text hash -> the first row holding its vector
        self._file: IO[bytes] | None = None

    def __enter__(self) -> SpooledChunks:
        self._file = tempfile.TemporaryFile(prefix=".pressqa-spool-", dir=self._folder)
        return self

    def __exit__(self, *_: object) -> None:
        if self._file is not None:
            self._file.close()  # unnamed: the space is freed with the last reference, a killed process included
            self._file = None

    def __len__(self) -> int:
        return len(self._starts)

    def add(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        assert self._file is not None, "use SpooledChunks as a context manager"
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
        for chunk in chunks:
            if chunk.ordinal != len(self._starts):
                raise ValueError(f"chunk {chunk.ordinal} added out of order (expected {len(self._starts)})")
            if len(self._rows) < REMEMBERED_TEXTS:
                self._rows.setdefault(chunk.text_hash(), len(self._starts))
            self._starts.append(chunk.start)
            self._ends.append(chunk.end)
        self._file.seek(0, os.SEEK_END)
        self._file.write(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())

    def known_vectors(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors already spooled for these chunk texts (earlier in the same release)."""
        assert self._file is not None, "use SpooledChunks as a context manager"
        self._file.flush()
        row_bytes = self.dim * 4
        found: dict[str, np.ndarray] = {}
        for key in set(hashes):
            row = self._rows.get(key)
            if row is not None:
                found[key] = np.frombuffer(os.pread(self._file.fileno(), row_bytes, row * row_bytes), np.float32)
        return found

    def chunks(self) -> SpooledChunkList:
        return SpooledChunkList(self.release, self._starts, self._ends)

    def vectors(self) -> SpooledVectors:
        """The vectors, one row per chunk, read from the file a block at a time as they are iterated."""
        assert self._file is not None, "use SpooledChunks as a context manager"
        self._file.flush()
        return SpooledVectors(self._file, len(self), self.dim)


class SpooledVectors:
    """The spooled vectors as a sized iterable of rows (what writing a release needs of its vectors)."""

    def __init__(self, file: IO[bytes], count: int, dim: int) -> None:
        self._file = file
        self._count = count
        self._dim = dim

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[np.ndarray]:
        row_bytes = self._dim * 4
        for first in range(0, self._count, READ_BLOCK_ROWS):
            rows = min(READ_BLOCK_ROWS, self._count - first)
            data = os.pread(self._file.fileno(), rows * row_bytes, first * row_bytes)
            yield from np.frombuffer(data, dtype=np.float32).reshape(rows, self._dim)


class SpooledChunkList(Sequence[Chunk]):
    """The chunks, each made from its offsets into the release text when it is read."""

    def __init__(self, release: Release, starts: array, ends: array) -> None:
        self._release = release
        self._starts = starts
        self._ends = ends

    def __len__(self) -> int:
        return len(self._starts)

    @overload
    def __getitem__(self, i: int) -> Chunk: ...
    @overload
    def __getitem__(self, i: slice) -> list[Chunk]: ...
    def __getitem__(self, i: int | slice) -> Chunk | list[Chunk]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        start, end = self._starts[i], self._ends[i]
        return Chunk(self._release.id, i, start, end, self._release.text[start:end])

    def __iter__(self) -> Iterator[Chunk]:
        return (self[i] for i in range(len(self)))
