"""The names table: the people and organisations each release names (embeddings/text/entities.py), one row
an entity with its type, how often the release names it and where first, read at ingest so that "every
release that mentions X" is a lookup over the whole index (exhaustive, not a top-k search), and so that
searches can be narrowed to the releases that mention someone.

An entity is found by its identifying words (name_words: folded, no titles) in any of the forms the release
uses for it, so "FBI" finds the release that writes "Federal Bureau of Investigation (FBI)", and "Holder"
every release naming Eric Holder. A release's row in `name_scans` records the version of the rules that
read it; an index read by older rules, or from before names were kept, is read again by its next ingest.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from datetime import date

from embeddings.index_types import NamedIn
from embeddings.text.entities import Entity, find_entities
from embeddings.text.name_kinds import name_words
from embeddings.text.person_model import PersonModelError

NAME = "names"
# Bumped whenever the rules change what they find (embeddings/text/entities.py).
NAME_RULES_VERSION = 2
SCHEMA = """
CREATE TABLE IF NOT EXISTS entities (
    release_id TEXT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    words TEXT NOT NULL,
    mentions INTEGER NOT NULL,
    first_start INTEGER NOT NULL,
    first_end INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS entities_release ON entities(release_id);
CREATE INDEX IF NOT EXISTS entities_name ON entities(type, name);
CREATE TABLE IF NOT EXISTS name_scans (
    release_id TEXT PRIMARY KEY REFERENCES releases(id) ON DELETE CASCADE,
    rules INTEGER NOT NULL
);
"""
log = logging.getLogger(__name__)
_model_missing_said = False


def _entities(text: str) -> list[Entity]:
    """The release's entities; the name rules alone (one warning) when the packaged model cannot be loaded."""
    global _model_missing_said
    try:
        return find_entities(text)
    except PersonModelError as exc:
        if not _model_missing_said:
            log.warning("people are found by the name rules alone: %s", exc)
            _model_missing_said = True
        return find_entities(text, people=None)


def _in_dateline(text: str, start: int, end: int) -> bool:
    """ "RIVERTON, March 3, 2024 —": the place of a dateline, in capitals at a line's start, names no body."""
    at_line_start = start == 0 or text[start - 1] == "\n"
    return at_line_start and text[start:end].isupper() and text[end : end + 2] == ", "


def _words(entity: Entity) -> str:
    """Every identifying word of every form, space-padded so that `instr` matches whole words."""
    words = dict.fromkeys(w for form in {entity.name, *(m.text for m in entity.mentions)} for w in name_words(form))
    return f" {' '.join(words)} "


def put(db: sqlite3.Connection, release_id: str, text: str, published: date | None = None) -> None:
    """Reads the release's people and organisations and keeps them in place of any kept before."""
    delete(db, release_id)
    rows = [
        (release_id, e.name, e.type, _words(e), len(e.mentions), e.mentions[0].start, e.mentions[0].end)
        for e in _entities(text)
        if e.mentions and not all(_in_dateline(text, m.start, m.end) for m in e.mentions)
    ]
    db.executemany(
        "INSERT INTO entities(release_id, name, type, words, mentions, first_start, first_end) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.execute("INSERT INTO name_scans(release_id, rules) VALUES (?, ?)", (release_id, NAME_RULES_VERSION))


def delete(db: sqlite3.Connection, release_id: str) -> None:
    db.execute("DELETE FROM entities WHERE release_id=?", (release_id,))
    db.execute("DELETE FROM name_scans WHERE release_id=?", (release_id,))


def unread(db: sqlite3.Connection) -> list[str]:
    """Releases no name rules, or only older ones, have read."""
    sql = "SELECT id FROM releases WHERE id NOT IN (SELECT release_id FROM name_scans WHERE rules = ?) ORDER BY id"
    return [row[0] for row in db.execute(sql, (NAME_RULES_VERSION,))]


def matching_clause(name: str, kind: str | None = None) -> tuple[str, list[object]] | None:
    """SQL (over `entities e`) true for an entity the words of `name` identify; None when `name` has no
    identifying word ("the Attorney General": titles only)."""
    words = name_words(name)
    if not words:
        return None
    clause = " AND ".join(["instr(e.words, ?) > 0"] * len(words))
    params: list[object] = [f" {w} " for w in words]
    if kind:
        clause += " AND e.type = ?"
        params.append(kind)
    return clause, params


def named_in(
    db: sqlite3.Connection,
    name: str,
    kind: str | None = None,
    release_ids: Iterable[str] | None = None,
) -> list[NamedIn]:
    """Every release naming the person or organisation, newest first, with the name as it writes it."""
    found = matching_clause(name, kind)
    if found is None:
        return []
    clause, params = found
    sql = (
        "SELECT e.release_id, r.title, r.date, e.name, e.type, e.mentions, e.first_start, e.first_end "
        f"FROM entities e JOIN releases r ON r.id = e.release_id WHERE {clause}"
    )
    if release_ids is not None:
        ids = list(release_ids)
        sql += f" AND e.release_id IN ({','.join('?' * len(ids))})"
        params += ids
    sql += " ORDER BY r.date DESC, e.release_id, e.mentions DESC"
    seen: dict[str, NamedIn] = {}
    for rid, title, day, entity, kind_, n, start, end in db.execute(sql, params):
        if rid not in seen:  # a release naming two matching entities counts once, by its most named
            seen[rid] = NamedIn(rid, title, date.fromisoformat(day) if day else None, entity, kind_, n, start, end)
    return list(seen.values())


def most_named(db: sqlite3.Connection, kind: str | None = None, limit: int = 50) -> list[tuple[str, str, int]]:
    """The people and organisations named in the most releases: (name, type, releases)."""
    where = "WHERE type = ?" if kind else ""
    sql = (
        f"SELECT name, type, count(DISTINCT release_id) AS n FROM entities {where} "
        "GROUP BY name, type ORDER BY n DESC, name LIMIT ?"
    )
    params: list[object] = [kind] if kind else []
    return [(name, kind_, n) for name, kind_, n in db.execute(sql, [*params, limit])]
