"""The bench's ingest steps: the order releases are indexed in, one timed step, and re-ingesting unchanged ones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from embeddings.ingest import Ingestor, IngestReport
from embeddings.types import Release
from eval.gold import GoldQuestion


def order_for_bench(releases: Sequence[Release], questions: Sequence[GoldQuestion]) -> list[Release]:
    """Gold releases first, then the rest in corpus order."""
    wanted = {q.release_id for q in questions if q.release_id}
    first = [r for r in releases if r.id in wanted]
    return first + [r for r in releases if r.id not in wanted]


def ingest_step(ingestor: Ingestor, releases: Sequence[Release], parse_s_per_release: float) -> dict[str, Any]:
    report: IngestReport = ingestor.ingest(releases, show_progress=True)
    parse = parse_s_per_release * len(releases)
    total = report.seconds + parse
    return {
        "releases": len(releases),
        "chunks": report.chunks,
        "chunks_embedded": report.chunks_embedded,
        "seconds": round(total, 2),
        "parse_s": round(parse, 2),
        "chunk_s": round(report.chunk_seconds, 2),
        "embed_s": round(report.embed_seconds, 2),
        # Writing rows, then rebuilding the FAISS and BM25 files once at the end of the step.
        "index_s": round(report.seconds - report.chunk_seconds - report.embed_seconds, 2),
    }


def reingest(ingestor: Ingestor, releases: Sequence[Release]) -> dict[str, Any]:
    report = ingestor.ingest(releases)
    return {
        "seconds": round(report.seconds, 2),
        "unchanged": report.unchanged,
        "chunks_embedded": report.chunks_embedded,
    }
