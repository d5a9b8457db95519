"""files -> releases -> chunks -> vectors -> index, in batches, skipping everything already indexed.

Memory is bounded by the batch, not by the files: releases stream from the loaders, a batch is flushed at
BATCH_RELEASES releases or BATCH_CHARS characters, and a release too long for a batch (LARGE_RELEASE_CHARS)
is chunked a window at a time and its vectors spooled to a temporary file in the index folder, then
written with its chunks in one transaction. (Before, a 20 MB text file took the ingest to 2.8 GB.)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
from tqdm import tqdm

from embeddings.chunk import Chunker
from embeddings.encode import Encoder
from embeddings.index import Index, PendingRelease
from embeddings.load import FieldMap, LoadError, iter_releases
from embeddings.spool import SpooledChunks
from embeddings.types import Chunk, Release

# A batch of 256 DOJ releases is about 1.2 M characters and 1,250 chunks. The character cap keeps a batch of
# long releases to the same order: 4 M characters are ~5,700 chunks, whose texts and vectors take ~15 MB.
BATCH_RELEASES = 256
BATCH_CHARS = 4_000_000
# A release above this is streamed on its own (the longest DOJ or ISAF release is 112,000 characters).
LARGE_RELEASE_CHARS = 1_000_000
# Releases signed (embeddings/reissues.py) or read for quotes (embeddings/quote_table.py) per transaction when
# an index from an earlier version is brought up to date: ~1 ms each.
SIGN_BATCH = 500
# Chunks embedded at a time within a streamed release.
EMBED_GROUP_CHUNKS = 2_048


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list[LoadError] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_reused: int = 0
    seconds: float = 0.0
    # Where the time went, for the benchmark.
    parse_seconds: float = 0.0
    chunk_seconds: float = 0.0
    embed_seconds: float = 0.0
    index_seconds: float = 0.0
    added_ids: list[str] = field(default_factory=list)
    reissued: int = 0  # added releases published more than once, here or before (embeddings/reissues.py)

    @property
    def chunks(self) -> int:
        return self.chunks_embedded + self.chunks_reused

    def summary(self) -> str:
        reissued = f"; {self.reissued} of them published more than once (`pressqa info --reissues`)"
        return (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, {len(self.failed)} failed; "
            f"{self.chunks_embedded} chunks embedded, {self.chunks_reused} reused; {self.seconds:.1f} s"
            + (reissued if self.reissued else "")
        )


ProgressCallback = Callable[[int, str], None]  # (releases seen so far, what is happening)


class Ingestor:
    """Holds the encoder and chunker so the web app can ingest uploads without reloading the model."""

    def __init__(
        self,
        index: Index,
        encoder: Encoder,
        batch_releases: int = BATCH_RELEASES,
        batch_chars: int = BATCH_CHARS,
        large_release_chars: int = LARGE_RELEASE_CHARS,
    ) -> None:
        self.index = index
        self.encoder = encoder
        self.chunker = Chunker(encoder.chunk_tokenizer)
        self.batch_releases = batch_releases
        self.batch_chars = batch_chars
        self.large_release_chars = large_release_chars

    def ingest_paths(
        self,
        paths: Iterable[str | Path],
        fields: FieldMap | None = None,
        show_progress: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> IngestReport:
        return self.ingest(iter_releases(paths, fields), show_progress, on_progress)

    def ingest(
        self,
        items: Iterable[Release | LoadError],
        show_progress: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> IngestReport:
        report = IngestReport()
        started = time.perf_counter()
        batch: dict[str, Release] = {}
        batch_chars = 0
        seen = 0
        # Closed on the way out of an error too, so that the error is printed on a line of its own.
        # Failures are in the report, for the caller to show once (the CLI on stderr, the web app per file).
        with tqdm(desc="Ingesting", unit=" releases", disable=not show_progress, dynamic_ncols=True) as bar:
            iterator = iter(items)
            while True:
                t0 = time.perf_counter()
                item = next(iterator, None)
                report.parse_seconds += time.perf_counter() - t0
                if item is None:
                    break
                seen += 1
                bar.update(1)
                if isinstance(item, LoadError):
                    report.failed.append(item)
                    continue
                if len(item.text) > self.large_release_chars:
                    self._flush(batch, report, bar)  # keeps the order releases are written in
                    batch_chars = 0
                    self._ingest_large(item, report, bar)
                else:
                    batch[item.id] = item  # a later record with the same id wins, as a re-ingest would
                    batch_chars += len(item.text)
                if len(batch) >= self.batch_releases or batch_chars >= self.batch_chars:
                    self._flush(batch, report, bar)
                    batch_chars = 0
                if on_progress and not batch:
                    on_progress(seen, report.summary())
            self._flush(batch, report, bar)
            self._read_earlier(show_progress)
            added = set(report.added_ids)
            report.reissued = sum(rid in added for g in self.index.reissues(added) for rid in g)
            self.index.save()
        report.seconds = time.perf_counter() - started
        if on_progress:
            on_progress(seen, report.summary())
        return report

    def _read_earlier(self, show_progress: bool) -> None:
        """Releases indexed before re-issued releases were tracked, before quotes or dates were kept (or by
        older rules of their own), or before their words were indexed for counting, are read for them, once."""
        steps = [("Signing earlier releases", self.index.unsigned_releases(), self.index.sign)]
        for name, ids in self.index.unread_releases().items():
            steps.append((f"Reading {name} of earlier releases", ids, partial(self.index.read_again, name)))
        steps.append(("Indexing the words of earlier releases", self.index.unindexed_texts(), self.index.index_texts))
        for desc, todo, read in steps:
            with tqdm(total=len(todo), desc=desc, disable=not (show_progress and todo)) as bar:
                for start in range(0, len(todo), SIGN_BATCH):
                    part = todo[start : start + SIGN_BATCH]
                    read(part)
                    bar.update(len(part))

    def _flush(self, batch: dict[str, Release], report: IngestReport, bar: tqdm) -> None:
        if not batch:
            return
        releases = list(batch.values())
        batch.clear()
        known = self.index.release_hashes(r.id for r in releases)
        todo: list[tuple[Release, str]] = []
        for release in releases:
            content_hash = release.content_hash()
            if known.get(release.id) == content_hash:
                report.unchanged += 1
            else:
                todo.append((release, content_hash))
        if not todo:
            return

        t0 = time.perf_counter()
        chunked = [(release, content_hash, self.chunker.chunk(release)) for release, content_hash in todo]
        report.chunk_seconds += time.perf_counter() - t0

        t0 = time.perf_counter()
        rows = self._vectors([(release, chunk) for release, _, cs in chunked for chunk in cs], report, bar)
        report.embed_seconds += time.perf_counter() - t0

        t0 = time.perf_counter()
        pending = []
        first = 0
        for release, content_hash, chunks in chunked:
            pending.append(PendingRelease(release, content_hash, chunks, rows[first : first + len(chunks)]))
            first += len(chunks)
            if release.id in known:
                report.updated += 1
            else:
                report.added += 1
                report.added_ids.append(release.id)
        self.index.write(pending)
        report.index_seconds += time.perf_counter() - t0
        bar.set_postfix_str(report.summary().rsplit(";", 1)[0])

    def _vectors(
        self,
        items: list[tuple[Release, Chunk]],
        report: IngestReport,
        bar: tqdm,
        spool: SpooledChunks | None = None,
    ) -> np.ndarray:
        """One vector per item, in order: stored or spooled ones reused, the rest embedded, each distinct text
        once. Each chunk text is hashed once here."""
        hashes = [chunk.text_hash() for _, chunk in items]
        vectors_by_hash = self.index.vectors_for_text_hashes(hashes)
        if spool is not None:
            vectors_by_hash.update(spool.known_vectors(h for h in hashes if h not in vectors_by_hash))
        to_embed: dict[str, str] = {}
        for (release, chunk), key in zip(items, hashes, strict=True):
            if key not in vectors_by_hash and key not in to_embed:
                to_embed[key] = f"{self.encoder.header(release)}\n{chunk.text}"
        report.chunks_reused += len(items) - len(to_embed)
        report.chunks_embedded += len(to_embed)
        if to_embed:
            bar.set_postfix_str(f"embedding {len(to_embed)} chunks")
            vectors = self.encoder.encode(list(to_embed.values()))
            vectors_by_hash.update(zip(to_embed.keys(), vectors, strict=True))
        if not hashes:
            return np.zeros((0, self.encoder.dim), dtype=np.float32)
        return np.vstack([vectors_by_hash[key] for key in hashes])

    def _ingest_large(self, release: Release, report: IngestReport, bar: tqdm) -> None:
        """One long release: chunks embedded EMBED_GROUP_CHUNKS at a time and spooled to disk, then written."""
        content_hash = release.content_hash()
        known = self.index.release_hashes([release.id])
        if known.get(release.id) == content_hash:
            report.unchanged += 1
            return
        with SpooledChunks(release, self.index.path, self.encoder.dim) as spool:
            group: list[Chunk] = []
            t0 = time.perf_counter()
            for chunk in self.chunker.iter_chunks(release):
                group.append(chunk)
                if len(group) >= EMBED_GROUP_CHUNKS:
                    self._spool_group(release, group, spool, report, bar)
                    group = []
            self._spool_group(release, group, spool, report, bar)
            report.chunk_seconds += time.perf_counter() - t0 - spool.embed_seconds
            report.embed_seconds += spool.embed_seconds
            t0 = time.perf_counter()
            bar.set_postfix_str(f"writing {len(spool)} chunks of {release.id}")
            self.index.write([PendingRelease(release, content_hash, spool.chunks(), spool.vectors())])
            report.index_seconds += time.perf_counter() - t0
        if release.id in known:
            report.updated += 1
        else:
            report.added += 1
            report.added_ids.append(release.id)
        bar.set_postfix_str(report.summary().rsplit(";", 1)[0])

    def _spool_group(
        self, release: Release, group: list[Chunk], spool: SpooledChunks, report: IngestReport, bar: tqdm
    ) -> None:
        if not group:
            return
        t0 = time.perf_counter()
        spool.add(group, self._vectors([(release, c) for c in group], report, bar, spool))
        spool.embed_seconds += time.perf_counter() - t0
