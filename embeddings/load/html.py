"""Saved web pages (.html, .htm): the main text and title without the page's chrome, via trafilatura.

Conventions:
- Release.text is trafilatura's main text with one paragraph per block element, separated by a
  blank line; a first line repeating the title (the page's <h1>) is dropped, since the title is kept
  apart, as in record files.
- title: trafilatura's (og:title, <title> minus the " | Site" suffix, <h1>), else <title> as is,
  else header.derive_title.
- date: from the page's date markup only (meta tags, <time>, dc:date; no guessing from copyright
  lines or URLs), else the dateline.
- organisation: the page's og:site_name unless that is a bare domain, else header's guess.
- id: the file stem; origin: the file path.

trafilatura and the libraries under it are imported on the first page read, so that the other formats
ingest without them; a missing one makes each page a one-line LoadError naming the package to install.
"""

from __future__ import annotations

import html as html_lib
import importlib
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from embeddings.load.base import BadFile, FieldMap
from embeddings.load.dateline import parse_date, parse_dateline
from embeddings.load.decode import decode, read_bytes
from embeddings.load.header import derive_title, guess_organisation
from embeddings.types import Release

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9._-]+)""", re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_META_TAG = re.compile(r"<meta\s[^>]*>", re.IGNORECASE)
_SITE_NAME = re.compile(r"""(?:property|name)\s*=\s*["']og:site_name["']""", re.IGNORECASE)
_CONTENT = re.compile(r"""content\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_DOMAIN = re.compile(r"(?:[\w-]+\.)+[a-z]{2,}", re.IGNORECASE)
# htmldate's extensive search guesses from any year on the page ("Copyright 2024" -> 2024-01-01).
_DATE_PARAMS = {"extensive_search": False, "original_date": True}
# What reading HTML imports, each after those it needs: module -> the package that installs it.
# lxml_html_clean comes first because justext reaches it through lxml.html.clean, whose ImportError
# when it is missing names no package that pip knows.
HTML_MODULES = {
    "lxml": "lxml",
    "lxml_html_clean": "lxml_html_clean",
    "justext": "justext",
    "trafilatura": "trafilatura",
}


def _trafilatura() -> ModuleType:
    """The trafilatura module (imported on the first call; later calls only look it up in sys.modules)."""
    for name in HTML_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            # A library below these (htmldate, courlan, ...) names its own module; lxml.html.clean names none.
            missing = exc.name.split(".")[0] if exc.name else name
            package = HTML_MODULES.get(missing, missing)
            raise BadFile(f"reading HTML needs the Python package {package} (pip install {package})") from None
    return module


def _one_line(s: str | None) -> str:
    return " ".join((s or "").split())


def _site_name(page: str) -> str | None:
    # Only the explicit og:site_name: trafilatura's sitename falls back to guesses from the <title>.
    for tag in _META_TAG.findall(page):
        if _SITE_NAME.search(tag) and (m := _CONTENT.search(tag)):
            site = _one_line(html_lib.unescape(m[1] or m[2] or ""))
            return site if site and not _DOMAIN.fullmatch(site) else None
    return None


def load_html(path: Path, fields: FieldMap, max_bytes: int) -> Iterator[Release]:
    del fields  # a page has no named fields
    trafilatura = _trafilatura()
    data = read_bytes(path, max_bytes)
    declared = _META_CHARSET.search(data[:4096])
    page = decode(data, declared[1].decode("ascii") if declared else None)
    doc = trafilatura.bare_extraction(
        page,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        date_extraction_params=_DATE_PARAMS,
    )
    if doc is None or not (doc.text or "").strip():
        raise BadFile("no main text found in the HTML page")
    title = _one_line(doc.title)
    if not title:
        m = _TITLE.search(page)
        title = _one_line(html_lib.unescape(m[1])) if m else ""
    paragraphs = [line.strip() for line in doc.text.split("\n") if line.strip()]
    if title and _one_line(paragraphs[0]) == title and len(paragraphs) > 1:
        paragraphs = paragraphs[1:]
    text = "\n\n".join(paragraphs)
    yield Release(
        id=path.stem,
        title=title or derive_title(text),
        text=text,
        date=parse_date(doc.date) or parse_dateline(text),
        organisation=_site_name(page) or guess_organisation(text),
        origin=str(path),
    )
