"""A release summary completed with the key facts the model left out.

The model is asked to carry the release's key facts (qa.fact_sheet.summary_facts) and drops about half of
them anyway. After it has written, each key fact the summary does not state is looked for, and the
release's own sentences that state the most missing facts are added, each cited to itself, until the
summary reaches its length's word budget. A model sentence that only paraphrases an added sentence gives
it its place. Nothing is reworded, so nothing added can be made up, and it costs no model time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from embeddings.text.sentences import split_sentences
from embeddings.text.words import STOP_WORDS, words
from qa.fact_sheet import FactSheet, summary_facts

# The whole summary, model's words and added sentences, stops at this many words. Replayed on the DOJ dev
# facts-first summaries (20 releases, 1.5B, 73 words, 46.8% of the gold key facts): completed to at most
# 100 words they carry 59.2% (ROUGE-1 50.5), 110: 64.5%, 120: 67.2% (52.1, 112 words on average), 130:
# 68.0% (123 words). Lead-3 is 108 words and carries 62.5% (47.2); the gold references average 95 words.
# Completing from every fact the sheet lists, not just the summary's key facts, carried fewer (61.2% at
# 120): long sentences of minor facts won the picks.
COMPLETION_WORDS = {"short": 120, "bullets": 150, "detailed": 260}
# A model's sentence with this share of its content words in a release sentence being added is a
# paraphrase of it: "Fiskars Brands Inc. has agreed to pay a civil penalty of $2.6 million to settle
# allegations ..." against the release's lead that adds "Gerber Legendary Blades, a division of".
# Replayed (DOJ dev, 120 words): 0.6 and 0.5 carry 67.2% of the key facts, 0.4 65.5%.
REPEAT_SHARE = 0.6
# Parts whose facts count as key (the parts summary_facts draws on).
_KEY_PARTS = ("who", "amounts", "penalties", "numbers", "where", "when")


@dataclass(frozen=True, slots=True)
class AddedSentence:
    start: int  # offsets into the release text
    end: int
    text: str  # the sentence, on one line
    replaces: tuple[str, ...] = ()  # the model's sentences that say the same in fewer facts


def states(summary: str, fact: str) -> bool:
    """Whether the summary says the fact in its words, ignoring case and punctuation ("U.S." = "US")."""
    wanted = " ".join(words(fact))
    return bool(wanted) and f" {wanted} " in f" {' '.join(words(summary))} "


def missing_facts(summary: str, facts: Sequence[str]) -> list[str]:
    return [f for f in facts if not states(summary, f)]


def completing_sentences(summary: str, sheet: FactSheet, budget_words: int) -> list[AddedSentence]:
    """The release's sentences that state the most still-missing key facts (the earlier on a tie), picked
    one at a time while the summary, less the model sentences each replaces (`replaces`), stays within
    `budget_words`; in the release's order."""
    text = sheet.release.text
    missing = missing_facts(summary, summary_facts(sheet))
    by_sentence: dict[tuple[int, int], set[str]] = {}
    for f in sheet.facts:
        if f.part in _KEY_PARTS and f.key in missing:
            by_sentence.setdefault((f.start, f.end), set()).add(f.key)
    own = [summary[s.start : s.end] for s in split_sentences(summary)]
    used = len(summary.split())
    added: list[AddedSentence] = []
    while missing and by_sentence:
        fits: dict[tuple[int, int], set[str]] = {}
        for span, facts in by_sentence.items():
            sentence = text[span[0] : span[1]]
            grows = len(sentence.split()) - sum(len(o.split()) for o in own if repeats(o, sentence))
            if facts & set(missing) and used + grows <= budget_words:
                fits[span] = facts & set(missing)
        if not fits:
            break
        span = max(fits, key=lambda s: (len(fits[s]), -s[0]))
        sentence = " ".join(text[span[0] : span[1]].split())
        gone = [o for o in own if repeats(o, sentence)]
        own = [o for o in own if o not in gone]
        added.append(AddedSentence(span[0], span[1], sentence, tuple(gone)))
        used += len(sentence.split()) - sum(len(o.split()) for o in gone)
        del by_sentence[span]
        missing = [f for f in missing if f not in fits[span] and not states(sentence, f)]
    return sorted(added, key=lambda a: a.start)


def repeats(own: str, sentence: str) -> bool:
    """Whether the model's sentence says again what the release's sentence says: most of its content words
    are the release sentence's. Such a sentence is replaced, not followed, by the one it paraphrases."""
    mine = _content(own)
    return bool(mine) and len(mine & _content(sentence)) / len(mine) >= REPEAT_SHARE


def _content(text: str) -> set[str]:
    return {w for w in words(text) if w not in STOP_WORDS and len(w) > 2}


def completed(summary: str, added: Sequence[AddedSentence], length: str, first: int) -> tuple[str, str]:
    """The summary with the release's sentences in, numbered from `first`, and the part of it that runs on
    after the model's text (what a stream shows last). A sentence that replaces the model's ones takes the
    first one's place; the others go after the model's text, as bullets for a bulleted summary."""
    text = summary.rstrip()
    tail = ""
    for n, a in enumerate(added, first):
        cited = _cited(a.text, n)
        if a.replaces and length != "bullets":
            at = text.find(a.replaces[0])
            text = text[:at] + cited + text[at + len(a.replaces[0]) :]
            for other in a.replaces[1:]:
                text = text.replace(other, "", 1)
        else:
            tail += f"\n- {cited}" if length == "bullets" else f" {cited}"
    return " ".join(text.split(" ")) + tail, tail


def _cited(sentence: str, n: int) -> str:
    """ "He was fined $5,000 [3]." : the marker before the sentence's stop, as the model places its own."""
    if sentence[-1:] in ".!?":
        return f"{sentence[:-1]} [{n}]{sentence[-1]}"
    return f"{sentence} [{n}]"
