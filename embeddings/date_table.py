"""The dates tables: each release's dateline place, the days its body states (embeddings/text/event_dates.py)
with their spans, and the day of its main event, read at ingest so that filters, timelines and the sources
panel use the day something happened ("yesterday" in a release of Jan. 25 is Jan. 24) without reading the
release again.

A release's row in `date_scans` records the version of the date rules that read it, its event day and its
dateline's place; an index read by older rules, or from before dates were kept, is read again by its next
ingest (Ingestor).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import date

from embeddings.text.event_dates import DATE_RULES_VERSION, find_dateline, main_event, stated_dates

NAME = "dates"
SCHEMA = """
CREATE TABLE IF NOT EXISTS stated_dates (
    release_id TEXT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text TEXT NOT NULL,
    day TEXT NOT NULL,
    how TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS stated_dates_release ON stated_dates(release_id);
CREATE TABLE IF NOT EXISTS date_scans (
    release_id TEXT PRIMARY KEY REFERENCES releases(id) ON DELETE CASCADE,
    rules INTEGER NOT NULL,
    event_day TEXT,
    event_start INTEGER,
    event_end INTEGER,
    place TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS date_scans_event_day ON date_scans(event_day);
"""


def put(db: sqlite3.Connection, release_id: str, text: str, published: date | None) -> None:
    """Reads the release's dates and keeps them in place of any kept before."""
    delete(db, release_id)
    stated = stated_dates(text, published)
    db.executemany(
        "INSERT INTO stated_dates(release_id, start, end, text, day, how) VALUES (?, ?, ?, ?, ?, ?)",
        [(release_id, s.start, s.end, s.text, s.day.isoformat(), s.how) for s in stated],
    )
    main = main_event(text, published, stated)
    day = main.day if main is not None else published
    dateline = find_dateline(text)
    db.execute(
        "INSERT INTO date_scans(release_id, rules, event_day, event_start, event_end, place) VALUES (?, ?, ?, ?, ?, ?)",
        (
            release_id,
            DATE_RULES_VERSION,
            day.isoformat() if day else None,
            main.start if main else None,
            main.end if main else None,
            dateline.place if dateline else "",
        ),
    )


def delete(db: sqlite3.Connection, release_id: str) -> None:
    db.execute("DELETE FROM stated_dates WHERE release_id=?", (release_id,))
    db.execute("DELETE FROM date_scans WHERE release_id=?", (release_id,))


def unread(db: sqlite3.Connection) -> list[str]:
    """Releases no date rules, or only older ones, have read."""
    sql = "SELECT id FROM releases WHERE id NOT IN (SELECT release_id FROM date_scans WHERE rules = ?) ORDER BY id"
    return [row[0] for row in db.execute(sql, (DATE_RULES_VERSION,))]


def event_days(db: sqlite3.Connection, release_ids: Iterable[str]) -> dict[str, tuple[date, int | None, int | None]]:
    """Each release's event day with the span that states it (None, None: the release's own date)."""
    ids = list(dict.fromkeys(release_ids))
    out: dict[str, tuple[date, int | None, int | None]] = {}
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        sql = (
            "SELECT release_id, event_day, event_start, event_end FROM date_scans "
            f"WHERE event_day IS NOT NULL AND release_id IN ({','.join('?' * len(part))})"
        )
        for rid, day, a, b in db.execute(sql, part):
            out[rid] = (date.fromisoformat(day), a, b)
    return out
