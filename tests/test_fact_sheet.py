"""Fact sheets and quotes from real release text (DOJ, public domain; the scrape lost its quote marks) and
the sample releases: no model, so every line is the release's own words."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

from embeddings.text.quotes import find_quotes
from embeddings.types import Release
from qa.fact_sheet import fact_sheet

FISKARS = Release(
    "4899",
    "Manufacturer Fiskars Brands Inc. Agrees to Pay $2.6 Million Civil Penalty for Delay in Reporting Gator Combo "
    "Axe Safety Hazard",
    "The Department of Justice has announced today that Gerber Legendary Blades, a division of Fiskars Brands "
    "Inc., of Madison, Wisconsin, has agreed to pay a civil penalty of $2.6 million to settle allegations that it "
    "knowingly failed to immediately report to the U.S. Consumer Product Safety Commission (CPSC) a safety hazard "
    "associated with Fiskars Gator Combo Axe. Fiskars has also agreed to establish and maintain a compliance "
    "program.\n\nFiskars received numerous reports from consumers who were harmed by this product, said Acting "
    "Assistant Attorney General Joyce R. Branda for the Justice Departments Civil Division. The company had an "
    "obligation to immediately report to the CPSC and it failed to do so.\n\nFiskars imported approximately "
    "103,000 Axes from Taiwan through its Gerber Legendary Blades division in Portland.\n\nCPSCs job is to "
    "protect consumers, said Chairman Elliot F. Kaye. The sooner a firm informs CPSC about incidents, the "
    "quicker we can act to protect the American public.",
    date(2014, 12, 31),
)
SENTENCED = Release(
    "d1",
    "Contractor Sentenced",
    "WASHINGTON A Seekonk, Massachusetts contractor was sentenced yesterday to 12 months and one day in prison "
    "for evading taxes, the Justice Department announced. Gerald Diodati pleaded guilty to one count of tax "
    "evasion in March 2011.",
    date(2011, 9, 14),
)
REPO = Path(__file__).parents[1]


def test_unmarked_quotes_run_to_the_end_of_their_paragraph_with_speaker_and_role() -> None:
    branda, kaye = find_quotes(FISKARS.text)
    assert branda.speaker == "Joyce R. Branda"
    assert branda.role == "Acting Assistant Attorney General for the Justice Departments Civil Division"
    assert branda.text.startswith("Fiskars received numerous reports")
    assert branda.text.endswith("it failed to do so.")  # the paragraph's next sentence is quoted too
    assert (kaye.speaker, kaye.role) == ("Elliot F. Kaye", "Chairman")
    assert "The company had" in FISKARS.text[branda.start : branda.end]


def test_marked_quotes_pair_their_marks_and_keep_the_speaker_across_pieces() -> None:
    text = (
        'An inspection rated the deck "poor" last year.\n\n"The bridge is how 14,000 people a day get to work," '
        'said Mayor Elena Voss. "We would rather close it for one summer than lose it for good."\n\n'
        "Councillor Tobias Renfrew said the council should have replaced it."
    )
    [voss] = find_quotes(text)  # "poor" is no quote, and Renfrew's reported speech has no quoted words
    assert (voss.speaker, voss.role) == ("Elena Voss", "Mayor")
    assert voss.text == (
        "The bridge is how 14,000 people a day get to work. We would rather close it for one summer than lose it "
        "for good."
    )


def test_a_fact_sheet_cites_each_fact_to_the_sentence_that_states_it() -> None:
    sheet = fact_sheet(FISKARS)
    [what] = sheet.part("what")
    assert what.text.startswith("The Department of Justice has announced today that Gerber Legendary Blades")
    assert {"Gerber Legendary Blades", "Fiskars Brands Inc"} <= {f.key for f in sheet.part("who")}
    [amount] = sheet.part("amounts")
    assert amount.key == "$2.6 million" and "civil penalty of" in amount.before
    assert "approximately 103,000 Axes" in [f.key for f in sheet.part("numbers")]
    assert [f.key for f in sheet.part("quotes")] == ["Joyce R. Branda", "Elliot F. Kaye"]
    assert "today (December 31, 2014)" in [f.key for f in sheet.part("when")]  # resolved against the release date
    for f in sheet.facts:
        sentence = FISKARS.text[f.start : f.end]
        if f.part not in ("when", "quotes"):
            assert f.key.rstrip(".") in sentence, (f, sentence)


def test_a_fact_sheet_skips_the_dateline_and_lists_terms_and_charges() -> None:
    sheet = fact_sheet(SENTENCED)
    assert sheet.part("what")[0].text.startswith("A Seekonk, Massachusetts contractor was sentenced")
    terms = [f.key for f in sheet.part("penalties")]
    assert "12 months and one day in prison" in terms and any("tax evasion" in t for t in terms)
    assert "yesterday (September 13, 2011)" in [f.key for f in sheet.part("when")]
    assert "Gerald Diodati" in [f.key for f in sheet.part("who")]


def test_pressqa_summarize_facts_needs_no_model(sample_index_dir: Path) -> None:
    env = {"PRESSQA_INDEX": str(sample_index_dir), "PRESSQA_MODEL": "no-such-model", "PATH": "/usr/bin:/bin"}
    args = ["summarize", "--release", "riverton_bridge_repair", "--length", "facts", "--json"]
    result = subprocess.run(
        [sys.executable, "-m", "ui.cli", *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=300
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    facts = {(f["part"], f["key"]) for f in data["facts"]}
    assert ("amounts", "$4.8 million") in facts and ("quotes", "Elena Voss") in facts
    quotes = {c["n"]: c["quote"] for c in data["citations"]}
    for line in data["answer"].splitlines():  # every fact carries the marker of a sentence that holds it
        assert line.rstrip().endswith("]"), line
    assert all(q.strip() for q in quotes.values())
    assert "$4.8 million" in next(q for q in quotes.values() if "$4.8 million" in q)


def test_the_facts_a_summary_must_carry_lead_with_who_the_release_is_about() -> None:
    from qa.fact_sheet import summary_facts
    from qa.prompt import summary_messages

    facts = summary_facts(fact_sheet(FISKARS))
    # Fiskars is named in sentence after sentence; the official announcing the case is not among the three.
    assert facts[0] == "Fiskars Brands Inc" and "Joyce R. Branda" not in facts[:3]
    assert "$2.6 million" in facts and "approximately 103,000 Axes" in facts
    assert not any("today" in f for f in facts)  # the release's own day is no event
    prompt = summary_messages(FISKARS.title, FISKARS.text, "short", facts)[1]["content"]
    assert "must state" in prompt and "- $2.6 million" in prompt


def test_a_topic_summary_sentence_without_a_marker_is_cited_to_the_excerpt_it_draws_on() -> None:
    from qa.summarize import cite_sentences

    excerpts = [
        "Gerald Diodati pleaded guilty to one count of tax evasion in March 2011.",
        "Diodati was sentenced to 12 months and one day in prison for evading taxes.",
    ]
    text = (
        "Gerald Diodati pleaded guilty to tax evasion in March 2011. He was then sentenced to 12 months and one day "
        "in prison [2]. Together these releases follow one case."
    )
    assert cite_sentences(text, excerpts) == (
        "Gerald Diodati pleaded guilty to tax evasion in March 2011 [1]. He was then sentenced to 12 months and one "
        "day in prison [2]. Together these releases follow one case."
    )


def test_a_long_release_is_condensed_to_its_lead_and_the_sentences_of_its_facts() -> None:
    from qa.summarize import condensed

    text = (REPO / "embeddings" / "sample_releases" / "halden_coastal_climate_institute.txt").read_text()
    release = Release("halden", "Halden University Opens $62 Million Institute for Coastal Climate Research", text)
    words = lambda s: len(s.split())  # noqa: E731 - a budget in words is enough to test the choice
    short = condensed(text, fact_sheet(release), words, 400)
    assert words(short) <= 400 + 40  # the budget, and the "…" marks between the kept sentences
    assert "Halden University yesterday opened the Marram Institute" in short  # the lead
    # Amounts from the second half of the release make it in; most of the text does not.
    assert "$35 million came from the Halden University Endowment" in short
    assert "…" in short and words(short) < words(text) / 2
    flat = " ".join(text.split())
    places = [flat.find(piece.strip()[:60]) for piece in short.split("…") if piece.strip()]
    assert -1 not in places and places == sorted(places)  # the release's own sentences, in its order
