"""The answer prompt's trimmed passage view: shorter, but still holding the sentence with the answer."""

from __future__ import annotations

import dataclasses

from qa.prompt import ELLIPSIS, FULL_PASSAGES, answer_messages, passage_views

QUESTION = "How much will the Millbrook Bridge repair cost?"
ANSWER = "$4.8 million structural repair of the Millbrook Bridge"


def test_trimmed_prompt_keeps_the_answer_sentence_of_a_lower_passage_and_is_shorter(engine) -> None:
    passages = engine.retriever.search(QUESTION, 6).passages
    assert len(passages) == 6
    answering = [p for p in passages if ANSWER in p.text]
    assert answering and answering[0].release_id == "riverton_bridge_repair"
    # Put the answering passage last, where it is cut to its best sentences rather than shown whole.
    ordered = [p for p in passages if p is not answering[0]] + [answering[0]]
    before = [dataclasses.replace(p) for p in ordered]

    trimmed = answer_messages(QUESTION, ordered)[1]["content"]
    full = answer_messages(QUESTION, ordered, trim=False)[1]["content"]

    assert ANSWER in trimmed
    assert len(trimmed.split()) < 0.75 * len(full.split())
    assert ordered == before, "passages (text and offsets, used for citations) are left as they were"


def test_views_are_whole_sentences_of_each_passage_in_order(engine) -> None:
    passages = engine.retriever.search(QUESTION, 6).passages
    views = passage_views(QUESTION, passages)
    assert len(views) == len(passages)
    assert views[:FULL_PASSAGES] == [p.text for p in passages[:FULL_PASSAGES]]
    for passage, view in zip(passages[FULL_PASSAGES:], views[FULL_PASSAGES:], strict=True):
        kept = view.replace(ELLIPSIS, " ").strip()
        assert kept and len(view) <= len(passage.text) + 2 * len(ELLIPSIS) + 2
        # The kept run of sentences is contiguous text of the passage.
        assert " ".join(kept.split()) in " ".join(passage.text.split())
