"""Where a run's records are kept: results.jsonl (one item a line, written as it goes) and summary.json.

The one place that turns records into files and files into records, in their one JSON form (eval.records).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from eval.records import ItemResult, RunSummary, item_from_json


class ResultsWriter:
    """results.jsonl, one line per item, flushed per line: a long run can be watched with `tail -f`,
    and an interrupted one keeps every finished item."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file: TextIO = path.open("w", encoding="utf-8")

    def write(self, record: ItemResult) -> None:
        self._file.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def read_results(path: Path) -> list[ItemResult]:
    with Path(path).open(encoding="utf-8") as f:
        return [item_from_json(json.loads(line)) for line in f if line.strip()]


def write_summary(path: Path, summary: RunSummary) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load_summary(path: Path) -> RunSummary:
    """A run's summary.json, given the file or its run folder."""
    path = Path(path)
    if path.is_dir():
        path = path / "summary.json"
    if not path.exists():
        raise FileNotFoundError(f"no summary.json at {path}")
    return RunSummary.from_json(json.loads(path.read_text(encoding="utf-8")))
