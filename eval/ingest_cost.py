"""What reading each release for re-issues, quotes, dates and names (ingest's work besides chunking and embedding)
costs ingestion: one ingest of a corpus sample into a new index, then each reader timed alone over the same
texts, so that the chunks/s with them and without them come from one run."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from itertools import islice
from pathlib import Path
from typing import Any

from embeddings.encode import Encoder
from embeddings.index import Index
from embeddings.ingest import Ingestor
from embeddings.load import iter_releases
from embeddings.reissues import signature
from embeddings.text.entities import find_entities
from embeddings.text.event_dates import find_dateline, main_event, stated_dates
from embeddings.text.quotes import find_quotes
from embeddings.types import Release

READERS: dict[str, Callable[[Release], object]] = {
    "signatures": lambda r: signature(r.text),
    "quotes": lambda r: find_quotes(r.text),
    "dates": lambda r: (main_event(r.text, r.date, stated_dates(r.text, r.date)), find_dateline(r.text)),
    "names": lambda r: find_entities(r.text),
}


def ingest_cost(corpus: Path, encoder: Encoder, n: int) -> dict[str, Any]:
    releases = [r for r in islice(iter_releases([corpus]), n) if isinstance(r, Release)]
    with tempfile.TemporaryDirectory(prefix="pressqa-ingest-cost-") as folder:
        index = Index.open(Path(folder), encoder.name, encoder.dim)
        report = Ingestor(index, encoder).ingest(releases)
        index.close()
    readers: dict[str, float] = {}
    for name, read in READERS.items():
        t0 = time.perf_counter()
        for r in releases:
            read(r)
        readers[name] = time.perf_counter() - t0
    reading = sum(readers.values())
    return {
        "releases": len(releases),
        "chunks": report.chunks,
        "ingest_s": round(report.seconds, 2),
        "reader_ms_per_release": {k: round(1000 * v / max(1, len(releases)), 3) for k, v in readers.items()},
        "chunks_per_s": round(report.chunks / report.seconds, 1),
        "chunks_per_s_without_readers": round(report.chunks / (report.seconds - reading), 1),
        "ratio": round((report.seconds - reading) / report.seconds, 3),
    }
