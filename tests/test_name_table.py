"""People and organisations read at ingest (embeddings/name_table.py): every release naming someone is a
lookup over the whole index, counted by month, and narrows any search (the --mentions filter)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from embeddings.index import DB_NAME, Filters, Index
from embeddings.ingest import Ingestor
from embeddings.types import Release
from tests.test_cli import run

HOLDER = Release(
    "holder-2014",
    "Attorney General Holder Announces Grants",
    "WASHINGTON - Attorney General Eric Holder today announced $30 million in grants to the Federal Bureau of "
    "Investigation (FBI) and local police. Holder said the FBI would train 400 officers.",
)


def test_names_are_kept_found_by_any_form_and_narrow_a_search(writable_index_dir: Path, encoder) -> None:
    index = Index.open(writable_index_dir, encoder.name, encoder.dim)
    voss = index.named_in("Elena Voss")
    assert {n.release_id for n in voss} == {"riverton_bridge_repair", "halden_coastal_climate_institute"}
    assert all(n.type == "person" for n in voss)
    bridge = index.release("riverton_bridge_repair")
    first = next(n for n in voss if n.release_id == "riverton_bridge_repair")
    assert bridge.text[first.start : first.end] in ("Elena Voss", "Voss")
    assert index.named_in("Attorney General") == [], "titles alone name no one"
    Ingestor(index, encoder).ingest([HOLDER])
    assert [n.release_id for n in index.named_in("FBI")] == ["holder-2014"], "the acronym finds the full name"
    [holder] = index.named_in("Holder", "person")
    assert holder.name == "Eric Holder" and holder.mentions == 2
    assert index.named_in("Holder", "organisation") == []
    allowed = set(index.allowed_chunk_ids(Filters(mentions="Eric Holder")).tolist())
    assert allowed == {c.id for c in index.release_chunks("holder-2014")}
    assert not index.allowed_chunk_ids(Filters(mentions="Attorney General")).size
    assert index.remove("holder-2014") and index.named_in("FBI") == []
    index.close()
    with sqlite3.connect(writable_index_dir / DB_NAME) as db:  # as a version before names were kept left it
        db.execute("DELETE FROM entities")
        db.execute("DELETE FROM name_scans")
    index = Index.open(writable_index_dir, encoder.name, encoder.dim)
    assert len(index.unread_releases()["names"]) == 14 and index.named_in("Elena Voss") == []
    Ingestor(index, encoder).ingest([])
    assert len(index.named_in("Elena Voss")) == 2
    index.close()


def test_a_reissued_release_is_counted_once(writable_index_dir: Path, encoder) -> None:
    from dataclasses import replace

    from embeddings.settings import get_settings
    from qa.engine import Engine

    index = Index.open(writable_index_dir, encoder.name, encoder.dim)
    fares = index.release("rta_fares_2024")
    Ingestor(index, encoder).ingest([replace(fares, id="rta_fares_2024_again")])
    assert len(index.named_in("Riverton Transit Authority")) == 4, "the store lists both ids"
    index.close()
    engine = Engine.open(get_settings(index=writable_index_dir))
    answer = engine.mentions("Riverton Transit Authority")
    assert answer.key == "3" and [n.release_id for n in answer.named_in].count("rta_fares_2024_again") == 0
    assert "By month: 2023-11 1, 2024-05 1, 2025-09 1." in answer.text


def test_pressqa_mentions_lists_every_release_by_month_and_names_the_most_named(sample_index_dir: Path) -> None:
    result = run("mentions", "Riverton Transit Authority", "--json", index=sample_index_dir)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    ids = [r["release_id"] for r in data["releases"]]
    assert {"rta_fares_2024", "rta_night_buses"} <= set(ids) and data["found"]
    assert sum(data["by_month"].values()) == len(ids) and data["key"] == str(len(ids))
    assert [r["date"] for r in data["releases"]] == sorted((r["date"] for r in data["releases"]), reverse=True)
    text = run("mentions", "Riverton Transit Authority", "--since", "2024-01-01", index=sample_index_dir).stdout
    assert "rta_night_buses" in text and "rta_fares_2024" not in text, "dated 2023-11-14: outside the range"
    names = json.loads(run("names", "--type", "person", "--json", index=sample_index_dir).stdout)
    assert {"name": "Elena Voss", "type": "person", "releases": 2} in names
    assert all(n["type"] == "person" for n in names)
    none = run("mentions", "Zorblax Quint", index=sample_index_dir)
    assert none.returncode == 0 and "No indexed release names" in none.stdout
    narrowed = json.loads(
        run("timeline", "Riverton", "--mentions", "Elena Voss", "--json", index=sample_index_dir).stdout
    )
    voss = {"riverton_bridge_repair", "halden_coastal_climate_institute"}
    assert narrowed["citations"] and {c["release_id"] for c in narrowed["citations"]} <= voss
