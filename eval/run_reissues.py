"""Re-issued releases (embeddings/reissues.py) against hand-labelled pairs, and what finding them costs
ingestion.

The gold (eval/gold/reissues.dev.jsonl) holds groups read as one release ("identical": the same text;
"edited": a re-issue with small edits) and candidate pairs read as two (templates for another county or
defendant, another stage of one case). Precision is over the index's grouped pairs that the gold labels;
grouped pairs it does not label are counted apart, to be read.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations, islice
from pathlib import Path
from typing import Any

from embeddings.encode import Encoder
from embeddings.index import Index
from embeddings.ingest import Ingestor
from embeddings.load import iter_releases
from embeddings.reissues import signature
from embeddings.types import Release


@dataclass(frozen=True)
class LabelledGroup:
    ids: tuple[str, ...]
    same: bool
    kind: str
    note: str


def read_reissues(path: Path) -> list[LabelledGroup]:
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            rows.append(LabelledGroup(tuple(str(i) for i in r["ids"]), bool(r["same"]), r["kind"], r.get("note", "")))
    return rows


def _pairs(ids: Sequence[str]) -> set[frozenset[str]]:
    return {frozenset(p) for p in combinations(ids, 2)}


def score_reissues(groups: Sequence[Sequence[str]], gold: Sequence[LabelledGroup]) -> dict[str, Any]:
    found = set().union(*(_pairs(g) for g in groups)) if groups else set()
    same = set().union(*(_pairs(g.ids) for g in gold if g.same))
    different = set().union(*(_pairs(g.ids) for g in gold if not g.same))
    labelled = found & (same | different)
    by_kind: dict[str, dict[str, int]] = {}
    for g in gold:
        row = by_kind.setdefault(g.kind, {"groups": 0, "grouped": 0})
        row["groups"] += 1
        row["grouped"] += _pairs(g.ids) <= found
    return {
        "groups": len(groups),
        "releases_in_groups": sum(len(g) for g in groups),
        "pairs_grouped": len(found),
        "pairs_labelled": len(labelled),
        "pairs_unlabelled": sorted(sorted(p) for p in found - labelled),
        "precision": round(len(labelled & same) / len(labelled), 4) if labelled else None,
        "recall": round(len(found & same) / len(same), 4) if same else None,
        "wrongly_grouped": sorted(sorted(p) for p in found & different),
        "missed": sorted(sorted(p) for p in same - found),
        "by_kind": by_kind,
    }


def signing_cost(corpus: Path, encoder: Encoder, n: int) -> dict[str, Any]:
    """Ingests the corpus's first `n` releases into a new index, then signs the same texts alone: ingestion's
    chunks/s with signatures, and without them (the signing time taken out), in one run."""
    releases = [r for r in islice(iter_releases([corpus]), n) if isinstance(r, Release)]
    with tempfile.TemporaryDirectory(prefix="pressqa-reissues-") as folder:
        index = Index.open(Path(folder), encoder.name, encoder.dim)
        report = Ingestor(index, encoder).ingest(releases)
        index.close()
    t0 = time.perf_counter()
    for r in releases:
        signature(r.text)
    signing = time.perf_counter() - t0
    return {
        "releases": len(releases),
        "chunks": report.chunks,
        "ingest_s": round(report.seconds, 2),
        "signing_s": round(signing, 3),
        "signing_ms_per_release": round(1000 * signing / max(1, len(releases)), 3),
        "chunks_per_s": round(report.chunks / report.seconds, 1),
        "chunks_per_s_without_signing": round(report.chunks / (report.seconds - signing), 1),
        "ratio": round((report.seconds - signing) / report.seconds, 3),
    }
