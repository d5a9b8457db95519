"""People and organisations in a release (embeddings.text.entities): one entity per thing named, with its
mentions; the packaged NER model that confirms people found only by shape, and its sha256 check; and the
gold set the rules are measured on."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from embeddings.text.entities import Entity, find_entities
from embeddings.text.person_model import (
    FILE_SHA256,
    PersonModelError,
    installed_model_dir,
    load_model,
    verify_model_dir,
)
from eval.run_names import fold_name, read_names_gold, score_release
from tests.conftest import REPO, shared_path


def _rules(text: str) -> list[Entity]:
    return find_entities(text, people=None)


def _by_name(entities: list[Entity]) -> dict[str, Entity]:
    return {e.name: e for e in entities}


def test_a_surname_after_the_full_name_is_the_same_person() -> None:
    text = "Marko Valente, 52, of Reno, Nevada, pleaded guilty today. Valente admitted that he hid the money."
    (person,) = _rules(text)
    assert (person.name, person.type, person.forms) == ("Marko Valente", "person", ("Marko Valente", "Valente"))
    assert [text[m.start : m.end] for m in person.mentions] == ["Marko Valente", "Valente"]


def test_an_acronym_in_brackets_is_the_organisation_before_it() -> None:
    text = "The U.S. Marshals Service (USMS) arrested him. The USMS thanked the Reno Police Department."
    found = _by_name(_rules(text))
    assert found["U.S. Marshals Service"].forms == ("U.S. Marshals Service", "USMS")
    assert len(found["U.S. Marshals Service"].mentions) == 3
    assert found["Reno Police Department"].type == "organisation"
    assert len(found) == 2


def test_a_title_is_no_part_of_a_name_and_a_judicial_district_is_a_place() -> None:
    text = (
        "The announcement was made by U.S. Attorney Dana K. Whitlow of the Western District of Missouri. "
        "Detective Maria Delgado led the search."
    )
    assert [(e.name, e.type) for e in _rules(text)] == [("Dana K. Whitlow", "person"), ("Maria Delgado", "person")]


def test_a_company_and_its_short_name_are_one_organisation() -> None:
    text = "Harbor Point Logistics LLC agreed to pay $2 million. Harbor Points trucks carried the goods."
    (company,) = _rules(text)
    assert company.name == "Harbor Point Logistics LLC"
    assert company.forms == ("Harbor Point Logistics LLC", "Harbor Point")  # the lost apostrophe's s goes


def test_an_office_keeps_its_district_and_a_possessive_splits_two_organisations() -> None:
    text = (
        "The case was prosecuted by the U.S. Attorneys Office for the Northern District of Ohio and the "
        "Justice Departments Antitrust Division."
    )
    assert [(e.name, e.type) for e in _rules(text)] == [
        ("U.S. Attorneys Office for the Northern District of Ohio", "organisation"),
        ("Justice Department", "organisation"),
        ("Antitrust Division", "organisation"),
    ]


def test_department_of_justice_and_justice_department_are_one_and_a_field_office_is_its_agency() -> None:
    text = (
        "The Department of Justice said the Justice Department would appeal. The FBIs Denver Field Office investigated."
    )
    assert [(e.name, e.forms) for e in _rules(text)] == [
        ("Department of Justice", ("Department of Justice", "Justice Department")),
        ("FBI", ("FBI",)),
    ]


def test_the_model_drops_a_person_found_only_by_shape_and_keeps_a_real_one() -> None:
    text = (
        "Investigators called the second stage of the scheme Golden Harvest. Tomas Ruiz Ortega recruited the drivers."
    )
    assert [e.name for e in _rules(text) if e.type == "person"] == ["Golden Harvest", "Tomas Ruiz Ortega"]
    assert [e.name for e in find_entities(text) if e.type == "person"] == ["Tomas Ruiz Ortega"]


def test_the_installed_model_matches_its_pinned_sha256() -> None:
    verify_model_dir(installed_model_dir())


def test_a_damaged_or_missing_model_file_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(installed_model_dir(), copy)
    weights = copy / "ner" / "model"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(PersonModelError, match="sha256 of ner/model"):
        load_model(copy)
    weights.unlink()
    with pytest.raises(PersonModelError, match="ner/model is missing"):
        load_model(copy)
    assert "ner/model" in FILE_SHA256


def test_matching_counts_a_find_right_by_any_of_its_mentions() -> None:
    gold = read_names_gold(REPO / "eval" / "gold" / "names.dev.jsonl")[0]
    text = "Robert Andres pleaded guilty. Andres recruited investors for Winsome Investment Trust."
    row = score_release(_rules(text), gold)
    assert row["person"]["right"] == 1 and "Robert Andres" not in row["person"]["misses"]
    assert row["organisation"]["right"] == 1
    assert fold_name("The FBI's") == "fbis" and fold_name("Amgen Inc.") == "amgen inc"


def _texts(relative: str) -> dict[str, str]:
    with shared_path(relative).open(encoding="utf-8") as f:
        return {str(r["id"]): r["text"] for r in map(json.loads, f)}


def test_names_gold_is_grounded_in_its_releases() -> None:
    gold = read_names_gold(REPO / "eval" / "gold" / "names.dev.jsonl")
    texts = _texts("corpora/doj/releases.jsonl") | _texts("corpora/isaf/releases.jsonl")
    assert len(gold) == 30 and sum(g.split == "tune" for g in gold) == 20
    assert sum(g.release_id.startswith("isaf-") for g in gold) == 6
    for g in gold:
        text = texts[g.release_id]
        assert 150 <= len(text.split()) <= 700, g.release_id
        assert len({e.name for e in g.entities}) == len(g.entities), g.release_id
        for e in g.entities:
            assert e.type in ("person", "organisation") and e.mentions, (g.release_id, e.name)
            assert all(m in text for m in e.mentions), (g.release_id, e.name)


def test_titles_streets_awards_and_common_acronyms_are_no_part_of_a_name() -> None:
    text = (
        "Vice-Chancellor Professor Margaret Hale and Councillor Deborah Finch opened the Marram Building on "
        "College Road. The site on Cinder Lane will host the annual Marram Lecture and the Bridge Scholars. "
        "The council fitted CCTV and GPS trackers. Sir Alan Whitcombe chaired the Halden Harbour Board."
    )
    found = {(e.name, e.type) for e in find_entities(text)}
    assert {("Margaret Hale", "person"), ("Deborah Finch", "person"), ("Alan Whitcombe", "person")} <= found
    assert ("Halden Harbour Board", "organisation") in found
    assert not {name for name, _ in found} & {"Marram Building", "College Road", "Cinder Lane", "Marram Lecture",
                                              "Bridge Scholars", "CCTV", "GPS"}  # fmt: skip
