"""The web chat's entry points: `pressqa serve` calls `serve(engine, ...)`; tests call `start(...)` and get a URL back.

The page and its events are ui.layout and ui.webapp; this module builds them into an app and launches it
with safe defaults (localhost, no public share link, optional login).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any

import gradio as gr

from ui.chat import stop_all_turns
from ui.theme import CSS, HEAD, theme
from ui.webapp import WebApp

if TYPE_CHECKING:
    from qa.engine import Engine

logger = logging.getLogger(__name__)


def build_app(engine: Engine) -> gr.Blocks:
    """The app over `engine`; answer length, passages per answer and upload size come from engine.settings."""
    demo = WebApp(engine).build()
    demo.queue(default_concurrency_limit=4)
    return demo


def parse_auth(auth: str | None) -> tuple[str, str] | None:
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not (sep and user and password):
        raise ValueError("--auth (or PRESSQA_AUTH) must be USER:PASS, both non-empty")
    return user, password


def launch_options(engine: Engine, host: str, port: int | None, auth: str | None) -> dict[str, Any]:
    return {
        "server_name": host,
        "server_port": port,
        "auth": parse_auth(auth),
        "auth_message": "pressqa: sign in to ask about the press releases.",
        "share": False,  # never: the releases and questions stay on this machine
        "max_file_size": engine.settings.max_upload_bytes,
        "footer_links": ["api"],
        "show_error": False,
        "ssr_mode": False,
        "mcp_server": False,
        "pwa": False,
        "enable_monitoring": False,
        "theme": theme(),
        "css": CSS,
        "head": HEAD,
    }


def _preload(engine: Engine) -> None:
    """Loads the language model in the background, so the first question does not wait for it."""
    try:
        engine.generator()
    except Exception as exc:  # reported to whoever asks first, as a message in the chat
        logger.warning("could not preload the language model: %s", exc)


def start(
    engine: Engine,
    host: str = "127.0.0.1",
    port: int | None = None,
    auth: str | None = None,
    block: bool = False,
) -> tuple[gr.Blocks, str]:
    """Launches the app; returns (demo, local URL) at once unless `block`."""
    demo = build_app(engine)
    _, url, _ = demo.launch(prevent_thread_lock=not block, **launch_options(engine, host, port, auth))
    return demo, url


def _stop_on_sigterm() -> None:
    """Makes SIGTERM (what `kill`, `timeout` and service managers send) and SIGINT stop the server as
    Ctrl-C does.

    Python's default for SIGTERM ends the process at once, skipping the exit handlers, so the folder of
    conversation exports (ui.webapp) stayed behind; as a KeyboardInterrupt, Gradio closes the server and
    the process exits normally.
    """

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    # A process started in the background by a shell without job control (`pressqa serve &` in a script,
    # a CI job) inherits SIGINT ignored, and Python then leaves it ignored: the server would outlive a
    # Ctrl-C or `kill -INT`. It serves until interrupted, so it takes SIGINT back.
    signal.signal(signal.SIGINT, interrupt)


def serve(engine: Engine, host: str = "127.0.0.1", port: int = 7860, auth: str | None = None) -> None:
    """Serves the web chat until interrupted (what `pressqa serve` runs)."""
    try:
        parse_auth(auth)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    _stop_on_sigterm()
    threading.Thread(target=_preload, args=(engine,), name="pressqa-preload", daemon=True).start()
    try:
        start(engine, host, port, auth, block=True)
    finally:
        stop_all_turns()
