"""The answer model on an OpenAI-compatible chat-completions server (llama.cpp's `llama-server`,
llama-cpp-python's `python -m llama_cpp.server`, vLLM, Ollama), named `openai:http://HOST:PORT/v1#MODEL`.

Answers stream from `POST {base}/chat/completions` as server-sent events, greedy like the in-process
runtimes, and go through the same guard (qa.guard: loops and the time budget). A connection that fails, or
a stream that breaks before any text came, is tried once more; after that, and for a server that answers an
HTTP error or something that is not a chat-completions stream, the answer ends with one ModelError line
naming the server. No lock: the server queues or batches the requests of every user itself.

Prompt trimming needs token counts: llama.cpp's servers count them (`/extras/tokenize` in llama-cpp-python,
`/tokenize` in llama-server); another server's are estimated from the text's length.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from qa.guard import guarded
from qa.models import ModelError
from qa.runtime import Messages, Runtime

logger = logging.getLogger(__name__)

PREFIX = "openai:"
# Characters a token, for a server that cannot count them: the packaged Qwen2.5 tokenizer gives 4.3 on
# DOJ release text (61,563 chunks, 25.6M characters); 3.5 errs towards trimming a prompt too much rather
# than overflowing the server's context.
CHARS_PER_TOKEN = 3.5
# Tokens a chat message adds around its content in the ChatML template of Qwen2.5 ("<|im_start|>user\n"
# ... "<|im_end|>\n"), and the reply's opening.
MESSAGE_TOKENS = 5
REPLY_TOKENS = 3
# Pause before the one retry of a dropped connection: long enough for a restarting server's socket.
RETRY_PAUSE_S = 0.5
_NOT_LOOKED_FOR = "?"


class ServerModelError(ModelError):
    """The model server is down, answered an error, or answered something that is not a chat completion."""


@dataclass(frozen=True)
class ServerSpec:
    base_url: str  # ending in /v1
    model: str  # "" when the spec names none: the server's first model

    @classmethod
    def parse(cls, spec: str) -> ServerSpec:
        """ "openai:http://127.0.0.1:8080/v1#qwen" -> (http://127.0.0.1:8080/v1, qwen)."""
        if not spec.startswith(PREFIX):
            raise ValueError(f"not a server model: {spec!r}")
        url, _, model = spec[len(PREFIX) :].partition("#")
        url = url.rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ServerModelError(f"{spec}: write the server as openai:http://HOST:PORT/v1#MODEL")
        return cls(url, model.strip())

    @property
    def root(self) -> str:
        """The server's address without the API path, where llama.cpp's servers keep /tokenize."""
        return self.base_url[: -len("/v1")] if self.base_url.endswith("/v1") else self.base_url


def is_server_model(name: str) -> bool:
    return name.startswith(PREFIX)


class ServerGenerator:
    """A chat model behind an OpenAI-compatible server. Thread-safe: each answer is its own request."""

    runtime: Runtime = "server"

    def __init__(self, name: str, api_key: str | None = None, timeout_s: float = 120.0, context: int = 4096):
        self.name = name
        self.spec = ServerSpec.parse(name)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # The timeout bounds connecting and each wait for data, not a whole streamed answer.
        self._client = httpx.Client(headers=headers, timeout=httpx.Timeout(timeout_s, connect=10.0))
        self._context = context
        self._count_route: str | None = _NOT_LOOKED_FOR  # the server's tokenize route; None: it has none
        self._model: str | None = self.spec.model or None
        self._lock = threading.Lock()

    # ------------------------------------------------------------ what the answer code asks

    def describe(self) -> str:
        return f"{self.model} at {self.spec.base_url} (OpenAI-compatible server)"

    @property
    def model(self) -> str:
        """The model the requests name: the spec's, or the server's first (one request, then kept)."""
        if self._model is None:
            data = self._get_json(f"{self.spec.base_url}/models")
            models = data.get("data") if isinstance(data, dict) else None
            if not models or not isinstance(models, list) or not isinstance(models[0], dict) or "id" not in models[0]:
                raise ServerModelError(f"the model server at {self.spec.base_url} lists no model")
            self._model = str(models[0]["id"])
        return self._model

    def context_window(self) -> int:
        return self._context

    def count_tokens(self, text: str) -> int:
        counted = self._server_count(text)
        return counted if counted is not None else max(1, round(len(text) / CHARS_PER_TOKEN))

    def prompt_tokens(self, messages: Messages) -> int:
        return sum(self.count_tokens(m["content"]) + MESSAGE_TOKENS for m in messages) + REPLY_TOKENS

    def complete(self, messages: Messages, max_new_tokens: int = 256) -> str:
        return "".join(self.stream(messages, max_new_tokens=max_new_tokens))

    def stream(
        self,
        messages: Messages,
        max_new_tokens: int = 256,
        stop: threading.Event | None = None,
        budget_s: float | None = None,
    ) -> Iterator[str]:
        """Yield the answer's text as the server streams it; ``stop``, closing the iterator, a loop or
        ``budget_s`` end it (and close the request, which a llama.cpp server takes as a cancel)."""
        return guarded(self._pieces(messages, max_new_tokens, stop), budget_s)

    # ------------------------------------------------------------ the requests

    def _pieces(self, messages: Messages, max_new_tokens: int, stop: threading.Event | None) -> Iterator[str]:
        body = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_new_tokens,
            "temperature": 0.0,
            "top_p": 1.0,
            # llama.cpp's servers penalise repeats by default (1.1), which moves even greedy decoding away from
            # the in-process runtimes' answers ("the population of Mars in 1850" got a number, not a refusal);
            # servers that do not know the field ignore it.
            "repeat_penalty": 1.0,
            "stream": True,
        }
        for attempt in (1, 2):
            produced = False
            try:
                with self._client.stream("POST", f"{self.spec.base_url}/chat/completions", json=body) as response:
                    self._check(response)
                    for piece in self._events(response):
                        produced = True
                        yield piece
                        if stop is not None and stop.is_set():
                            return
                return
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as exc:
                if produced or attempt == 2:
                    what = "stopped answering" if produced else "cannot be reached"
                    raise ServerModelError(f"the model server at {self.spec.base_url} {what}: {_reason(exc)}") from exc
                logger.warning("model server %s: %s; trying once more", self.spec.base_url, _reason(exc))
                time.sleep(RETRY_PAUSE_S)
            except httpx.TimeoutException as exc:
                raise ServerModelError(
                    f"the model server at {self.spec.base_url} sent nothing for {self._client.timeout.read:.0f} s"
                ) from exc

    def _check(self, response: httpx.Response) -> None:
        if response.status_code != 200:
            response.read()
            detail = " ".join(response.text.split())[:200]
            raise ServerModelError(
                f"the model server at {self.spec.base_url} answered HTTP {response.status_code}: {detail}"
            )
        kind = response.headers.get("content-type", "")
        if "text/event-stream" not in kind:
            raise ServerModelError(
                f"the model server at {self.spec.base_url} answered {kind or 'no content type'}, not a "
                "chat-completions stream: is it an OpenAI-compatible /v1 address?"
            )

    def _events(self, response: httpx.Response) -> Iterator[str]:
        """The text of each server-sent chat-completion chunk, until [DONE]."""
        for line in response.iter_lines():
            if not line.startswith("data:"):
                continue  # blank separators, comments, event names
            data = line[len("data:") :].strip()
            if data == "[DONE]":
                return
            try:
                chunk = json.loads(data)
                choice = chunk["choices"][0] if chunk.get("choices") else {}
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise ServerModelError(
                    f"the model server at {self.spec.base_url} sent something other than a chat-completion "
                    f"chunk: {data[:120]}"
                ) from exc
            if isinstance(chunk, dict) and chunk.get("error"):
                raise ServerModelError(f"the model server at {self.spec.base_url} reported: {chunk['error']}")
            text = (choice.get("delta") or {}).get("content") if isinstance(choice, dict) else None
            if text:
                yield text

    def _server_count(self, text: str) -> int | None:
        """Tokens the server counts for `text`, or None where it offers no tokenizer (then kept as None)."""
        if self._count_route is None:
            return None
        routes = ["/extras/tokenize", "/tokenize"] if self._count_route == _NOT_LOOKED_FOR else [self._count_route]
        for route in routes:
            body: dict[str, Any] = {"input": text} if route == "/extras/tokenize" else {"content": text}
            try:
                response = self._client.post(f"{self.spec.root}{route}", json=body)
                tokens = response.json().get("tokens") if response.status_code == 200 else None
            except (httpx.HTTPError, ValueError, AttributeError):
                tokens = None
            if isinstance(tokens, list):
                self._count_route = route
                return len(tokens)
        with self._lock:
            self._count_route = None
        logger.info("model server %s counts no tokens: estimating %.1f characters a token", self.spec.base_url,
                    CHARS_PER_TOKEN)  # fmt: skip
        return None

    def _get_json(self, url: str) -> Any:
        try:
            response = self._client.get(url)
        except httpx.HTTPError as exc:
            where = self.spec.base_url
            raise ServerModelError(f"the model server at {where} cannot be reached: {_reason(exc)}") from exc
        if response.status_code != 200:
            raise ServerModelError(f"the model server at {self.spec.base_url} answered HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError as exc:
            raise ServerModelError(
                f"the model server at {self.spec.base_url} answered something that is not JSON: is it an "
                "OpenAI-compatible /v1 address?"
            ) from exc


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else type(exc).__name__
