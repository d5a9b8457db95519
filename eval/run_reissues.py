"""Re-issued releases (embeddings/reissues.py) against hand-labelled pairs (what reading releases for them
costs ingestion is eval/ingest_cost.py's).

The gold (eval/gold/reissues.dev.jsonl) holds groups read as one release ("identical": the same text;
"edited": a re-issue with small edits) and candidate pairs read as two (templates for another county or
defendant, another stage of one case). Precision is over the index's grouped pairs that the gold labels;
grouped pairs it does not label are counted apart, to be read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any


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
