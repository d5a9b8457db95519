"""The counting questions' expected answers (eval/gold/counts.dev.jsonl), by a plain scan of the corpus files.

Nobody can read 12,694 releases to count those about opioids, so the expected counts are computed here by a
second, independent implementation of the matching rule: Python's `re` over each release's title and text,
read straight from the JSONL files, sharing no code with the counter (SQLite FTS5 behind
Index.count_releases). Where the two disagree, one of them breaks the rule. Whether the rule itself means
"about X" is checked by reading: `sample` prints releases a question matches, `near` releases that hold only
some of its words, for the notes in each gold row's "reading".

The rule (eval/gold/counts.README.md): a release matches when its title or text holds every word of
"words" as a whole word, case and accents aside, in the word's own form or its other number (the English
plural rule below), and every phrase of "phrases" as its words in a row, separated only by spaces or
punctuation, within the title or within the text (a phrase of two words of letters also with one letter,
a middle initial, between them). Releases with an empty text are left out, as ingest leaves
them out. A release published again under another id (the `"same": true` groups of
eval/gold/reissues.dev.jsonl, read by hand) counts once, under its earliest matched id.

    python -m eval.count_gold compute eval/gold/counts.dev.jsonl [--write]
    python -m eval.count_gold sample eval/gold/counts.dev.jsonl c01 [-n 6] [--seed 1]
    python -m eval.count_gold near eval/gold/counts.dev.jsonl c01 [-n 4]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"
DOJ = CORPORA / "doj" / "releases.jsonl"
ISAF = CORPORA / "isaf" / "releases.jsonl"
REISSUES = REPO / "eval" / "gold" / "reissues.dev.jsonl"

_MONTHS = {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())}
_MON = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_FULL_DATE = re.compile(_MON + r"\s+(\d{1,2}),?\s+((?:19|20)\d\d)", re.IGNORECASE)
_MONTH_DAY = re.compile(_MON + r"\s+(\d{1,2})\b", re.IGNORECASE)
_REFERENCE = re.compile(r"\b((?:19|20)\d\d)-(\d\d)-[A-Z]+[-–]\d+")


@dataclass(frozen=True)  # cached_property needs the instance dict that slots would take away
class Doc:
    id: str
    title: str
    text: str
    date: dt.date | None

    @cached_property
    def folded(self) -> tuple[str, str]:
        """Title and text with accents taken off (the index folds them too)."""
        return _fold(self.title), _fold(self.text)


def isaf_date(text: str) -> dt.date | None:
    """An ISAF release's date from its head: "Jan. 25, 2013", else "(Sept. 30)" with the reference code's
    year ("2011-09-S-070"); None when neither is there (agrees with the index's date for all 724)."""
    head = text[:400]
    try:
        if m := _FULL_DATE.search(head):
            return dt.date(int(m[3]), _MONTHS[m[1][:3].lower()], int(m[2]))
        if (m := _MONTH_DAY.search(head)) and (ref := _REFERENCE.search(head)):
            return dt.date(int(ref[1]), _MONTHS[m[1][:3].lower()], int(m[2]))
    except ValueError:
        return None
    return None


def read_corpus() -> list[Doc]:
    docs = []
    for line in DOJ.open(encoding="utf-8"):
        r = json.loads(line)
        if (r.get("text") or "").strip():
            docs.append(Doc(str(r["id"]), r.get("title") or "", r["text"], dt.date.fromisoformat(r["date"][:10])))
    for line in ISAF.open(encoding="utf-8"):
        r = json.loads(line)
        if (r.get("text") or "").strip():
            docs.append(Doc(r["id"], "", r["text"], isaf_date(r["text"])))
    return docs


def reissue_groups() -> list[list[str]]:
    return [list(map(str, g["ids"])) for line in REISSUES.open() if (g := json.loads(line))["same"]]


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def word_variants(word: str) -> list[str]:
    """The rule's forms of one lower-case word, written out here on their own."""
    if not word.isalpha():
        return [word]
    out = [word]
    plural_looking = word.endswith("s") and not (word.endswith("ss") or word.endswith("us") or word.endswith("is"))
    if plural_looking:
        if len(word) > 3:
            out.append(word[:-1])
            if word.endswith("ies") and len(word) > 4:
                out.append(word[:-3] + "y")
            if word.endswith("es") and re.search(r"(x|z|ch|sh|ss)es$", word):
                out.append(word[:-2])
        return out
    if re.search(r"[^aeiou]y$", word):
        out.append(word[:-1] + "ies")
    elif re.search(r"(s|x|z|ch|sh)$", word):
        out.append(word + "es")
    else:
        out.append(word + "s")
    return out


def _bounded(body: str) -> re.Pattern[str]:
    return re.compile(r"(?<![^\W_])(?:" + body + r")(?![^\W_])", re.IGNORECASE)


def matcher(match: dict) -> list[re.Pattern[str]]:
    """One pattern per word (any of its forms) and per phrase (its words, anything but letters and digits
    between them); a release matches when every pattern is found in its title or its text."""
    patterns = []
    for w in match.get("words", []):
        for part in re.findall(r"[^\W_]+", _fold(w).lower()):
            patterns.append(_bounded("|".join(re.escape(v) for v in word_variants(part))))
    for p in match.get("phrases", []):
        parts = re.findall(r"[^\W_]+", _fold(p).lower())
        if len(parts) == 2 and all(x.isalpha() and len(x) > 1 for x in parts):
            # two words of letters: also with a middle initial between them ("Loretta E. Lynch")
            patterns.append(_bounded(re.escape(parts[0]) + r"[\W_]+(?:[a-z][\W_]+)?" + re.escape(parts[1])))
        else:
            patterns.append(_bounded(r"[\W_]+".join(re.escape(x) for x in parts)))
    return patterns


def matches(doc: Doc, patterns: list[re.Pattern[str]]) -> bool:
    title, text = doc.folded
    return all(p.search(title) or p.search(text) for p in patterns)


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def matched_docs(row: dict, docs: list[Doc], groups: list[list[str]]) -> list[Doc]:
    """The releases a gold row counts: matching, in its period, a re-issued release once."""
    patterns = matcher(row["match"])
    since, until = _day(row.get("since")), _day(row.get("until"))
    found = [
        d for d in docs
        if matches(d, patterns) and (since is None or (d.date and d.date >= since))
        and (until is None or (d.date and d.date <= until))
    ]  # fmt: skip
    by_id = {d.id: d for d in found}
    dropped: set[str] = set()
    for group in groups:
        present = sorted((by_id[i] for i in group if i in by_id), key=lambda d: (d.date or dt.date.max, d.id))
        dropped.update(d.id for d in present[1:])
    return [d for d in found if d.id not in dropped]


def expected(row: dict, docs: list[Doc], groups: list[list[str]]) -> dict:
    found = matched_docs(row, docs, groups)
    months = Counter(f"{d.date:%Y-%m}" for d in found if d.date)
    years = Counter(f"{d.date:%Y}" for d in found if d.date)

    def peak(c: Counter) -> list[str]:
        top = max(c.values(), default=0)
        return sorted(k for k, n in c.items() if n == top and top)

    return {
        "count": len(found),
        "undated": sum(d.date is None for d in found),
        "peak_month": peak(months),
        "peak_year": peak(years),
        "by_year": dict(sorted(years.items())),
        "by_month": dict(sorted(months.items())),
    }


def read_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _compute(path: Path, write: bool) -> None:
    docs, groups = read_corpus(), reissue_groups()
    rows = read_rows(path)
    changed = 0
    for row in rows:
        if row.get("ask") is None:
            continue  # a question that is not a count: the parser must leave it to the model
        new = expected(row, docs, groups)
        if row.get("expected") != new:
            changed += 1
            old = (row.get("expected") or {}).get("count")
            print(f"{row['id']}: {old} -> {new['count']} ({row['question']})")
        row["expected"] = new
    if write:
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} questions, {changed} changed{'' if write else ' (not written: --write)'}")


def _snippet(doc: Doc, patterns: list[re.Pattern[str]], width: int = 110) -> Iterator[str]:
    text = doc.folded[1]
    for n, p in enumerate(patterns, 1):
        m = p.search(text)
        where = (
            "(not in the text)" if m is None else " ".join(text[max(0, m.start() - width) : m.end() + width].split())
        )
        yield f"    {n}: {where}"


def _sample(path: Path, row_id: str, n: int, seed: int) -> None:
    row = next(r for r in read_rows(path) if r["id"] == row_id)
    docs = matched_docs(row, read_corpus(), reissue_groups())
    patterns = matcher(row["match"])
    print(f"{row['question']}: {len(docs)} matched")
    for d in random.Random(seed).sample(docs, min(n, len(docs))):
        print(f"- {d.id} ({d.date}) {d.title[:120]}")
        for line in _snippet(d, patterns):
            print(line)


def _near(path: Path, row_id: str, n: int, seed: int) -> None:
    """Releases the row does not match that hold all but one of its words taken loosely (a phrase's words
    apart, and the row's "near_words": "opiate" for "opioids"): what the rule leaves out, to read."""
    row = next(r for r in read_rows(path) if r["id"] == row_id)
    patterns = matcher(row["match"])
    words = row["match"].get("words", []) + [w for p in row["match"].get("phrases", []) for w in p.split()]
    loose = matcher({"words": words + row.get("near_words", [])})
    need = max(1, len(loose) - 1)
    near = [
        d for d in read_corpus()
        if not matches(d, patterns) and sum(matches(d, [p]) for p in loose) >= need
    ]  # fmt: skip
    print(f"{row['question']}: {len(near)} near-misses")
    for d in random.Random(seed).sample(near, min(n, len(near))):
        print(f"- {d.id} ({d.date}) {d.title[:120]}")
        for line in _snippet(d, loose):
            print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("compute")
    c.add_argument("gold", type=Path)
    c.add_argument("--write", action="store_true")
    for name in ("sample", "near"):
        s = sub.add_parser(name)
        s.add_argument("gold", type=Path)
        s.add_argument("id")
        s.add_argument("-n", type=int, default=6)
        s.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.command == "compute":
        _compute(args.gold, args.write)
    elif args.command == "sample":
        _sample(args.gold, args.id, args.n, args.seed)
    else:
        _near(args.gold, args.id, args.n, args.seed)


if __name__ == "__main__":
    main()
