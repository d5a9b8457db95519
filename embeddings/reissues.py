"""Re-issued releases: the same release published again under another id, word for word or with small
edits (a corrected office name, a repaired apostrophe, a credits line dropped).

Candidates come from MinHash signatures of each release's word 5-shingles, banded for locality-sensitive
lookup in the index database (datasketch computes the signatures). A candidate pair is one release when:
- the texts are the same once whitespace is set aside, or
- their shingle sets overlap by at least REISSUE_JACCARD, they were published within REISSUE_DAYS of each
  other, and one of them names at most MAX_NEW_FACT_WORDS fact words (capitalised words and numbers) that
  the other lacks: a re-issue may add or drop a line, not change who, where or how much.
Shingle overlap alone does not tell a re-issue from a template: DOJ publishes near-identical releases
for each county that bails out of the Voting Rights Act (0.92 overlap, "Culpeper" for "Bedford") and for
each defendant of one scheme ("Frank Criado, 33" for "Mathis Moore, 56"); the fact words tell them apart.
"""

from __future__ import annotations

import hashlib
import re
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
from datasketch import MinHash

from embeddings.text.words import WORD

NUM_PERM = 128
# 16 bands of 8 rows: a pair shares a band with probability 1-(1-J^8)^16, 0.93 at J=0.8 and 0.99 at 0.85
# (J: shingle overlap); 1,882 candidate pairs at J >= 0.5 over the 12,694 DOJ releases.
BANDS = 16
ROWS = NUM_PERM // BANDS
SHINGLE_WORDS = 5
SHINGLE_BATCH = 4_096  # 4 MB of hashing work at a time
SEED = 1  # fixed: signatures stored in an index must be comparable with the ones computed later
# DOJ (12,694 releases): among the 1,882 candidate pairs, those meeting all three rules are the 17 groups
# of identical texts and 9 edited re-issues, each read by hand (eval/gold/reissues.dev.jsonl).
REISSUE_JACCARD = 0.8
REISSUE_DAYS = 3
MAX_NEW_FACT_WORDS = 1
_FACT_WORD = re.compile(r"\b[A-Z][a-z]+|\d+")


@dataclass(frozen=True, slots=True)
class Signature:
    minhash: np.ndarray  # NUM_PERM unsigned 64-bit values

    def to_bytes(self) -> bytes:
        return self.minhash.astype(np.uint64).tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> Signature:
        return cls(np.frombuffer(data, dtype=np.uint64))

    def bands(self) -> list[int]:
        """One key per band, a signed 64-bit integer for SQLite: equal keys, equal rows of that band."""
        keys = []
        for band in range(BANDS):
            digest = hashlib.blake2b(self.minhash[band * ROWS : (band + 1) * ROWS].tobytes(), digest_size=8).digest()
            keys.append(int.from_bytes(digest, "little", signed=True))
        return keys

    def overlap(self, other: Signature) -> float:
        """The estimated Jaccard overlap of the two releases' shingle sets."""
        return float(np.mean(self.minhash == other.minhash))


def signature(text: str) -> Signature:
    """The release's MinHash signature, its shingles hashed SHINGLE_BATCH at a time: an 8 MB release has
    1.3 million of them, which hashed at once take 128 x 8 bytes each (1.3 GB)."""
    m = MinHash(num_perm=NUM_PERM, seed=SEED)
    window: deque[str] = deque(maxlen=SHINGLE_WORDS)
    batch: list[bytes] = []
    for match in WORD.finditer(text.lower()):
        window.append(match.group())
        if len(window) == SHINGLE_WORDS:
            batch.append(" ".join(window).encode())
            if len(batch) == SHINGLE_BATCH:
                m.update_batch(batch)
                batch.clear()
    if 0 < len(window) < SHINGLE_WORDS:
        batch.append(" ".join(window).encode())  # a text shorter than a shingle is its one shingle
    if batch:
        m.update_batch(batch)
    return Signature(np.asarray(m.hashvalues, dtype=np.uint64))


@dataclass(frozen=True, slots=True)
class Published:
    """What the rules read of a release."""

    text: str
    date: date | None
    signature: Signature


def fact_words(text: str) -> set[str]:
    """Capitalised words and numbers, a plural or possessive "s" dropped ("Departments" = "Department's")."""
    return {w[:-1] if w.endswith("s") and len(w) > 3 else w for w in _FACT_WORD.findall(text)}


def same_release(a: Published, b: Published) -> bool:
    if not a.text.strip() or not b.text.strip():
        return False  # three DOJ releases lost their text in the scrape: alike, but not one release
    if " ".join(a.text.split()) == " ".join(b.text.split()):
        return True
    if a.signature.overlap(b.signature) < REISSUE_JACCARD:
        return False
    if a.date and b.date and abs((a.date - b.date).days) > REISSUE_DAYS:
        return False
    fa, fb = fact_words(a.text), fact_words(b.text)
    return min(len(fa - fb), len(fb - fa)) <= MAX_NEW_FACT_WORDS


def groups(pairs: Iterable[tuple[str, str]], published: Mapping[str, Published]) -> list[list[str]]:
    """The candidate pairs that are one release, joined into groups: each group oldest first (then by id),
    the groups by their first release."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        if a in published and b in published and same_release(published[a], published[b]):
            parent[root(a)] = root(b)
    members: dict[str, list[str]] = {}
    for x in parent:
        members.setdefault(root(x), []).append(x)

    def when(rid: str) -> tuple[date, str]:
        return published[rid].date or date.max, rid

    found = [sorted(m, key=when) for m in members.values() if len(m) > 1]
    return sorted(found, key=lambda g: when(g[0]))
