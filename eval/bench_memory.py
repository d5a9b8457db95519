"""Ingest memory: peak RSS of `pressqa ingest` on one very large text file and one very large JSONL file.

Each file is made from DOJ releases in a scratch folder and ingested into a new index by a `pressqa ingest`
subprocess, whose resident memory is read from /proc every 0.2 s. The text file repeats a few megabytes of
release text, and the JSONL file repeats releases under new ids, so that chunk texts recur and their vectors
are reused (looked up by text hash) instead of embedded again: the files then go through loading, chunking,
writing and the search-file build at full size in minutes, where embedding 285,000 distinct chunks would take
hours on 2 cores. Embedding holds one batch whatever the text, so this changes the time, not the memory.

A run may be capped in seconds (`--seconds`): the ingest is then killed, the row says how much of the file it
had read, and the index it leaves is opened and checked, as after any kill -9.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

MB = 1024 * 1024


@dataclass
class MemoryRow:
    file: str
    file_mb: float
    seconds: float
    finished: bool  # False: killed at the cap
    peak_rss_mb: float  # VmHWM: the most resident memory the process ever had
    rss_mb_by_quarter: list[float]  # the highest RSS seen in each quarter of the run
    releases: int
    chunks: int
    index_opens: bool
    integrity: str


# Ends each copy of the repeated block: one line of 300 word pieces without a stop is cut at the chunk limit,
# and the chunk after it starts afresh, so every copy is cut into the same chunks (and their vectors reused).
_COPY_END = b"\n\n" + b"archive " * 300 + b"\n\n"


def repeated_text(corpus: Path, target_bytes: int, distinct_releases: int = 500) -> bytes:
    """Release texts joined by blank lines, the first `distinct_releases` of the corpus over and over."""
    texts: list[bytes] = []
    with corpus.open("rb") as f:
        for line in f:
            texts.append(json.loads(line)["text"].encode("utf-8"))
            if len(texts) >= distinct_releases:
                break
    block = b"\n\n".join(texts) + _COPY_END
    return (block * (target_bytes // len(block) + 1))[:target_bytes]


def write_repeated_jsonl(corpus: Path, out: Path, target_bytes: int, distinct_releases: int = 500) -> None:
    """Corpus records cycled under new ids (`<id>-<cycle>`) until the file holds `target_bytes`."""
    records: list[dict] = []
    with corpus.open() as f:
        for line in f:
            records.append(json.loads(line))
            if len(records) >= distinct_releases:
                break
    written, cycle = 0, 0
    with out.open("w") as f:
        while written < target_bytes:
            for record in records:
                line = json.dumps({**record, "id": f"{record['id']}-{cycle}"}) + "\n"
                f.write(line)
                written += len(line)
                if written >= target_bytes:
                    break
            cycle += 1


def _status_mb(pid: int, field: str) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def measure_ingest(path: Path, index: Path, cap_seconds: float | None, echo: Callable[[str], None]) -> MemoryRow:
    command = [sys.executable, "-m", "ui.cli", "ingest", str(path), "--index", str(index)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    samples: list[tuple[float, float]] = []
    peak = 0.0
    log_path = index.with_suffix(".log")
    finished = True
    with log_path.open("w") as log, subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT) as proc:
        while proc.poll() is None:
            elapsed = time.perf_counter() - started
            rss = _status_mb(proc.pid, "VmRSS")
            peak = max(peak, _status_mb(proc.pid, "VmHWM") or 0.0)
            if rss is not None:
                samples.append((elapsed, rss))
            if cap_seconds is not None and elapsed > cap_seconds:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                finished = False
                break
            time.sleep(0.2)
    seconds = time.perf_counter() - started
    output = log_path.read_text(errors="replace")
    if finished and proc.returncode != 0:
        raise RuntimeError(f"ingest of {path} failed ({proc.returncode}): {output[-2000:]}")
    echo(output.strip().splitlines()[-1] if output.strip() else "(no output)")
    quarters = [max((r for t, r in samples if q <= 4 * t / seconds < q + 1), default=0.0) for q in range(4)]
    releases, chunks, opens, integrity = _check_index(index)
    return MemoryRow(
        path.name,
        round(path.stat().st_size / MB, 1),
        round(seconds, 1),
        finished,
        round(peak, 1),
        [round(q, 1) for q in quarters],
        releases,
        chunks,
        opens,
        integrity,
    )


def _check_index(index: Path) -> tuple[int, int, bool, str]:
    """Counts from the database the ingest left, whether the index opens and searches, and SQLite's check."""
    import sqlite3

    from embeddings.encode import Encoder
    from embeddings.index import DB_NAME, Index

    db = sqlite3.connect(index / DB_NAME)
    try:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        releases = db.execute("SELECT count(*) FROM releases").fetchone()[0]
        chunks = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
    finally:
        db.close()
    encoder = Encoder.for_index(Index.stored_model(index))
    opened = Index.open(index, encoder.name, encoder.dim, create=False)
    try:
        hits = opened.dense_search(encoder.encode_query("fraud sentenced to prison"), 3)
        return releases, chunks, len(hits) > 0 or chunks == 0, integrity
    finally:
        opened.close()


@dataclass
class ServerRow:
    file: str
    file_mb: float
    seconds: float
    rss_before_mb: float  # the server, started and answering, before the upload
    peak_rss_mb: float  # VmHWM after the upload: the most it ever held
    rss_after_mb: float
    result: str  # what /add_releases answered for the file


def measure_server_upload(path: Path, index: Path, echo: Callable[[str], None]) -> ServerRow:
    """`pressqa serve` on loopback over `index`, with no language model, one upload of `path` through
    /add_releases, and the server's resident memory around it."""
    import socket
    import urllib.request

    from gradio_client import Client, handle_file

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    url = f"http://127.0.0.1:{port}/"
    command = [sys.executable, "-m", "ui.cli", "serve", "--index", str(index), "--port", str(port)]
    # No language model: the server would load one at start (1.1 GB of GGUF for the 1.5B, whatever is uploaded),
    # and the row is about what an upload costs.
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "PRESSQA_MAX_UPLOAD_BYTES": str(path.stat().st_size + MB),
        "PRESSQA_MODEL": "/nowhere/no-language-model.gguf",
    }
    log_path = index.with_suffix(".server.log")
    with log_path.open("w") as log, subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT) as proc:
        try:
            deadline = time.monotonic() + 180
            while True:
                try:
                    urllib.request.urlopen(url, timeout=2).close()
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"the server did not start: {log_path.read_text()[-2000:]}") from None
                    time.sleep(0.5)
            client = Client(url, verbose=False)
            client.predict(api_name="/stats")
            before = _status_mb(proc.pid, "VmRSS") or 0.0
            started = time.perf_counter()
            result = client.predict(files=[handle_file(str(path))], api_name="/add_releases")
            seconds = time.perf_counter() - started
            peak = _status_mb(proc.pid, "VmHWM") or 0.0
            after = _status_mb(proc.pid, "VmRSS") or 0.0
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
    files = result.get("files", result) if isinstance(result, dict) else result
    echo(f"upload answered: {json.dumps(files)[:300]}")
    return ServerRow(
        path.name,
        round(path.stat().st_size / MB, 1),
        round(seconds, 1),
        round(before, 1),
        round(peak, 1),
        round(after, 1),
        json.dumps(files)[:200],
    )


def server_table(rows: list[ServerRow]) -> str:
    lines = [
        "| upload | MB | s | server RSS before MB | peak MB | after MB |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.file} | {r.file_mb:,.0f} | {r.seconds:,.0f} | {r.rss_before_mb:,.0f} | {r.peak_rss_mb:,.0f} | "
            f"{r.rss_after_mb:,.0f} |"
        )
    return "\n".join(lines)


def run_memory_bench(
    corpus: Path,
    out: Path,
    text_mb: int,
    jsonl_mb: int,
    cap_seconds: float | None,
    echo: Callable[[str], None],
    upload_mb: int = 0,
) -> tuple[list[MemoryRow], list[ServerRow]]:
    out.mkdir(parents=True, exist_ok=True)
    rows: list[MemoryRow] = []
    server_rows: list[ServerRow] = []
    with tempfile.TemporaryDirectory(prefix="pressqa-bench-memory-", dir=out) as scratch:
        folder = Path(scratch)
        if text_mb:
            text = folder / f"release-{text_mb}mb.txt"
            text.write_bytes(repeated_text(corpus, text_mb * MB))
            echo(f"ingesting {text.name} ...")
            rows.append(measure_ingest(text, folder / "index-text", cap_seconds, echo))
            text.unlink()
        if jsonl_mb:
            jsonl = folder / f"releases-{jsonl_mb}mb.jsonl"
            write_repeated_jsonl(corpus, jsonl, jsonl_mb * MB)
            echo(f"ingesting {jsonl.name} ...")
            rows.append(measure_ingest(jsonl, folder / "index-jsonl", cap_seconds, echo))
            jsonl.unlink()
        if upload_mb:
            index = folder / "index-server"
            samples = Path(__file__).resolve().parents[1] / "embeddings" / "sample_releases"
            subprocess.run(
                [sys.executable, "-m", "ui.cli", "ingest", str(samples), "--index", str(index)],
                check=True,
                capture_output=True,
            )
            upload = folder / f"upload-{upload_mb}mb.txt"
            upload.write_bytes(repeated_text(corpus, upload_mb * MB))
            echo(f"uploading {upload.name} to a server ...")
            server_rows.append(measure_server_upload(upload, index, echo))
    (out / "memory.json").write_text(
        json.dumps({"ingest": [asdict(r) for r in rows], "server": [asdict(r) for r in server_rows]}, indent=2) + "\n"
    )
    (out / "memory.md").write_text(memory_table(rows) + "\n\n" + server_table(server_rows) + "\n")
    return rows, server_rows


def memory_table(rows: list[MemoryRow]) -> str:
    lines = [
        "| file | MB | s | read whole | peak RSS MB | RSS MB by quarter of the run | releases | chunks "
        "| index opens, integrity |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        quarters = " / ".join(f"{q:,.0f}" for q in r.rss_mb_by_quarter)
        lines.append(
            f"| {r.file} | {r.file_mb:,.0f} | {r.seconds:,.0f} | {'yes' if r.finished else 'no (killed at the cap)'} | "
            f"{r.peak_rss_mb:,.0f} | {quarters} | {r.releases:,} | {r.chunks:,} | "
            f"{'yes' if r.index_opens else 'NO'}, {r.integrity} |"
        )
    return "\n".join(lines)
