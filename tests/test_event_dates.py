"""A release's dateline, the days its body states and the day of its main event (embeddings.text.event_dates).

The releases here are written for the tests, in the style of the ISAF and DOJ corpora.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from embeddings.load.dateline import parse_dateline
from embeddings.text.event_dates import (
    Dateline,
    StatedDate,
    event_day,
    find_dateline,
    last_weekday,
    main_event,
    month_day_near,
    stated_dates,
)

SAT_MARCH_24_2012 = date(2012, 3, 24)
TUE_JUNE_5_2012 = date(2012, 6, 5)


def _days(text: str, published: date | None) -> list[tuple[str, date, str]]:
    return [(s.text, s.day, s.how) for s in stated_dates(text, published)]


# ---------------------------------------------------------------------------------------- the dateline


def test_a_bracketed_dateline_gives_its_place_and_full_date() -> None:
    text = "2013-01-S-031\n\nKABUL, Afghanistan (Jan. 25, 2013)\nAn Afghan-led force detained two suspects today."
    assert find_dateline(text) == Dateline("KABUL, Afghanistan", date(2013, 1, 25), 15, 49)
    assert text[15:49] == "KABUL, Afghanistan (Jan. 25, 2013)"


def test_a_dateline_without_a_year_takes_the_reference_codes_year() -> None:
    text = "ISAF Joint Command\n2012-08-S-041\nBAGRAM AIRFIELD, Afghanistan (Aug. 22) - A patrol found a cache."
    dateline = find_dateline(text)
    assert dateline is not None and dateline.place == "BAGRAM AIRFIELD, Afghanistan"
    assert dateline.day == date(2012, 8, 22) == parse_dateline(text)
    # An unfilled code still has its year; a code of another month gives none.
    assert parse_dateline("2010-08-CA-XXX\nKABUL, Afghanistan (Aug. 18) - A force detained two.") == date(2010, 8, 18)
    assert find_dateline("2012-03-S-007\nKABUL, Afghanistan (Aug. 22) - A patrol.").day is None  # type: ignore[union-attr]


def test_a_dateline_without_a_year_or_a_code_has_no_day() -> None:
    dateline = find_dateline("KABUL, Afghanistan (Feb. 16)\nIn Rodat district, a force detained a leader today.")
    assert dateline is not None and dateline.place == "KABUL, Afghanistan" and dateline.day is None


def test_a_place_its_date_and_a_dash_under_a_title_is_a_dateline_not_an_event() -> None:
    text = (
        "Transit Board Sets 2024 Fares\n\nRIVERTON, Nov. 14, 2023 — The board approved new fares on Monday, "
        "November 13, by five votes to two."
    )
    dateline = find_dateline(text)
    assert dateline is not None and (dateline.place, dateline.day) == ("RIVERTON", date(2023, 11, 14))
    assert [s.text for s in stated_dates(text, date(2023, 11, 14))] == ["November 13"]
    assert event_day(text, date(2023, 11, 14)) == date(2023, 11, 13)
    later = "RIVERTON, Sept. 30, 2025 — The hospital will run clinics this winter, starting on Monday, October 6, 2025."
    assert event_day(later, date(2025, 9, 30)) == date(2025, 9, 30), "a start ahead is not the event"


def test_a_capitalised_place_and_a_dash_is_a_dateline_only_at_the_start_of_a_line() -> None:
    assert find_dateline("WASHINGTON – A Virginia man was sentenced today.") == Dateline("WASHINGTON", None, 0, 12)
    assert find_dateline("Kabul, Afghanistan (Dec. 9) - A strike.").place == "Kabul, Afghanistan"  # type: ignore[union-attr]
    assert find_dateline("The man, working for the FBI – and the police – was paid.") is None
    assert find_dateline("A dentist from Tampa (Fla.) pleaded guilty.") is None  # brackets must hold a date


def test_a_title_that_opens_or_ends_with_the_date_stands_for_a_missing_dateline() -> None:
    opens = "Dec. 23: Joint Force Detains Militants\n2009-12-CA-071\nIn Paktiya today, a force detained two."
    dateline = find_dateline(opens)
    assert dateline is not None and dateline.place == "" and dateline.day == date(2009, 12, 23)
    ends = "ISAF Evening Operational Update, March 27, 2011\nA patrol killed two insurgents Tuesday."
    dateline = find_dateline(ends)
    assert dateline is not None and (dateline.place, dateline.day) == ("", date(2011, 3, 27))
    assert ends[dateline.start : dateline.end] == "March 27, 2011"


# ------------------------------------------------------------------------------------------ stated days


def test_stated_dates_leave_out_the_dateline_and_the_title_before_it() -> None:
    text = (
        "Operational Update, June 19, 2010\n2010-06-CA-071\nKABUL, Afghanistan (June 19, 2010) - A force killed "
        "a commander in Kunduz last night. He planned the June 16, 2010 bombing."
    )
    assert _days(text, date(2010, 6, 19)) == [
        ("last night", date(2010, 6, 18), "day before"),
        ("June 16, 2010", date(2010, 6, 16), "full date"),
    ]


def test_each_stated_date_slices_out_of_the_text_as_written() -> None:
    text = "KABUL, Afghanistan (Nov. 9, 2010) – A patrol detained a leader Monday and two suspects yesterday."
    stated = stated_dates(text, date(2010, 11, 9))
    assert [text[s.start : s.end] for s in stated] == [s.text for s in stated] == ["Monday", "yesterday"]
    assert all(isinstance(s, StatedDate) and s.relative for s in stated)


@pytest.mark.parametrize(
    ("words", "back", "how"),
    [
        ("today", 0, "same day"),
        ("earlier today", 0, "same day"),
        ("this morning", 0, "same day"),
        ("tonight", 0, "same day"),
        ("yesterday", 1, "day before"),
        ("last night", 1, "day before"),
        ("lastnight", 1, "day before"),
        ("overnight", 1, "overnight"),
    ],
)
def test_relative_days_count_from_the_release_date(words: str, back: int, how: str) -> None:
    text = f"A combined force detained a Taliban facilitator in Zabul province {words}."
    assert _days(text, date(2011, 3, 1)) == [(words, date(2011, 3, 1) - timedelta(days=back), how)]


def test_a_month_and_day_takes_the_year_around_the_release() -> None:
    # A year boundary: "Dec. 31" in a release of Jan. 2 is the day before yesterday, not next December.
    text = "The facilitator was detained Dec. 31 in Khost province."
    assert _days(text, date(2012, 1, 2)) == [("Dec. 31", date(2011, 12, 31), "month and day")]
    # A day a few months ahead is this year's (a sentencing), one further ahead last year's.
    assert month_day_near("March", "3", date(2018, 1, 10)) == date(2018, 3, 3)
    assert month_day_near("Nov.", "3", date(2018, 1, 10)) == date(2017, 11, 3)
    assert month_day_near("Feb.", "30", date(2018, 1, 10)) is None


def test_a_lower_case_may_is_a_verb() -> None:
    assert _days("Officials said the suspects may 5 times have crossed the border.", date(2017, 5, 9)) == []


def test_a_weekday_is_the_latest_such_day_on_or_before_the_release() -> None:
    text = "Coalition forces killed two insurgents in Helmand province Thursday."
    assert _days(text, SAT_MARCH_24_2012) == [("Thursday", date(2012, 3, 22), "weekday")]
    # The release's own weekday is the release's day; "last Tuesday" in a Tuesday release is a week back.
    assert _days("The patrol was attacked Tuesday.", TUE_JUNE_5_2012) == [("Tuesday", TUE_JUNE_5_2012, "weekday")]
    assert _days("He was arrested last Tuesday.", TUE_JUNE_5_2012) == [("last Tuesday", date(2012, 5, 29), "weekday")]
    assert last_weekday(1, TUE_JUNE_5_2012) == TUE_JUNE_5_2012


def test_weekdays_ahead_named_or_followed_by_their_date_are_not_counted_back() -> None:
    text = (
        "A grand jury returned an indictment on Tuesday, April 10, 2018. He will be arraigned Friday. "
        "The Sunday Times reported it."
    )
    assert _days(text, date(2018, 4, 13)) == [("April 10, 2018", date(2018, 4, 10), "full date")]


def test_without_a_release_date_only_complete_dates_are_read() -> None:
    text = "A force detained two suspects yesterday, a week after the Jan. 4, 2011 attack and the Jan. 7 raid."
    assert _days(text, None) == [("Jan. 4, 2011", date(2011, 1, 4), "full date")]


def test_a_text_with_no_date() -> None:
    text = "An Afghan and coalition security force detained a Taliban leader in Ghazni province."
    assert stated_dates(text, date(2012, 2, 1)) == []
    assert main_event(text, date(2012, 2, 1)) is None
    assert event_day(text, date(2012, 2, 1)) == date(2012, 2, 1)
    assert event_day(text, None) is None


# -------------------------------------------------------------------------------------------- the event


def test_the_event_is_the_first_day_the_lead_states() -> None:
    text = (
        "KABUL, Afghanistan (March 24, 2012) - A combined force captured a Taliban leader in Kandahar "
        "province yesterday. The leader had escaped a raid Thursday."
    )
    assert event_day(text, SAT_MARCH_24_2012) == date(2012, 3, 23)


def test_the_dateline_date_is_not_the_event() -> None:
    text = "KABUL, Afghanistan (March 24, 2012) - In Nawa district, a patrol detained three suspects Thursday."
    main = main_event(text, SAT_MARCH_24_2012)
    assert main is not None and main.text == "Thursday" and main.day == date(2012, 3, 22)


@pytest.mark.parametrize(
    "sentence",
    [
        "A force detained the leader behind the July 2 attack in Kunduz province today.",
        "A force detained the leader responsible for Tuesday's ambush in Kunduz province today.",
        "A force detained the leader responsible for an attack July 2 in Kunduz province today.",
        "Forces have detained 40 leaders since July 2, the last in Kunduz province today.",
        "The leader, who will be tried on July 29, was detained in Kunduz province today.",
    ],
)
def test_days_of_earlier_attacks_periods_and_the_future_are_not_the_event(sentence: str) -> None:
    release = date(2010, 7, 15)
    main = main_event(f"KABUL, Afghanistan (July 15, 2010) - {sentence}", release)
    assert main is not None and main.text == "today"


def test_a_confirmation_day_gives_way_to_the_day_confirmed() -> None:
    dateline = "KABUL, Afghanistan (Oct. 24, 2012) — "
    said = "Afghan forces yesterday confirmed the arrest of a Taliban leader in Kunduz province Oct. 19."
    assert event_day(dateline + said, date(2012, 10, 24)) == date(2012, 10, 19)
    later = "Today, Afghan and coalition forces confirmed a leader was killed. The strike was Sunday."
    assert event_day(dateline + later, date(2012, 10, 24)) == date(2012, 10, 21)
    alone = "Afghan forces yesterday confirmed the death of a Taliban leader."
    assert event_day(dateline + alone, date(2012, 10, 24)) == date(2012, 10, 23)


def test_a_night_gives_way_to_the_day_its_sentence_names() -> None:
    text = "KABUL, Afghanistan (Nov. 10, 2010) - A force detained a leader during an overnight operation Monday."
    assert event_day(text, date(2010, 11, 10)) == date(2010, 11, 8)


def test_a_day_stated_past_the_lead_is_not_the_event() -> None:
    lead = "A Denver man was sentenced to 12 years in prison for wire fraud. " * 12  # 792 characters
    text = lead + "He pleaded guilty on July 10, 2017."
    assert stated_dates(text, date(2017, 10, 13))[0].day == date(2017, 7, 10)
    assert event_day(text, date(2017, 10, 13)) == date(2017, 10, 13)
