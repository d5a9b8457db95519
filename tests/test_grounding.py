"""Refusing questions about names the retrieved passages never mention."""

from __future__ import annotations

from datetime import date

import pytest

from qa.grounding import missing_names, name_of, question_names
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


# Slow: Engine.ask loads the language model before it retrieves, even for a question it then refuses.
@pytest.mark.slow
def test_a_question_about_someone_the_releases_never_mention_is_refused_without_the_model(engine) -> None:
    stream = engine.ask("How much did Councillor Dmitri Savchenko say the Millbrook Bridge repair would cost?")
    pieces = list(stream)
    answer = stream.answer
    assert not answer.found and answer.citations == ()
    assert answer.text == pieces[-1]
    assert answer.text.startswith("The indexed releases do not say. No passage I found mentions Dmitri Savchenko")
    assert answer.passages, "the passages that were searched stay available to show"
    assert "first_token" not in answer.timings and "generate" not in answer.timings
