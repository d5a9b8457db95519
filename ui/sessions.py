"""The turn each browser session is running, so that Stop and New chat can reach it from another event."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ui.turns import Request


@dataclass
class Live:
    """The turn a session is running: what it asked for, how to stop it, and its text so far."""

    request: Request
    stop: threading.Event = field(default_factory=threading.Event)
    text: str = ""


class Sessions:
    """Running turns by Gradio session, so that Stop and New chat can reach them (Events cannot live in gr.State)."""

    def __init__(self) -> None:
        self._live: dict[str, Live] = {}
        self._lock = threading.Lock()

    def begin(self, session: str, request: Request) -> Live | None:
        with self._lock:
            if session in self._live:
                return None
            live = self._live[session] = Live(request)
            return live

    def get(self, session: str) -> Live | None:
        with self._lock:
            return self._live.get(session)

    def end(self, session: str, live: Live) -> bool:
        """Marks `live` finished; False when Stop or New chat ended it first (and so own the chat view)."""
        with self._lock:
            if self._live.get(session) is live:
                del self._live[session]
                return True
            return False

    def stop(self, session: str) -> Live | None:
        with self._lock:
            live = self._live.pop(session, None)
        if live is not None:
            live.stop.set()
        return live
