"""files -> releases -> chunks -> vectors -> index, in batches, skipping everything already indexed."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from embeddings.chunk import Chunker
from embeddings.encode import Encoder
from embeddings.index import Index, PendingRelease
from embeddings.load import FieldMap, LoadError, iter_releases
from embeddings.types import Release


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

    @property
    def chunks(self) -> int:
        return self.chunks_embedded + self.chunks_reused

    def summary(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, {len(self.failed)} failed; "
            f"{self.chunks_embedded} chunks embedded, {self.chunks_reused} reused; {self.seconds:.1f} s"
        )


ProgressCallback = Callable[[int, str], None]  # (releases seen so far, what is happening)


class Ingestor:
    """Holds the encoder and chunker so the web app can ingest uploads without reloading the model."""

    def __init__(self, index: Index, encoder: Encoder, batch_releases: int = 256) -> None:
        self.index = index
        self.encoder = encoder
        self.chunker = Chunker(encoder.tokenizer)
        self.batch_releases = batch_releases

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
                batch[item.id] = item  # a later record with the same id wins, as a re-ingest would
                if len(batch) >= self.batch_releases:
                    self._flush(batch, report, bar)
                    if on_progress:
                        on_progress(seen, report.summary())
            self._flush(batch, report, bar)
            self.index.save()
        report.seconds = time.perf_counter() - started
        if on_progress:
            on_progress(seen, report.summary())
        return report

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
        vectors_by_hash = self.index.vectors_for_text_hashes(c.text_hash() for _, _, cs in chunked for c in cs)
        to_embed: dict[str, str] = {}
        for release, _, chunks in chunked:
            header = self.encoder.header(release)
            for chunk in chunks:
                key = chunk.text_hash()
                if key not in vectors_by_hash and key not in to_embed:
                    to_embed[key] = f"{header}\n{chunk.text}"
        total = sum(len(cs) for _, _, cs in chunked)
        report.chunks_reused += total - len(to_embed)
        report.chunks_embedded += len(to_embed)
        if to_embed:
            bar.set_postfix_str(f"embedding {len(to_embed)} chunks")
            vectors = self.encoder.encode(list(to_embed.values()))
            vectors_by_hash.update(zip(to_embed.keys(), vectors, strict=True))
        report.embed_seconds += time.perf_counter() - t0

        t0 = time.perf_counter()
        pending = []
        for release, content_hash, chunks in chunked:
            vectors = np.vstack([vectors_by_hash[c.text_hash()] for c in chunks]) if chunks else np.zeros((0, 1))
            pending.append(PendingRelease(release, content_hash, chunks, vectors))
            if release.id in known:
                report.updated += 1
            else:
                report.added += 1
                report.added_ids.append(release.id)
        self.index.write(pending)
        report.index_seconds += time.perf_counter() - t0
        bar.set_postfix_str(report.summary().rsplit(";", 1)[0])
