"""What the CPU can do, read once, and the one place every CPU-dependent choice asks.

This project runs on 2-core AVX2-only AMD EPYC machines and on 2-core Intel Xeons with AVX-512 BF16/VNNI
and AMX; bf16 and int8 speeds differ by several times between them. Every branch that depends on the CPU
(the answer model's dtype, what int8 means for it, the embedding backend) calls ``cpu()``, so a test can
pin either kind of machine with ``pinned_cpu(...)`` and exercise both branches on whichever it runs on.
"""

from __future__ import annotations

import functools
import importlib.metadata as metadata
import os
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# The instruction sets that change which kernels are fastest here, as /proc/cpuinfo names them.
FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8")


@dataclass(frozen=True, slots=True)
class Cpu:
    model: str
    cores: int
    flags: frozenset[str]  # the members of FLAGS this CPU has

    @property
    def native_bf16(self) -> bool:
        """bfloat16 matmuls in hardware (AVX512-BF16 or AMX); elsewhere torch emulates them, 3-4x slower."""
        return bool(self.flags & {"avx512_bf16", "amx_bf16"})

    @property
    def int8_dot(self) -> bool:
        """int8 dot-product instructions (VNNI or AMX), which is what makes int8 kernels pay off."""
        return bool(self.flags & {"avx512_vnni", "amx_int8"})

    def describe(self) -> str:
        shown = ", ".join(f for f in FLAGS if f in self.flags) or "no AVX2"
        return f"{self.model} ({self.cores} cores; {shown})"


@functools.cache
def detected_cpu() -> Cpu:
    model, flags = platform.processor() or platform.machine(), frozenset[str]()
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        text = ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and model in ("", platform.machine(), platform.processor()):
            model = value.strip()
        elif key == "flags" and not flags:
            flags = frozenset(value.split()) & frozenset(FLAGS)
    return Cpu(model=model or "unknown CPU", cores=os.cpu_count() or 1, flags=flags)


_pinned: Cpu | None = None


def cpu() -> Cpu:
    """The CPU that choices are made for: the detected one, or the one a test pinned."""
    return _pinned or detected_cpu()


@contextmanager
def pinned_cpu(*flags: str, model: str = "pinned CPU") -> Iterator[Cpu]:
    """Make ``cpu()`` report a CPU with exactly these FLAGS (for tests of both kinds of machine)."""
    global _pinned
    unknown = set(flags) - set(FLAGS)
    if unknown:
        raise ValueError(f"unknown CPU flags {sorted(unknown)}; known: {', '.join(FLAGS)}")
    before = _pinned
    _pinned = Cpu(model=model, cores=detected_cpu().cores, flags=frozenset(flags))
    try:
        yield _pinned
    finally:
        _pinned = before


AVX2_ONLY = ("avx2",)  # the 2-core AMD EPYC
AMX_XEON = FLAGS  # the 2-core Intel Xeon: AVX-512 BF16/VNNI and AMX


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def machine_info(threads: int | None = None) -> dict[str, Any]:
    """What every result file records, so a number can always be traced to the machine that made it."""
    found = detected_cpu()
    info = asdict(found)
    info["flags"] = {flag: flag in found.flags for flag in FLAGS}
    if threads is None:
        import sys

        torch = sys.modules.get("torch")  # never import torch just to ask
        threads = torch.get_num_threads() if torch is not None else None
    info["threads"] = threads
    info["torch"] = _version("torch")
    info["onnxruntime"] = _version("onnxruntime")
    info["python"] = platform.python_version()
    return info
