"""Every command meets a damaged or unusable index with one line on stderr and a non-zero exit, never a traceback.

Real processes over real index folders damaged as a disk or a user would damage them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import SAMPLES
from tests.test_cli import PRESSQA, run
from tests.ui_fixtures import free_port

# A model path that cannot load: a command that reached the language model would fail on it at once,
# with a message of its own, instead of loading a real model for minutes.
NO_LLM = {"PRESSQA_MODEL": "/nowhere/no-language-model"}
RELEASE = SAMPLES / "rta_fares_2024.txt"


def commands() -> list[list[str]]:
    return [
        ["info"],
        ["ask", "How much will the Millbrook Bridge repair cost?"],
        ["summarize", "--release", "rta_fares_2024"],
        ["remove", "rta_fares_2024"],
        ["count", "bridge"],
        ["ingest", str(RELEASE)],
        ["serve", "--port", str(free_port()), "--no-sample"],
    ]


COMMAND_IDS = ["info", "ask", "summarize", "remove", "count", "ingest", "serve"]


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode not in (0, None), result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    progress = ("Answer model:", "Ingesting:")  # the model chosen, and the progress bar (each \r is a line here)
    errors = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith(progress)]
    assert len(errors) == 1 and errors[0].startswith("error: "), result.stderr
    return errors[0]


def garble_tables(db: Path) -> None:
    """Overwrites every page after the header, the schema and the meta table: the file still opens and knows its
    embedding model, and the releases and chunks are garbage, as a bad disk sector or a partial copy leaves them."""
    with sqlite3.connect(db) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        kept = {1} | {
            r[0] for r in conn.execute("SELECT rootpage FROM sqlite_master WHERE tbl_name='meta' AND rootpage > 0")
        }
        # The schema outgrows page 1 as tables are added: every page of it (and of meta) is kept.
        kept |= {r[0] for r in conn.execute("SELECT pageno FROM dbstat WHERE name IN ('sqlite_schema', 'meta')")}
    conn.close()
    data = bytearray(db.read_bytes())
    for page in range(len(data) // page_size):
        if page + 1 not in kept:
            start = page * page_size
            data[start : start + page_size] = bytes((b * 7 + 13) & 0xFF for b in data[start : start + page_size])
    db.write_bytes(bytes(data))


@pytest.fixture
def damaged_index(writable_index_dir: Path) -> Path:
    garble_tables(writable_index_dir / "pressqa.sqlite")
    return writable_index_dir


@pytest.mark.parametrize("args", commands(), ids=COMMAND_IDS)
def test_a_database_damaged_in_the_middle_is_one_line_naming_it(damaged_index: Path, args: list[str]) -> None:
    line = one_line_error(run(*args, index=damaged_index, env=NO_LLM, timeout=120))
    assert str(damaged_index / "pressqa.sqlite") in line and "damaged" in line, line
    assert "ingest the releases again" in line, "the line says what to do"


@pytest.fixture
def index_of_a_missing_model(writable_index_dir: Path, tmp_path: Path) -> Path:
    with sqlite3.connect(writable_index_dir / "pressqa.sqlite") as conn:
        conn.execute("UPDATE meta SET value=? WHERE key='embedding_model'", (str(tmp_path / "gone-model"),))
    conn.close()
    return writable_index_dir


@pytest.mark.parametrize("args", commands(), ids=COMMAND_IDS)
def test_an_embedding_model_that_is_not_installed_is_one_line(index_of_a_missing_model: Path, args: list[str]) -> None:
    line = one_line_error(run(*args, index=index_of_a_missing_model, env=NO_LLM, timeout=120))
    assert str(index_of_a_missing_model) in line and "gone-model" in line, line
    assert "--index" in line, "the line says what to do: restore the model or use another index"


@pytest.mark.parametrize("command", ["ingest", "serve"])
def test_an_index_path_that_is_a_file_is_one_line(tmp_path: Path, command: str) -> None:
    not_a_folder = tmp_path / "index.txt"
    not_a_folder.write_text("a file where the index folder should be")
    args = ["ingest", str(RELEASE)] if command == "ingest" else ["serve", "--port", str(free_port())]
    line = one_line_error(run(*args, index=not_a_folder, env=NO_LLM, timeout=120))
    assert str(not_a_folder) in line, line


def test_an_index_folder_without_write_permission_is_one_line(writable_index_dir: Path) -> None:
    """Run as the user `nobody` when the tests run as root, whom permissions do not stop. The index and the new
    release sit in a folder of their own that anyone may enter (pytest's own are private to their user)."""
    shared = Path(tempfile.mkdtemp(prefix="pressqa-permission-"))
    try:
        shared.chmod(0o755)
        index = shared / "index"
        shutil.copytree(writable_index_dir, index)
        new = shared / "new.txt"
        new.write_text("Quillby Ferries\n\nHALDEN, Oct. 2, 2025 — Quillby Ferries ordered two electric ferries.")
        new.chmod(0o644)
        for path in [index, *index.rglob("*")]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        command, env = PRESSQA, None
        if os.geteuid() == 0:
            command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *PRESSQA]
            cache = shared / "cache"
            cache.mkdir(mode=0o777)
            cache.chmod(0o777)
            env = {"PRESSQA_CACHE": str(cache), "HOME": str(cache), "XDG_CACHE_HOME": str(cache)}
        line = one_line_error(run("ingest", str(new), index=index, timeout=120, env=env, command=command))
    finally:
        for path in [shared, *shared.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        shutil.rmtree(shared, ignore_errors=True)
    assert str(index) in line and "permission" in line.lower(), line


# --- ingest: what is skipped, and how it is reported -------------------------------------------------


def test_a_missing_path_among_good_ones_is_one_failure_and_the_rest_is_ingested(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("Good news\n\nRIVERTON, May 1, 2024 — The council planted 300 oak trees.")
    missing = tmp_path / "nope.txt"
    result = run("ingest", str(good), str(missing), index=tmp_path / "idx")
    assert result.returncode == 0, result.stderr
    assert "1 added, 0 updated, 0 unchanged, 1 failed" in result.stdout
    assert f"failed: {missing}: no such file or folder" in result.stderr
    only_missing = run("ingest", str(missing), index=tmp_path / "idx")
    assert only_missing.returncode != 0 and "no such file or folder" in only_missing.stderr


def test_each_failed_file_is_printed_once(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text("Good news\n\nRIVERTON, May 1, 2024 — The council planted 300 oak trees.")
    (folder / "empty.txt").write_text("")
    result = run("ingest", str(folder), index=tmp_path / "idx")
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert output.count("empty.txt") == 1, output
    assert "empty.txt" in result.stderr and "empty.txt" not in result.stdout


def test_a_folder_1500_levels_deep_and_a_pathological_jsonl_line_still_ingest(
    tmp_path: Path, deep_folder: Path
) -> None:
    top = tmp_path / "deep"
    (deep_folder / "bottom.txt").write_text(
        "Deep news\n\nRIVERTON, May 1, 2024 — A release at the bottom of a deep folder."
    )
    lines = [
        json.dumps({"id": "before", "text": "The first good record."}),
        "[" * 100_000,
        json.dumps({"id": "after", "text": "The record after the nested line."}),
    ]
    (top / "records.jsonl").write_text("\n".join(lines) + "\n")
    result = run("ingest", str(top), index=tmp_path / "idx")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "3 added, 0 updated, 0 unchanged, 1 failed" in result.stdout, result.stdout
    assert f"failed: {top / 'records.jsonl'}#2: line 2: " in result.stderr


def test_two_ingests_at_once_both_land(tmp_path: Path) -> None:
    index = tmp_path / "idx"
    first = tmp_path / "a"
    shutil.copytree(SAMPLES, first)
    second = tmp_path / "b.txt"
    second.write_text("Quillby Ferries\n\nHALDEN, Oct. 2, 2025 — Quillby Ferries ordered two electric ferries.")
    run("ingest", str(second), index=index)  # the index exists before both start
    env = {**os.environ, "PRESSQA_INDEX": str(index)}
    (tmp_path / "c.txt").write_text("Halden Grid\n\nHALDEN, Oct. 3, 2025 — Halden Grid will build charging points.")
    procs = [
        subprocess.Popen(
            [*PRESSQA, "ingest", str(p)], env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for p in (first, tmp_path / "c.txt")
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    info = json.loads(run("info", "--json", index=index).stdout)
    assert info["releases"] == 16


# --- dates -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", "fares?", "--since", "2024-06-01", "--until", "2024-01-01"], "date range is empty"),
        (["summarize", "--query", "fares", "--since", "2024-06-01", "--until", "2024-01-01"], "date range is empty"),
        (["ask", "fares?", "--since", "last week"], "'last week' is not a date: use YYYY-MM-DD"),
    ],
    ids=["ask-range", "summarize-range", "ask-bad-date"],
)
def test_dates_are_checked_before_anything_runs(sample_index_dir: Path, args: list[str], message: str) -> None:
    line = one_line_error(run(*args, index=sample_index_dir, env=NO_LLM, timeout=120))
    assert message in line, line


# --- the web server ----------------------------------------------------------------------------------


def _wait_for(url: str, proc: subprocess.Popen[str], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {seconds} s")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_server_removes_its_export_folder_when_stopped(sample_index_dir: Path, tmp_path: Path, stop: int) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    port = free_port()
    env = {**os.environ, **NO_LLM, "PRESSQA_INDEX": str(sample_index_dir), "TMPDIR": str(temp)}
    proc = subprocess.Popen(
        [*PRESSQA, "serve", "--port", str(port)],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=Path(__file__).parents[1],
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/", proc)
        assert list(temp.glob("pressqa-export-*")), "the server keeps conversation exports in a folder of its own"
        proc.send_signal(stop)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert not list(temp.glob("pressqa-export-*")), "the export folder outlived the server"
    assert proc.returncode != -stop, "the server handled the signal and cleaned up"
