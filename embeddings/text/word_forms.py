"""A word's singular and plural forms, for counting the releases about a topic: "opioids" finds "opioid"
and "opioids", "policy" finds "policies", "tax" finds "taxes".

One plain English rule, no dictionary, so that a count can be checked by anyone with a regular expression
(eval/count_gold.py states the same rule on its own). A word of letters
- ending in "s" (not "ss", "us" or "is") and longer than three letters also matches itself less the "s";
  ending in "ies", also with "y" for "ies"; ending in "es" after "x", "z", "ch", "sh" or "ss", also less
  the "es" ("policies": "policie", "policy"; "taxes": "taxe", "tax"; a form that is no word finds nothing);
- else also matches its plural: "y" after a consonant as "ies", after "s", "x", "z", "ch" or "sh" with
  "es", else with "s".
Words with digits, and words of three letters or fewer ending in "s" ("gas", "ids"), match only themselves.
"""

from __future__ import annotations

import re

# What the release text index (embeddings/release_text_index.py) counts as a word: a run of letters and
# digits, as SQLite's unicode61 tokenizer splits text; anything else separates words.
WORD = re.compile(r"[^\W_]+")
_SIBILANT = ("s", "x", "z", "ch", "sh")
_ES_STEM = ("x", "z", "ch", "sh", "ss")
_NOT_PLURAL = ("ss", "us", "is")


def word_list(text: str) -> list[str]:
    """The words of `text`, lower-cased, in order: "Holder's U.S. visit" -> ["holder", "s", "u", "s", "visit"]."""
    return WORD.findall(text.lower())


def forms(word: str) -> tuple[str, ...]:
    """`word` (lower-case) and its other number: ("opioids", "opioid"), ("policy", "policies")."""
    if not word.isalpha():
        return (word,)
    if word.endswith("s") and not word.endswith(_NOT_PLURAL):
        if len(word) <= 3:
            return (word,)
        found = [word, word[:-1]]
        if word.endswith("ies") and len(word) > 4:
            found.append(word[:-3] + "y")
        if word.endswith("es") and word[:-2].endswith(_ES_STEM):
            found.append(word[:-2])
        return tuple(found)
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return (word, word[:-1] + "ies")
    if word.endswith(_SIBILANT):
        return (word, word + "es")
    return (word, word + "s")
