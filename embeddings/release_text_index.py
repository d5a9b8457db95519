"""The words of every release's title and text in an SQLite FTS5 index, so that "how many releases about X"
is counted over the whole archive (every release holding the words), not guessed from a top-k search.

Why FTS5, measured on the DOJ+ISAF index (13,415 releases, 48 MB of text, AMD EPYC, 2 cores): matching
"fraud" (4,813 releases) takes 18 ms, "opioids" (71) 0.2 ms and the name "Eric Holder" (830) 12 ms, where
reading every text out of SQLite takes 180 ms and matching whole words in it with Python's `re` 1.0 s more;
`instr` over lower-cased texts takes 140 ms and cannot tell whole words ("fraudulent"). BM25 (lexical.py)
ranks chunks by stemmed words ("charged" is "charg"), so it cannot say which releases hold a word as written.
The index is contentless (content=''): it keeps the words' positions, not a second copy of the text, and
adds 27 MB to the 363 MB database; building it for 13,415 releases takes 2.2 s.

Triggers on `releases` keep it in step with every write, whatever code makes it: a release added,
replaced (INSERT OR REPLACE: the BEFORE INSERT trigger takes the old words out while the old row is still
there to read them from, as a contentless index needs) or removed. `release_text_rows` gives each release
the integer row the FTS index needs, since release ids are text. An index made before these tables holds
releases they lack (`unindexed`); the next ingest, or the first count, adds them (`add`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import date

from embeddings.text.word_forms import forms, word_list

SCHEMA = """
CREATE TABLE IF NOT EXISTS release_text_rows (
    row INTEGER PRIMARY KEY,
    release_id TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE IF NOT EXISTS release_text USING fts5(
    title, text, content='', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS release_text_replaced BEFORE INSERT ON releases BEGIN
    INSERT INTO release_text(release_text, rowid, title, text)
        SELECT 'delete', m.row, r.title, r.text FROM releases r JOIN release_text_rows m ON m.release_id = r.id
        WHERE r.id = NEW.id;
    DELETE FROM release_text_rows WHERE release_id = NEW.id;
END;
CREATE TRIGGER IF NOT EXISTS release_text_added AFTER INSERT ON releases BEGIN
    INSERT INTO release_text_rows(release_id) VALUES (NEW.id);
    INSERT INTO release_text(rowid, title, text) VALUES (last_insert_rowid(), NEW.title, NEW.text);
END;
CREATE TRIGGER IF NOT EXISTS release_text_changed AFTER UPDATE OF id, title, text ON releases BEGIN
    INSERT INTO release_text(release_text, rowid, title, text)
        SELECT 'delete', m.row, OLD.title, OLD.text FROM release_text_rows m WHERE m.release_id = OLD.id;
    DELETE FROM release_text_rows WHERE release_id = OLD.id;
    INSERT INTO release_text_rows(release_id) VALUES (NEW.id);
    INSERT INTO release_text(rowid, title, text) VALUES (last_insert_rowid(), NEW.title, NEW.text);
END;
CREATE TRIGGER IF NOT EXISTS release_text_removed AFTER DELETE ON releases BEGIN
    INSERT INTO release_text(release_text, rowid, title, text)
        SELECT 'delete', m.row, OLD.title, OLD.text FROM release_text_rows m WHERE m.release_id = OLD.id;
    DELETE FROM release_text_rows WHERE release_id = OLD.id;
END;
"""

# bm25 weights of the title and the text: a release whose title names the topic is the best example of it
# (21 of the 71 opioid releases name it in their titles; many of the others name it once, in passing).
TITLE_WEIGHT = 10.0
TEXT_WEIGHT = 1.0


def unindexed(db: sqlite3.Connection) -> list[str]:
    """Releases written before the text index was kept (an index from an earlier version)."""
    sql = "SELECT id FROM releases WHERE id NOT IN (SELECT release_id FROM release_text_rows) ORDER BY id"
    return [row[0] for row in db.execute(sql)]


def add(db: sqlite3.Connection, release_ids: Sequence[str]) -> None:
    """Indexes the words of these releases (not indexed yet), inside the caller's transaction."""
    for release_id in release_ids:
        row = db.execute("SELECT title, text FROM releases WHERE id = ?", (release_id,)).fetchone()
        if row is None or db.execute("SELECT 1 FROM release_text_rows WHERE release_id = ?", (release_id,)).fetchone():
            continue  # removed meanwhile, or indexed by another process
        cursor = db.execute("INSERT INTO release_text_rows(release_id) VALUES (?)", (release_id,))
        db.execute("INSERT INTO release_text(rowid, title, text) VALUES (?, ?, ?)", (cursor.lastrowid, *row))


def _phrase(words: Sequence[str]) -> str:
    # Each word a quoted FTS5 string: "and", "near" or "not" typed by a user are words to find, not operators.
    return '"' + " ".join(w.replace('"', '""') for w in words) + '"'


def phrase_forms(phrase: str) -> list[list[str]]:
    """The word sequences a phrase matches: its words in a row; a phrase of two words of letters also with
    one letter between them, a middle initial ("Loretta E. Lynch" for "Loretta Lynch": 33 DOJ releases hold
    "Loretta Lynch" as written, 321 either form)."""
    found = word_list(phrase)
    if len(found) == 2 and all(w.isalpha() and len(w) > 1 for w in found):
        return [found] + [[found[0], letter, found[1]] for letter in _LETTERS]
    return [found] if found else []


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def match_expression(words: Sequence[str], phrases: Sequence[str]) -> str:
    """The FTS5 query for releases holding every word (in any of its forms, embeddings/text/word_forms.py)
    and every phrase (phrase_forms); "" when there is nothing to find."""
    parts = []
    for word in dict.fromkeys(w for text in words for w in word_list(text)):
        parts.append("(" + " OR ".join(_phrase([f]) for f in forms(word)) + ")")
    for phrase in dict.fromkeys(phrases):
        if found := phrase_forms(phrase):
            parts.append("(" + " OR ".join(_phrase(f) for f in found) + ")")
    return " AND ".join(parts)


def matching(
    db: sqlite3.Connection,
    expression: str,
    since: date | None = None,
    until: date | None = None,
    organisation: str | None = None,
) -> list[tuple[str, date | None, float]]:
    """(release id, date, bm25 rank: lower is better) of every release the expression matches."""
    clauses, params = ["release_text MATCH ?"], [expression]
    if since:
        clauses.append("r.date >= ?")
        params.append(since.isoformat())
    if until:
        clauses.append("r.date <= ?")
        params.append(until.isoformat())
    if organisation:
        clauses.append("instr(lower(coalesce(r.organisation, '')), ?) > 0")
        params.append(organisation.lower())
    sql = (
        f"SELECT m.release_id, r.date, bm25(release_text, {TITLE_WEIGHT}, {TEXT_WEIGHT}) FROM release_text "
        "JOIN release_text_rows m ON m.row = release_text.rowid JOIN releases r ON r.id = m.release_id "
        f"WHERE {' AND '.join(clauses)}"
    )
    return [(rid, date.fromisoformat(day) if day else None, rank) for rid, day, rank in db.execute(sql, params)]
