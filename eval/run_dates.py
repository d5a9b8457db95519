"""Event dates (embeddings/text/event_dates.py) against the ISAF annotations: each release's event_day
against the day its annotations give the event (annotations.start_date), and what dating costs a release.

The releases are loaded as ingestion loads them (embeddings.load reads no "annotations"), so each has the
release date the index would store and nothing of the gold; the gold is read from the same file apart, by
id. The ids, sorted, are cut in two halves that are scored apart, so that a rule fitted to one half's
releases shows as a gap between them.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

from embeddings.load import iter_releases
from embeddings.text.event_dates import event_day, main_event, stated_dates
from embeddings.types import Release

# How a release's event day was found, besides the rule (StatedDate.how) that read a stated day.
RELEASE_DATE = "release date only"  # its lead states no day: the release's own date stands
NO_DATE = "no date"  # no day stated and no release date (a dateline without a year, or none)
# Characters of text kept either side of the words found, for reading a miss.
CONTEXT_CHARS = 120


@dataclass(frozen=True)
class FoundDay:
    """What event_day gave a release, and how: the words it read, or none."""

    id: str
    day: date | None
    how: str
    words: str
    published: date | None
    context: str


def read_event_days(path: Path) -> dict[str, date]:
    """id -> the annotated event day (annotations.start_date) of each release of an ISAF-style JSONL file.
    Raises ValueError on a line that is not JSON or a day that is not an ISO date."""
    gold: dict[str, date] = {}
    with Path(path).open(encoding="utf-8") as lines:  # not splitlines(): ISAF texts hold U+2028
        for line in lines:
            if line.strip():
                record = json.loads(line)
                start = (record.get("annotations") or {}).get("start_date")
                if start:
                    gold[str(record["id"])] = date.fromisoformat(start)
    return gold


def load_releases(path: Path) -> list[Release]:
    return [r for r in iter_releases([path]) if isinstance(r, Release)]


def find_day(release: Release) -> FoundDay:
    day = event_day(release.text, release.date)
    main = main_event(release.text, release.date)
    if main is None:
        how = RELEASE_DATE if release.date else NO_DATE
        return FoundDay(release.id, day, how, "", release.date, "")
    context = release.text[max(0, main.start - CONTEXT_CHARS) : main.end + CONTEXT_CHARS]
    return FoundDay(release.id, day, main.how, main.text, release.date, " ".join(context.split()))


def _accuracy(found: Sequence[FoundDay], gold: Mapping[str, date]) -> dict[str, Any]:
    right = sum(f.day == gold[f.id] for f in found)
    dated = [f for f in found if f.published is not None]
    right_dated = sum(f.day == gold[f.id] for f in dated)
    return {
        "releases": len(found),
        "right": right,
        "accuracy": round(right / len(found), 4) if found else None,
        "no_date": sum(f.day is None for f in found),
        "dated_releases": len(dated),
        "accuracy_dated": round(right_dated / len(dated), 4) if dated else None,
    }


def _by_how(found: Sequence[FoundDay], gold: Mapping[str, date]) -> dict[str, dict[str, int]]:
    rows: dict[str, dict[str, int]] = {}
    for f in found:
        row = rows.setdefault(f.how, {"releases": 0, "right": 0})
        row["releases"] += 1
        row["right"] += f.day == gold[f.id]
    return dict(sorted(rows.items(), key=lambda kv: -kv[1]["releases"]))


def _miss(f: FoundDay, gold: Mapping[str, date]) -> dict[str, Any]:
    return {
        "id": f.id,
        "annotated": gold[f.id].isoformat(),
        "found": f.day.isoformat() if f.day else None,
        "off_days": (gold[f.id] - f.day).days if f.day else None,
        "release_date": f.published.isoformat() if f.published else None,
        "how": f.how,
        "words": f.words,
        "context": f.context,
    }


def score_dates(found: Sequence[FoundDay], gold: Mapping[str, date]) -> dict[str, Any]:
    """Accuracy over all releases the gold dates, over each half of them (ids sorted), by how the day was
    found; and every miss, with how far off it is."""
    scored = sorted((f for f in found if f.id in gold), key=lambda f: f.id)
    half = (len(scored) + 1) // 2
    misses = [_miss(f, gold) for f in scored if f.day != gold[f.id]]
    return {
        **_accuracy(scored, gold),
        "halves": {
            "first": {"ids": _id_range(scored[:half]), **_accuracy(scored[:half], gold)},
            "second": {"ids": _id_range(scored[half:]), **_accuracy(scored[half:], gold)},
        },
        "by_how": _by_how(scored, gold),
        "misses_by_off_days": _count_off_days(misses),
        "misses": misses,
    }


def _count_off_days(misses: Sequence[dict[str, Any]]) -> dict[str, int]:
    """How many misses are each number of days off ("-1": the annotated day is a day before the one found),
    most first; "none": no day found."""
    counts = Counter("none" if m["off_days"] is None else str(m["off_days"]) for m in misses)
    return dict(counts.most_common())


def _id_range(found: Sequence[FoundDay]) -> str:
    return f"{found[0].id} .. {found[-1].id}" if found else ""


def dating_cost(corpus: Path, n: int) -> dict[str, Any]:
    """Milliseconds a release for event_day and for stated_dates alone, over the corpus's first `n` releases."""
    releases = [r for r in islice(iter_releases([corpus]), n) if isinstance(r, Release)]
    t0 = time.perf_counter()
    for r in releases:
        event_day(r.text, r.date)
    t1 = time.perf_counter()
    for r in releases:
        stated_dates(r.text, r.date)
    t2 = time.perf_counter()
    count = max(1, len(releases))
    return {
        "corpus": str(corpus),
        "releases": len(releases),
        "mean_chars": round(sum(len(r.text) for r in releases) / count),
        "event_day_ms_per_release": round(1000 * (t1 - t0) / count, 3),
        "stated_dates_ms_per_release": round(1000 * (t2 - t1) / count, 3),
    }
