"""Whether the retrieved passages are about who or what the question names at all.

A question about someone the releases never mention ("What charges were filed against Reno casino host
Dmitri Savchenko?") still retrieves passages, about other casino hosts or other Dmitris, and a small
model answers from them: on the DOJ dev set, whose 12 unanswerable questions are all of this kind, the
0.5B model refused 5. Such a question is refused without asking the model, saying which names are
missing. The rule below flagged those 12 and none of the 1,043 answerable DOJ, ISAF, seed and SQuAD NYT
(300) dev questions.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from embeddings.text.names import CALENDAR_WORD, CAPITALISED_WORD
from qa.prompt import with_passage_spellings
from qa.types import Passage

_POSSESSIVE = re.compile(r"['’]s?$")
# One missing name word can be a paraphrase ("Guyanese" for Guyana, "CEO"); two, or one that is a
# double-barrelled ("Threlkeld-Ames") or inner-capital ("TerraCore") name, are an absent person or company.
_DISTINCTIVE = re.compile(r"^(?:[A-Z][a-z]+-[A-Z][A-Za-z]+|[A-Z][a-z]+[A-Z][A-Za-z]*)$")


def question_names(question: str) -> list[re.Match[str]]:
    """The question's capitalised words after its first: in "Where did Miami's Serendipity Home Health
    bill?", "Miami's", "Serendipity", "Home" and "Health" (see name_of)."""
    matches = list(CAPITALISED_WORD.finditer(question))
    if question[:1].isupper():
        matches = matches[1:]  # "Which", "How": capitalised because they come first
    return [m for m in matches if _names_something(m)]


def _names_something(match: re.Match[str]) -> bool:
    """Not a lone initial, a month or a weekday."""
    name = name_of(match)
    return len(name) > 1 and not CALENDAR_WORD.match(name)


def name_of(match: re.Match[str]) -> str:
    """The name a capitalised word stands for: without a possessive ("Miami's" -> "Miami"), and a
    hyphenated word with a lower-case tail by its head ("Korea-based" -> "Korea")."""
    word = _POSSESSIVE.sub("", match.group(0))
    head, _, tail = word.partition("-")
    return head if tail[:1].islower() else word


def _folded(text: str) -> str:
    """Lower case without accents: a scraped question's "Ancash" is the release's "Áncash"."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def _mentioned(name: str, text: str) -> bool:
    """Each part of the name starts a word of `text`: "Russia-Peru" is in "Russian and Peruvian"."""
    return all(re.search(rf"\b{re.escape(part)}", text) for part in _folded(name).split("-") if part)


def missing_names(question: str, passages: Sequence[Passage]) -> list[str]:
    """The names in `question` that none of `passages` (titles included) mentions, adjacent words joined
    ("Dmitri Savchenko"), when they are enough to say the passages are about someone or something else;
    otherwise []."""
    text = _folded(" ".join(f"{p.title}\n{p.text}" for p in passages))
    asked = with_passage_spellings(question, [p.text for p in passages])  # "Paktya" is "Paktiya" there
    missing = [m for m in question_names(asked) if not _mentioned(name_of(m), text)]
    words = [name_of(m) for m in missing]
    if len(words) < 2 and not any(_DISTINCTIVE.match(w) for w in words):
        return []
    phrases: list[str] = []
    for i, match in enumerate(missing):
        if i and not asked[missing[i - 1].end() : match.start()].strip():
            phrases[-1] += f" {name_of(match)}"
        else:
            phrases.append(name_of(match))
    return list(dict.fromkeys(phrases))


# A release retrieved for a topic is about it when it mentions at least this share of the topic's names.
# 27 DOJ dev topics, the six releases retrieved for each: 73.0% of them are gold releases of their topic;
# keeping the first and those naming half the topic's names or more keeps 79.8% gold and every gold
# release; naming any one of them, 77.4%.
TOPIC_NAME_SHARE = 0.5


def topic_names(topic: str) -> list[str]:
    """The topic's capitalised words, its first included ("Albert Gonzalez credit card hacking case"):
    a topic is a phrase, not a question opening with "Which"."""
    return list(dict.fromkeys(name_of(m) for m in CAPITALISED_WORD.finditer(topic) if _names_something(m)))


def names_topic(names: Sequence[str], title: str, text: str) -> bool:
    """Whether a release (its title and text) mentions enough of a topic's names to be about it."""
    if not names:
        return True
    folded = _folded(f"{title}\n{text}")
    return sum(_mentioned(n, folded) for n in names) >= TOPIC_NAME_SHARE * len(names)
