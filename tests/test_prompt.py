"""The answer prompt's trimmed passage view: shorter, but still holding the sentence with the answer."""

from __future__ import annotations

import dataclasses

from qa.prompt import ELLIPSIS, WHOLE_FROM_TOP_RELEASE, answer_messages, passage_views

QUESTION = "How much will the Millbrook Bridge repair cost?"
ANSWER = "$4.8 million structural repair of the Millbrook Bridge"
RELEASE = "riverton_bridge_repair"


def test_trimmed_prompt_keeps_the_answer_sentence_of_a_lower_passage_and_is_shorter(engine) -> None:
    passages = engine.retriever.search(QUESTION, 6).passages
    answering = [p for p in passages if ANSWER in p.text]
    assert answering and answering[0].release_id == RELEASE
    # The answering passage last, below passages of other releases: there it is cut, not shown whole.
    ordered = [p for p in passages if p.release_id != RELEASE] + [answering[0]]
    assert len(ordered) >= 4
    before = [dataclasses.replace(p) for p in ordered]

    views = passage_views(QUESTION, ordered)
    trimmed = answer_messages(QUESTION, ordered)[1]["content"]
    full = answer_messages(QUESTION, ordered, trim=False)[1]["content"]

    assert views[-1] != ordered[-1].text and ANSWER in views[-1]
    assert ANSWER in trimmed
    assert len(trimmed.split()) < 0.8 * len(full.split())
    assert ordered == before, "passages (text and offsets, used for citations) are left as they were"


def test_views_are_whole_top_release_passages_and_contiguous_sentences_of_the_rest(engine) -> None:
    passages = engine.retriever.search(QUESTION, 6).passages
    views = passage_views(QUESTION, passages)
    assert len(views) == len(passages)
    assert views[0] == passages[0].text
    top = [i for i, p in enumerate(passages) if p.release_id == passages[0].release_id]
    for i, (passage, view) in enumerate(zip(passages, views, strict=True)):
        if i in top[:WHOLE_FROM_TOP_RELEASE]:
            assert view == passage.text
            continue
        kept = view.replace(ELLIPSIS, " ").strip()
        assert kept and len(kept) <= len(passage.text)
        # The kept run of sentences is contiguous text of the passage.
        assert " ".join(kept.split()) in " ".join(passage.text.split())


def test_relative_days_are_spelled_out_against_the_release_date() -> None:
    from datetime import date

    from qa.prompt import with_resolved_days

    text = "Forces detained two suspects yesterday. The governor spoke today; last night was quiet."
    assert with_resolved_days(text, date(2011, 1, 1)) == (
        "Forces detained two suspects yesterday (December 31, 2010). The governor spoke today (January 1, 2011); "
        "last night (December 31, 2010) was quiet."
    )
    assert with_resolved_days(text, None) == text  # an undated release keeps its words


def test_weekdays_are_the_last_such_day_on_or_before_the_release() -> None:
    from datetime import date

    from qa.prompt import with_resolved_days

    saturday = date(2012, 3, 24)
    assert with_resolved_days("A leader was arrested Thursday, in Zabul.", saturday) == (
        "A leader was arrested Thursday (March 22, 2012), in Zabul."
    )
    assert with_resolved_days("It was announced on Saturday.", saturday) == (
        "It was announced on Saturday (March 24, 2012)."
    )
    assert with_resolved_days("He was sentenced Sunday to 48 months.", saturday) == (
        "He was sentenced Sunday (March 18, 2012) to 48 months."
    )
    unchanged = [
        "He pleaded guilty Tuesday, April 10, 2012, before Judge Ruiz.",  # already dated
        "He pleaded guilty on Tuesday, Sept. 4 in Newark.",
        "He will be sentenced Monday.",  # ahead of the release: unknowable from its date
        "Sentencing is scheduled for next Tuesday.",
        "The Sunday Times reported it first.",  # a name, not a day
    ]
    for text in unchanged:
        assert with_resolved_days(text, saturday) == text


def test_a_name_the_passages_spell_otherwise_takes_their_spelling() -> None:
    from qa.prompt import with_passage_spellings

    passages = ["In Zurmat district, Paktiya province, a force detained two suspected insurgents."]
    question = "How many insurgents were detained in Paktya province on October 5, 2011?"
    assert with_passage_spellings(question, passages) == question.replace("Paktya", "Paktiya")
    # A name the passages contain, or one with no close spelling there, is left as asked.
    assert with_passage_spellings("Who was detained in Zurmat?", passages) == "Who was detained in Zurmat?"
    assert with_passage_spellings("What happened in Kandahar?", ["Molla Alam Kalay near Kandalay."]) == (
        "What happened in Kandahar?"
    )
    assert with_passage_spellings("Was Pakistan involved?", passages) == "Was Pakistan involved?"


def test_the_answer_prompt_asks_with_the_passages_spelling(engine) -> None:
    passages = engine.retriever.search(QUESTION, 6).passages
    misspelt = QUESTION.replace("Millbrook", "Milbrook")
    prompt = answer_messages(misspelt, passages)[-1]["content"]
    assert f"Question: {QUESTION}" in prompt
    assert ANSWER in prompt, "the trimmed view matched the question's words in the passages' spelling"
