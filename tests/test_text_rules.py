"""The shared text rules (embeddings.text), each canonical form and each variant derived from it."""

from __future__ import annotations

import re
from datetime import date

import pytest

from embeddings.text.dates import (
    MONTH,
    MONTH_DAY,
    WEEKDAY,
    WEEKDAY_OR_ABBREVIATION,
    date_spans,
    full_dates,
    month_number,
    to_date,
)
from embeddings.text.markers import ESCAPED_MARKER, MARKER, SPACED_MARKER, marker_numbers
from embeddings.text.names import CALENDAR_WORD, CAPITALISED_WORD, NAME_RUN, NOT_NAMES, PLAIN_NAME
from embeddings.text.sentences import SENTENCE_END, TITLE_SENTENCE_END, split_sentences
from embeddings.text.words import ARTICLES, BM25_STOP_WORDS, PROMPT_STOP_WORDS, STOP_WORDS, words

# ----------------------------------------------------------------------------------------- sentences


def _sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


def test_split_sentences_returns_spans_that_slice_to_sentences() -> None:
    text = "  Mr. Smith met Gen. Allen on Aug. 19.  They met again in May. John D. Stacey left.\nNext line"
    assert _sentences(text) == [
        "Mr. Smith met Gen. Allen on Aug. 19.",
        "They met again in May.",  # "May" is a whole month name, not an abbreviation
        "John D. Stacey left.",
        "Next line",
    ]


def test_split_sentences_splits_sentences_glued_by_scraping() -> None:
    assert _sentences("in New Jersey.Livingston was there. The U.S.Attorney") == [
        "in New Jersey.",
        "Livingston was there.",
        "The U.S.Attorney",
    ]


@pytest.mark.parametrize(
    ("text", "plain", "title"),
    [
        ("He said 'stop.' Then he left.", True, False),  # a straight apostrophe closes only in the plain rule
        ('He said "stop.") Then he left.', True, False),  # two closing marks: only the plain rule
        ('He said "stop." Then he left.', True, True),
        ("He paid $2.6 million. It ended.", True, True),
        ("It ended. then it began.", False, False),  # a lower-case start is no new sentence
    ],
)
def test_plain_sentence_end_and_its_title_variant(text: str, plain: bool, title: bool) -> None:
    assert bool(SENTENCE_END.search(text)) is plain
    assert bool(TITLE_SENTENCE_END.search(text)) is title


# --------------------------------------------------------------------------------------------- words


def test_words_are_lower_cased_runs_of_letters_and_digits() -> None:
    assert words("U.S. $4.8M, Kabul's") == ["u", "s", "4", "8m", "kabul", "s"]


def test_stop_word_lists_are_one_base_and_two_supersets() -> None:
    assert ARTICLES < STOP_WORDS < BM25_STOP_WORDS
    assert STOP_WORDS < PROMPT_STOP_WORDS
    # The lists each caller was measured with: 23, 57 and 76 words.
    assert (len(STOP_WORDS), len(BM25_STOP_WORDS), len(PROMPT_STOP_WORDS)) == (23, 57, 76)
    assert "he" not in STOP_WORDS and "he" in BM25_STOP_WORDS and "he" in PROMPT_STOP_WORDS
    assert "would" in BM25_STOP_WORDS and "would" not in PROMPT_STOP_WORDS
    assert "said" in PROMPT_STOP_WORDS and "said" not in BM25_STOP_WORDS


# --------------------------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "word", ["January", "Jan", "Jan.", "june", "Jun", "July", "Sept.", "Sep", "September", "May", "DEC."]
)
def test_month_accepts_every_spelling(word: str) -> None:
    assert re.fullmatch(MONTH, word, re.IGNORECASE)


@pytest.mark.parametrize("text", ["Marches", "Decade", "Septa", "Ma"])
def test_month_takes_whole_words_only(text: str) -> None:
    assert not re.match(rf"{MONTH}(?!\w)", text, re.IGNORECASE)


def test_month_number_reads_any_spelling() -> None:
    assert [month_number(m) for m in ("Sept.", "sep", "September", "may", "DEC")] == [9, 9, 9, 5, 12]


def test_weekday_is_full_names_and_its_variant_also_abbreviations() -> None:
    for full in ("Monday", "Tuesday", "Wednesday", "Thursday", "Saturday"):
        assert re.fullmatch(WEEKDAY, full) and re.fullmatch(WEEKDAY_OR_ABBREVIATION, full)
    for short in ("Mon", "Tue", "Tues", "Wed", "Thu", "Thur", "Thurs", "Fri", "Sat", "Sun"):
        assert re.fullmatch(WEEKDAY_OR_ABBREVIATION, short) and not re.fullmatch(WEEKDAY, short)
    assert not re.fullmatch(WEEKDAY_OR_ABBREVIATION, "Thursd")


def test_full_dates_in_text_order_once_each() -> None:
    text = "On 19 August 2020 and Aug. 18, 2020, then 2020-08-19 again; not code 2010-08-19-232, not 12/03/2020."
    assert full_dates(text) == [date(2020, 8, 19), date(2020, 8, 18)]
    assert to_date("2021", "Feb.", "30") is None and to_date("2021", "02", "28") == date(2021, 2, 28)


def test_date_spans_slice_to_the_dates_as_written() -> None:
    text = "Filed Aug. 18, 2020, heard 19 August 2020."
    assert sorted((text[a:b], d) for a, b, d in date_spans(text)) == [
        ("19 August 2020", date(2020, 8, 19)),
        ("Aug. 18, 2020", date(2020, 8, 18)),
    ]


def test_month_day_is_a_month_and_day_with_no_year_after() -> None:
    text = "Arrested Jan. 24, charged Feb. 3rd, sentenced March 3, 2021."
    assert [(m["month"], m["day"]) for m in MONTH_DAY.finditer(text)] == [("Jan", "24"), ("Feb", "3")]


# ------------------------------------------------------------------------------------------- markers


def test_marker_and_its_numbers() -> None:
    assert [m.group(1) for m in MARKER.finditer("a [1] b [2, 3] c [2; 3] d [x]")] == ["1", "2, 3"]
    assert marker_numbers("Paid [2]. Left [1, 2] [3].") == [2, 1, 3]


def test_escaped_marker_also_takes_the_backslash_escape_markdown_adds() -> None:
    assert ESCAPED_MARKER.sub("", r"Paid [1]\[2].") == "Paid ."
    assert MARKER.sub("", r"Paid [1]\[2].") == "Paid \\."


def test_spaced_marker_takes_semicolons_and_the_space_before() -> None:
    assert SPACED_MARKER.sub("", "Paid $5 [1] and $6 [2; 3].") == "Paid $5 and $6."
    assert MARKER.sub("", "Paid $5 [1] and $6 [2; 3].") == "Paid $5  and $6 [2; 3]."


# --------------------------------------------------------------------------------------------- names


def test_name_patterns_differ_as_their_callers_need() -> None:
    text = "Kowalczyk-Bey met O'Neil of the Bank of America in Paktya, US."
    assert CAPITALISED_WORD.findall(text) == ["Kowalczyk-Bey", "O'Neil", "Bank", "America", "Paktya", "US"]
    assert PLAIN_NAME.findall(text) == ["Kowalczyk", "Neil", "Bank", "America", "Paktya"]
    assert NAME_RUN.findall(text) == ["Kowalczyk-Bey", "O'Neil", "Bank of America", "Paktya", "US"]


def test_calendar_words_are_not_names() -> None:
    assert all(CALENDAR_WORD.match(w) for w in ("Monday", "Sept.", "May", "December"))
    assert not any(CALENDAR_WORD.match(w) for w in ("Sun", "Mayfield", "Marches"))
    assert {"monday", "sunday", "may", "sept", "sep", "december", "however"} <= NOT_NAMES
    assert "kabul" not in NOT_NAMES
