"""Chunking: offsets point at the exact text, no chunk is cut off by the embedding model, overlap holds."""

from __future__ import annotations

import itertools
import json
from datetime import date
from itertools import islice

from embeddings.chunk import Chunker
from embeddings.encode import HEADER_MAX_TOKENS
from embeddings.text.sentences import split_sentences
from embeddings.types import Release
from tests.conftest import shared_path


def test_sentences_respect_abbreviations_and_initials() -> None:
    text = (
        "WASHINGTON, Aug. 19, 2020 - John D. Stacey of the U.S. Attorney's Office spoke. "
        'He paid $4.5 million to Mr. Smith! "Great," he said.\n\nNext paragraph'
    )
    sentences = [text[s.start : s.end] for s in split_sentences(text)]
    assert sentences == [
        "WASHINGTON, Aug. 19, 2020 - John D. Stacey of the U.S. Attorney's Office spoke.",
        "He paid $4.5 million to Mr. Smith!",
        '"Great," he said.',
        "Next paragraph",
    ]


def test_sentences_glued_by_a_lost_space_are_split() -> None:
    text = "He lives in Newark, New Jersey.Livingston was sentenced. The U.S.Attorney spoke; it cost 3.5 million."
    assert [text[s.start : s.end] for s in split_sentences(text)] == [
        "He lives in Newark, New Jersey.",
        "Livingston was sentenced.",
        "The U.S.Attorney spoke; it cost 3.5 million.",
    ]


def test_offsets_overlap_and_token_budget_on_real_releases(encoder) -> None:
    path = shared_path("corpora/doj/releases.jsonl")
    chunker = Chunker(encoder.tokenizer)
    checked = 0
    with path.open() as f:
        for line in islice(f, 120):
            r = json.loads(line)
            release = Release(str(r["id"]), r["title"], r["text"], date.fromisoformat(r["date"]))
            chunks = chunker.chunk(release)
            assert chunks, release.id
            assert [c.ordinal for c in chunks] == list(range(len(chunks)))
            for before, after in itertools.pairwise(chunks):
                # Overlap is whole sentences: when the last one is too long to repeat, only white space lies between.
                assert release.text[before.end : after.start].strip() == "", "no text may fall between chunks"
                assert after.start > before.start, "every chunk must move forward"
            for chunk in chunks:
                assert release.text[chunk.start : chunk.end] == chunk.text
                n = len(encoder.tokenizer(encoder.chunk_input(release, chunk))["input_ids"])
                assert n <= encoder.max_tokens, f"chunk of {n} word pieces would be truncated"
            assert chunks[0].start <= 5 and chunks[-1].end >= len(release.text.rstrip()) - 1
            checked += 1
    assert checked == 120


def test_a_sentence_longer_than_a_chunk_is_split_not_dropped(encoder) -> None:
    words = " ".join(f"word{i}" for i in range(900))
    release = Release("long", "Long", f"Start. {words}. End.")
    chunks = Chunker(encoder.tokenizer, max_tokens=200).chunk(release)
    assert len(chunks) >= 4
    covered = "".join(release.text[c.start : c.end] for c in chunks)
    assert "word0" in covered and "word899" in covered and covered.endswith("End.")
    for chunk in chunks:
        assert len(encoder.tokenizer(chunk.text, add_special_tokens=False)["input_ids"]) <= 200


def test_empty_text_gives_no_chunks(encoder) -> None:
    assert Chunker(encoder.tokenizer).chunk(Release("e", "Empty", "   \n ")) == []


def test_chunking_a_window_at_a_time_gives_the_chunks_of_the_whole_text(encoder) -> None:
    """Windows of 1,500 characters (most releases span several) cut exactly where the whole text is cut."""
    path = shared_path("corpora/doj/releases.jsonl")
    whole = Chunker(encoder.tokenizer, window_chars=10_000_000)
    windowed = Chunker(encoder.tokenizer, window_chars=1_500)
    compared = 0
    with path.open() as f:
        for line in islice(f, 200):
            r = json.loads(line)
            release = Release(str(r["id"]), r["title"], r["text"])
            if len(release.text) > 3_000:
                assert windowed.chunk(release) == whole.chunk(release), release.id
                compared += 1
    assert compared >= 50


def test_a_text_without_sentence_ends_is_still_chunked_within_the_budget(encoder) -> None:
    text = " ".join(f"word{i}" for i in range(6_000))  # no stop, no newline: one 41,000-character sentence
    chunks = Chunker(encoder.tokenizer, window_chars=5_000).chunk(Release("r", "t", text))
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    for before, after in itertools.pairwise(chunks):
        assert text[before.end : after.start].strip() == "" and after.start > before.start
    for chunk in chunks:
        assert len(encoder.tokenizer(chunk.text, add_special_tokens=False)["input_ids"]) <= 200


def test_the_chunk_tokenizer_cuts_and_titles_as_the_transformers_tokenizer_does(encoder) -> None:
    """Ingest counts word pieces with `tokenizers` alone (no transformers, no torch): the same chunks and the
    same embedding headers as with the transformers tokenizer, over real releases."""
    path = shared_path("corpora/doj/releases.jsonl")
    fast = Chunker(encoder.chunk_tokenizer)
    reference = Chunker(encoder.tokenizer)
    assert encoder.chunk_tokenizer is not encoder.tokenizer, "the packaged model ships tokenizer.json"
    long_titles = 0
    with path.open() as f:
        for line in islice(f, 200):
            r = json.loads(line)
            release = Release(str(r["id"]), " ".join([r["title"]] * 8), r["text"])  # titles long enough to be cut
            assert fast.chunk(release) == reference.chunk(release), release.id
            ids = encoder.tokenizer(release.title, add_special_tokens=False)["input_ids"]
            cut = len(ids) > HEADER_MAX_TOKENS
            expected = encoder.tokenizer.decode(ids[:HEADER_MAX_TOKENS]).strip() if cut else release.title.strip()
            assert encoder.header(release) == expected
            long_titles += cut
    assert long_titles > 150
