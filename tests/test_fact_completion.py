"""A summary is completed with the key facts it left out, in the release's own sentences, each cited.
No model: the summaries are written here as a model wrote them for this DOJ release (public domain)."""

from __future__ import annotations

from datetime import date

from embeddings.types import Release
from qa.fact_completion import COMPLETION_WORDS, completed, completing_sentences, missing_facts, states
from qa.fact_sheet import fact_sheet, summary_facts

TRW = Release(
    "8051",
    "German subsidiary of TRW Automotive Agrees to Plead Guilty to Price Fixing on Automobile Parts",
    "WASHINGTON TRW Deutschland Holding GmbH, a Koblenz, Germany-based subsidiary of U.S.-based TRW Automotive "
    "Holdings Corp., has agreed to plead guilty for its involvement in a conspiracy to fix prices of seatbelts, "
    "airbags and steering wheels sold to two German automobile manufacturers, the Department of Justice "
    "announced today. TRW Deutschland has agreed to pay a $5.1 million criminal fine and to cooperate with the "
    "departments ongoing investigation.\n\nAccording to a one-count felony charge filed today in U.S. District "
    "Court in Detroit, TRW Deutschland conspired from at least January 2008 until at least June 2011. The "
    "plea agreement is subject to court approval.\n\nIncluding TRW Deutschland, 12 companies and 21 executives "
    "have been charged in the investigation, said Assistant Attorney General Bill Baer.",
    date(2012, 7, 30),
)
# What the model wrote for it: the company and what it did, not the fine.
SHORT = (
    "TRW Deutschland Holding GmbH agreed to plead guilty to fixing prices of seatbelts, airbags and steering "
    "wheels sold to German automobile manufacturers."
)


def test_a_fact_is_stated_whatever_its_case_and_punctuation() -> None:
    assert states("It paid a $5.1 Million criminal fine.", "$5.1 million")
    assert states("the U.S. District Court", "U. S. District Court")
    assert not states("It paid $15.1 million.", "$5.1 million"), "whole words only"
    assert missing_facts("TRW Deutschland pays $5.1 million.", ["$5.1 million", "12 companies"]) == ["12 companies"]


def test_the_sentence_stating_a_missing_amount_is_added_and_cited() -> None:
    sheet = fact_sheet(TRW)
    assert "$5.1 million" in missing_facts(SHORT, summary_facts(sheet))
    added = completing_sentences(SHORT, sheet, COMPLETION_WORDS["short"])
    assert added, "the fine is a key fact the summary left out"
    text, tail = completed(SHORT, added, "short", first=2)
    assert "$5.1 million criminal fine" in text and "[2]" in text
    first = added[0]
    assert TRW.text[first.start : first.end].split() == first.text.split(), "the release's own sentence, whole"
    assert text.endswith(tail)
    assert len(text.split()) <= COMPLETION_WORDS["short"]
    assert [a.start for a in added] == sorted(a.start for a in added), "in the release's order"


def test_nothing_is_added_to_a_summary_that_states_every_key_fact() -> None:
    sheet = fact_sheet(TRW)
    everything = SHORT + " " + "; ".join(summary_facts(sheet)) + "."
    assert completing_sentences(everything, sheet, 400) == []


def test_the_word_budget_holds_whatever_is_missing() -> None:
    sheet = fact_sheet(TRW)
    assert completing_sentences(SHORT, sheet, len(SHORT.split()) + 5) == []
    for budget in (40, 60, 90):
        text, _ = completed(SHORT, completing_sentences(SHORT, sheet, budget), "short", first=2)
        assert len(text.split()) <= budget


def test_a_model_sentence_that_paraphrases_an_added_one_gives_it_its_place() -> None:
    paraphrase = "TRW Deutschland agreed to pay a criminal fine and cooperate with the ongoing investigation."
    summary = f"{SHORT} {paraphrase}"
    added = completing_sentences(summary, fact_sheet(TRW), COMPLETION_WORDS["short"])
    fine = next(a for a in added if "$5.1 million" in a.text)
    assert fine.replaces == (paraphrase,)
    text, tail = completed(summary, added, "short", first=2)
    assert paraphrase not in text and "$5.1 million criminal fine" in text
    assert text.index("$5.1 million") > text.index("seatbelts"), "in the paraphrase's place, after the first"
    assert "$5.1 million" not in tail, "a replacement is not streamed as a tail"


def test_bullets_get_bullets() -> None:
    summary = f"- {SHORT}"
    added = completing_sentences(summary, fact_sheet(TRW), COMPLETION_WORDS["bullets"])
    text, tail = completed(summary, added, "bullets", first=2)
    assert tail.startswith("\n- ") and text.count("\n- ") == len(added)
