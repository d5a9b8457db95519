"""Property tests (hypothesis) of the two paths hostile input takes: files into the loaders, and a question up to
the prompt the model would be given. No language model runs: the question path stops at the prompt.

Bounded and repeatable for CI: a fixed number of examples, derandomized, no example database written.
"""

from __future__ import annotations

import csv
import io
import json
import string
import tempfile
from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from embeddings.index import DateRangeError, Filters
from embeddings.load import SUPPORTED_SUFFIXES, LoadError, iter_releases
from embeddings.types import Release
from qa.engine import QuestionError
from qa.grounding import missing_names
from qa.prompt import answer_messages

BOUNDED = settings(max_examples=60, deadline=None, derandomize=True, database=None)
QUESTIONS = settings(max_examples=30, deadline=None, derandomize=True, database=None)

FIELD_NAMES = ["id", "title", "date", "text", "body", "organisation", "url", "releases", "Title", "TEXT"]
WORDS = st.text(alphabet=string.ascii_letters + string.digits + " .,;:'\"\\-\n\t\r\x00é—", max_size=80)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | WORDS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(FIELD_NAMES) | WORDS, inner, max_size=5)
    ),
    max_leaves=25,
)


def _jsonl(records: list[object], garbage: list[str]) -> bytes:
    lines = [json.dumps(r, ensure_ascii=False) for r in records] + garbage
    return "\n".join(lines).encode()


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([["id", "title", "date", "text"], *rows])
    return out.getvalue().encode()


FILES = st.one_of(
    st.tuples(st.sampled_from(sorted(SUPPORTED_SUFFIXES)), st.binary(max_size=3000)),
    st.tuples(st.sampled_from([".txt", ".md", ".html"]), WORDS.map(str.encode)),
    st.tuples(st.just(".txt"), st.tuples(WORDS, st.integers(0, 12_000)).map(lambda t: (t[0] * t[1])[:40_000].encode())),
    st.tuples(st.just(".json"), JSON_VALUES.map(lambda v: json.dumps(v).encode())),
    st.tuples(st.just(".jsonl"), st.builds(_jsonl, st.lists(JSON_VALUES, max_size=5), st.lists(WORDS, max_size=2))),
    st.tuples(st.just(".csv"), st.lists(st.lists(WORDS, min_size=0, max_size=6), max_size=5).map(_csv)),
    st.tuples(st.just(".jsonl"), st.integers(1, 20_000).map(lambda n: ("[" * n + "\n" + '{"text": "ok"}\n').encode())),
)


@BOUNDED
@given(st.lists(FILES, min_size=1, max_size=3))
def test_loaders_never_raise_and_report_each_problem_in_one_line(files: list[tuple[str, bytes]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for i, (suffix, content) in enumerate(files):
            path = Path(folder, f"f{i}{suffix}")
            path.write_bytes(content)
            paths.append(path)
        items = list(iter_releases([folder, *paths], max_file_bytes=64 * 1024))
    ids = [item.id for item in items if isinstance(item, Release)]
    assert len(ids) == len(set(ids)), "ids are unique within one call"
    for item in items:
        assert isinstance(item, Release | LoadError)
        if isinstance(item, LoadError):
            assert item.reason.strip() and "\n" not in item.reason and "\r" not in item.reason, item
            assert not item.reason.startswith("unexpected"), f"a loader raised: {item}"
        else:
            assert item.text.strip() and "\x00" not in item.text, item
            assert item.id and item.title


@QUESTIONS
@given(
    question=st.one_of(
        st.text(max_size=300),
        st.sampled_from(["fares", "bridge repair cost", "otter survey", "What did Councillor Savchenko say?"]),
        st.tuples(st.characters(), st.integers(1_990, 2_100)).map(lambda t: t[0] * t[1]),
    ),
    k=st.integers(1, 12),
    since=st.none() | st.dates(date(2019, 1, 1), date(2026, 12, 31)),
    until=st.none() | st.dates(date(2019, 1, 1), date(2026, 12, 31)),
    organisation=st.none() | st.sampled_from(["Riverton", "transit", "Nimbus", "%", "_", "'; DROP TABLE releases; --"]),
)
def test_a_question_reaches_the_prompt_or_is_refused_with_a_reason(
    engine, question: str, k: int, since: date | None, until: date | None, organisation: str | None
) -> None:
    try:
        filters = Filters(since, until, organisation)
    except DateRangeError as exc:
        assert since and until and since > until and "date range is empty" in str(exc)
        return
    try:
        stream = engine.ask(question, k=k, filters=filters)
    except QuestionError as exc:
        stripped = question.strip()
        assert not stripped or len(stripped) > engine.settings.max_question_chars
        assert str(exc).strip() and "\n" not in str(exc)
        return
    passages = list(stream.passages)
    assert stream.question == question.strip() and len(passages) <= k
    assert len({p.chunk_id for p in passages}) == len(passages)
    for p in passages:
        assert p.text.strip() and 0 <= p.start < p.end
        if since:
            assert p.date is not None and p.date >= since
        if until:
            assert p.date is not None and p.date <= until
        if organisation:
            assert organisation.lower() in (p.organisation or "").lower()
    missing_names(stream.question, passages)  # the pre-check that may refuse before any model loads
    messages = answer_messages(stream.question, passages)
    assert [m["role"] for m in messages] == ["system", "user"]
    assert all(f'from "{p.title}"' in messages[1]["content"] for p in passages)
    assert "\nQuestion: " in messages[1]["content"]
