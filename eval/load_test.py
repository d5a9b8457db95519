"""A bounded load test on loopback: `users` simulated users each ask `rounds` questions through the web app's
/ask endpoint, every user's question of a round sent at once, spread over one or several app processes.

Each answer's latency is recorded from the moment it is sent; an answer is lost when the call fails or
times out, and mixed up when the answer that comes back is to another question than the one sent (its
"question" field) or carries no text. The app processes can be started here (`start_servers`), all on one
index and one model setting (an OpenAI-compatible server for many users: `openai:http://HOST:PORT/v1#M`),
or be given as running URLs.
"""

from __future__ import annotations

import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# Seconds an app process may take to answer its first page: loading the index and, for a local model,
# the model (13.8 s for a 50,000-chunk index with the 0.5B model, README "Speed").
START_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class Exchange:
    """One question sent and what came back."""

    user: int
    round: int
    server: str
    question: str
    seconds: float
    answered: bool  # an answer came back (not an error or a timeout)
    mixed_up: bool  # it answers another question, or is empty
    method: str
    error: str


def run_load(
    servers: Sequence[str],
    questions: Sequence[str],
    users: int = 16,
    rounds: int = 2,
    auth: tuple[str, str] | None = None,
    timeout_s: float = 900.0,
) -> list[Exchange]:
    """Every user's exchanges; user u talks to servers[u % len(servers)] and asks questions[(u * rounds + r)
    % len(questions)] in round r. The users wait for each other between rounds, so each round starts with
    all of them sending at once."""
    if not servers or not questions:
        raise ValueError("the load test needs at least one server and one question")
    barrier = threading.Barrier(users)
    results: list[Exchange] = []
    lock = threading.Lock()

    def user(u: int) -> None:
        from gradio_client import Client

        server = servers[u % len(servers)]
        client = Client(server, auth=auth, verbose=False)
        for r in range(rounds):
            question = questions[(u * rounds + r) % len(questions)]
            barrier.wait()
            exchange = _ask(client, server, u, r, question, timeout_s)
            with lock:
                results.append(exchange)

    threads = [threading.Thread(target=user, args=(u,), name=f"user-{u}") for u in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(results, key=lambda e: (e.round, e.user))


def _ask(client: Any, server: str, u: int, r: int, question: str, timeout_s: float) -> Exchange:
    t0 = time.perf_counter()
    try:
        job = client.submit(question=question, api_name="/ask")
        answer = job.result(timeout=timeout_s)
    except Exception as exc:  # any failure is a lost answer, recorded with its reason
        seconds = time.perf_counter() - t0
        error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]
        return Exchange(u, r, server, question, seconds, False, False, "", error)
    seconds = time.perf_counter() - t0
    mixed = answer.get("question") != question or not str(answer.get("answer", "")).strip()
    return Exchange(u, r, server, question, seconds, True, mixed, str(answer.get("method", "")), "")


def summarize(exchanges: Sequence[Exchange], round_seconds: Sequence[float]) -> dict[str, Any]:
    """Counts of answers lost and mixed up, and latency (p50, p95, max) per round and over all."""

    def latency(items: Sequence[Exchange]) -> dict[str, float | None]:
        times = sorted(e.seconds for e in items if e.answered)
        if not times:
            return {"p50_s": None, "p95_s": None, "max_s": None}
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        return {"p50_s": round(statistics.median(times), 2), "p95_s": round(p95, 2), "max_s": round(times[-1], 2)}

    by_round = []
    for r, wall in enumerate(round_seconds):
        items = [e for e in exchanges if e.round == r]
        by_round.append({"round": r, "sent": len(items), "wall_s": round(wall, 2), **latency(items)})
    return {
        "sent": len(exchanges),
        "answered": sum(e.answered for e in exchanges),
        "lost": sum(not e.answered for e in exchanges),
        "mixed_up": sum(e.mixed_up for e in exchanges),
        "by_method": _counts(e.method or "(lost)" for e in exchanges),
        "by_server": _counts(e.server for e in exchanges),
        **latency(exchanges),
        "rounds": by_round,
    }


def _counts(values: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return dict(sorted(counts.items()))


def run_rounds(
    servers: Sequence[str],
    questions: Sequence[str],
    users: int,
    rounds: int,
    auth: tuple[str, str] | None = None,
    timeout_s: float = 900.0,
) -> dict[str, Any]:
    """The load test and its summary, each exchange included."""
    t0 = time.perf_counter()
    exchanges = run_load(servers, questions, users, rounds, auth, timeout_s)
    total = time.perf_counter() - t0
    # Each round's wall time: from its first send to its last answer (sends of a round are simultaneous).
    round_seconds = []
    for r in range(rounds):
        items = [e for e in exchanges if e.round == r]
        round_seconds.append(max((e.seconds for e in items), default=0.0))
    return {
        "users": users,
        "rounds": rounds,
        "servers": list(servers),
        "wall_s": round(total, 2),
        "summary": summarize(exchanges, round_seconds),
        "exchanges": [asdict(e) for e in exchanges],
    }


@contextmanager
def start_servers(
    count: int, index: Path, port: int, model: str | None = None, auth: str | None = None
) -> Iterator[list[str]]:
    """`count` app processes (`pressqa serve`) on 127.0.0.1, ports `port`, `port + 1`, ..., all on `index`;
    their URLs once each answers, and every one stopped (SIGINT, then SIGKILL) on the way out."""
    processes: list[subprocess.Popen[bytes]] = []
    urls = [f"http://127.0.0.1:{port + i}/" for i in range(count)]
    try:
        for i in range(count):
            command = [sys.executable, "-m", "ui.cli", "serve", "--index", str(index), "--port", str(port + i)]
            if model:
                command += ["--model", model]
            if auth:
                command += ["--auth", auth]
            processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        for url, process in zip(urls, processes, strict=True):
            _wait_until_up(url, process)
        yield urls
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
            last = err.strip().splitlines()[-1] if err.strip() else f"exit status {process.returncode}"
            raise RuntimeError(f"the app at {url} stopped before it answered: {last}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise RuntimeError(f"the app at {url} did not answer within {START_TIMEOUT_S:.0f} s")
