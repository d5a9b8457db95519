"""What a word is, and which words say nothing about what a passage is about.

`words` is the one notion of a word that answer attribution (qa.answer), prompt trimming and respelling
(qa.prompt) and duplicate detection (qa.retrieve) share; BM25 (embeddings.lexical) splits its joined tokens
into the same parts with WORD.

The stop-word lists are one base and two supersets. Each caller keeps the list it has always used:
merging them would change which passage an answer is attributed to, which sentences the prompt keeps and
how BM25 ranks, so they stay apart, each spelled as the base plus what it adds.
"""

from __future__ import annotations

import re

WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """Lower-cased runs of letters and digits, in order: "U.S. $4.8M" -> ["u", "s", "4", "8m"]."""
    return WORD.findall(text.lower())


# Dropped by answer normalisation (eval.normalize) as well as by every list below.
ARTICLES = frozenset({"a", "an", "the"})
# The base: articles, prepositions, "and"/"or", the forms of "be" and "do", "what" and "who". Answer
# attribution and citation sentences (qa.answer) drop only these.
STOP_WORDS = ARTICLES | frozenset("of to in and or for on at by with was were is are be did does do what who".split())
# Pronouns, auxiliaries and question words both longer lists drop.
_PRONOUNS_AND_QUESTION_WORDS = frozenset(
    """as but from had has have he her his how i into it its many much our she that their they this we
    when where which whom why you your""".split()
)
# BM25 (embeddings.lexical): also "if", "them", "will", "would". The index is built with this list, so a
# change here changes every index's tokens.
BM25_STOP_WORDS = STOP_WORDS | _PRONOUNS_AND_QUESTION_WORDS | frozenset("if them will would".split())
# Prompt trimming (qa.prompt): also more function words and the reporting words of press releases
# ("said", "according"), none of which says which sentence answers a question.
PROMPT_STOP_WORDS = (
    STOP_WORDS
    | _PRONOUNS_AND_QUESTION_WORDS
    | frozenset(
        """been being done whose these those about after before than then there him not no any some one
        s say said says according""".split()
    )
)
