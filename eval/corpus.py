"""The engine an evaluation asks: an existing index, or one built from a corpus file for the run.

- `--index DIR` alone: that index, read as it is (never created).
- `--corpus FILE` alone: a temporary index in a fresh temp directory (under $TMPDIR), built with the
  real Ingestor and embedding model and deleted when the run ends. Index folders are large and
  machine-specific: they never go under --out, so eval/results/ only holds small files.
- both: the corpus is ingested into DIR (created if missing; incremental, so a second run re-embeds
  nothing) and DIR is kept, which saves rebuilding a corpus between runs.
- neither, with a gold file that carries its corpus (SQuAD JSON, CNN/DailyMail JSONL): as `--corpus GOLD`.

A corpus is anything `pressqa ingest` reads (JSONL releases, folders of files ...), a SQuAD v1.1 JSON file
(each paragraph a release) or a CNN/DailyMail JSONL file (each article a release, highlights left out).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from embeddings.types import Release
from eval.gold import corpus_releases

RetrievalMode = Literal["hybrid", "dense", "lexical"]


class EvalSetupError(RuntimeError):
    """The index or corpus cannot be used; the message says what to do."""


@dataclass
class EngineInfo:
    engine: object  # qa.engine.Engine; typed loosely so importing this module stays cheap
    index: Path
    temporary: bool
    index_build_s: float | None = None
    ingest_summary: str | None = None
    notes: list[str] = field(default_factory=list)


def retrieval_config(mode: str):
    from qa.retrieve import RetrievalConfig

    if mode == "hybrid":
        return RetrievalConfig(dense=True, lexical=True)
    if mode == "dense":
        return RetrievalConfig(dense=True, lexical=False)
    if mode == "lexical":
        return RetrievalConfig(dense=False, lexical=True)
    raise EvalSetupError(f"--retrieval must be hybrid, dense or lexical, not {mode!r}")


@contextmanager
def evaluation_engine(
    index: Path | None,
    corpus: Path | None,
    retrieval: str = "hybrid",
    gold_releases: Sequence[Release] = (),
    show_progress: bool = True,
) -> Iterator[EngineInfo]:
    from embeddings.index import IndexStoreError
    from embeddings.settings import get_settings
    from qa.engine import Engine

    config = retrieval_config(retrieval)
    releases: Sequence[Release] | None = None
    if corpus is not None:
        if not Path(corpus).exists():
            raise EvalSetupError(f"no such corpus: {corpus}")
        releases = corpus_releases(Path(corpus))
    elif index is None:
        if not gold_releases:
            raise EvalSetupError(
                "give --index DIR (an existing index) or --corpus FILE (releases to index for the run)"
            )
        releases = gold_releases

    temporary = index is None
    path = Path(tempfile.mkdtemp(prefix="pressqa-eval-index-")) if temporary else Path(index)  # type: ignore[arg-type]
    try:
        try:
            engine = Engine.open(get_settings(index=path), create=corpus is not None or temporary, retrieval=config)
        except IndexStoreError as exc:
            raise EvalSetupError(str(exc)) from None
        info = EngineInfo(engine, path, temporary)
        if corpus is not None or temporary:
            t0 = time.perf_counter()
            if releases is not None:
                report = engine.ingestor.ingest(releases, show_progress=show_progress)
            else:
                report = engine.ingestor.ingest_paths([corpus], show_progress=show_progress)  # type: ignore[list-item]
            info.index_build_s = round(time.perf_counter() - t0, 1)
            info.ingest_summary = report.summary()
            if report.failed:
                info.notes.append(f"{len(report.failed)} corpus records failed to load, e.g. {report.failed[0]}")
        yield info
        engine.index.close()
    finally:
        if temporary:
            shutil.rmtree(path, ignore_errors=True)


def missing_releases(engine: object, release_ids: Sequence[str]) -> list[str]:
    """Gold releases the index does not hold: questions about them cannot be answered from it."""
    wanted = list(dict.fromkeys(r for r in release_ids if r))
    known = engine.index.release_hashes(wanted)  # type: ignore[attr-defined]
    return [r for r in wanted if r not in known]
