"""The quotes table: each release's quotes (embeddings/text/quotes.py) with their speakers and spans, read at
ingest so that "who said", "what did X say" and `pressqa quotes` are lookups, not a reading of every release.

A release's row in `quote_scans` records the version of the quote rules that read it; an index read by
older rules is read again by its next ingest (Ingestor), as an index from before quotes were kept is.
Speakers are matched by their identifying words (name_words: folded, no titles), in the speaker's name or
role, so "Branda", "Joyce Branda" and "the Civil Division" all find "Acting Assistant Attorney General Joyce
R. Branda of the Civil Division".
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import date

from embeddings.index_types import StoredQuote
from embeddings.text.name_kinds import name_words
from embeddings.text.quotes import QUOTE_RULES_VERSION, find_quotes

NAME = "quotes"
SCHEMA = """
CREATE TABLE IF NOT EXISTS quotes (
    release_id TEXT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    speaker TEXT NOT NULL,
    role TEXT NOT NULL,
    text TEXT NOT NULL,
    who_words TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS quotes_release ON quotes(release_id);
CREATE TABLE IF NOT EXISTS quote_scans (
    release_id TEXT PRIMARY KEY REFERENCES releases(id) ON DELETE CASCADE,
    rules INTEGER NOT NULL
);
"""


def _who_words(speaker: str, role: str) -> str:
    """The words a speaker is found by, space-padded so that `instr` matches whole words."""
    return f" {' '.join(name_words(speaker) + name_words(role))} "


def put(db: sqlite3.Connection, release_id: str, text: str, published: date | None = None) -> None:
    """Reads the release's quotes and keeps them in place of any kept before."""
    delete(db, release_id)
    rows = [
        (release_id, q.start, q.end, q.speaker, q.role, q.text, _who_words(q.speaker, q.role))
        for q in find_quotes(text)
    ]
    db.executemany(
        "INSERT INTO quotes(release_id, start, end, speaker, role, text, who_words) VALUES (?, ?, ?, ?, ?, ?, ?)", rows
    )
    db.execute("INSERT INTO quote_scans(release_id, rules) VALUES (?, ?)", (release_id, QUOTE_RULES_VERSION))


def delete(db: sqlite3.Connection, release_id: str) -> None:
    db.execute("DELETE FROM quotes WHERE release_id=?", (release_id,))
    db.execute("DELETE FROM quote_scans WHERE release_id=?", (release_id,))


def unread(db: sqlite3.Connection) -> list[str]:
    """Releases no quote rules, or only older ones, have read."""
    sql = "SELECT id FROM releases WHERE id NOT IN (SELECT release_id FROM quote_scans WHERE rules = ?) ORDER BY id"
    return [row[0] for row in db.execute(sql, (QUOTE_RULES_VERSION,))]


def select(
    db: sqlite3.Connection,
    speaker: str | None = None,
    release_ids: Iterable[str] | None = None,
    limit: int | None = None,
) -> list[StoredQuote]:
    """Quotes, newest release first and in text order within one: by a speaker (every identifying word of
    `speaker` in the speaker's name or role), in some releases, or all. A `speaker` with no identifying word
    ("the Attorney General": titles only) matches no one."""
    clauses: list[str] = []
    params: list[object] = []
    if speaker is not None:
        words = name_words(speaker)
        if not words:
            return []
        clauses += ["instr(q.who_words, ?) > 0"] * len(words)
        params += [f" {w} " for w in words]
    if release_ids is not None:
        ids = list(dict.fromkeys(release_ids))
        if not ids:
            return []
        clauses.append(f"q.release_id IN ({','.join('?' * len(ids))})")
        params += ids
    sql = (
        "SELECT q.release_id, r.title, r.date, q.speaker, q.role, q.text, q.start, q.end FROM quotes q "
        f"JOIN releases r ON r.id = q.release_id WHERE {' AND '.join(clauses) or '1'} "
        "ORDER BY r.date DESC, q.release_id, q.start"
    )
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [
        StoredQuote(rid, title, date.fromisoformat(day) if day else None, speaker_, role, text, start, end)
        for rid, title, day, speaker_, role, text, start, end in db.execute(sql, params)
    ]


def speakers(db: sqlite3.Connection, limit: int = 50) -> list[tuple[str, int]]:
    """The most quoted speakers, with how many quotes each has."""
    sql = "SELECT speaker, count(*) FROM quotes GROUP BY speaker ORDER BY count(*) DESC, speaker LIMIT ?"
    return [(name, n) for name, n in db.execute(sql, (limit,))]
