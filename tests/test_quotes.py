"""Quotes: read from each release at ingest with their speakers and exact spans, kept in the index, and
answered from ("who said ...", "what did X say about ...", `pressqa quotes`, the web API) without the model.

The sentences are written in the DOJ and ISAF archives' style: unmarked quotes (the scrape lost the marks)
attributed after the words, titles before and after the name, the speaker first, a surname on second
mention."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from embeddings.index import DB_NAME, Index
from embeddings.ingest import Ingestor
from embeddings.text.quotes import find_quotes
from embeddings.types import Release
from qa.quote_questions import quote_question, speaker_and_topic
from tests.test_cli import run

UNMARKED = (
    "WASHINGTON - A Virginia contractor agreed to pay $2 million to resolve allegations that it overbilled "
    "the Army, the Justice Department announced today.\n\n"
    "Contractors who inflate their bills steal from the taxpayers and from the soldiers the contracts serve, "
    "said Acting Assistant Attorney General Marisa T. Oduya of the Justice Department's Civil Division. We "
    "will recover every dollar.\n\n"
    "Fraud on military contracts will not be tolerated in this district, said Special Agent in Charge Victor "
    "Lindqvist of the FBI's Norfolk Field Office.\n\n"
    "Oduya thanked the investigators. This settlement shows that whistleblowers are heard and protected, Oduya "
    "said.\n\n"
    "Harold P. Nwosu, Inspector General of the Army, said, Our auditors found the overbilling in a routine "
    "review of the invoices and we referred it at once."
)


def _by_speaker(text: str) -> dict[str, object]:
    """Each speaker's first quote."""
    found: dict[str, object] = {}
    for q in find_quotes(text):
        found.setdefault(q.speaker, q)
    return found


def test_unmarked_quotes_with_titles_before_and_after_the_name() -> None:
    quotes = _by_speaker(UNMARKED)
    oduya = quotes["Marisa T. Oduya"]
    assert oduya.role == "Acting Assistant Attorney General of the Justice Department's Civil Division"
    # The quote goes on after its attribution to the end of the paragraph, attribution inside the span.
    assert UNMARKED[oduya.start : oduya.end].startswith("Contractors who inflate")
    assert UNMARKED[oduya.start : oduya.end].endswith("We will recover every dollar.")
    assert oduya.text.endswith("serve. We will recover every dollar.")
    agent = quotes["Victor Lindqvist"]  # "in Charge" is part of the title, not the end of the attribution
    assert agent.role.startswith("Special Agent in Charge")
    # A closing attribution is not part of the quote's span.
    assert UNMARKED[agent.start : agent.end] == "Fraud on military contracts will not be tolerated in this district"


def test_a_surname_is_the_release_s_fuller_name_and_the_speaker_may_come_first() -> None:
    quotes = find_quotes(UNMARKED)
    second = [q for q in quotes if q.text.startswith("This settlement shows")]
    assert [q.speaker for q in second] == ["Marisa T. Oduya"], "Oduya on second mention is the full name"
    assert UNMARKED[second[0].start : second[0].end].startswith("This settlement"), "narration before it is not hers"
    first = [q for q in quotes if q.speaker == "Harold P. Nwosu"]
    assert first and first[0].role == "Inspector General of the Army"
    assert UNMARKED[first[0].start : first[0].end].startswith("Our auditors found")


def test_marked_quotes_short_pieces_and_ranks_inside_the_attribution() -> None:
    text = (
        "“The people are respecting us,” Rahman said. “They ask us if we want tea. They are thankful.”\n\n"
        "“We will keep pressing the insurgents in this valley until they leave,” said U.S. Army Lt.Col. Dana "
        "Whitcombe, commander of the 2nd Battalion."
    )
    quotes = find_quotes(text)
    assert [q.speaker for q in quotes] == ["Rahman", "Dana Whitcombe"]
    assert quotes[0].text == "The people are respecting us. They ask us if we want tea. They are thankful."
    assert quotes[1].role == "U.S. Army Lt. Col., commander of the 2nd Battalion"
    assert text[quotes[1].start : quotes[1].end].startswith("We will keep") and "”" not in quotes[1].text


def test_a_paragraph_introduced_by_said_colon_is_the_speaker_s() -> None:
    text = (
        "In announcing the settlement, Attorney General Ruth Anand said:\n"
        "The department is committed to transparency and to the rule of law in every case it brings.\n"
        "The defendants are scheduled to be sentenced in May."
    )
    [quote] = find_quotes(text)
    assert (quote.speaker, quote.role) == ("Ruth Anand", "Attorney General")
    assert text[quote.start : quote.end].endswith("in every case it brings.")


def test_reported_speech_and_fragments_are_not_quotes() -> None:
    text = (
        "According to court documents, the company said it had stopped the practice. The jury deliberated for "
        "two days. Smith, said the report."
    )
    assert find_quotes(text) == []


def test_question_forms() -> None:
    who = quote_question("Who said that contractors who inflate their bills steal from taxpayers?")
    assert (who.ask, who.about) == ("who_said", "contractors who inflate their bills steal from taxpayers")
    what = quote_question("What did Marisa Oduya say about the Army contract?")
    assert (what.ask, what.speaker, what.about) == ("what_said", "Marisa Oduya", "the Army contract")
    assert quote_question("Quotes from the FBI") == type(what)("what_said", "FBI", "")
    assert quote_question("What did the contractor agree to pay?") is None
    assert speaker_and_topic("Holder about voting rights") == ("Holder", "voting rights")
    assert speaker_and_topic("hate crimes") == ("hate crimes", "")


def test_quotes_are_kept_at_ingest_removed_with_their_release_and_read_into_an_older_index(
    writable_index_dir: Path, encoder
) -> None:
    index = Index.open(writable_index_dir, encoder.name, encoder.dim)
    kept = index.quotes(speaker="Menon")
    assert {q.release_id for q in kept} == {"nimbus-2023-apprenticeships", "nimbus_ashford_data_centre"}
    assert all(q.role == "chief executive of Nimbus Labs" for q in kept)
    release = index.release(kept[0].release_id)
    assert release.text[kept[0].start : kept[0].end].split()[:3] == kept[0].text.split()[:3]
    assert index.quotes(speaker="Nimbus Labs"), "a body in the role finds its speakers"
    assert index.quotes(speaker="Attorney General") == [], "titles alone name no one"
    Ingestor(index, encoder).ingest([Release("contract-2024", "Contractor Settles", UNMARKED)])
    assert [q.speaker for q in index.quotes(speaker="Oduya")] == ["Marisa T. Oduya", "Marisa T. Oduya"]
    assert index.remove("contract-2024") and index.quotes(speaker="Oduya") == []
    index.close()
    with sqlite3.connect(writable_index_dir / DB_NAME) as db:  # as a version before quotes left it
        db.execute("DELETE FROM quotes")
        db.execute("DELETE FROM quote_scans")
    index = Index.open(writable_index_dir, encoder.name, encoder.dim)
    assert index.quotes() == [] and len(index.unread_releases()["quotes"]) == 14
    Ingestor(index, encoder).ingest([])
    assert index.unread_releases()["quotes"] == [] and len(index.quotes(speaker="Menon")) == 2
    index.close()


def test_who_said_and_what_did_they_say_are_answered_from_the_kept_quotes(engine) -> None:
    answer = engine.quote_answer("Who said libraries are the last place in town where you can stay all day?")
    assert answer is not None and answer.method == "quote" and answer.key == "Owen Pritchard"
    [c] = answer.citations
    assert c.passage.release_id == "rcc-2022-central-library" and c.quote.startswith("Libraries are the last place")
    assert answer.text.startswith("Owen Pritchard, head librarian, said it [1]:")
    what = engine.quote_answer("What did Ravi Menon say about the apprenticeships?")
    assert what is not None and what.key == "Ravi Menon"
    assert what.citations[0].passage.release_id == "nimbus-2023-apprenticeships", "the release about the topic first"
    # Not a quote question, a speaker never quoted, or words no quote holds: the model's turn.
    assert engine.quote_answer("How much will the adult day pass cost?") is None
    assert engine.quote_answer("What did Zorblax Quint say about the bridge?") is None
    assert engine.quote_answer("Who said the moon is made of green cheese and ferrets?") is None
    stream = engine.ask("Who said libraries are the last place in town where you can stay all day?")
    assert stream.generator is None and "".join(stream) == answer.text and stream.answer.key == "Owen Pritchard"


def test_pressqa_quotes_lists_a_speakers_quotes_and_the_speakers(sample_index_dir: Path) -> None:
    result = run("quotes", "--speaker", "Elena Voss", "--json", index=sample_index_dir)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {q["release_id"] for q in data["quotes"]} == {"riverton_bridge_repair", "halden_coastal_climate_institute"}
    assert [c["n"] for c in data["citations"]] == [1, 2] and data["quotes"][0]["speaker"] == "Elena Voss"
    first, cited = data["quotes"][0], data["citations"][0]
    assert (cited["quote_start"], cited["quote_end"]) == (first["start"], first["end"]), "cited to the quote's span"
    about = json.loads(run("quotes", "--query", "otters on the road", "--json", index=sample_index_dir).stdout)
    assert about["quotes"][0]["release_id"] == "greenmarsh_otter_survey"
    speakers = run("quotes", "--speakers", index=sample_index_dir).stdout
    assert "Elena Voss" in speakers and speakers.split()[0] == "2"
    missing = json.loads(run("quotes", "--speaker", "Zorblax", "--json", index=sample_index_dir).stdout)
    assert not missing["found"] and "quote no one named Zorblax" in missing["answer"]


def test_quote_listings_keep_to_the_filters_organisation_names_and_dates(engine) -> None:
    from datetime import date

    from embeddings.index import Filters

    def releases(filters: Filters | None) -> set[str]:
        return {q.release_id for q in engine.quotes("Elena Voss", "", filters).quotes}

    both = {"riverton_bridge_repair", "halden_coastal_climate_institute"}
    assert releases(None) == both
    assert releases(Filters(organisation="Riverton City Council")) == {"riverton_bridge_repair"}
    assert releases(Filters(mentions="Halden University")) == {"halden_coastal_climate_institute"}
    assert releases(Filters(since=date(2023, 1, 1))) == {"riverton_bridge_repair"}
    newest = engine.quotes("", "", Filters(organisation="Nimbus Labs"), limit=5).quotes
    assert newest and {q.release_id for q in newest} <= {"nimbus-2023-apprenticeships", "nimbus_ashford_data_centre",
                                                          "nimbus_clouddesk_advisory"}  # fmt: skip


def test_an_unclosed_quote_mark_runs_to_its_paragraph_end_and_a_broken_paragraph_is_rejoined() -> None:
    text = (
        "Two jail officers were charged today.\n\n"
        'U.S. Attorney Dana K. Ferris said, "Officers who abuse the inmates in their care betray the public trust. '
        "We will prosecute every such case.\n\n"
        "The case was investigated by the FBI.\n\n"
        "Jails must be safe for the people held in them and for the officers who guard them, said Director Ilse "
        "Marrow of the county jail. Our staff will cooperate fully with every\n\ninvestigation.\n\n"
        '"No one is above the law," said Sheriff Tomas Quill.'
    )
    quotes = _by_speaker(text)
    ferris = quotes["Dana K. Ferris"]
    assert text[ferris.start : ferris.end] == (
        "Officers who abuse the inmates in their care betray the public trust. We will prosecute every such case."
    )
    marrow = quotes["Ilse Marrow"]
    assert text[marrow.start : marrow.end].endswith("with every\n\ninvestigation.")
    quill = quotes["Tomas Quill"]  # the marks after the unclosed one still pair
    assert text[quill.start : quill.end] == "No one is above the law"


QUOTED_TWICE = [
    Release("birotte-board", "Man Sentenced for Running the Lost Boy Bulletin Board", (
        "LOS ANGELES - A man who ran the Lost Boy bulletin board was sentenced today to 35 years in prison.\n\n"
        "The people who ran this bulletin board hid behind encryption to trade images of abuse, said U.S. Attorney "
        "Andr Birotte Jr. We tracked every member we could identify.")),  # the accent was lost in the scrape
    Release("birotte-theft", "Two Convicted of Identity Theft Ring", (
        "LOS ANGELES - Two men were convicted today of running an identity theft ring.\n\n"
        "Identity theft is a fundamental invasion of privacy that cannot be tolerated in this district, said U.S. "
        "Attorney Andre Birotte Jr.")),
    Release("birotte-other", "County Clerk Speaks on the Bulletin Board Case", (
        "A county clerk spoke about the bulletin board case at a meeting today.\n\n"
        "Our records office will help the investigators with everything they ask of us, said County Clerk John "
        "Birotte.")),
]  # fmt: skip


def test_what_did_x_say_finds_the_speaker_across_spellings_but_not_a_namesake(tmp_path: Path, encoder) -> None:
    from embeddings.settings import get_settings
    from qa.engine import Engine

    index = Index.open(tmp_path / "index", encoder.name, encoder.dim)
    Ingestor(index, encoder).ingest(QUOTED_TWICE)
    index.close()
    engine = Engine.open(get_settings(index=tmp_path / "index"))
    answer = engine.quote_answer("What did US Attorney Andre Birotte say about the Lost Boy bulletin board?")
    assert answer is not None and answer.method == "quote"
    assert [c.passage.release_id for c in answer.citations] == ["birotte-board", "birotte-theft"]
    said_to = engine.quote_answer("What did Andre Birotte say to the victims of identity theft?")
    assert said_to is not None and said_to.citations[0].passage.release_id == "birotte-theft"
    listing = engine.quotes_for("Andre Birotte, U.S. Attorney")  # a name with its title after it: a speaker
    assert {q.release_id for q in listing.quotes} == {"birotte-board", "birotte-theft"}
