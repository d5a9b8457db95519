"""The answer model on an OpenAI-compatible chat-completions server (llama.cpp's `llama-server`,
llama-cpp-python's `python -m llama_cpp.server`, vLLM, Ollama), named `openai:http://HOST:PORT/v1#MODEL`.

Answers stream from `POST {base}/chat/completions` as server-sent events, greedy like the in-process
runtimes, and go through the same guard (qa.guard: loops and the time budget). A connection that fails, or
a stream that breaks before any text came, is tried once more; after that, and for a server that answers an
HTTP error or something that is not a chat-completions stream, the answer ends with one ModelError line
naming the server. No lock: the server queues or batches the requests of every user itself.

Prompt trimming needs token counts: llama.cpp's servers count them (`/extras/tokenize` in llama-cpp-python,
`/tokenize` in llama-server); another server's are estimated from the text's length. The context window is
the one llama-server reports (`/props`), else Settings.server_context.

A stream that ends without a finish reason was cut short by the server, not finished: llama-cpp-python's
server does that to a streaming answer whenever another request comes in (its --interrupt_requests, on by
default), ending it with a plain [DONE]. Such an answer ends with the one-line error instead of passing
for a whole one.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import httpx

from qa.guard import guarded
from qa.models import ModelError
from qa.runtime import Messages, Runtime

logger = logging.getLogger(__name__)

PREFIX = "openai:"
# Characters a token, for a server that cannot count them: the packaged Qwen2.5 tokenizer (the same in the
# 0.5B and 1.5B GGUFs) gives 4.3 on DOJ release text (61,563 chunks, 25.6M characters) and 4.19 on the 14
# bundled sample releases (30,042 characters, 7,164 tokens; 3.57 to 4.49 a release); 3.5, below every
# release measured, errs towards trimming a prompt too much rather than overflowing the server's context.
CHARS_PER_TOKEN = 3.5
# Tokens a chat message adds around its content in the ChatML template of Qwen2.5 ("<|im_start|>user\n"
# ... "<|im_end|>\n"), and the reply's opening.
MESSAGE_TOKENS = 5
REPLY_TOKENS = 3
# Pause before the one retry of a dropped connection: long enough for a restarting server's socket.
RETRY_PAUSE_S = 0.5
# Failures of the connection itself, before or during a stream: worth one more try when no text came yet.
# (httpx.NetworkError covers connect, read, write and close errors; a connect timeout is a dropped
# connection too, not a slow model.)
DROPPED = (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ConnectTimeout)
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


def describe_server_model(name: str, model: str | None = None) -> str:
    """``qwen at http://127.0.0.1:8080/v1 (OpenAI-compatible server)``; `model` where the server named it."""
    spec = ServerSpec.parse(name)
    return f"{model or spec.model or 'its first model'} at {spec.base_url} (OpenAI-compatible server)"


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

    # ------------------------------------------------------------ what the answer code asks

    def describe(self) -> str:
        return describe_server_model(self.name, self.model)

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
        """The context llama-server reports it was started with (`/props`), else the setting's."""
        return self._props_context or self._context

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
        where = self.spec.base_url
        for attempt in (1, 2):
            produced = False
            try:
                with self._client.stream("POST", f"{where}/chat/completions", json=body) as response:
                    self._check(response)
                    events = _Events(response, where)
                    for piece in events:
                        produced = True
                        yield piece
                        if stop is not None and stop.is_set():
                            return
                    if events.finished:
                        return
                    if produced or attempt == 2:
                        raise ServerModelError(
                            f"the model server at {where} ended the answer before its end (llama-cpp-python's "
                            "server does so when another request comes in: start it with --interrupt_requests False)"
                        )
                    logger.warning("model server %s ended a stream before any text; trying once more", where)
            except DROPPED as exc:
                if produced or attempt == 2:
                    what = "stopped answering" if produced else "cannot be reached"
                    raise ServerModelError(f"the model server at {where} {what}: {_reason(exc)}") from exc
                logger.warning("model server %s: %s; trying once more", where, _reason(exc))
            except httpx.TimeoutException as exc:
                raise ServerModelError(
                    f"the model server at {where} sent nothing for {self._client.timeout.read:.0f} s"
                ) from exc
            except httpx.HTTPError as exc:  # anything else httpx refuses (a redirect loop, a bad response)
                raise ServerModelError(f"the model server at {where} failed: {_reason(exc)}") from exc
            time.sleep(RETRY_PAUSE_S)

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
        self._count_route = None
        logger.info("model server %s counts no tokens: estimating %.1f characters a token", self.spec.base_url,
                    CHARS_PER_TOKEN)  # fmt: skip
        return None

    @cached_property
    def _props_context(self) -> int | None:
        """llama-server's context per request slot (`/props` default_generation_settings.n_ctx), asked once;
        None where the server has no such route (llama-cpp-python's, vLLM, Ollama)."""
        try:
            response = self._client.get(f"{self.spec.root}/props")
            data = response.json() if response.status_code == 200 else None
            n_ctx = data.get("default_generation_settings", {}).get("n_ctx") if isinstance(data, dict) else None
        except (httpx.HTTPError, ValueError, AttributeError):
            return None
        return n_ctx if isinstance(n_ctx, int) and n_ctx > 0 else None

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


class _Events:
    """The text of each server-sent chat-completion chunk of `response`, until [DONE]; `finished` tells
    whether a chunk gave a finish reason ("stop", "length"), as every complete OpenAI stream does."""

    def __init__(self, response: httpx.Response, where: str):
        self.response = response
        self.where = where
        self.finished = False

    def __iter__(self) -> Iterator[str]:
        for line in self.response.iter_lines():
            if not line.startswith("data:"):
                continue  # blank separators, comments, event names
            data = line[len("data:") :].strip()
            if data == "[DONE]":
                return
            try:
                chunk = json.loads(data)
                choice = chunk["choices"][0] if chunk.get("choices") else {}
            except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
                raise ServerModelError(
                    f"the model server at {self.where} sent something other than a chat-completion chunk: "
                    f"{' '.join(data.split())[:120]}"
                ) from exc
            if chunk.get("error"):
                error = " ".join(str(chunk["error"]).split())[:200]
                raise ServerModelError(f"the model server at {self.where} reported: {error}")
            if not isinstance(choice, dict):
                continue
            if choice.get("finish_reason"):
                self.finished = True
            text = (choice.get("delta") or {}).get("content")
            if text:
                yield text


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else type(exc).__name__
