"""Dates read at ingest (embeddings/date_table.py): each release's stated days and the day its main event
happened, kept in the index, read into an older index by its next ingest, and used by the "happened"
date filter and by timelines ("yesterday" in a release of Jan. 25 is Jan. 24)."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from embeddings.index import DB_NAME, Filters, Index
from embeddings.ingest import Ingestor
from embeddings.types import Release
from qa.timeline import events, timeline_answer

RAID = Release(
    "raid-2013",
    "Coalition Force Kills Taliban Leader in Ghazni",
    "2013-01-S-025\n\nKABUL, Afghanistan (Jan. 25, 2013)\nDuring a security operation in Andar district, Ghazni "
    "province, yesterday, an Afghan and coalition force killed a Taliban leader who planned roadside bomb "
    "attacks against Afghan National Police.",
    date(2013, 1, 25),
)


def _open(path: Path, encoder) -> Index:
    return Index.open(path, encoder.name, encoder.dim)


def test_the_event_day_is_kept_and_filters_by_the_day_it_happened(writable_index_dir: Path, encoder) -> None:
    index = _open(writable_index_dir, encoder)
    Ingestor(index, encoder).ingest([RAID])
    day, start, end = index.event_days([RAID.id])[RAID.id]
    assert day == date(2013, 1, 24) and RAID.text[start:end] == "yesterday"
    jan_24 = Filters(date(2013, 1, 24), date(2013, 1, 24), dates="happened")
    raid_chunks = {c.id for c in index.release_chunks(RAID.id)}
    assert raid_chunks <= set(index.allowed_chunk_ids(jan_24).tolist())
    assert not raid_chunks & set(index.allowed_chunk_ids(Filters(date(2013, 1, 24), date(2013, 1, 24))).tolist())
    with pytest.raises(ValueError):
        Filters(dates="sometime")  # type: ignore[arg-type]
    index.close()
    with sqlite3.connect(writable_index_dir / DB_NAME) as db:  # as a version before dates were kept left it
        db.execute("DELETE FROM date_scans")
        db.execute("DELETE FROM stated_dates")
    index = _open(writable_index_dir, encoder)
    assert len(index.unread_releases()["dates"]) == 15 and index.event_days([RAID.id]) == {}
    # Not read yet: the release's own date stands in for the day it happened.
    assert not raid_chunks & set(index.allowed_chunk_ids(jan_24).tolist())
    Ingestor(index, encoder).ingest([])
    assert index.unread_releases()["dates"] == [] and index.event_days([RAID.id])[RAID.id][0] == date(2013, 1, 24)
    assert index.remove(RAID.id) and index.event_days([RAID.id]) == {}
    index.close()


def test_a_timeline_dates_an_event_by_the_day_it_happened() -> None:
    from qa.summarize import release_passage

    found = events([RAID], [release_passage(RAID)], {RAID.id: date(2013, 1, 24)})
    assert found[0].date == date(2013, 1, 24)
    line = timeline_answer("Ghazni", found).text
    assert line.startswith("- 2013-01-24 (published 2013-01-25): ")
    assert timeline_answer("Ghazni", events([RAID], [release_passage(RAID)])).text.startswith("- 2013-01-25: ")
