"""The load test on loopback: real app processes (`pressqa serve`) on a copy of the sample index, users sending
their questions at once, every answer timed and checked against the question that was sent.

The questions are ones the app answers without the language model (quotes and counts), so the test measures
the app's handling of simultaneous users, not generation speed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from eval.load_test import Exchange, start_servers, summarize
from tests.test_cli import run
from tests.ui_fixtures import free_port

QUESTIONS = [
    "Who said libraries are the last place in town where you can stay all day?",
    "How many releases mention Riverton?",
    "What did Ravi Menon say about the apprenticeships?",
    "How many releases mention Nimbus Labs?",
]


@pytest.mark.slow
def test_two_apps_answer_eight_users_over_two_rounds_none_lost_or_mixed_up(
    sample_index_dir: Path, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    shutil.copytree(sample_index_dir, index)
    gold = tmp_path / "questions.jsonl"
    gold.write_text("".join(json.dumps({"question": q, "answers": []}) + "\n" for q in QUESTIONS))
    out = tmp_path / "load"
    start = ["--start", "2", "--index", str(index), "--port", str(free_port())]
    users = ["--users", "8", "--rounds", "2", "--timeout", "120"]
    result = run("eval", "load", "--gold", str(gold), "--out", str(out), *start, *users, index=index)
    assert result.returncode == 0, result.stderr
    data = json.loads((out / "load.json").read_text())
    summary = data["summary"]
    assert (summary["sent"], summary["answered"], summary["lost"], summary["mixed_up"]) == (16, 16, 0, 0)
    assert sorted(summary["by_server"].values()) == [8, 8], "users spread over both apps"
    assert set(summary["by_method"]) <= {"quote", "count"}
    for exchange in data["exchanges"]:
        u, r = exchange["user"], exchange["round"]
        assert exchange["question"] == QUESTIONS[(u * 2 + r) % len(QUESTIONS)]
    assert "16 sent, 16 answered, 0 lost, 0 mixed up" in result.stdout


def test_an_answer_to_another_question_or_none_counts_against_the_run() -> None:
    ok = Exchange(0, 0, "a", "q1", 1.0, True, False, "quote", "")
    mixed = Exchange(1, 0, "a", "q2", 2.0, True, True, "quote", "")
    lost = Exchange(2, 0, "b", "q3", 3.0, False, False, "", "TimeoutError: ")
    summary = summarize([ok, mixed, lost], [3.0])
    assert (summary["answered"], summary["lost"], summary["mixed_up"]) == (2, 1, 1)
    assert summary["p50_s"] == 1.5 and summary["by_method"] == {"(lost)": 1, "quote": 2}


def test_an_app_that_cannot_start_is_one_clear_error(tmp_path: Path) -> None:
    not_an_index = tmp_path / "release.txt"
    not_an_index.write_text("a file, not an index folder")
    with pytest.raises(RuntimeError, match="stopped before it answered"), start_servers(1, not_an_index, free_port()):
        pass
