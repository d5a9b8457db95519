"""Plain-text and Markdown releases (.txt, .md), with optional YAML-ish front matter.

Conventions (the chunker's offsets index into Release.text, so they matter):
- Release.text is the file's body as written: after the front matter if any, line endings made
  "\n", surrounding blank space stripped. Nothing else is changed; in particular a first line that
  served as the title stays in the text.
- Front matter is the block between a leading "---" line and the next "---" (or "...") line, read
  as "key: value" lines; keys are case-insensitive. Recognised: id, title, date, and
  organisation/organization/source/agency/publisher. Other keys are ignored.
- id: front matter id, else the file stem ("000_046ecda70bd87ce3.txt" -> "000_046ecda70bd87ce3").
- title: front matter title, else header.derive_title (first meaningful line, "#" stripped).
- date: front matter date, else the dateline. organisation: front matter, else header's guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from embeddings.load.base import BadFile, FieldMap
from embeddings.load.dateline import parse_date, parse_dateline
from embeddings.load.decode import read_text
from embeddings.load.header import derive_title, guess_organisation
from embeddings.types import Release

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<block>.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_KEY_VALUE = re.compile(r"^(?P<key>[A-Za-z_][\w-]*)\s*:\s*(?P<value>.*?)\s*$")
_ORGANISATION_KEYS = ("organisation", "organization", "source", "agency", "publisher")


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    m = _FRONT_MATTER.match(text)
    if m is None:
        return {}, text
    meta: dict[str, str] = {}
    for line in m["block"].splitlines():
        kv = _KEY_VALUE.match(line)
        if kv:
            value = kv["value"]
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            meta.setdefault(kv["key"].lower(), value.strip())
    return meta, text[m.end() :]


def load_text(path: Path, fields: FieldMap, max_bytes: int) -> Iterator[Release]:
    del fields  # front matter names are fixed; FieldMap is for tabular records
    yield _release(path, read_text(path, max_bytes))


def _release(path: Path, raw: str) -> Release:
    """A function of its own so that the file's intermediate strings are freed before the release is yielded:
    a suspended generator keeps its locals, and for a 200 MB file each is 200 MB or more."""
    meta, body = split_front_matter(raw.replace("\r\n", "\n").replace("\r", "\n"))
    del raw
    text = body.strip()
    del body
    if not text:
        raise BadFile("no text after the front matter")
    organisation = next((meta[k] for k in _ORGANISATION_KEYS if meta.get(k)), None)
    return Release(
        id=meta.get("id") or path.stem,
        title=" ".join(meta.get("title", "").split()) or derive_title(text),
        text=text,
        date=parse_date(meta.get("date")) or parse_dateline(text),
        organisation=organisation or guess_organisation(text),
        origin=str(path),
    )
