"""The bench's start-up probe: runs eval.bench_startup in a fresh process and turns its marks into durations.

The child keeps its own imports light because they are part of what it times; this side is the parent's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def startup_probe(index_dir: Path, question: str, model: str | None, runtime: str | None = None) -> dict[str, Any]:
    """Process start to first retrieval (and to first answer token with a model in ``runtime``, None: the
    settings'), in a fresh process."""
    command = [sys.executable, "-m", "eval.bench_startup", str(index_dir), question]
    if model:
        command += ["--model", model]
    env = {**os.environ, "PRESSQA_RUNTIME": runtime} if runtime else None  # the child reads its settings
    launched = time.time()
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=900, cwd=Path(__file__).resolve().parents[1], env=env
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    data = json.loads(done.stdout.strip().splitlines()[-1])
    marks = data["marks"]
    result = {
        "to_index_open_s": round(marks["opened"] - launched, 2),
        "to_first_retrieval_s": round(marks["retrieved"] - launched, 2),
        "peak_rss_mb": round(data["peak_rss_mb"], 1),
    }
    if "first_token" in marks:
        result["model_load_s"] = round(marks["model_loaded"] - marks["retrieved"], 2)
        # What a server needs before it can take questions: index open and the model in memory.
        result["to_ready_with_model_s"] = round(marks["model_loaded"] - launched, 2)
        result["to_first_answer_token_s"] = round(marks["first_token"] - launched, 2)
    return result
