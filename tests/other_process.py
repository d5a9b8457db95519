"""Another process changing an index that this one has open: `pressqa ingest` and `pressqa remove` run for real.

Used by the reload tests (tests/test_reload.py, tests/test_ui_reload.py): the process under test keeps its
Index (or its running web app) open while these commands commit to the same folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

QUOKKA_ID = "tallow_bay_quokkas"
# "quokka" appears in no sample release, so only this release can match it.
QUOKKA_RELEASE = """---
title: Tallow Bay Wildlife Trust Counts 412 Quokkas on Marrup Island
date: 2025-09-14
organisation: Tallow Bay Wildlife Trust
---
TALLOW BAY, Sept. 14, 2025 — Volunteers of the Tallow Bay Wildlife Trust counted 412 quokkas on Marrup
Island during the trust's spring survey, up from 371 last year. The quokka colony has grown every year
since feral cats were removed from the island in 2019.

The trust will fence two more nesting gullies this summer with a grant of $85,000.
"""
QUOKKA_QUESTION = "How many quokkas were counted on Marrup Island?"


def pressqa(*args: str, index: Path) -> subprocess.CompletedProcess[str]:
    """`pressqa ARGS --index INDEX` in a process of its own, from this checkout; fails the test when it fails."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, "-m", "ui.cli", *args, "--index", str(index)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return result


def ingest_quokkas(index: Path, folder: Path) -> None:
    """Adds the quokka release to `index` from another process."""
    path = folder / f"{QUOKKA_ID}.md"
    path.write_text(QUOKKA_RELEASE, encoding="utf-8")
    assert "1 added" in pressqa("ingest", str(path), index=index).stdout
