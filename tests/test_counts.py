"""Counting questions: read into a topic, a period and what is asked, counted over every release of a real
index (the release text index kept in step with the releases), answered with the series and cited examples
without the model, and shown as a table (`pressqa count`) and a bar chart (the web app's sources panel)."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from embeddings.index import DB_NAME, Index
from embeddings.ingest import Ingestor
from embeddings.text.word_forms import forms
from embeddings.types import Release
from qa.count_questions import CountQuestion, count_question
from qa.engine import QuestionError
from qa.types import Answer
from tests.test_cli import run
from ui.render import count_chart_html, sources_html
from ui.turns import Turn

OTTER_NEWS = Release(
    "gwt-2024-otter-cubs",
    "Otter Cubs Seen on the Lyde",
    "GREENMARSH, July 2, 2024 - Volunteers filmed two otter cubs on the River Lyde, the first seen there since "
    "the survey began, said Trust director Helena R. Marsh. An otterhound show in Ottery the same week is unrelated.",
    date(2024, 7, 2),
    "Greenmarsh Wildlife Trust",
)


def test_question_forms() -> None:
    q = count_question("How many releases about opioids in 2016?")
    assert q == CountQuestion("total", "opioids", ("opioids",), (), date(2016, 1, 1), date(2016, 12, 31))
    peak = count_question("Which month had the most releases about fraud?")
    assert (peak.ask, peak.by, peak.words, peak.since) == ("peak", "month", ("fraud",), None)
    assert count_question("Which year saw the highest number of releases about child pornography?").by == "year"
    holder = count_question("How many releases mention Eric Holder?")
    assert (holder.words, holder.phrases) == ((), ("eric holder",)), "a name is a phrase"
    series = count_question("Releases about hate crimes per year")
    assert (series.ask, series.by, series.words) == ("series", "year", ("hate", "crimes"))
    assert count_question('number of releases about "hate crime" by month').phrases == ("hate crime",)
    between = count_question("how many releases were published about opioids between 2012 and 2014?")
    assert (between.since, between.until, between.topic) == (date(2012, 1, 1), date(2014, 12, 31), "opioids")
    since = count_question("How many press releases mentioned the FBI since March 2015?")
    assert (since.words, since.since, since.until) == (("fbi",), date(2015, 3, 1), None)
    assert count_question("how many releases about AIDS?").phrases == ("aids",), "not 'aid'"
    gang = count_question("How many releases mention MS-13 and the Latin Kings?")
    assert (gang.words, gang.phrases) == ((), ("ms-13", "latin kings")), "joined words and names are phrases"
    assert count_question("how many releases about opioids after 2016?").since == date(2017, 1, 1)
    assert count_question("how many releases about opioids before 2012").until == date(2011, 12, 31)
    prisons = count_question("How many releases did the Justice Department publish about the Bureau of Prisons?")
    assert prisons.phrases == ("bureau of prisons",)
    assert count_question("hate crime releases per year").words == ("hate", "crime")
    # Periods that need today's date, parts of a year, other questions: the model's turn.
    for other in (
        "How many releases about fraud last year?",
        "how many releases about opioids in March?",
        "how many releases about opioids in the first half of 2016?",
        "how many releases are there?",
        "how many releases about it?",
        "How many people were charged with fraud in 2016?",
        "What did Holder say about voting rights?",
        "When were releases about opioids published?",
        "How many ISAF releases mention Kandahar?",
        "How many releases mention MS-13 or the Latin Kings?",
    ):
        assert count_question(other) is None, other


def test_word_forms() -> None:
    assert forms("opioids") == ("opioids", "opioid") and forms("opioid") == ("opioid", "opioids")
    assert "policy" in forms("policies") and "policies" in forms("policy") and "tax" in forms("taxes")
    assert forms("class") == ("class", "classes") and forms("gas") == ("gas",) and forms("2016") == ("2016",)


def _index(path: Path, encoder) -> Index:
    return Index.open(path, encoder.name, encoder.dim)


def test_a_count_follows_releases_added_replaced_and_removed(writable_index_dir: Path, encoder) -> None:
    index = _index(writable_index_dir, encoder)
    before = index.count_releases(["otters"])
    assert [r.id for r in before.releases] == ["greenmarsh_otter_survey"] and before.months() == [("2021-06", 1)]
    ingest = Ingestor(index, encoder).ingest
    ingest([OTTER_NEWS])
    added = index.count_releases(["otter"])  # either number finds both: "otter cubs", "Otters Found"
    assert added.total == 2 and added.months() == [("2021-06", 1), ("2024-07", 1)]
    assert index.count_releases(["otterhound"]).total == 1 and index.count_releases(["otte"]).total == 0
    assert index.count_releases(["otters"], since=date(2022, 1, 1)).total == 1
    assert index.count_releases(["otters"], until=date(2022, 1, 1)).total == 1
    assert index.count_releases([], ["River Lyde"]).total == 1 and index.count_releases([], ["Lyde River"]).total == 0
    assert index.count_releases([], ["Helena Marsh"]).total == 1, "a name with a middle initial"
    assert index.count_releases([], ["Helena Trust"]).total == 0
    ingest([Release(OTTER_NEWS.id, "Heron Chicks Seen", "Two heron chicks fledged.", date(2024, 7, 2))])
    assert index.count_releases(["otters"]).total == 1 and index.count_releases(["heron"]).total == 2
    assert _text_index_rows(writable_index_dir, "otterhound") == 0, "a replaced release's old words are gone"
    assert _text_index_rows(writable_index_dir, "fledged") == 1
    assert index.remove(OTTER_NEWS.id) and index.count_releases(["heron"]).total == 1
    assert _text_index_rows(writable_index_dir, "fledged") == 0, "a removed release's words are gone"
    index.close()


def _text_index_rows(folder: Path, word: str) -> int:
    """Rows of the text index itself (not joined to the releases) holding the word."""
    with sqlite3.connect(folder / DB_NAME) as db:
        return len(db.execute("SELECT rowid FROM release_text WHERE release_text MATCH ?", (word,)).fetchall())


def test_an_older_index_gets_its_text_index_at_the_first_count_or_ingest(writable_index_dir: Path, encoder) -> None:
    with sqlite3.connect(writable_index_dir / DB_NAME) as db:  # as a version before counting left it
        db.execute("INSERT INTO release_text(release_text) VALUES ('delete-all')")
        db.execute("DELETE FROM release_text_rows")
    index = _index(writable_index_dir, encoder)
    assert len(index.unindexed_texts()) == 14
    assert index.count_releases([], ["Nimbus Labs"]).total == 3 and index.unindexed_texts() == []
    index.close()
    with sqlite3.connect(writable_index_dir / DB_NAME) as db:
        db.execute("INSERT INTO release_text(release_text) VALUES ('delete-all')")
        db.execute("DELETE FROM release_text_rows")
    index = _index(writable_index_dir, encoder)
    Ingestor(index, encoder).ingest([])
    assert index.unindexed_texts() == [] and index.count_releases(["bridge"]).total == 2
    index.close()


def test_a_reissued_release_counts_once(writable_index_dir: Path, encoder) -> None:
    index = _index(writable_index_dir, encoder)
    original = index.release("greenmarsh_otter_survey")
    Ingestor(index, encoder).ingest([Release("greenmarsh-otters-again", original.title, original.text, original.date)])
    counted = index.count_releases(["otters"])
    assert counted.total == 1 and counted.merged == 1
    [kept] = counted.releases
    assert kept.also_published_as == ("greenmarsh-otters-again",) or kept.id == "greenmarsh-otters-again"
    index.close()


def test_counting_questions_are_answered_without_the_model(engine) -> None:
    stream = engine.ask("How many releases mention Nimbus Labs?")
    assert stream.generator is None
    answer = "".join(stream) and stream.answer
    assert answer.method == "count" and answer.key == "3" and answer.text.startswith("3 releases about Nimbus Labs")
    assert [c.quote for c in answer.citations] == ["Nimbus Labs"] * 3
    assert [c.passage.date.isoformat() for c in answer.citations] == ["2025-02-04", "2023-02-15", "2022-10-11"]
    assert dict(answer.counts) == {"2021": 0, "2022": 1, "2023": 1, "2024": 0, "2025": 1}, "by year over the archive"
    in_2023 = engine.count_answer("How many releases mention Riverton in 2023?")
    assert in_2023.text.startswith("3 releases about Riverton in 2023; the most in")
    assert [k for k, _ in in_2023.counts][:2] == ["2023-01", "2023-02"] and sum(n for _, n in in_2023.counts) == 3
    peak = engine.count_answer("Which year had the most releases about Riverton?")
    assert peak.key == "2023" and peak.text.startswith("2023 had the most releases about Riverton: 3, of 8.")
    series = engine.count_answer("Releases about the bridge per year")
    assert series.text.startswith("2 releases about the bridge, by year: 2021: 0; 2022: 0; 2023: 0; 2024: 1; 2025: 1.")
    none = engine.count_answer("How many releases about zorblax?")
    assert none.text == "No release about zorblax." and not none.found and none.counts == ()
    assert engine.count_answer("How much will the adult day pass cost?") is None
    data = json.loads(json.dumps(peak.to_json()))
    assert data["method"] == "count" and {"period": "2023", "releases": 3} in data["counts"]


def test_a_count_keeps_to_the_filters_a_search_keeps_to(engine) -> None:
    from embeddings.index import Filters

    everywhere = engine.count_answer("How many releases mention Riverton?")
    assert everywhere.key == "8"
    naming = engine.count_answer("How many releases mention Riverton?", Filters(mentions="Halden University"))
    assert naming.key == "1"
    assert [c.passage.release_id for c in naming.citations] == ["halden_coastal_climate_institute"]
    named_both = engine.count_answer("How many releases mention Riverton?", Filters(mentions="Elena Voss"))
    assert named_both.key == "2"
    stated = engine.count_answer("How many releases mention Riverton in 2024?", Filters(mentions="Elena Voss"))
    assert stated.key == "1", "the question's year and the names filter both hold"
    assert [c.passage.release_id for c in stated.citations] == ["riverton_bridge_repair"]


def test_count_requests_with_nothing_to_count_or_too_long_get_one_error(engine) -> None:
    with pytest.raises(QuestionError, match="The question is empty"):
        engine.count("   ")
    with pytest.raises(QuestionError, match="has no words to count"):
        engine.count("the of")
    with pytest.raises(QuestionError, match="50,000 characters long"):
        engine.count("x" * 50_000)
    by_month = engine.count("Riverton", since=date(2024, 1, 1), by="month")
    assert by_month.counts[0] == ("2024-01", 0) and sum(n for _, n in by_month.counts) == 3


_BAR = re.compile(r'<rect class="pq-chart-bar" data-period="([^"]+)" data-count="(\d+)"[^>]*><title>([^<]*)</title>')


def test_the_chart_has_a_bar_per_period_above_the_example_cards(engine) -> None:
    answer = engine.count_answer("How many releases mention Riverton?")
    chart = count_chart_html(answer.counts, answer.question)
    bars = _BAR.findall(chart)
    assert [(p, int(n)) for p, n, _ in bars] == list(answer.counts)
    assert [t for _, _, t in bars][1] == "2022: 2 releases"
    assert 'role="img"' in chart and re.search(
        r'aria-label="Releases by year for: How many releases mention Riverton\?', chart
    )
    heights = {p: float(h) for p, h in re.findall(r'data-period="([^"]+)"[^>]*height="([\d.]+)"', chart)}
    assert heights["2023"] == max(heights.values()) and heights["2021"] == 0 and heights["2022"] < heights["2023"]
    monthly = count_chart_html([("2024-01", 1), ("2024-02", 0), ("2024-03", 4)], "q")
    assert len(re.findall("<rect", monthly)) == 3 and "Mar 2024: 4 releases" in monthly
    panel = sources_html([Turn("ask", "How many releases mention Riverton?", answer)], engine.index.release)
    assert panel.index('class="pq-chart"') < panel.index('class="pq-card"')
    assert (
        sources_html(
            [Turn("ask", "q", Answer("No release about x.", False, method="count"))], engine.index.release
        ).count("No indexed release holds the words counted")
        == 1
    )


def test_pressqa_count_prints_a_table_and_json(sample_index_dir: Path) -> None:
    result = run("count", "Riverton", "--since", "2023-01-01", "--by", "year", index=sample_index_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("6 releases about Riverton since 2023, by year: 2023: 3; 2024: 2; 2025: 1.")
    table = [line for line in result.stdout.splitlines() if re.match(r"20\d\d ", line)]
    assert [line.split()[:2] for line in table] == [["2023", "3"], ["2024", "2"], ["2025", "1"]]
    assert table[0].endswith("#" * 40)
    data = json.loads(run("count", "how many releases mention Nimbus Labs?", "--json", index=sample_index_dir).stdout)
    assert data["key"] == "3" and len(data["citations"]) == 3 and data["citations"][0]["quote"] == "Nimbus Labs"
    bad = run("count", "otters", "--by", "week", index=sample_index_dir)
    assert bad.returncode != 0 and bad.stderr.strip() == "error: --by must be month or year, not 'week'"
    empty = run("count", "", index=sample_index_dir)
    assert empty.returncode != 0 and empty.stderr.strip().startswith("error: The question is empty")


def test_the_gold_scan_states_the_same_word_rule_on_its_own() -> None:
    """eval/count_gold.py checks the counter with a second implementation of the rule; the two must agree."""
    from eval.count_gold import word_variants

    for (
        word
    ) in "opioids opioid fraud crimes cases taxes policies policy class virus gas ids ieds day boxes 2016".split():
        assert sorted(word_variants(word)) == sorted(forms(word)), word
