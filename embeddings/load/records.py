"""Tabular releases: .json, .jsonl and .csv files holding one record per release.

Fields are found by the usual names, case-insensitively, unless a FieldMap names them:
  id: id, release_id, doc_id, uuid          title: title, headline, name, subject
  date: date, published, published_at, release_date, datetime, pub_date
  text: text, body, content, article, full_text
  organisation: organisation, organization, agency, source, publisher, components
A list value (DOJ "components") gives its first element. Besides these and a url/link field,
nothing in a record is read: other fields (ISAF "annotations", which are gold answers) never reach
the Release.

Record n is the JSONL line number, the 1-based item number in a JSON list, or the 1-based data
row in a CSV. id: the record's id as a string (1589 -> "1589"), else f"{file stem}-{n}".
origin: the record's url/link field, else f"{path}#{n}". A record without a title gets
header.derive_title; without a usable date field, the dateline's date. text is kept exactly as the
record has it (a list of paragraphs is joined with blank lines).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from embeddings.load.base import BadFile, FieldMap, LoadError, LoadResult
from embeddings.load.dateline import parse_date, parse_dateline
from embeddings.load.decode import decode_line, read_text, sniff, text_encoding
from embeddings.load.header import derive_title, guess_organisation
from embeddings.types import Release

NAMES: dict[str, tuple[str, ...]] = {
    "id": ("id", "release_id", "doc_id", "uuid"),
    "title": ("title", "headline", "name", "subject"),
    "date": ("date", "published", "published_at", "release_date", "datetime", "pub_date"),
    "text": ("text", "body", "content", "article", "full_text"),
    "organisation": ("organisation", "organization", "agency", "source", "publisher", "components"),
}
_URL_NAMES = ("url", "link", "permalink", "source_url")
# Python's json parser gives up past about 1,000 nested brackets; no release is nested like that.
_TOO_DEEP = "JSON nested too deeply to be a release (more levels of brackets than the parser allows)"
# Where a JSON object keeps its list of records.
_LIST_KEYS = ("releases", "data", "items", "records", "documents", "articles", "results", "entries")


def _names(fields: FieldMap, role: str) -> tuple[str, ...]:
    chosen = getattr(fields, role)
    return (chosen,) if chosen else NAMES[role]


def _lookup(record: Mapping[str, object], lowered: dict[str, str], names: Iterable[str]) -> object:
    for name in names:
        key = name if name in record else lowered.get(name.lower())
        if key is not None and record[key] not in (None, "", []):
            return record[key]
    return None


def _scalar(value: object) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str | int) and str(v).strip()), None)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str | int | float):
        return " ".join(str(value).split()) or None
    return None


def make_release(record: Mapping[str, object], fields: FieldMap, *, default_id: str, where: str) -> LoadResult:
    """`where` names the record (origin unless it has a URL); `default_id` is used when it has no id."""
    lowered = {k.lower(): k for k in record if isinstance(k, str)}

    def get(role: str) -> object:
        return _lookup(record, lowered, _names(fields, role))

    text = get("text")
    if isinstance(text, list) and all(isinstance(p, str) for p in text):
        text = "\n\n".join(p.strip() for p in text if p.strip())
    if text is not None and not isinstance(text, str):
        return LoadError(where, f"record's text is a {type(text).__name__}, not a string")
    if text and "\x00" in text:  # a JSON "\u0000": refused as a text file with a NUL byte is
        return LoadError(where, "record's text contains NUL characters (binary data), not text")
    if not text or not text.strip():
        names = _names(fields, "text")
        wanted = {n.lower() for n in names}
        named = next((k for k in record if isinstance(k, str) and k.lower() in wanted), None)
        if named is not None:
            return LoadError(where, f"record's {named!r} field is empty")
        present = ", ".join(str(k) for k in record) or "none"
        return LoadError(where, f"record has no text field (looked for: {', '.join(names)}; fields: {present})")
    url = _scalar(_lookup(record, lowered, _URL_NAMES))
    return Release(
        id=_scalar(get("id")) or default_id,
        title=_scalar(get("title")) or derive_title(text),
        text=text,
        date=parse_date(get("date")) or parse_dateline(text),
        organisation=_scalar(get("organisation")) or guess_organisation(text),
        origin=url or where,
    )


def load_jsonl(path: Path, fields: FieldMap, max_bytes: int) -> Iterator[LoadResult]:
    """Line by line: a JSONL corpus is never held whole, so `max_bytes` limits each line, not the file."""
    if path.stat().st_size == 0:
        raise BadFile("empty file")
    found = False
    with path.open("rb") as f:
        head = f.read(8192)
        sniff(head)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise BadFile("UTF-16 JSONL is not supported; save the file as UTF-8")
        f.seek(0)
        for n, raw in enumerate(_bounded_lines(f, max_bytes), 1):
            if raw is None:
                found = True
                yield LoadError(f"{path}#{n}", f"line {n}: over the {max_bytes:,}-byte limit for one record")
                continue
            if n == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            if not raw.strip():
                continue
            found = True
            try:
                record = json.loads(decode_line(raw.rstrip(b"\r\n")))
            except json.JSONDecodeError as e:
                yield LoadError(f"{path}#{n}", f"line {n}: invalid JSON ({e.msg} at column {e.pos + 1})")
                continue
            except RecursionError:  # json's parser recurses once per bracket: the line fails, the file goes on
                yield LoadError(f"{path}#{n}", f"line {n}: {_TOO_DEEP}")
                continue
            if not isinstance(record, dict):
                yield LoadError(f"{path}#{n}", f"line {n}: expected a JSON object, got {_kind(record)}")
                continue
            yield make_release(record, fields, default_id=f"{path.stem}-{n}", where=f"{path}#{n}")
    if not found:
        raise BadFile("empty file (no records, only blank lines)")


def _bounded_lines(f: BinaryIO, max_bytes: int) -> Iterator[bytes | None]:
    """The file's lines, each read with at most `max_bytes` in memory; None for a line longer than that, which
    is skipped a piece at a time (a file with no newline at all is then one over-long line)."""
    while raw := f.readline(max_bytes + 1):
        if len(raw) <= max_bytes or raw.endswith(b"\n"):
            yield raw
            continue
        while (rest := f.readline(1 << 20)) and not rest.endswith(b"\n"):
            pass
        yield None


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string"}.get(type(value), type(value).__name__)


def _records_of(doc: object) -> list[object]:
    if isinstance(doc, list):
        return doc
    if not isinstance(doc, dict):
        raise BadFile(f"expected a list of records or an object, got {_kind(doc)}")
    lowered = {k.lower(): k for k in doc}
    for name in _LIST_KEYS:
        key = lowered.get(name)
        if key is not None and isinstance(doc[key], list):
            return doc[key]
    lists = [k for k, v in doc.items() if isinstance(v, list) and v and isinstance(v[0], dict)]
    if len(lists) == 1:
        return doc[lists[0]]
    raise BadFile(f"no list of records (looked for keys: {', '.join(_LIST_KEYS)}) and no text field at the top level")


def load_json(path: Path, fields: FieldMap, max_bytes: int) -> Iterator[LoadResult]:
    try:
        doc = json.loads(read_text(path, max_bytes))
    except json.JSONDecodeError as e:
        raise BadFile(f"invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
    except RecursionError:
        raise BadFile(_TOO_DEEP) from None
    if isinstance(doc, dict) and _lookup(doc, {k.lower(): k for k in doc}, _names(fields, "text")):
        # The file is one release, so it is named like a text file would be.
        yield make_release(doc, fields, default_id=path.stem, where=str(path))
        return
    records = _records_of(doc)
    if not records:
        raise BadFile("no records (the list is empty)")
    for n, record in enumerate(records, 1):
        if isinstance(record, dict):
            yield make_release(record, fields, default_id=f"{path.stem}-{n}", where=f"{path}#{n}")
        else:
            yield LoadError(f"{path}#{n}", f"record {n} is {_kind(record)}, not an object")


def _delimiter(header: str) -> str:
    # The header names columns, so the separator it uses most is the file's.
    return max((",", ";", "\t", "|"), key=header.count)


def load_csv(path: Path, fields: FieldMap, max_bytes: int) -> Iterator[LoadResult]:
    """Row by row from the file, decoded as it is read (reading it whole took ~6 bytes a byte of CSV)."""
    encoding = text_encoding(path, max_bytes)
    # Press-release bodies can exceed the csv module's 128 KiB default field limit.
    csv.field_size_limit(max(csv.field_size_limit(), max_bytes))
    with path.open(encoding=encoding, newline="") as f:
        delimiter = _delimiter(f.readline().split("\n", 1)[0])
        f.seek(0)
        yield from _csv_records(path, csv.DictReader(f, delimiter=delimiter), fields)


def _csv_records(path: Path, reader: csv.DictReader, fields: FieldMap) -> Iterator[LoadResult]:
    columns = [c for c in (reader.fieldnames or []) if c is not None]
    if not any(c.strip() for c in columns):
        raise BadFile("no header row")
    wanted = _names(fields, "text")
    lowered = {c.lower() for c in columns}
    if not any(w in columns or w.lower() in lowered for w in wanted):
        raise BadFile(f"no text column (looked for: {', '.join(wanted)}; columns are: {', '.join(columns)})")
    n = 0
    try:
        for n, row in enumerate(reader, 1):
            record = {k: v for k, v in row.items() if k is not None}
            if any((v or "").strip() for v in record.values()):
                yield make_release(record, fields, default_id=f"{path.stem}-{n}", where=f"{path}#{n}")
    except csv.Error as e:
        yield LoadError(f"{path}#{n + 1}", f"CSV error near line {reader.line_num}: {e}")
