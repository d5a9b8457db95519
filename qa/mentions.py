"""Every release that names a person or organisation, counted by month (a re-issued release once): a lookup
over the names read at ingest (embeddings/name_table.py), so the list is exhaustive, not a search's first
results. The answer
states the count and the months, cites the newest releases at their first mention of the name, and carries
the whole list for the CLI's and the API's JSON."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from embeddings.index import Filters, Index, NamedIn
from qa.summarize import release_passage
from qa.types import Answer, Citation

# Releases cited (their cards in the web app) under a mentions answer; the JSON lists them all.
MENTIONS_CITED = 10


def by_month(found: Sequence[NamedIn]) -> list[tuple[str, int]]:
    """(YYYY-MM, releases) for each month with any, oldest first; undated releases under "undated"."""
    counts = Counter(n.date.strftime("%Y-%m") if n.date else "undated" for n in found)
    return sorted(counts.items(), key=lambda kv: (kv[0] == "undated", kv[0]))


def _within(found: NamedIn, filters: Filters | None) -> bool:
    if filters is None or found.date is None:
        return filters is None or not (filters.since or filters.until)
    return (filters.since is None or found.date >= filters.since) and (
        filters.until is None or found.date <= filters.until
    )


def mentions_answer(
    index: Index, name: str, kind: str | None = None, filters: Filters | None = None, cited: int = MENTIONS_CITED
) -> Answer:
    found = [n for n in index.named_in(name, kind) if _within(n, filters)]
    # A release published under several ids (embeddings/reissues.py) is one release, counted at its first id.
    again = {rid for group in index.reissues(n.release_id for n in found) for rid in group[1:]}
    found = [n for n in found if n.release_id not in again]
    if not found:
        what = {"person": "person", "organisation": "organisation"}.get(kind or "", "person or organisation")
        return Answer(f"No indexed release names a {what} called {name}.", False, question=name, method="refused")
    months = by_month(found)
    names = Counter(n.name for n in found).most_common(3)
    called = "; ".join(f"{n} ({c})" for n, c in names)
    peak = max(months, key=lambda kv: kv[1])
    dated = [m for m, _ in months if m != "undated"]
    span = f", from {dated[0]} to {dated[-1]}" if dated else ""
    lines = [
        f"{len(found)} release{'s' * (len(found) != 1)} name {name}{span}; the most in {peak[0]} ({peak[1]}). "
        f"Named as: {called}.",
        "By month: " + ", ".join(f"{m} {c}" for m, c in months) + ".",
    ]
    citations, passages = [], []
    for n in found[:cited]:
        release = index.release(n.release_id)
        if release is None:
            continue
        whole = release_passage(release)
        citations.append(Citation(len(citations) + 1, whole, n.start, n.end))
        passages.append(whole)
        when = n.date.isoformat() if n.date else "undated"
        lines.append(f"- {when}: {n.title} [{len(citations)}]")
    if len(found) > cited:
        lines.append(f"… and {len(found) - cited} older (the whole list: `pressqa mentions`, or /mentions).")
    return Answer("\n".join(lines), True, tuple(citations), tuple(passages), name, method="names",
                  key=str(len(found)), named_in=tuple(found))  # fmt: skip
