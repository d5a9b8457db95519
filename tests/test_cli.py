"""The `pressqa` command as a user runs it: real processes, real index folders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SAMPLES

PRESSQA = [sys.executable, "-m", "ui.cli"]


def run(
    *args: str, index: Path, timeout: int = 600, env: dict[str, str] | None = None, command: list[str] = PRESSQA
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PRESSQA_INDEX": str(index), **(env or {})}
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, env=full_env, timeout=timeout, cwd=Path(__file__).parents[1]
    )


def test_ingest_reports_counts_and_skips_bad_files(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text("Good news\n\nRIVERTON, May 1, 2024 — The council planted 300 oak trees.")
    (folder / "empty.txt").write_text("")
    (folder / "broken.json").write_text('{"title": "x", ')
    result = run("ingest", str(folder), index=tmp_path / "idx")
    assert result.returncode == 0, result.stderr
    assert "1 added, 0 updated, 0 unchanged, 2 failed" in result.stdout
    assert "empty.txt" in result.stderr and "broken.json" in result.stderr
    again = run("ingest", str(folder / "good.txt"), index=tmp_path / "idx")
    assert "0 added, 0 updated, 1 unchanged" in again.stdout and "0 chunks embedded" in again.stdout


def test_errors_are_one_clear_line(tmp_path: Path) -> None:
    missing = run("ask", "anything?", index=tmp_path / "none")
    assert missing.returncode != 0
    assert missing.stderr.strip().startswith("error: No index at") and len(missing.stderr.strip().splitlines()) == 1
    nofile = run("ingest", str(tmp_path / "nope.txt"), index=tmp_path / "idx")
    assert nofile.returncode != 0 and "no such file or folder" in nofile.stderr


def test_info_and_remove(writable_index_dir: Path) -> None:
    info = json.loads(run("info", "--json", index=writable_index_dir).stdout)
    assert info["releases"] == 14 and info["chunks"] > 14 and info["dimension"] == 384
    removed = run("remove", "rta_fares_2024", index=writable_index_dir)
    assert removed.returncode == 0 and "removed rta_fares_2024" in removed.stdout
    assert json.loads(run("info", "--json", index=writable_index_dir).stdout)["releases"] == 13
    again = run("remove", "rta_fares_2024", index=writable_index_dir)
    assert again.returncode != 0 and "no release with id" in again.stderr


@pytest.mark.slow
def test_ask_json_contract(sample_index_dir: Path) -> None:
    result = run("ask", "How much will the Millbrook Bridge repair cost?", "--json", index=sample_index_dir)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= {"answer", "found", "citations", "timings"}
    assert data["found"] is True and "4.8 million" in data["answer"]
    citation = data["citations"][0]
    assert set(citation) >= {"n", "release_id", "title", "date", "passage", "start", "end", "score"}
    assert citation["release_id"] == "riverton_bridge_repair" and isinstance(citation["release_id"], str)


def test_question_over_the_limit_is_refused_without_loading_models(sample_index_dir: Path) -> None:
    result = run("ask", "x" * 50_000, index=sample_index_dir)
    assert result.returncode != 0
    assert "50,000 characters" in result.stderr and "Traceback" not in result.stderr


def test_sample_corpus_ingests_cleanly(tmp_path: Path) -> None:
    result = run("ingest", str(SAMPLES), index=tmp_path / "idx")
    assert result.returncode == 0 and "14 added" in result.stdout, result.stderr


@pytest.mark.parametrize(
    ("args", "env", "line"),
    [
        (["ask", "x"], {"PRESSQA_TOP_K": "six"}, "PRESSQA_TOP_K='six' is not valid: expected a whole number from 1"),
        (["ask", "x", "--top-k", "0"], {}, "--top-k=0 is not valid: expected a whole number from 1 to 30"),
        (["summarize", "--query", "x", "--length", "long"], {}, "expected one of short, bullets, detailed"),
        (["ingest", str(SAMPLES)], {"PRESSQA_THREADS": "0"}, "PRESSQA_THREADS='0' is not valid"),
        (["serve"], {"PRESSQA_PORT": "99999"}, "PRESSQA_PORT='99999' is not valid: expected a whole number from 1"),
        (["serve", "--auth", "ann"], {}, "--auth='ann' is not valid: expected USER:PASS, both non-empty"),
    ],
)
def test_a_bad_setting_is_one_line_and_exit_status_2(tmp_path: Path, args: list[str], env: dict, line: str) -> None:
    result = run(*args, index=tmp_path / "idx", env=env, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ") and line in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (tmp_path / "idx").exists(), "nothing ran before the settings were checked"


def test_top_k_from_the_environment_sets_the_passages_retrieved(sample_index_dir: Path, tmp_path: Path) -> None:
    # Refused by the name check, so no model runs; PRESSQA_MODEL names one that could not load if asked for.
    question = "How much did Councillor Dmitri Savchenko say the Millbrook Bridge repair would cost?"
    env = {"PRESSQA_TOP_K": "2", "PRESSQA_MODEL": str(tmp_path / "no-model-here")}
    result = run("ask", question, "--json", index=sample_index_dir, env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["found"] is False and len(data["retrieved"]) == 2
    given = run("ask", question, "--json", "--top-k", "3", index=sample_index_dir, env=env)
    assert len(json.loads(given.stdout)["retrieved"]) == 3, "an option given wins over the environment"


@pytest.mark.slow
def test_top_k_setting_reaches_an_answered_question(sample_index_dir: Path) -> None:
    question = "How much will the Millbrook Bridge repair cost?"
    result = run("ask", question, "--json", index=sample_index_dir, env={"PRESSQA_TOP_K": "2"})
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["found"] is True and len(data["retrieved"]) == 2


HIDE_LXML_HTML_CLEAN = """
import sys
sys.modules["lxml_html_clean"] = None  # as if pip had left it out
from ui.cli import app
app()
"""


def test_without_an_html_library_other_formats_still_ingest(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    record = {"id": "oaks", "title": "Oaks planted", "date": "2024-05-01", "text": "The council planted 300 oaks."}
    (folder / "news.jsonl").write_text(json.dumps(record) + "\n")
    (folder / "page.html").write_text("<html><title>Fares</title><body><p>Fares rise in May.</p></body></html>")
    hidden = [sys.executable, "-c", HIDE_LXML_HTML_CLEAN]
    result = run("ingest", str(folder), index=tmp_path / "idx", command=hidden)
    assert result.returncode == 0, result.stderr
    assert "1 added, 0 updated, 0 unchanged, 1 failed" in result.stdout
    failed = [line for line in result.stderr.splitlines() if line.startswith("failed:")]
    assert failed == [
        f"failed: {folder / 'page.html'}: reading HTML needs the Python package lxml_html_clean "
        "(pip install lxml_html_clean)"
    ]
    assert "Traceback" not in result.stderr
