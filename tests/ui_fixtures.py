"""Fixtures for the web app tests: a running app on a free localhost port over a writable sample index.

Import the fixtures into a test module by name (`from ui_fixtures import ui_app, ...`). The app runs in
this process, so the language model is loaded once for the whole session, and once per module the app
gets a fresh copy of the sample index, so uploads in one module never leak into another.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
# Short answers keep the suite's run time reasonable on a 2-core CPU; the UI code paths are the same.
TEST_MAX_NEW_TOKENS = 40
TEST_TOP_K = 3
TEST_MAX_UPLOAD_BYTES = 256 * 1024

NEW_RELEASE = """---
title: Quillby Ferries Orders Two Electric Ferries for the Halden Crossing
date: 2025-10-02
organisation: Quillby Ferries
---
HALDEN, Oct. 2, 2025 — Quillby Ferries has ordered two battery-electric ferries from the Ostrava Marine
shipyard for its Halden crossing. The ferries, to be named Heron and Kestrel, will each carry 240
passengers and 40 cars, and will enter service in spring 2027.

The order is worth $38.5 million. Charging points at both piers will be built by Halden Grid.
"""

XSS_RELEASE = """---
title: Zorblax Labs Opens a Test Kitchen <script>window.__pq_xss = 'script'</script>
date: 2025-11-20
organisation: Zorblax Labs
---
ASHFORD, Nov. 20, 2025 — Zorblax Labs opened its new test kitchen in Ashford on Thursday.
<img src=x onerror="window.__pq_xss = 'img'; alert('img')">
<script>window.__pq_xss = 'script'; alert('script')</script>
Read the [full menu](javascript:window.__pq_xss='link';alert('link')) for details.
The test kitchen cost $2.1 million and employs 14 chefs.
"""


@dataclass(frozen=True)
class RunningApp:
    url: str
    index_dir: Path
    engine: object


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def ui_index_dir(sample_index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("ui-index") / "index"
    shutil.copytree(sample_index_dir, target)
    return target


@pytest.fixture(scope="module")
def ui_engine(ui_index_dir: Path, encoder):
    from embeddings.index import Index
    from embeddings.settings import get_settings
    from qa.engine import Engine

    settings = get_settings(
        index=ui_index_dir,
        top_k=TEST_TOP_K,
        max_new_tokens=TEST_MAX_NEW_TOKENS,
        max_upload_bytes=TEST_MAX_UPLOAD_BYTES,
    )
    index = Index.open(ui_index_dir, encoder.name, encoder.dim, create=False)
    yield Engine(settings, index, encoder)
    index.close()


@pytest.fixture(scope="module")
def ui_app(ui_engine, ui_index_dir: Path) -> Iterator[RunningApp]:
    from ui.app import start
    from ui.chat import stop_all_turns

    demo, url = start(ui_engine, port=free_port())
    try:
        yield RunningApp(url, ui_index_dir, ui_engine)
    finally:
        demo.close()
        stop_all_turns()  # a generation still running at exit would abort the test process


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
