"""What made a result: the commit, and the machine (CPU, threads, library versions).

Every summary.json records both, so a number can always be traced to the code and the machine that
made it; `pressqa eval table` shows the machine as a short CPU label.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# summary.json files from before machines were recorded: all were made on this project's 2-core
# AVX2-only AMD EPYC (README, "Measured").
UNRECORDED_CPU = "EPYC AVX2 (not recorded)"


def git_state() -> dict[str, Any]:
    """The commit the run measured, and whether the working tree differed from it (read-only git calls)."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def threads_used(configured: int | None, generated: bool) -> int:
    """The threads a run computed with. With a model, torch's (process-wide; the answer model sets it from
    PRESSQA_THREADS); retrieval only, the encoder's concurrent batches: PRESSQA_THREADS, else the usable cores
    (as embeddings.encode.Encoder decides)."""
    torch = sys.modules.get("torch")
    if generated and "llama_cpp" in sys.modules:
        from qa.runtime import physical_cores

        return configured or physical_cores()  # what qa.llamacpp loads the model with
    if generated and torch is not None:
        return int(torch.get_num_threads())
    if configured:
        return max(1, configured)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def machine(configured_threads: int | None, generated: bool) -> dict[str, Any]:
    from embeddings.hardware import machine_info

    return machine_info(threads_used(configured_threads, generated))


def cpu_label(info: Mapping[str, Any] | None) -> str:
    """A recorded machine in two words, vendor line and the fastest instructions it has: "Xeon AMX",
    "EPYC AVX2"; UNRECORDED_CPU where the run predates recording it."""
    if info is None:
        return UNRECORDED_CPU
    model = str(info.get("model") or "")
    family = next((name for name in ("Xeon", "EPYC", "Ryzen", "Core") if name in model), model.split(" ")[0] or "CPU")
    flags = info.get("flags") or {}
    has = {name for name, present in flags.items() if present} if isinstance(flags, Mapping) else set(flags)
    if has & {"amx_bf16", "amx_int8"}:
        isa = "AMX"
    elif "avx512_bf16" in has:
        isa = "AVX-512 BF16"
    elif "avx512_vnni" in has:
        isa = "AVX-512 VNNI"
    elif "avx512f" in has:
        isa = "AVX-512"
    elif "avx2" in has:
        isa = "AVX2"
    else:
        isa = "no AVX2"
    return f"{family} {isa}"
