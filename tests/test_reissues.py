"""Re-issued releases: found at ingest, grouped, shown once in retrieval with the other ids, reported by
`pressqa info`. Real index folders and the real embedding model; the texts are the sample releases and
copies of them edited the way DOJ's re-issues are."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from embeddings.index import DB_NAME, Index
from embeddings.ingest import Ingestor
from embeddings.reissues import Published, same_release, signature
from qa.retrieve import Retriever
from tests.test_cli import run

BRIDGE = "riverton_bridge_repair"


def _open(path: Path, encoder) -> Index:
    return Index.open(path, encoder.name, encoder.dim)


def _published(text: str, day: date | None = date(2012, 12, 6)) -> Published:
    return Published(text, day, signature(text))


LEAD = (
    "Jose Morales, 45, of Miami, pleaded guilty today before U.S. District Judge Marcia G. Cooke in the Southern "
    "District of Florida to one count of conspiracy to commit health care fraud in connection with a $23 million "
    "scheme. According to court documents, Morales owned Flagler Pharmacy and paid patient recruiters for "
    "prescriptions that were medically unnecessary. The case was investigated by the FBI and HHS-OIG and brought "
    "as part of the Medicare Fraud Strike Force, which has charged more than 1,480 defendants since 2007. "
)
# What such releases end with, word for word in each: most of a templated release is boilerplate.
BOILERPLATE = " ".join(
    f"The Medicare Fraud Strike Force operation number {n} is part of a joint initiative between the "
    "Department of Justice and the Department of Health and Human Services to focus their efforts to prevent "
    "and deter fraud and enforce current anti-fraud laws around the country."
    for n in range(1, 9)
)
LEAD = f"{LEAD}\n\n{BOILERPLATE}"


def test_a_reissue_with_mended_punctuation_is_one_release_and_a_template_for_another_defendant_is_not() -> None:
    original = _published(LEAD)
    mended = _published(LEAD.replace("U.S.", "U. S.").replace("HHS-OIG", "HHS OIG") + "WASHINGTON")
    assert same_release(original, mended)
    # The same template for a co-defendant: the same words around another name, age and amount.
    other = LEAD.replace("Jose Morales, 45", "Frank Criado, 33").replace("Morales", "Criado").replace("$23", "$7")
    template = _published(other)
    assert template.signature.overlap(original.signature) >= 0.8, "as alike as a re-issue by their words"
    assert not same_release(original, template)
    # The same text a year later is the same release (a second posting); edited text a week later is not.
    assert same_release(original, _published(LEAD, date(2013, 12, 6)))
    edited_later = _published(LEAD.replace("U.S.", "U. S."), date(2012, 12, 13))
    assert not same_release(original, edited_later)
    assert not same_release(_published(""), _published("  ")), "empty texts are alike, not one release"


def test_ingest_groups_a_reissued_copy_and_retrieval_shows_it_once(writable_index_dir: Path, encoder) -> None:
    index = _open(writable_index_dir, encoder)
    assert index.reissues() == []
    bridge = index.release(BRIDGE)
    assert bridge is not None
    copy = replace(bridge, id="bridge-reissued", text=bridge.text.replace("—", "-") + "\n\n###")
    report = Ingestor(index, encoder).ingest([copy])
    assert report.reissued == 1 and "published more than once" in report.summary()
    assert index.reissues() == [sorted([BRIDGE, "bridge-reissued"])]
    assert index.reissues(["bridge-reissued"]) == index.reissues()

    passages = Retriever(index, encoder).search("Millbrook Bridge repair cost", 6).passages
    ids = [p.release_id for p in passages]
    assert len({BRIDGE, "bridge-reissued"} & set(ids)) == 1, ids
    top = passages[0]
    assert top.release_id in (BRIDGE, "bridge-reissued")
    assert top.also_published_as == tuple({BRIDGE, "bridge-reissued"} - {top.release_id})

    assert index.remove("bridge-reissued")
    assert index.reissues() == []


def test_an_index_from_before_signatures_is_signed_by_the_next_ingest(writable_index_dir: Path, encoder) -> None:
    index = _open(writable_index_dir, encoder)
    bridge = index.release(BRIDGE)
    later = replace(bridge, id="bridge-again", date=(bridge.date or date(2024, 1, 1)) + timedelta(days=1))
    Ingestor(index, encoder).ingest([later])
    index.close()
    with sqlite3.connect(writable_index_dir / DB_NAME) as db:  # as an earlier version left it
        db.execute("DELETE FROM signatures")
        db.execute("DELETE FROM signature_bands")
    index = _open(writable_index_dir, encoder)
    assert index.reissues() == [] and len(index.unsigned_releases()) == 15
    Ingestor(index, encoder).ingest([])
    assert index.unsigned_releases() == []
    assert index.reissues() == [[BRIDGE, "bridge-again"]], "oldest first"


def test_pressqa_info_lists_the_groups(writable_index_dir: Path, encoder) -> None:
    index = _open(writable_index_dir, encoder)
    bridge = index.release(BRIDGE)
    Ingestor(index, encoder).ingest([replace(bridge, id="bridge-copy")])
    index.close()
    result = run("info", "--reissues", "--json", index=writable_index_dir)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["reissued_groups"], data["reissued_releases"]) == (1, 2)
    assert [r["id"] for r in data["reissues"][0]] == sorted([BRIDGE, "bridge-copy"])
    text = run("info", "--reissues", index=writable_index_dir).stdout
    assert "re-issued release 1: Riverton Council Approves $4.8 Million Repair of Millbrook Bridge" in text
