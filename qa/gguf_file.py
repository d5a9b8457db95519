"""The packaged GGUF as llama.cpp loads it: chunks joined once into the cache, sha256-checked, never converted.

transformers needs the safetensors conversion in qa/models.py; llama.cpp runs the GGUF's own quantisation,
so this is the whole of its model preparation.
"""

from __future__ import annotations

import os
from pathlib import Path

from qa.models import (
    REGISTRY,
    TMP_PREFIX,
    ModelError,
    ModelSpec,
    UnknownModelError,
    build_lock,
    check_disk,
    find_chunks,
    join_chunks,
)


def gguf_cache_path(cache_dir: Path, name: str, sha256: str) -> Path:
    # Beside the converted directories rather than among them: "models/" holds only finished conversions.
    return Path(cache_dir) / "gguf" / f"{name}-{sha256[:12]}.gguf"


def _joined_gguf(spec: ModelSpec, cache_dir: Path) -> Path:
    """The packaged model's chunks joined once into the cache; the file exists only if its sha256 matched.

    join_chunks writes a temp name that is renamed into place only after the hash matched, so a later start
    trusts a file of the right size under the final name without reading 0.5-1 GB again.
    """
    final = gguf_cache_path(cache_dir, spec.name, spec.sha256)
    if final.is_file() and (spec.size is None or final.stat().st_size == spec.size):
        return final
    chunks = find_chunks(spec)
    parent = final.parent
    parent.mkdir(parents=True, exist_ok=True)
    with build_lock(parent, final.name):
        if final.is_file() and (spec.size is None or final.stat().st_size == spec.size):
            return final  # another thread/process joined it while we waited
        for stale in parent.glob(f"{TMP_PREFIX}{final.name}-*"):
            stale.unlink(missing_ok=True)
        if spec.size is not None:
            check_disk(parent, int(spec.size * 1.1), spec.name)
        tmp = parent / f"{TMP_PREFIX}{final.name}-{os.getpid()}"
        join_chunks(chunks, tmp, spec.sha256, spec.size, spec.name)  # removes tmp itself on a mismatch
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    return final


def gguf_path(name_or_path: str, cache_dir: Path) -> Path:
    """A GGUF file llama.cpp loads as is: a registry model's joined, sha256-checked file, or a local .gguf.

    No conversion: llama.cpp runs the GGUF's own quantisation. A Hugging Face directory is refused, since
    only transformers can run it.
    """
    if name_or_path in REGISTRY:
        return _joined_gguf(REGISTRY[name_or_path], Path(cache_dir))
    path = Path(name_or_path).expanduser()
    if path.is_file() and path.suffix.lower() == ".gguf":
        return path.resolve()
    if path.exists():
        raise ModelError(f"{path} is not a .gguf file; the llama.cpp runtime loads only GGUF models")
    raise UnknownModelError(
        f"unknown model {name_or_path!r}: use one of {', '.join(REGISTRY)} or the path of a .gguf file"
    )
