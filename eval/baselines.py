"""The trivial summaries every summary run is measured against, made from the release text in the same run:
its first three sentences (lead-3, the standard news baseline), its first paragraph, and its first words
up to the length of the product's own summary (what a summary that copies the opening would score)."""

from __future__ import annotations

import re

from embeddings.text.sentences import split_sentences

LEAD_SENTENCES = 3
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def body(text: str, title: str) -> str:
    """The text without a heading line that repeats the title (the sample releases open with one)."""
    head, newline, rest = text.lstrip().partition("\n")
    if newline and title and " ".join(head.split()) == " ".join(title.split()):
        return rest.strip()
    return text.strip()


def baseline_summaries(text: str, title: str, words: int) -> dict[str, str]:
    """name -> the baseline's text."""
    main = body(text, title)
    sentences = split_sentences(main)
    lead = main[: sentences[min(LEAD_SENTENCES, len(sentences)) - 1].end] if sentences else ""
    paragraph = _PARAGRAPH_BREAK.split(main, maxsplit=1)[0]
    return {
        "lead-3": lead,
        "first paragraph": paragraph,
        f"first {words} words": " ".join(main.split()[:words]),
    }
