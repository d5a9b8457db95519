"""Refusing questions about names the retrieved passages never mention."""

from __future__ import annotations

from datetime import date

import pytest

from qa.grounding import missing_names, name_of, names_topic, question_names, topic_names
from qa.types import Passage


def _passage(text: str, title: str = "Release") -> Passage:
    return Passage(1, "r1", title, date(2011, 10, 5), None, "test", text, 0, len(text), 1.0)


def test_question_names_skip_the_first_word_months_and_possessives() -> None:
    question = "Where did Miami's Serendipity Home Health bill Medicare in September, Korea-based or not?"
    assert [name_of(m) for m in question_names(question)] == [
        "Miami", "Serendipity", "Home", "Health", "Medicare", "Korea"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        # Two names the passages lack, adjacent words joined into one.
        ("What charges were filed against Reno casino host Dmitri Savchenko?", ["Reno", "Dmitri Savchenko"]),
        # One double-barrelled or inner-capital name is enough.
        ("Where was adviser Preston Holloway-Grant arrested?", ["Holloway-Grant"]),
        ("How much did TerraCore pay in penalties?", ["TerraCore"]),
        # One ordinary word is not: it can be a paraphrase of what the passages say.
        ("How many Guyanese insurgents were detained in Zurmat?", []),
        # Present, in the passages' accents, spelling or derived forms.
        ("How many were detained in Áncash and Paktya province?", []),
        ("When did Russia-Peru cooperation start?", []),
        ("Did Dmitri Savchenko's partners meet in Zurmat?", ["Dmitri Savchenko"]),
    ],
)
def test_missing_names(question: str, missing: list[str]) -> None:
    passages = [
        _passage("In Zurmat district, Paktiya province, a force detained two suspects near Ancash.", "Zurmat"),
        _passage("Russian and Peruvian officials met; the host, Preston, is a casino worker in Kabul."),
    ]
    assert missing_names(question, passages) == missing


def test_a_question_about_someone_the_releases_never_mention_is_refused_without_the_model(engine, tmp_path) -> None:
    from qa import generate

    # A model that cannot load: asking for it at all (eagerly, or for this refusal) raises ValueError.
    unloadable = str(tmp_path / "no-model-here")
    loaded = set(generate._generators)
    question = "How much did Councillor Dmitri Savchenko say the Millbrook Bridge repair would cost?"
    stream = engine.ask(question, model=unloadable)
    pieces = list(stream)
    assert set(generate._generators) == loaded, "no model was loaded"
    answer = stream.answer
    assert not answer.found and answer.citations == ()
    assert answer.text == pieces[-1]
    assert answer.text.startswith("The indexed releases do not say. No passage I found mentions Dmitri Savchenko")
    assert answer.passages, "the passages that were searched stay available to show"
    assert "first_token" not in answer.timings and "generate" not in answer.timings


def test_a_topic_is_named_by_its_capitalised_words_and_a_release_by_half_of_them() -> None:
    names = topic_names("Albert Gonzalez credit card hacking case")
    assert names == ["Albert", "Gonzalez"]
    assert names_topic(names, "Hacker Sentenced", "Gonzalez, 28, of Miami, was sentenced today.")
    assert not names_topic(["Takata", "Corp"], "Autoliv Agrees to Plead Guilty", "Autoliv Inc. agreed to pay.")
    assert names_topic([], "Anything", "at all"), "a topic with no names filters nothing"
