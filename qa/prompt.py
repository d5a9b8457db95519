"""Prompt templates. Small models follow short, concrete instructions best, so these stay terse."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Sequence
from datetime import date, timedelta

from embeddings.settings import SummaryLength
from embeddings.text.dates import MONTH, WEEKDAY, WEEKDAYS
from embeddings.text.names import PLAIN_NAME
from embeddings.text.sentences import split_sentences
from embeddings.text.words import PROMPT_STOP_WORDS, words
from qa.types import Passage

Message = dict[str, str]

NOT_FOUND = "The releases do not say."

# Measured on the 0.5B model: passages first and the instruction right before the question works. A
# system prompt demanding a refusal marker made it refuse answerable questions, and asking it to cite
# made it answer with bare markers ("[1] [2]"); so it only answers, and qa.answer attributes the
# answer to the passage that states it.
ANSWER_SYSTEM = "You are a helpful assistant that answers questions about press releases."
ANSWER_INSTRUCTION = (
    "Answer the question in one sentence using only the passages above. "
    f'If they do not contain the answer, say "{NOT_FOUND}"'
)


def span_first_instruction(noun: str) -> str:
    """The answer instruction for a question of a known type: the span first, as the passage writes it.

    A free sentence lets a small model restate the question or drift to a neighbouring fact; starting
    with the asked span puts the fact in the first words, where the span check (qa.span_check) reads it.
    """
    return (
        f"Answer the question in one sentence using only the passages above. Start with the {noun}, "
        f'copied exactly as the passage writes it. If they do not contain the answer, say "{NOT_FOUND}"'
    )


# The choice prompt shows the sentences that hold the candidates, each cut to this many words around its
# candidate: enough to say whose value it is and of what ("Sutton faces a likely range of 10 to 16
# months"), short enough to keep the prompt near 40 tokens a sentence.
CHOICE_CONTEXT_WORDS = 60
CHOICE_SYSTEM = "You answer questions about press releases."
CHOICE_INSTRUCTION = "Answer the question in a few words using only the sentences above."


def choice_messages(question: str, sentences: Sequence[tuple[str, str]]) -> list[Message]:
    """The question over only the sentences that hold candidates: `sentences` is (sentence, candidate)
    each, best supported first.

    Measured on the six DOJ dev questions whose first answer failed the check (1.5B): asked to pick a
    numbered candidate, the model picked the first one listed five times of six (one right); asked to
    answer from the sentences, it answered four of six right, each answer one of the candidates.
    """
    lines = "\n".join(f"{i}. {_window(sentence, span)}" for i, (sentence, span) in enumerate(sentences, 1))
    user = f"{lines}\n\n{CHOICE_INSTRUCTION}\n\nQuestion: {question}"
    return [{"role": "system", "content": CHOICE_SYSTEM}, {"role": "user", "content": user}]


def _window(sentence: str, span: str) -> str:
    """The sentence cut to CHOICE_CONTEXT_WORDS words around the span, with "…" where cut."""
    tokens = sentence.split()
    if len(tokens) <= CHOICE_CONTEXT_WORDS:
        return " ".join(tokens)
    at = sentence.find(span)
    centre = len(sentence[:at].split()) if at >= 0 else 0
    first = max(0, min(centre - CHOICE_CONTEXT_WORDS // 2, len(tokens) - CHOICE_CONTEXT_WORDS))
    last = first + CHOICE_CONTEXT_WORDS
    return " ".join([*([ELLIPSIS] if first else []), *tokens[first:last], *([ELLIPSIS] if last < len(tokens) else [])])


REWRITE_SYSTEM = (
    "Rewrite the user's last question as a complete, standalone question, replacing pronouns and "
    "references with the names they refer to in the conversation, and keeping what the earlier question "
    "asked when the last one only names someone or something new. Reply with the question only."
)
# One worked example: without it the 1.5B returned "What about Boyd?" as it was, and rewrote "And the
# correctional officer?" about the person of the previous answer (follow-up dev set, first conversations).
REWRITE_EXAMPLE = (
    "Conversation:\nUser: How much restitution was John Doe ordered to pay for the mortgage fraud?\n"
    "Assistant: John Doe was ordered to pay $2.1 million in restitution. [1]\n\n"
    "Last question: What about his co-defendant Jane Roe?\n\n"
    "Standalone question: How much restitution was Jane Roe ordered to pay for the mortgage fraud?"
)

SUMMARY_SYSTEM = (
    "You summarise press releases accurately. Use only facts from the text given: names, dates, "
    "amounts and numbers exactly as written. Do not add opinions or outside knowledge."
)

LENGTH_INSTRUCTIONS: dict[str, str] = {
    "short": "Write a summary of two or three sentences.",
    "bullets": "Write a summary as three to six bullet points, each starting with '- '.",
    "detailed": "Write a detailed summary of one or two paragraphs covering every main fact.",
}
LENGTH_TOKENS: dict[str, int] = {"short": 140, "bullets": 220, "detailed": 420}
# A topic summary is asked for a sentence (or bullet) a release, so that each release it draws on is cited
# in it; two or three sentences in all left most of six releases out.
TOPIC_LENGTH_INSTRUCTIONS: dict[str, str] = {
    "short": "Write one sentence for each release about the topic.",
    "bullets": "Write one bullet point starting with '- ' for each release about the topic.",
    "detailed": "Write a paragraph that covers every release about the topic, two or three sentences each.",
}


def passage_heading(n: int, passage: Passage) -> str:
    when = f", {passage.date.isoformat()}" if passage.date else ""
    org = f", {passage.organisation}" if passage.organisation else ""
    return f"[{n}] {passage.title}{when}{org}"


# Prompt trimming. On a 2-core CPU the 0.5B model reads only ~150-300 prompt tokens a second, so six
# whole passages (~1,100-1,400 tokens) cost seconds before the first answer word. Measured without the
# model (is a gold answer still in the prompt?): the answer is mostly in the top passage, else often in
# another chunk of the same release (long DOJ releases), where the words that match the question and the
# answer sit in different sentences. So the first WHOLE_FROM_TOP_RELEASE passages of the top passage's
# release stay whole; every other passage is cut to its sentence that best matches the question,
# lengthened to MIN_EXCERPT_WORDS. On SQuAD NYT, ISAF and DOJ questions that cut the prompt by 35-42%
# and lost the answer for 1-1.5 questions in 100. Citations use the full passages, not this view.
WHOLE_FROM_TOP_RELEASE = 2
# A lone matching sentence can be a bare heading line ("2011-09-S-035"); the words after it carry the facts.
MIN_EXCERPT_WORDS = 20
ELLIPSIS = "…"


def question_terms(text: str) -> set[str]:
    """Content words cut to five letters, a crude stem ("sentenced" and "sentencing" agree); numbers whole."""
    return {w if w.isdigit() else w[:5] for w in words(text) if w not in PROMPT_STOP_WORDS}


def passage_views(question: str, passages: Sequence[Passage]) -> list[str]:
    """The text of each passage as the answer prompt shows it: the first WHOLE_FROM_TOP_RELEASE passages
    of the top passage's release whole, the others cut to the sentences that best match the question,
    in their order, with "…" where text is left out."""
    if not passages:
        return []
    top_release = [i for i, p in enumerate(passages) if p.release_id == passages[0].release_id]
    whole = set(top_release[:WHOLE_FROM_TOP_RELEASE])
    sentences = [[p.text[s.start : s.end] for s in split_sentences(p.text)] for p in passages]
    # Rare words weigh more: inverse sentence frequency over everything retrieved, so a name or number
    # from the question outranks the words every passage shares.
    sentence_terms = [[question_terms(s) for s in group] for group in sentences]
    wanted = question_terms(question)
    total = sum(len(group) for group in sentences) or 1
    weight: dict[str, float] = {}
    for term in wanted:
        df = sum(term in terms for group in sentence_terms for terms in group)
        weight[term] = math.log(1 + total / df) if df else 0.0
    # Adjacent chunks of one release overlap; a sentence already shown is not picked again.
    shown: set[tuple[str, str]] = set()
    views: list[str] = []
    for n, (passage, group, terms) in enumerate(zip(passages, sentences, sentence_terms, strict=True)):
        if n in whole or not group:
            views.append(passage.text)
            shown.update((passage.release_id, s) for s in group)
            continue
        fresh = [i for i, s in enumerate(group) if (passage.release_id, s) not in shown] or list(range(len(group)))
        best = max(fresh, key=lambda i: sum(weight[t] for t in wanted & terms[i]))  # ties: the earliest
        last, count = best, len(group[best].split())
        while count < MIN_EXCERPT_WORDS and last + 1 < len(group):
            last += 1
            count += len(group[last].split())
        shown.update((passage.release_id, s) for s in group[best : last + 1])
        head = [ELLIPSIS] if best > 0 else []
        tail = [ELLIPSIS] if last < len(group) - 1 else []
        views.append(" ".join([*head, *group[best : last + 1], *tail]))
    return views


# Press releases date events relative to their own date ("killed yesterday", "arrested last night",
# "pleaded guilty Tuesday"). A small model asked "when" then answers with the release's date; the prompt
# spells the day out.
_RELATIVE_DAYS = re.compile(r"\b(yesterday|last night|today|this morning|earlier today|tonight)\b", re.IGNORECASE)
_DAY_OFFSET = {"yesterday": -1, "last night": -1}
# A weekday already followed by its date ("Tuesday, April 10") needs nothing, and one followed straight
# by a capitalised word is likely a name ("Sunday Times").
_WEEKDAY = re.compile(
    rf"\b(?P<day>{WEEKDAY})\b"
    rf"(?!,?\s+(?:\(|\d|{MONTH}\s*\d))(?!\s+[A-Z])"
)
# "will be sentenced Tuesday", "next Friday": a weekday ahead of the release, which cannot be resolved
# safely from the release date alone.
_FUTURE = re.compile(r"\b(?:will|next|scheduled|set for|until|expected|due)\b[^.;]{0,40}$", re.IGNORECASE)


def _spelled(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def with_resolved_days(text: str, released: date | None) -> str:
    """ "yesterday" -> "yesterday (August 20, 2010)" for a release dated August 21, 2010.

    A bare weekday is the last such day on or before the release date ("Thursday" in a release of
    Saturday March 24, 2012 -> "Thursday (March 22, 2012)"), the way releases use them.
    """
    if released is None:
        return text

    def resolve(match: re.Match[str]) -> str:
        day = released + timedelta(days=_DAY_OFFSET.get(match.group(1).lower(), 0))
        return f"{match.group(1)} ({_spelled(day)})"

    def resolve_weekday(match: re.Match[str]) -> str:
        if _FUTURE.search(text, max(0, match.start() - 60), match.start()):
            return match.group(0)
        back = (released.weekday() - WEEKDAYS.index(match.group("day"))) % 7
        return f"{match.group(0)} ({_spelled(released - timedelta(days=back))})"

    return _WEEKDAY.sub(resolve_weekday, _RELATIVE_DAYS.sub(resolve, text))


# Place names are transliterated many ways ("Paktya"/"Paktiya", "Kunar"/"Konar"): 16 of the 664 ISAF
# dev questions spell a province otherwise than their release. A small model told to use only the
# passages may refuse over that, so a capitalised question word that no passage contains is swapped for
# the passages' closest spelling. Same first letter and a similarity ratio of at least SPELLING_RATIO
# keep "Kandahar" from becoming "Kandalay" (0.75).
SPELLING_RATIO = 0.8


def with_passage_spellings(question: str, texts: Sequence[str]) -> str:
    """ "in Paktya province" -> "in Paktiya province" when the passages spell it only that way."""
    seen = {w for text in texts for w in words(text)}
    names = {w for text in texts for w in PLAIN_NAME.findall(text)}

    def respell(match: re.Match[str]) -> str:
        word = match.group(0)
        if word.lower() in seen:
            return word
        candidates = [n for n in names if n[0] == word[0]]
        close = difflib.get_close_matches(word, candidates, n=1, cutoff=SPELLING_RATIO)
        return close[0] if close else word

    return PLAIN_NAME.sub(respell, question)


def answer_messages(
    question: str, passages: Sequence[Passage], trim: bool = True, instruction: str = ANSWER_INSTRUCTION
) -> list[Message]:
    """`trim=False` shows every passage whole (see passage_views); `instruction`: ANSWER_INSTRUCTION, or
    span_first_instruction for a question of a known type."""
    question = with_passage_spellings(question, [p.text for p in passages])
    texts = passage_views(question, passages) if trim else [p.text for p in passages]
    texts = [with_resolved_days(text, p.date) for p, text in zip(passages, texts, strict=True)]
    blocks = "\n\n".join(
        f'Passage {i} from "{p.title}" ({p.date.isoformat() if p.date else "undated"}):\n{text}'
        for i, (p, text) in enumerate(zip(passages, texts, strict=True), 1)
    )
    user = f"{blocks}\n\n{instruction}\n\nQuestion: {question}"
    return [{"role": "system", "content": ANSWER_SYSTEM}, {"role": "user", "content": user}]


def rewrite_messages(question: str, history: Sequence[tuple[str, str]]) -> list[Message]:
    turns = "\n".join(f"User: {q}\nAssistant: {a}" for q, a in history[-3:])
    user = f"Conversation:\n{turns}\n\nLast question: {question}\n\nStandalone question:"
    return [
        {"role": "system", "content": REWRITE_SYSTEM},
        {"role": "user", "content": f"Example:\n{REWRITE_EXAMPLE}\n\nNow this one.\n{user}"},
    ]


def summary_messages(title: str, text: str, length: SummaryLength, facts: Sequence[str] = ()) -> list[Message]:
    """`facts`: key facts the summary must carry (qa.fact_sheet.summary_facts), listed after the release."""
    must = ""
    if facts:
        listed = "\n".join(f"- {f}" for f in facts)
        must = f"\n\nKey facts the summary must state, copied exactly as written:\n{listed}"
    user = f"Press release: {title}\n\n{text}{must}\n\n{LENGTH_INSTRUCTIONS[length]}"
    return [{"role": "system", "content": SUMMARY_SYSTEM}, {"role": "user", "content": user}]


def section_notes_messages(title: str, part: int, parts: int, text: str) -> list[Message]:
    user = (
        f"Part {part} of {parts} of the press release '{title}':\n\n{text}\n\n"
        "List the key facts of this part as short bullet points starting with '- ' "
        "(who, what, when, where, amounts)."
    )
    return [{"role": "system", "content": SUMMARY_SYSTEM}, {"role": "user", "content": user}]


def combine_notes_messages(
    title: str, notes: Sequence[str], length: SummaryLength, facts: Sequence[str] = ()
) -> list[Message]:
    joined = "\n".join(notes)
    must = "".join(f"\n- {f}" for f in facts)
    must = f"\n\nKey facts the summary must state, copied exactly as written:{must}" if facts else ""
    instruction = LENGTH_INSTRUCTIONS[length]
    user = f"Key facts from all parts of the press release '{title}':\n\n{joined}{must}\n\n{instruction}"
    return [{"role": "system", "content": SUMMARY_SYSTEM}, {"role": "user", "content": user}]


def topic_summary_messages(
    topic: str, sources: Sequence[tuple[Passage, str]], length: SummaryLength, facts: Sequence[Sequence[str]] = ()
) -> list[Message]:
    """`sources`: one (representative passage, excerpt) per release, numbered in date order; `facts`: each
    release's key facts (qa.fact_sheet.summary_facts), listed under it. The headline is given as a field,
    not as a "[1] Title, date" line: laid out that way the model copied the lines as its summary."""
    blocks = []
    for i, (p, excerpt) in enumerate(sources, 1):
        when = f", published {p.date.isoformat()}" if p.date else ""
        listed = f"\nKey facts: {'; '.join(facts[i - 1])}" if i <= len(facts) and facts[i - 1] else ""
        blocks.append(f"Release {i}{when}. Headline: {p.title}\nText: {excerpt}{listed}")
    joined = "\n\n".join(blocks)
    user = (
        f"Press releases about '{topic}', oldest first:\n\n{joined}\n\n"
        f"{TOPIC_LENGTH_INSTRUCTIONS[length]} Say in your own words what each release reports (who, what, "
        "and the amounts, charges or sentences), do not repeat the headlines, follow the releases' order, "
        "skip any release that is not about the topic, and end each sentence with the number of its release "
        "in brackets, like [1]."
    )
    return [{"role": "system", "content": SUMMARY_SYSTEM}, {"role": "user", "content": user}]
