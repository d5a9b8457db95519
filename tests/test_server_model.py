"""The answer model on an OpenAI-compatible server: llama-cpp-python's own server (`python -m llama_cpp.server`)
started on loopback with the packaged 0.5B GGUF, asked through the engine as any user's question is, then
stopped mid-answer; and what a server that is down, drops a connection, cuts an answer short or is not a
model server gives: one more try, then one line naming it. The servers that misbehave are small real HTTP
servers on loopback."""

from __future__ import annotations

import http.server
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.choice import choose
from qa.server_model import ServerGenerator, ServerModelError, ServerSpec
from tests.test_cli import run
from tests.ui_fixtures import free_port

MODEL = "qwen2.5-0.5b"
ALIAS = "qwen-0.5b"
# A long answer to stop in the middle of.
LONG = [{"role": "user", "content": "Count from one to two hundred in words, one number a line."}]


def _start(port: int) -> subprocess.Popen[bytes]:
    from embeddings.settings import get_settings
    from qa.llamacpp import gguf_path

    gguf = gguf_path(MODEL, get_settings().cache)  # the packaged GGUF, joined and sha256-checked
    # --interrupt_requests False: by default the server cuts a streaming answer short when any other request
    # (a token count of another user's prompt) comes in.
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", ALIAS,
               "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", "2",
               "--interrupt_requests", "False"]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert server.poll() is None, "the model server stopped while starting"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2) as response:
                if json.load(response)["data"][0]["id"] == ALIAS:
                    return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise AssertionError("the model server did not answer within 120 s")


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    port = free_port()
    server = _start(port)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.kill()
        server.wait()


@pytest.fixture(scope="module")
def server_engine(sample_index_dir: Path, server_url: str):
    from embeddings.settings import get_settings
    from qa.engine import Engine

    # Three passages rather than six: half the prompt to read, on a CPU shared with the rest of the tests.
    return Engine.open(get_settings(index=sample_index_dir, model=f"openai:{server_url}#{ALIAS}", top_k=3))


@pytest.mark.slow
def test_a_cited_answer_and_a_refusal_come_through_the_server(server_engine) -> None:
    generator = server_engine.generator()
    assert generator.runtime == "server" and generator.describe().startswith(f"{ALIAS} at http://127.0.0.1:")
    assert generator.context_window() == 4096, "llama-cpp-python's server has no /props: the setting's"
    assert generator.count_tokens("The Millbrook Bridge repair will cost $4.8 million.") > 5  # the server counts
    stream = server_engine.ask("How much will the Millbrook Bridge repair cost?", max_new_tokens=24)
    pieces = list(stream)
    answer = stream.answer
    assert len(pieces) > 3, "the answer streams in pieces"
    assert answer.method == "model" and answer.found and "4.8 million" in answer.text
    assert answer.citations and answer.citations[0].passage.release_id == "riverton_bridge_repair"
    follow = server_engine.ask("And who voted against it?", history=[("How much will the Millbrook Bridge repair "
                               "cost?", answer.text)], max_new_tokens=24)  # fmt: skip
    assert "".join(follow) and follow.answer is not None, "a follow-up is rewritten and answered through it"
    refused = server_engine.ask("What was the population of Mars in 1850?", max_new_tokens=24)
    "".join(refused)
    assert refused.raw, "the model on the server was asked, and said the releases do not say"
    assert not refused.answer.found and refused.answer.text.startswith("The indexed releases do not say")
    summary = server_engine.summarize_release("riverton_bridge_repair", length="short")
    assert "".join(summary) and summary.summary.citations, "a summary is written through it too"


@pytest.mark.slow
def test_a_server_stopped_mid_answer_ends_it_with_one_line() -> None:
    port = free_port()
    server = _start(port)
    generator = ServerGenerator(f"openai:http://127.0.0.1:{port}/v1#{ALIAS}")
    pieces = generator.stream(LONG, max_new_tokens=400)
    try:
        assert next(pieces)
        server.kill()
        server.wait()
        with pytest.raises(ServerModelError, match=r"at http://127\.0\.0\.1:\d+/v1 stopped answering") as raised:
            for _ in pieces:
                pass
        assert "\n" not in str(raised.value)
    finally:
        server.kill()
        server.wait()


def test_a_server_that_is_down_is_one_line_naming_it_quickly(tmp_path: Path, sample_index_dir: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    generator = ServerGenerator(f"openai:{url}#m")
    t0 = time.monotonic()
    with pytest.raises(ServerModelError, match=f"the model server at {url} cannot be reached"):
        generator.complete(LONG, max_new_tokens=5)
    assert time.monotonic() - t0 < 10, "one retry, not a wait"
    result = run("ask", "How much will the Millbrook Bridge repair cost?", "--model", f"openai:{url}#m",
                 index=sample_index_dir)  # fmt: skip
    assert result.returncode != 0
    assert f"the model server at {url} cannot be reached" in result.stderr
    assert "Traceback" not in result.stderr


class _WebPage(http.server.BaseHTTPRequestHandler):
    """A web server that is no model server: every request gets an HTML page."""

    def _page(self) -> None:
        body = b"<html><body>It works!</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _page

    def log_message(self, *args: object) -> None:
        pass


def test_an_address_that_is_no_model_server_is_one_line() -> None:
    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _WebPage)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{web.server_address[1]}/v1"
        with pytest.raises(ServerModelError, match="not a chat-completions stream"):
            ServerGenerator(f"openai:{url}#m").complete(LONG, max_new_tokens=5)
        with pytest.raises(ServerModelError, match="not JSON"):
            _ = ServerGenerator(f"openai:{url}").model  # no model named: the server's list is read
    finally:
        web.shutdown()


def test_the_server_model_is_written_as_a_url_and_a_model() -> None:
    spec = ServerSpec.parse("openai:http://10.0.0.5:8080/v1/#qwen2.5-7b")
    assert (spec.base_url, spec.model, spec.root) == ("http://10.0.0.5:8080/v1", "qwen2.5-7b", "http://10.0.0.5:8080")
    choice = choose("openai:http://10.0.0.5:8080/v1#qwen2.5-7b", runtime="llama.cpp")  # the name decides
    assert choice.runtime == "server"
    assert choice.describe(2) == "qwen2.5-7b at http://10.0.0.5:8080/v1 (OpenAI-compatible server)"
    with pytest.raises(ServerModelError, match="openai:http://HOST:PORT/v1#MODEL"):
        ServerSpec.parse("openai:10.0.0.5:8080")


def _chunk(text: str = "", finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": {"content": text} if text else {}, "finish_reason": finish}
    return f"data: {json.dumps({'object': 'chat.completion.chunk', 'choices': [choice]})}\n\n".encode()


class _Flaky(http.server.BaseHTTPRequestHandler):
    """A chat-completions server that drops the first `drop` connections unanswered, then streams "It is
    done." whole, or (cut=True) "It is" and a [DONE] without a finish reason, as llama-cpp-python's server ends
    an answer it interrupts. /props gives llama-server's context size."""

    protocol_version = "HTTP/1.0"  # the body ends when the connection closes
    drop = 0
    cut = False
    seen = 0

    def do_POST(self) -> None:
        type(self).seen += 1
        self.rfile.read(int(self.headers["Content-Length"]))
        if type(self).seen <= self.drop:
            self.connection.shutdown(socket.SHUT_RDWR)  # no status line: a dropped connection
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        pieces = [_chunk("It"), _chunk(" is")] if self.cut else [_chunk("It"), _chunk(" is done."), _chunk("", "stop")]
        self.wfile.write(b"".join(pieces) + b"data: [DONE]\n\n")

    def do_GET(self) -> None:
        body = json.dumps({"default_generation_settings": {"n_ctx": 2048}}).encode()
        self.send_response(200 if self.path == "/props" else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def flaky() -> Iterator[tuple[type[_Flaky], str]]:
    handler = type("Flaky", (_Flaky,), {})  # its own counters
    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    try:
        yield handler, f"openai:http://127.0.0.1:{web.server_address[1]}/v1#m"
    finally:
        web.shutdown()
        web.server_close()


def test_a_dropped_connection_is_tried_once_more(flaky: tuple[type[_Flaky], str]) -> None:
    handler, name = flaky
    handler.drop = 1
    generator = ServerGenerator(name)
    assert generator.complete(LONG, max_new_tokens=5) == "It is done."
    assert handler.seen == 2
    assert generator.context_window() == 2048, "llama-server's /props gives the context"


def test_a_connection_dropped_twice_is_one_line(flaky: tuple[type[_Flaky], str]) -> None:
    handler, name = flaky
    handler.drop = 2
    with pytest.raises(ServerModelError, match=r"^the model server at http://127\.0\.0\.1:\d+/v1 cannot be reached: "):
        ServerGenerator(name).complete(LONG, max_new_tokens=5)
    assert handler.seen == 2, "one more try, not more"


def test_an_answer_the_server_cuts_short_is_one_line_not_a_whole_answer(flaky: tuple[type[_Flaky], str]) -> None:
    handler, name = flaky
    handler.cut = True
    pieces = ServerGenerator(name).stream(LONG, max_new_tokens=5)
    assert next(pieces) == "It"
    with pytest.raises(
        ServerModelError, match=r"ended the answer before its end .* --interrupt_requests False"
    ) as raised:
        list(pieces)
    assert "\n" not in str(raised.value) and handler.seen == 1
