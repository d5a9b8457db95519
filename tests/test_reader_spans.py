"""The reader's parts without a model: question types, typed spans on real release sentences, candidates,
the span check and the refusal rule. Sentences are quoted from the DOJ (public domain) and ISAF archives."""

from __future__ import annotations

from datetime import date

import pytest

from qa.candidates import find_candidates
from qa.key_words import key_words
from qa.question_types import answer_type
from qa.reader import ReaderSteps, read_answer
from qa.span_check import check_answer, claimed_spans
from qa.spans import find_spans, number_value
from qa.types import Passage

ISAF_TEXT = (
    "KABUL, Afghanistan (Jan. 25, 2013)\nDuring a security operation in Andar district, Ghazni province, "
    "yesterday, an Afghan and coalition force killed the Taliban leader, Alaudin. Alaudin oversaw a group of "
    "insurgents responsible for conducting remote-controlled improvised explosive device and small-arms fire "
    "attacks against Afghan and coalition forces."
)
DOJ_RESTITUTION = (
    "Delay was sentenced to 36 months in prison. Delay was also ordered to pay $76,700 in restitution to his "
    "victims, plus additional costs for counseling and medical care."
)
DOJ_PLEA = (
    "Esam Sakkal, 40, a national of Cyprus, pleaded guilty to one count of money laundering conspiracy and two "
    "counts of laundering of monetary instruments."
)
DOJ_TRIAL = (
    "A federal jury convicted Stacey of all counts of the indictment following a three week trial before Judge "
    "Neil V. Wake in Phoenix. Stacey earned gross income in excess of $4 million from his business during the "
    "years 2000 to 2003, but he has never filed an individual income tax return with the IRS."
)


def passage(text: str, release: str = "r1", when: date | None = None, n: int = 0) -> Passage:
    return Passage(n, release, f"Release {release}", when, None, "test", text, 0, len(text), 1.0)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How much restitution was he ordered to pay?", "amount"),
        ("What fine did the company agree to pay?", "amount"),
        ("How long was the contractor sentenced to prison?", "duration"),
        ("What prison sentence did the former clerk receive?", "duration"),
        ("For how many days was the hostage held?", "duration"),
        ("When did the Justice Department open its investigation?", "date"),
        ("What was the application deadline for the grant?", "date"),
        ("How many suspected insurgents were detained?", "count"),
        ("Who presided over the trial?", "person"),
        ("Which Orange County, California check-cashing company CEO was arrested?", "person"),
        ("Which Newark, New Jersey company did he own when he claimed the credits?", "organisation"),
        ("Which insurgent group was targeted in the operation?", "organisation"),
        ("Where was the fugitive arrested?", "place"),
        ("In which province did the operation take place?", "place"),
        ("To what charge did he plead guilty?", "charge"),
        ("By what alias was he known?", "text"),
    ],
)
def test_question_types(question: str, kind: str) -> None:
    assert answer_type(question) == kind


def test_numbers_in_words_and_digits() -> None:
    assert number_value("forty-eight") == 48
    assert number_value("1,967") == 1967
    assert number_value("4.8 million") == 4_800_000
    assert number_value("two") == 2
    assert number_value("a dozen") == 12
    assert number_value("insurgents") is None


def test_amounts_compare_by_value() -> None:
    [restitution] = find_spans("amount", DOJ_RESTITUTION)
    assert restitution.text == "$76,700"
    assert find_spans("amount", "$1.3 million")[0].key == find_spans("amount", "$1,300,000")[0].key
    [qualified] = find_spans("amount", DOJ_TRIAL)
    assert qualified.text == "in excess of $4 million"


def test_durations_in_digits_words_and_hyphens() -> None:
    assert [s.text for s in find_spans("duration", DOJ_RESTITUTION)] == ["36 months in prison"]
    assert find_spans("duration", "a 48-month sentence")[0].key == find_spans("duration", "forty-eight months")[0].key
    assert find_spans("duration", "12 months and one day")[0].key == "12 month 1 day"


def test_relative_days_resolve_against_the_release_date() -> None:
    spans = find_spans("date", ISAF_TEXT, date(2013, 1, 25))
    keys = [s.key for s in spans]
    assert "2013-01-24" in keys  # "yesterday", the day the ISAF annotation gives as the event's
    yesterday = next(s for s in spans if s.key == "2013-01-24")
    assert ISAF_TEXT[yesterday.start : yesterday.end] == "yesterday"
    assert "January 24, 2013" in yesterday.text


def test_counts_leave_dates_amounts_and_codes_alone() -> None:
    text = "2011-11-S-034: on Nov. 19, 2011 the force detained two suspected insurgents and seized $5,000."
    assert [(s.text, s.key) for s in find_spans("count", text)] == [("two suspected insurgents", "2")]


def test_names_by_kind() -> None:
    people = [s.text for s in find_spans("person", DOJ_TRIAL)]
    assert "Neil V. Wake" in people  # the title "Judge" goes
    places = [s.text for s in find_spans("place", ISAF_TEXT)]
    assert "Andar district" in places and "Ghazni province" in places
    assert "Haqqani network" in [s.text for s in find_spans("organisation", "a Haqqani network leader")]
    assert "Sandy, Utah" in [s.text for s in find_spans("place", "The suspect was located in Sandy, Utah.")]


def test_charges_run_to_the_end_of_the_clause() -> None:
    [charge] = find_spans("charge", DOJ_PLEA)
    assert charge.text.startswith("one count of money laundering conspiracy")


def test_candidates_skip_what_the_question_states_and_rank_by_support() -> None:
    passages = [passage(DOJ_RESTITUTION, "r1"), passage(DOJ_TRIAL, "r2")]
    found = find_candidates("amount", "How much restitution was Delay ordered to pay?", passages)
    assert [c.text for c in found][:1] == ["$76,700"]
    judges = [c.text for c in find_candidates("person", "Who presided over Stacey's trial?", [passage(DOJ_TRIAL)])]
    assert "Neil V. Wake" in judges and "Stacey" not in judges  # the question's own subject answers nothing
    isaf = [passage(ISAF_TEXT, "isaf", date(2013, 1, 25))]
    counts = find_candidates("count", "How many Taliban leaders were killed on January 24, 2013?", isaf)
    assert all(c.span.key not in ("24", "2013") for c in counts)


def test_span_check_finds_the_answer_and_the_passage_that_holds_it() -> None:
    passages = [passage(DOJ_TRIAL, "r2"), passage(DOJ_RESTITUTION, "r1")]
    question = "How much restitution was Delay ordered to pay?"
    held = check_answer("amount", question, "Delay must pay $76,700 in restitution [1].", passages, [1])
    assert held.passed and held.passage == 1  # cited [1], but [2] states it
    assert DOJ_RESTITUTION[held.start : held.end] == "$76,700"
    made_up = check_answer("amount", question, "Delay must pay $80,000 [1].", passages)
    assert not made_up.passed and made_up.reason == "not in the passages"
    restated = check_answer("amount", question, "Delay was ordered to pay restitution [2].", passages)
    assert not restated.passed and restated.reason == "no span of the asked type"
    judge = check_answer("person", "Who presided over Stacey's trial?", "Judge Wake presided [1].", passages)
    assert judge.passed and judge.passage == 0


def test_a_date_without_its_year_is_held_by_the_full_date() -> None:
    text = "The application deadline is 9:00 p.m. EST on Tuesday, Feb. 28, 2017. Awards follow in September."
    passages = [passage(text, "ctas", date(2016, 11, 29))]
    question = "What was the application deadline?"
    assert check_answer("date", question, "It is February 28 [1].", passages, [1]).passed
    assert check_answer("date", question, "It closed in February 2017 [1].", passages, [1]).passed
    assert not check_answer("date", question, "It is April 18, 2017 [1].", passages, [1]).passed


def _read(question: str, raw: str, passages: list[Passage], steps: ReaderSteps | None = None):
    return read_answer(question, answer_type(question), raw, passages, {}, steps or ReaderSteps(), None)


def test_a_checked_answer_cites_the_passage_that_holds_its_span() -> None:
    passages = [passage(DOJ_TRIAL, "r2"), passage(DOJ_RESTITUTION, "r1")]
    answer = _read("How much restitution was Delay ordered to pay?", "$76,700 in restitution [1].", passages)
    assert answer.found and answer.method == "model" and answer.check == "passed"
    assert answer.text.endswith("[2]") and answer.citations[0].passage.release_id == "r1"
    assert "$76,700" in answer.citations[0].quote


def test_a_failed_check_answers_from_the_best_supported_candidate() -> None:
    passages = [passage(DOJ_TRIAL, "r2"), passage(DOJ_RESTITUTION, "r1")]
    answer = _read("How much restitution was Delay ordered to pay?", "Delay was ordered to pay restitution.", passages)
    assert answer.found and answer.method == "best supported"
    assert answer.text == "$76,700 [2]" and answer.citations[0].passage.release_id == "r1"
    assert answer.draft is not None and answer.draft.text.startswith("Delay was ordered")


def test_a_refusal_stands_only_when_no_candidate_of_the_type_exists() -> None:
    passages = [passage(DOJ_PLEA, "r3")]
    refused = "The releases do not say."
    no_amount = _read("How much did Sakkal agree to pay?", refused, passages)
    assert not no_amount.found and no_amount.method == "refused"
    overruled = _read("How many counts of laundering of monetary instruments did Sakkal plead to?", refused, passages)
    assert overruled.found and overruled.text.startswith("two counts")


def test_a_value_no_passage_states_is_refused_when_nothing_could_replace_it() -> None:
    answer = _read("How much did Sakkal agree to pay?", "Sakkal agreed to pay $2 million [1].", [passage(DOJ_PLEA)])
    assert not answer.found and answer.check == "not in the passages"


def test_the_check_can_be_turned_off() -> None:
    passages = [passage(DOJ_RESTITUTION, "r1")]
    off = ReaderSteps(span_check=False)
    answer = _read("How much restitution was Delay ordered to pay?", "Delay must pay $80,000 [1].", passages, off)
    assert answer.found and answer.check == "not checked" and "$80,000" in answer.text


def test_a_name_ends_at_a_sentence_stop_but_not_at_an_initial() -> None:
    text = "He worked on detail at Camp Arifjan, Kuwait. Saani admitted it before Judge Neil V. Wake of St. Louis."
    assert [s.text for s in find_spans("place", text)] == ["Camp Arifjan, Kuwait"]
    people = [s.text for s in find_spans("person", text)]
    assert "Saani" in people and "Neil V. Wake of St. Louis" in people
    assert [s.text for s in find_spans("count", "the force detained two suspected insurgents during it")] == [
        "two suspected insurgents"
    ]


def test_a_checked_answer_keeps_its_span_in_the_source_words() -> None:
    passages = [passage(DOJ_TRIAL, "r2"), passage(DOJ_RESTITUTION, "r1")]
    question = "How much restitution was Delay ordered to pay?"
    assert _read(question, "Delay was ordered to pay $76,700 in restitution [2].", passages).key == "$76,700"
    chosen = _read(question, "Delay was ordered to pay restitution.", passages)
    assert chosen.method == "best supported" and chosen.key == "$76,700"
    judge = _read("Which judge presided over Stacey's trial?", "Stacey was tried before Judge Wake [1].", passages)
    assert judge.check == "passed" and judge.key == "Neil V. Wake"  # the passage's fuller name
    assert _read(question, "The releases do not say.", [passage(DOJ_PLEA)]).key == ""


@pytest.mark.parametrize(
    ("question", "answer", "key"),
    [
        ("What is W. McIntyre Burnham's profession?", "W. McIntyre Burnham is a neuropharmacologist [1].",
         "neuropharmacologist"),
        ("What was the punishment for Mattingly for not getting a haircut?",
         "Mattingly was fined and benched for not getting a haircut. [2]", "fined and benched"),
        ("What was the name of the FBI police corruption investigation?",
         "According to Passage 2, the FBI police corruption investigation was known as Operation Guard Shack. [1]",
         "Operation Guard Shack"),
        ("Who is William Schubert?",
         "William Schubert is the president of a small export firm outside Houston. Mr. Smith said so. [3]",
         "president of a small export firm outside Houston"),
        ("Where is iSight Partners based?", "iSight Partners is based in Dallas, Texas [3].", "Dallas, Texas"),
        ("What did Mr. Smith say?", "Mr. Smith said. [1]", "Mr. Smith said."),  # nothing new: the sentence
        ("What didn't Smith make a dent in?", "Smith didn't make any real dent in the election. [1]", "election"),
        ("Were they adopting a son or a daughter?", "They were adopting a daughter [1].", "daughter"),
    ],
)  # fmt: skip
def test_key_words_are_what_the_answer_adds_to_the_question(question: str, answer: str, key: str) -> None:
    assert key_words(question, answer) == key


def test_an_answer_in_a_form_the_rules_do_not_type_stands_when_it_answers_the_question() -> None:
    prison = (
        "Paul Davila was housed in the honor block of the prison, where inmates with good records live. He was "
        "moved to a prison in Dannemora in 2015."
    )
    passages = [passage(prison, "nyt")]
    question = "Where was Paul Davila housed in the prison?"
    own = _read(question, "Paul Davila was housed in the honor block of the prison. [1]", passages)
    assert own.method == "model" and own.check == "no span of the asked type" and "honor block" in own.text
    assert own.key == "honor block"
    # An answer about another fact shares little of the question: the candidates take over.
    other = _read(question, "He later moved to a prison further north. [1]", passages)
    assert other.method == "best supported" and other.text.startswith("Dannemora")
    # So does one that only restates the question.
    restated = _read(question, "Paul Davila was housed in the prison. [1]", passages)
    assert restated.method == "best supported"
    # An amount needs a number, however much of the question the answer repeats.
    amount = "How much restitution was Delay ordered to pay?"
    vague = _read(amount, "Delay was ordered to pay restitution to his victims. [1]", [passage(DOJ_RESTITUTION)])
    assert vague.method == "best supported" and vague.text.startswith("$76,700")


def test_a_change_from_one_value_to_another_answers_with_the_new_one() -> None:
    answer = "The adult day pass will rise from $6.00 to $6.50 [1]."
    assert next(s.text for s in claimed_spans("amount", "How much will the adult day pass cost?", answer)) == "$6.50"
    before = "What did the adult day pass cost before the change?"
    assert next(s.text for s in claimed_spans("amount", before, answer)) == "$6.00"
    plain = "The fine was $6.00, and the assessment $6.50."
    assert next(s.text for s in claimed_spans("amount", "How much was the fine?", plain)) == "$6.00"
