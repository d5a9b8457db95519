"""Bytes to str: size limits, binary detection and the encoding fallbacks every loader uses."""

from __future__ import annotations

import codecs
import contextlib
import os
from pathlib import Path

from embeddings.load.base import BadFile

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# cp1252 before latin-1: Windows-made files use its curly quotes and dashes in 0x80-0x9F, where latin-1
# would give invisible control characters. latin-1 last because it accepts any byte sequence.
_FALLBACKS = ("cp1252", "latin-1")
_SNIFF_BYTES = 8192


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n:,} bytes"


def check_size(path: Path, max_bytes: int) -> int:
    size = os.stat(path).st_size
    if size > max_bytes:
        raise BadFile(f"file is {_size(size)}, over the {_size(max_bytes)} limit (max_file_bytes)")
    if size == 0:
        raise BadFile("empty file")
    return size


_BINARY = "binary file (contains NUL bytes), not text"


def sniff(head: bytes) -> None:
    """Rejects binary content from the first bytes, before anything is decoded."""
    # UTF-16 text is full of NUL bytes, yet is text.
    if head.startswith(_UTF16_BOMS):
        return
    if b"\x00" in head:
        raise BadFile(_BINARY)


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    controls = sum(1 for c in sample if c < " " and c not in "\t\n\r\f\v")
    return controls > len(sample) * 0.05


def decode(data: bytes, declared: str | None = None) -> str:
    """Decodes a whole file; `declared` is an encoding the file names itself (e.g. an HTML meta charset)."""
    sniff(data[:_SNIFF_BYTES])
    if data.startswith(_UTF16_BOMS):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise BadFile(f"undecodable UTF-16 text at byte {e.start}") from None
    else:
        text = _decode_fallback(data, declared)
    # The sniff only reads the head; a NUL anywhere else (a text file with binary data appended, a NUL in
    # UTF-16) is refused the same way, so no NUL ever reaches the index.
    if "\x00" in text:
        raise BadFile(_BINARY)
    if _looks_binary(text):
        raise BadFile("binary file (mostly control characters), not text")
    if not text or text.isspace():  # not strip(): that copies the whole text, 200 MB for the largest file
        raise BadFile("empty file (only whitespace)")
    return text


def _decode_fallback(data: bytes, declared: str | None) -> str:
    encodings = ["utf-8-sig"]
    if declared:
        # An unknown charset name in a page is the page's mistake; the fallbacks still apply.
        with contextlib.suppress(LookupError):
            encodings.append(codecs.lookup(declared).name)
    for encoding in (*encodings, *_FALLBACKS):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte string")  # pragma: no cover


def text_encoding(path: Path, max_bytes: int) -> str:
    """The encoding `decode` would choose for the file, found by reading it a piece at a time, with the same
    refusals (binary, NUL bytes, only white space): for a reader that then streams the file (CSV), where
    decoding it whole held the file's text, and a parser's copy of it, at once."""
    check_size(path, max_bytes)
    with path.open("rb") as f:
        head = f.read(_SNIFF_BYTES)
    sniff(head)
    candidates = ("utf-16",) if head.startswith(_UTF16_BOMS) else ("utf-8-sig", *_FALLBACKS)
    for encoding in candidates:
        try:
            _check_streamed(path, encoding)
        except UnicodeDecodeError as e:
            if encoding == "utf-16":
                raise BadFile(f"undecodable UTF-16 text at byte {e.start}") from None
            continue
        return encoding
    raise AssertionError("latin-1 decodes every byte string")  # pragma: no cover


def _check_streamed(path: Path, encoding: str, piece_bytes: int = 1 << 20) -> None:
    decoder = codecs.getincrementaldecoder(encoding)()
    seen_text = False
    start = ""
    with path.open("rb") as f:
        while True:
            data = f.read(piece_bytes)
            piece = decoder.decode(data, final=not data)
            if "\x00" in piece:
                raise BadFile(_BINARY)
            if len(start) < 4096:
                start += piece[: 4096 - len(start)]
            seen_text = seen_text or not (not piece or piece.isspace())
            if not data:
                break
    if _looks_binary(start):
        raise BadFile("binary file (mostly control characters), not text")
    if not seen_text:
        raise BadFile("empty file (only whitespace)")


def decode_line(raw: bytes) -> str:
    """One JSONL line; decoded on its own so a stray cp1252 line does not spoil the whole file."""
    return _decode_fallback(raw, None)


def read_bytes(path: Path, max_bytes: int) -> bytes:
    check_size(path, max_bytes)
    return path.read_bytes()


def read_text(path: Path, max_bytes: int) -> str:
    return decode(read_bytes(path, max_bytes))
