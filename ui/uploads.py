"""Uploaded files into the index: checked, copied under a safe name into <index>/uploads/, then ingested.

Files are ingested one by one so that each gets its own result line (added / updated / unchanged /
failed with the reason). A file is copied only after its type and size are accepted, the copy's name
is rebuilt from a small alphabet so it cannot point anywhere else, and a copy whose releases all failed
to load is removed again, so the uploads folder only holds what the index holds.
"""

from __future__ import annotations

import logging
import re
import shutil
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from embeddings.load import SUPPORTED_SUFFIXES
from ui.render import escape_markdown

if TYPE_CHECKING:
    from qa.engine import Engine

logger = logging.getLogger(__name__)

UPLOADS_DIR = "uploads"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_NAME = 100

Progress = Callable[[float, str], None]  # (fraction done, what is happening)


class UploadRejected(ValueError):
    """A file that is not copied or ingested; the message is the reason shown to the user."""


@dataclass(frozen=True)
class FileResult:
    name: str  # the sanitised name (what the uploads folder and the release id use)
    status: str  # "added", "updated", "unchanged" or "failed"
    detail: str
    release_ids: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {"file": self.name, "status": self.status, "detail": self.detail, "release_ids": list(self.release_ids)}


def accepted_types() -> str:
    return ", ".join(sorted(SUPPORTED_SUFFIXES))


def safe_name(name: str) -> str:
    """A file name with no directory part, no leading dot and only [A-Za-z0-9._-], at most 100 characters."""
    base = unicodedata.normalize("NFKD", name.replace("\\", "/").rsplit("/", 1)[-1])
    base = base.encode("ascii", "ignore").decode("ascii")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = _UNSAFE.sub("_", stem).strip("._-") or "release"
    suffix = _UNSAFE.sub("", suffix).lower()
    stem = stem[: _MAX_NAME - len(suffix) - 1]
    return f"{stem}.{suffix}" if suffix else stem


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(1, round(n / 1024))} KB"


def stage(source: Path, original_name: str, uploads: Path, max_bytes: int) -> Path:
    """Copies an accepted upload into `uploads`; raises UploadRejected with the reason otherwise."""
    name = safe_name(original_name)
    suffix = Path(name).suffix
    if suffix not in SUPPORTED_SUFFIXES:
        kind = f"'{suffix}'" if suffix else "without a suffix"
        raise UploadRejected(f"unsupported file type {kind}; accepted: {accepted_types()}")
    if not source.is_file():
        raise UploadRejected("the upload did not arrive; try again")
    size = source.stat().st_size
    if size > max_bytes:
        raise UploadRejected(f"too large ({_size(size)}); the limit is {_size(max_bytes)} per file")
    if size == 0:
        raise UploadRejected("the file is empty")
    uploads.mkdir(parents=True, exist_ok=True)
    target = (uploads / name).resolve()
    if target.parent != uploads.resolve():  # cannot happen with safe_name; checked because it must never
        raise UploadRejected("invalid file name")
    shutil.copyfile(source, target)
    return target


def ingest_file(engine: Engine, path: Path) -> FileResult:
    report = engine.ingestor.ingest_paths([path])
    reasons = "; ".join(dict.fromkeys(_reason(e.origin, e.reason, path) for e in report.failed))
    loaded = report.added + report.updated + report.unchanged
    if not loaded:
        path.unlink(missing_ok=True)
        return FileResult(path.name, "failed", reasons or "no release found in the file")
    parts = [
        f"{n} {word}"
        for n, word in ((report.added, "added"), (report.updated, "updated"), (report.unchanged, "unchanged"))
        if n
    ]
    detail = ", ".join(parts) + (f"; {len(report.failed)} failed: {reasons}" if report.failed else "")
    if report.reissued:
        detail += f"; {report.reissued} already published under another id (shown once, with both ids)"
    status = "added" if report.added else "updated" if report.updated else "unchanged"
    return FileResult(path.name, status, detail, tuple(report.added_ids))


def _reason(origin: str, reason: str, path: Path) -> str:
    """A loader's reason without the server path it names (users only need the record number)."""
    record = origin.rsplit("#", 1)[1] if "#" in origin and origin.startswith(str(path)) else ""
    return f"record {record}: {reason}" if record else reason


def add_files(
    engine: Engine,
    files: Sequence[tuple[Path, str]],
    max_bytes: int,
    progress: Progress | None = None,
) -> list[FileResult]:
    """Stages and ingests (path on disk, name the user gave it) pairs, one result per file, in order."""
    uploads = Path(engine.index.path) / UPLOADS_DIR
    results: list[FileResult] = []
    for i, (source, original) in enumerate(files):
        name = safe_name(original)
        if progress:
            progress(i / max(1, len(files)), f"Indexing {name} ({i + 1} of {len(files)})")
        try:
            results.append(ingest_file(engine, stage(source, original, uploads, max_bytes)))
        except UploadRejected as exc:
            results.append(FileResult(name, "failed", str(exc)))
        except Exception as exc:  # one bad file must not lose the others' results
            logger.exception("ingesting upload %s failed", name)
            results.append(FileResult(name, "failed", f"could not be indexed ({type(exc).__name__})"))
    if progress:
        progress(1.0, "Done")
    return results


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


_ICONS = {"added": "✓", "updated": "↻", "unchanged": "=", "failed": "✗"}


def results_markdown(results: Sequence[FileResult]) -> str:
    if not results:
        return "Choose one or more files first."
    added = sum(len(r.release_ids) for r in results)
    failed = sum(r.status == "failed" for r in results)
    head = f"**{_count(added, 'release')} added** from {_count(len(results), 'file')}"
    head += f", {failed} failed." if failed else "."
    if any(r.status != "failed" for r in results):
        head += " They are searchable now."
    lines = [head, ""]
    for r in results:
        lines.append(f"- {_ICONS[r.status]} `{r.name}`: {escape_markdown(r.detail)}")
    return "\n".join(lines)
