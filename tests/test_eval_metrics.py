"""Every evaluation metric and the answer normalisation, on hand-made cases (no models, no index)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.gold import (
    GoldFormatError,
    detect_format,
    first_sentence,
    read_cnndm,
    read_questions,
    read_squad,
    read_summaries,
    select,
)
from eval.metrics import (
    capitalised_names,
    cites_release,
    contains_match,
    exact_match,
    faithfulness,
    gold_rank,
    hit_at,
    key_fact_recall,
    mean,
    percentile,
    reciprocal_rank,
    rouge,
    score_answer,
    summary_sentences,
    token_f1,
    word_count,
)
from eval.normalize import canonical_dates, contains, normalize_answer, squad_normalize

# ------------------------------------------------------------------------------------ normalisation


@pytest.mark.parametrize(
    "text",
    [
        "March 9, 2017",
        "9 March 2017",
        "9th of March, 2017",
        "Mar. 9, 2017",
        "March 9th, 2017",
        "Thursday, March 9, 2017",
        "2017-03-09",
        "03/09/2017",
        "09.03.2017",
    ],
)
def test_dates_in_any_common_form_become_the_same_date(text: str) -> None:
    assert normalize_answer(text) == "2017-03-09"


def test_dates_compare_as_dates_inside_sentences() -> None:
    assert contains("Sentencing is scheduled for March 9, 2017 [1].", "2017-03-09")
    assert contains("It was handed over on 19 August 2020.", "August 19, 2020")
    assert not contains("Sentencing is scheduled for March 10, 2017.", "March 9, 2017")
    assert not contains("It happened in 2016.", "March 9, 2017")


def test_month_and_year_and_impossible_dates() -> None:
    assert normalize_answer("in December 2011") == "in 2011-12"
    assert contains("The scheme ran from December 2011 onwards.", "December 2011")
    # Not a date: left as words rather than guessed.
    assert normalize_answer("February 30, 2017") == "february 30 2017"
    # "may" the verb is not a month without a year after it.
    assert normalize_answer("He may appeal") == "he may appeal"
    assert canonical_dates("Jan. 25, 2013") == "2013-01-25"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("two", "2"),
        ("forty-eight months", "48 months"),
        ("48-month sentence", "48 months sentence"),
        ("one hundred and five", "105"),
        ("twelve", "12"),
        ("4,000", "4000"),
        ("3 years", "three years"),
        ("fifty", "50"),
        ("1,967 days", "1967 day"),
        ("the first increase", "1st increase"),
        ("101 percent", "101 per cent"),
        ("25%", "25 percent"),
    ],
)
def test_numbers_as_digits_or_words(a: str, b: str) -> None:
    assert normalize_answer(a) == normalize_answer(b)


@pytest.mark.parametrize(
    "forms",
    [
        ["$4 million", "4 million dollars", "$4,000,000"],
        ["$4.8 million", "4,800,000 dollars", "US$4.8m"],
        ["USD 1 billion", "$1 billion"],
        ["$300,000", "300,000 dollars"],
    ],
)
def test_money_in_any_form(forms: list[str]) -> None:
    normalised = [normalize_answer(form) for form in forms]
    assert len(set(normalised)) == 1, normalised


def test_money_keeps_its_unit_and_its_scale() -> None:
    assert normalize_answer("$4 million") == "4000000 usd"
    assert not contains("about 4 million", "$4 million")  # the gold amount says dollars
    assert not contains("$4 billion", "$4 million")
    assert not contains("$14 million", "$4 million")


def test_case_punctuation_articles_whitespace_and_citations() -> None:
    assert normalize_answer("  The   Judge,  Neil V. Wake [2]. ") == "judge neil v wake"
    assert normalize_answer("an Apple a day") == "apple day"
    assert normalize_answer("the Department's office") == normalize_answer("the Departments office")
    assert normalize_answer("Café Mi-8") == "cafe mi 8"


def test_plurals_fold_but_not_words_ending_in_ss_us_is() -> None:
    assert normalize_answer("Gator Combo Axes") == normalize_answer("Gator Combo Axe")
    assert normalize_answer("Departments") == normalize_answer("Department's")
    assert normalize_answer("process status analysis bus") == "process status analysis bus"


def test_containment_is_on_whole_tokens() -> None:
    assert not contains("12 men were detained", "2")
    assert contains("2 men were detained", "two")
    assert contains("Two suspects were detained [1].", "2")
    assert not contains("anything", "the")  # a gold answer that normalises to nothing matches nothing


def test_squad_normalisation_is_the_official_one() -> None:
    assert squad_normalize("The Yankees!") == "yankees"
    assert squad_normalize("two") == "two"  # no number rewriting: comparable with published SQuAD scores


# ------------------------------------------------------------------------------------------ answers


def test_contains_match_returns_the_matching_gold() -> None:
    assert contains_match("Judge Neil V. Wake presided [1].", ["Judge Wake", "Neil V. Wake"]) == "Neil V. Wake"
    assert contains_match("Nobody.", ["Neil V. Wake"]) is None


def test_exact_match_and_token_f1() -> None:
    assert exact_match("The Yankees [1].", "Yankees") == 1.0
    assert exact_match("Yankees and Mets", "Yankees") == 0.0
    assert token_f1("Yankees", "Yankees") == 1.0
    # pred: {new, york, yankees}; gold: {yankees}: precision 1/3, recall 1 -> F1 0.5
    assert token_f1("New York Yankees", "Yankees") == pytest.approx(0.5)
    assert token_f1("Mets", "Yankees") == 0.0
    assert token_f1("", "Yankees") == 0.0


def test_score_answer_takes_the_best_acceptable_answer() -> None:
    s = score_answer("Neil V. Wake [2]", ["Judge Neil V. Wake", "Neil V. Wake"])
    assert s.correct and s.exact_match == 1.0 and s.f1 == 1.0
    assert score_answer("anything", []).correct is False


# ---------------------------------------------------------------------------------------- retrieval


def test_gold_rank_hit_and_mrr() -> None:
    retrieved = ["a", "b", "12", "b", "c"]
    assert gold_rank(retrieved, "b") == 2
    assert gold_rank(retrieved, 12) == 3  # DOJ gold ids are ints, index ids strings
    assert gold_rank(retrieved, "z") is None
    assert gold_rank(retrieved, None) is None
    assert [hit_at(3, k) for k in (1, 3, 5, 10)] == [0.0, 1.0, 1.0, 1.0]
    assert hit_at(None, 10) == 0.0
    assert reciprocal_rank(2) == 0.5
    assert reciprocal_rank(None) == 0.0
    assert reciprocal_rank(11, cutoff=10) == 0.0
    assert mean(reciprocal_rank(r) for r in [1, 2, None, 4]) == pytest.approx((1 + 0.5 + 0 + 0.25) / 4)


def test_citation_includes_gold() -> None:
    assert cites_release(["1899", "3"], 1899)
    assert not cites_release(["3"], "1899")
    assert not cites_release(["3"], None)


# ---------------------------------------------------------------------------------------- summaries


def test_key_fact_recall() -> None:
    summary = "Fiskars will pay a $2.6 million penalty over 103,000 Gator Combo Axes [1]."
    recall, missing = key_fact_recall(summary, ["$2.6 million", "103,000 axes", "Gator Combo Axe", "Taiwan"])
    # "103,000 axes" is not contained ("103,000 gator combo axes"): containment is strict, by design.
    assert missing == ["103,000 axes", "Taiwan"]
    assert recall == 0.5
    assert key_fact_recall("anything", []) == (None, [])


def test_rouge_uses_stemming_and_lsum_sentences() -> None:
    same = rouge("The council approved the repair.", "The council approved the repair.")
    assert same == {"rouge1": pytest.approx(1.0), "rouge2": pytest.approx(1.0), "rougeLsum": pytest.approx(1.0)}
    stemmed = rouge("Councils approving repairs", "council approved repair")
    assert stemmed["rouge1"] == pytest.approx(1.0)  # stemming on: approving/approved -> approv
    none = rouge("Otters swim.", "The council approved the repair.")
    assert none["rouge1"] == 0.0
    # Lsum is the LCS per sentence pair, so sentence order does not matter as it does for a single LCS.
    swapped = rouge("Bridge closed. Repair approved.", "Repair approved. Bridge closed.")
    assert swapped["rougeLsum"] == pytest.approx(1.0)


def test_sentence_split_for_rouge() -> None:
    assert summary_sentences("- One thing [1].\n- Two. Three things.") == ["One thing.", "Two.", "Three things."]
    assert summary_sentences("He paid $2.6 million. It ended.") == ["He paid $2.6 million.", "It ended."]


def test_faithfulness_numbers_dates_names() -> None:
    source = (
        "Fiskars Brands Inc. will pay 2,600,000 dollars to the Department of Justice, the Consumer Product "
        "Safety Commission said on 3 March 2011. It recalled about 103,000 axes in two batches."
    )
    summary = (
        "The Justice Department said Fiskars Brands Inc. agreed to pay $2.6 million on March 3, 2011. "
        "John Smith said 103,000 axes and 7 knives were recalled in April 2012 and March 2011, in 2 batches."
    )
    f = faithfulness(summary, source)
    assert f.numbers == ["2600000", "103000", "7", "2"]
    assert f.numbers_unsupported == ["7"]
    assert f.dates == ["2011-03-03", "2012-04", "2011-03"]
    assert f.dates_unsupported == ["2012-04"]  # "March 2011" is supported by 3 March 2011
    assert "John Smith" in f.names_unsupported
    assert "Justice Department" not in f.names_unsupported  # every word of it is in the source
    assert "Fiskars Brands Inc" in f.names and "Fiskars Brands Inc" not in f.names_unsupported
    assert f.numbers_supported == pytest.approx(0.75)
    assert f.all_supported == pytest.approx(1 - 3 / (4 + 3 + len(f.names)))
    empty = faithfulness("no numbers here", source)
    assert empty.numbers_supported is None and empty.all_supported is None


def test_capitalised_names_skip_sentence_openers_and_months() -> None:
    names = capitalised_names("The Bank of America said. However, AT&T paid in March. Later John Smith left.")
    assert names == ["Bank of America", "AT&T", "John Smith"]


def test_word_count_and_percentiles() -> None:
    assert word_count("Three words here [1].") == 3  # a citation marker is not a word
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([1, 2, 3, 4], 95) == pytest.approx(3.85)
    assert percentile([], 50) is None
    assert mean([None, 1.0, 3.0]) == 2.0 and mean([]) is None


# -------------------------------------------------------------------------------------- gold readers


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_read_questions_normalises_ids(tmp_path: Path) -> None:
    path = _write_jsonl(
        tmp_path / "g.jsonl",
        [
            {"id": "q1", "question": "Q?", "answers": ["a"], "type": "who", "release_id": 1899},
            {"id": "q2", "question": "Q2?", "answers": [], "type": "unanswerable", "release_id": None},
        ],
    )
    items = read_questions(path).items
    assert items[0].release_id == "1899" and items[0].answerable
    assert items[1].release_id is None and not items[1].answerable


def test_read_squad_makes_paragraph_releases(tmp_path: Path) -> None:
    doc = {
        "data": [
            {
                "title": "https://www.nytimes.com/2015/01/04/sports/a-story.html",
                "paragraphs": [
                    {
                        "context": "Mattingly played for the Yankees.",
                        "qas": [
                            {"id": "x1", "question": "Team?", "answers": [{"text": "Yankees", "answer_start": 25}]}
                        ],
                    },
                    {"context": "Second paragraph.", "qas": []},
                ],
            }
        ]
    }
    path = tmp_path / "nyt.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert detect_format(path) == "squad"
    gold = read_squad(path)
    assert [r.id for r in gold.releases] == ["nyt-0000-000", "nyt-0000-001"]
    assert gold.releases[0].title == "A story" and str(gold.releases[0].date) == "2015-01-04"
    assert gold.items[0].release_id == "nyt-0000-000" and gold.items[0].answers == ("Yankees",)
    # The gold answers never reach the release text.
    assert read_questions(path).releases == gold.releases


def test_read_summaries_and_cnndm(tmp_path: Path) -> None:
    gold = _write_jsonl(
        tmp_path / "s.jsonl", [{"id": "s1", "release_id": 4899, "key_facts": ["$2.6 million"], "reference": "R."}]
    )
    assert read_summaries(gold).items[0].release_id == "4899"
    cnn = _write_jsonl(
        tmp_path / "c.jsonl", [{"id": "c1", "article": "First sentence here. Second one.", "highlights": "H1 .\nH2 ."}]
    )
    assert detect_format(cnn) == "cnndm"
    s = read_cnndm(cnn)
    assert s.releases[0].id == "c1" and s.releases[0].title == "First sentence here."
    assert "H1" not in s.releases[0].text and s.items[0].reference == "H1 .\nH2 ." and s.items[0].key_facts == ()
    with pytest.raises(GoldFormatError):
        read_questions(gold)


def test_select_samples_reproducibly_then_limits() -> None:
    items = list(range(100))
    a = select(items, sample=10, seed=3)
    assert a == select(items, sample=10, seed=3) and a == sorted(a) and len(a) == 10
    assert a != select(items, sample=10, seed=4)
    assert select(items, sample=10, seed=3, limit=4) == a[:4]
    assert select(items, limit=2) == [0, 1]


def test_select_by_type_keeps_the_sample_then_limits() -> None:
    from eval.gold import GoldQuestion, select

    items = [GoldQuestion(str(i), "q", (), "when" if i % 3 else "who", None) for i in range(30)]
    sampled = select(items, sample=12, seed=1)
    when = select(items, sample=12, seed=1, types=["when"])
    assert when == [i for i in sampled if i.type == "when"] and when
    assert select(items, sample=12, seed=1, types=["when"], limit=2) == when[:2]
    assert select(items, types=["where"]) == []


def test_first_sentence() -> None:
    assert first_sentence("A Darwin woman has become a star. She moved.") == "A Darwin woman has become a star."


def test_reissue_groups_are_scored_on_the_labelled_pairs_only() -> None:
    from eval.run_reissues import LabelledGroup, read_reissues, score_reissues

    gold = [
        LabelledGroup(("1", "2", "3"), True, "identical", ""),
        LabelledGroup(("4", "5"), False, "template", ""),
        LabelledGroup(("6", "7"), True, "edited", ""),
    ]
    s = score_reissues([["1", "2", "3"], ["4", "5"], ["8", "9"]], gold)
    assert s["pairs_grouped"] == 5 and s["pairs_labelled"] == 4
    assert s["precision"] == 0.75 and s["recall"] == 0.75
    assert s["wrongly_grouped"] == [["4", "5"]] and s["missed"] == [["6", "7"]]
    assert s["pairs_unlabelled"] == [["8", "9"]]
    assert s["by_kind"]["identical"] == {"groups": 1, "grouped": 1}
    committed = read_reissues(Path(__file__).parents[1] / "eval" / "gold" / "reissues.dev.jsonl")
    assert len(committed) >= 40 and sum(g.kind == "identical" for g in committed) == 16
