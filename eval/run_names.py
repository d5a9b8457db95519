"""People and organisations found in releases (embeddings.text.entities) against the hand-labelled gold
(eval/gold/names.dev.jsonl), and what finding them costs.

Matching rule, entity by entity within one release: a found entity counts as right when its name or one of
its mentions, folded, equals a gold mention or gold name of the same type, folded; a gold entity counts as
found when some found entity of its type matches it so. Folding: lower case, no accents, no apostrophes,
no leading "the", no stops or commas at the ends, single spaces ("The FBI's" -> "fbis", "Amgen Inc." ->
"amgen inc"). Precision = right finds / finds; recall = gold entities found / gold entities; each per type
and over both, for the tune split, the held-out split and all 30 releases.

Speed: milliseconds a release over the gold releases, and releases a second over the first 1,000 DOJ
releases of the corpus file, one process, one thread.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from embeddings.text.entities import Entity
from embeddings.text.name_kinds import fold

Extractor = Callable[[str], list[Entity]]
TYPES = ("person", "organisation")
SPLITS = ("tune", "heldout", "all")


@dataclass(frozen=True)
class GoldEntity:
    name: str
    type: str
    mentions: tuple[str, ...]


@dataclass(frozen=True)
class GoldRelease:
    release_id: str
    split: str
    entities: tuple[GoldEntity, ...]


def read_names_gold(path: Path) -> list[GoldRelease]:
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            entities = tuple(GoldEntity(e["name"], e["type"], tuple(e["mentions"])) for e in r["entities"])
            rows.append(GoldRelease(str(r["release_id"]), r["split"], entities))
    return rows


def read_texts(corpora: Iterable[Path], wanted: set[str] | None = None) -> dict[str, str]:
    """Release id -> text from JSONL corpus files; `wanted`: only those ids."""
    texts: dict[str, str] = {}
    for path in corpora:
        with Path(path).open(encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                if wanted is None or str(r["id"]) in wanted:
                    texts[str(r["id"])] = r["text"]
    return texts


def fold_name(name: str) -> str:
    name = re.sub(r"^the\s+", "", fold(name).strip())
    return " ".join(name.strip(" .,;:").split())


def _gold_keys(e: GoldEntity) -> set[str]:
    return {fold_name(m) for m in (e.name, *e.mentions)}


def _found_keys(e: Entity) -> set[str]:
    return {fold_name(m) for m in (e.name, *e.forms)}


def score_release(found: Sequence[Entity], gold: GoldRelease) -> dict[str, Any]:
    """Per type: finds, right finds, gold entities, gold entities found, and the misses and false finds."""
    out: dict[str, Any] = {}
    for kind in TYPES:
        finds = [e for e in found if e.type == kind]
        golds = [g for g in gold.entities if g.type == kind]
        gold_keys = [_gold_keys(g) for g in golds]
        any_gold = set().union(*gold_keys) if gold_keys else set()
        right = [e for e in finds if _found_keys(e) & any_gold]
        found_keys = set().union(*(_found_keys(e) for e in finds)) if finds else set()
        hit = [g for g, keys in zip(golds, gold_keys, strict=True) if keys & found_keys]
        out[kind] = {
            "finds": len(finds),
            "right": len(right),
            "gold": len(golds),
            "found": len(hit),
            "misses": [g.name for g in golds if g not in hit],
            "false_finds": [" | ".join(e.forms) for e in finds if e not in right],
        }
    return out


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _totals(rows: Iterable[dict[str, Any]], kinds: Sequence[str]) -> dict[str, Any]:
    counts = {k: 0 for k in ("finds", "right", "gold", "found")}
    for row in rows:
        for kind in kinds:
            for k in counts:
                counts[k] += row[kind][k]
    return {
        "precision": _ratio(counts["right"], counts["finds"]),
        "recall": _ratio(counts["found"], counts["gold"]),
        **counts,
    }


def score(extract: Extractor, gold: Sequence[GoldRelease], texts: dict[str, str]) -> dict[str, Any]:
    """One extractor over the gold releases: totals per split and type, timing, and each release's misses
    and false finds."""
    per_release: list[tuple[GoldRelease, dict[str, Any]]] = []
    started = time.perf_counter()
    for g in gold:
        per_release.append((g, score_release(extract(texts[g.release_id]), g)))
    seconds = time.perf_counter() - started
    totals: dict[str, Any] = {}
    for split in SPLITS:
        rows = [row for g, row in per_release if split in ("all", g.split)]
        totals[split] = {kind: _totals(rows, (kind,)) for kind in TYPES} | {"overall": _totals(rows, TYPES)}
    return {
        "totals": totals,
        "ms_per_release": round(1000 * seconds / max(1, len(gold)), 2),
        "releases": [
            {
                "release_id": g.release_id,
                "split": g.split,
                **{f"{kind}_{k}": row[kind][k] for kind in TYPES for k in ("misses", "false_finds")},
            }
            for g, row in per_release
        ],
    }


def throughput(extract: Extractor, corpus: Path, n: int) -> dict[str, Any]:
    """Releases a second over the first `n` releases of a JSONL corpus."""
    with Path(corpus).open(encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in islice(f, n)]
    started = time.perf_counter()
    entities = sum(len(extract(t)) for t in texts)
    seconds = time.perf_counter() - started
    return {
        "releases": len(texts),
        "seconds": round(seconds, 2),
        "releases_per_s": round(len(texts) / seconds, 1),
        "ms_per_release": round(1000 * seconds / max(1, len(texts)), 2),
        "entities_per_release": round(entities / max(1, len(texts)), 1),
    }


def model_alone(text: str) -> list[Entity]:
    """The NER model by itself, for comparison: each distinct PERSON or ORG name it labels is one entity
    (without a leading "the" or a possessive s), no rules."""
    from embeddings.text.entities import Mention
    from embeddings.text.person_model import labelled_spans

    kinds = {"PERSON": "person", "ORG": "organisation"}
    found: dict[tuple[str, str], list[Mention]] = {}
    for start, end, label in labelled_spans(text):
        if label not in kinds:
            continue
        name = text[start:end]
        if name.lower().startswith("the "):
            start, name = start + 4, name[4:]
        if name.endswith("s") and name[:-1].isupper():
            end, name = end - 1, name[:-1]
        found.setdefault((name, kinds[label]), []).append(Mention(start, start + len(name), name))
    return [Entity(name, kind, tuple(ms)) for (name, kind), ms in found.items()]  # type: ignore[arg-type]


def extractors() -> dict[str, Extractor]:
    """The extractors one run compares: the rules alone, the model alone, and the two together (what
    find_entities does by default)."""
    from embeddings.text.entities import find_entities

    return {
        "rules": lambda text: find_entities(text, people=None),
        "model": model_alone,
        "rules+model": find_entities,
    }
