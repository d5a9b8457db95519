"""The llama.cpp runtime: the packaged GGUF loaded as it is, behind the same streaming interface as transformers.

The slow tests load the real packaged 0.5B model through llama-cpp-python (a dependency, compiled by
`make setup`); the default 1.5B answers through it in the engine, web and CLI tests.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from embeddings.settings import Settings, get_settings
from qa.generate import get_generator
from qa.gguf_file import gguf_cache_path, gguf_path
from qa.llamacpp import PROMPT_BATCH, available
from qa.models import REGISTRY, ModelError, file_sha256, resolve_model
from qa.runtime import RUNTIMES, TextGenerator, check_runtime, physical_cores
from tests.conftest import SAMPLES

DEFAULT = "qwen2.5-0.5b"
FRANCE = [{"role": "user", "content": "What is the capital of France? Answer in one word."}]
COUNT = [{"role": "user", "content": "Count from 1 to 60, separated by commas."}]


@pytest.fixture(scope="session")
def cache_dir() -> Path:
    return Settings().cache


@pytest.fixture(scope="session")
def llama(cache_dir: Path) -> TextGenerator:
    return get_generator(DEFAULT, cache_dir, threads=2, runtime="llama.cpp")


def _long_prompt(min_words: int) -> list[dict[str, str]]:
    """Real release text, several hundred tokens: a one-token prompt decoding says nothing about batches."""
    words: list[str] = []
    for path in sorted(SAMPLES.glob("*.txt")):
        words += path.read_text().split()
    text = " ".join(words[:min_words])
    question = "In one sentence: what is the text above about?"
    return [{"role": "user", "content": f"{text}\n{question}"}]


# --- cheap tests: no model loading --------------------------------------------------------------------


def test_llama_cpp_is_installed() -> None:
    # A dependency of the default runtime: a failed build must fail here, not skip every test below.
    assert available()


def test_runtime_setting_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRESSQA_RUNTIME", raising=False)
    assert Settings().runtime == "auto"
    monkeypatch.setenv("PRESSQA_RUNTIME", "llama.cpp")
    assert Settings().runtime == "llama.cpp"
    assert get_settings(runtime="transformers").runtime == "transformers"
    monkeypatch.setenv("PRESSQA_RUNTIME", "onnx")
    with pytest.raises(ValueError, match=r"llama\.cpp"):
        Settings()


def test_unknown_runtime_is_refused() -> None:
    assert set(RUNTIMES) == {"transformers", "llama.cpp", "server"}
    assert check_runtime("llama.cpp") == "llama.cpp"
    with pytest.raises(ValueError, match="openai:http://HOST:PORT/v1#MODEL"):
        check_runtime("server")  # only a server model's name chooses it
    with pytest.raises(ValueError, match="unknown runtime 'vllm'"):
        get_generator(DEFAULT, Path("/nonexistent"), runtime="vllm")


def test_llama_cpp_refuses_transformers_weight_options() -> None:
    # Refused before anything loads: the GGUF's own quantisation is what llama.cpp runs.
    with pytest.raises(ModelError, match="transformers runtime"):
        get_generator(DEFAULT, Path("/nonexistent"), quantize=True, runtime="llama.cpp")


def test_gguf_path_takes_gguf_files_only(tmp_path: Path) -> None:
    local = tmp_path / "my-model.gguf"
    local.write_bytes(b"GGUF")
    assert gguf_path(str(local), tmp_path) == local.resolve()  # used where it lies, never copied
    hf_dir = tmp_path / "hf"
    hf_dir.mkdir()
    (hf_dir / "config.json").write_text("{}")
    with pytest.raises(ModelError, match="only GGUF"):
        gguf_path(str(hf_dir), tmp_path)
    with pytest.raises(ValueError, match="unknown model"):
        gguf_path("no-such-model", tmp_path)


def test_threads_default_to_physical_cores() -> None:
    assert 1 <= physical_cores() <= (__import__("os").cpu_count() or 1)


# --- real model ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_packaged_gguf_is_joined_once_and_checked(cache_dir: Path) -> None:
    spec = REGISTRY[DEFAULT]
    path = gguf_path(DEFAULT, cache_dir)
    assert path == gguf_cache_path(cache_dir, DEFAULT, spec.sha256)
    assert path.stat().st_size == spec.size
    assert file_sha256(path) == spec.sha256
    mtime = path.stat().st_mtime_ns
    start = time.perf_counter()
    assert gguf_path(DEFAULT, cache_dir) == path
    assert time.perf_counter() - start < 1.0
    assert path.stat().st_mtime_ns == mtime  # not joined again


@pytest.mark.slow
def test_loads_the_gguf_without_conversion(llama: TextGenerator, cache_dir: Path) -> None:
    assert llama.runtime == "llama.cpp"
    # The packaged 0.5B file says Q4_K_M (its tensors are mostly Q5_0 and Q8_0); the 1.5B is Q4_K_M too.
    assert llama.describe() == f"{DEFAULT} (llama.cpp, Q4_K_M, 2 threads)"
    assert llama.path == gguf_cache_path(cache_dir, DEFAULT, REGISTRY[DEFAULT].sha256)  # type: ignore[attr-defined]
    assert get_generator(DEFAULT, cache_dir, runtime="llama.cpp") is llama  # loaded once per process
    assert llama.context_window() == 8192
    assert 1 <= llama.count_tokens("Hello world") <= 4


@pytest.mark.slow
def test_chat_template_comes_from_the_gguf(llama: TextGenerator, cache_dir: Path) -> None:
    from transformers import AutoTokenizer

    # The same prompt tokens as transformers builds from the converted tokenizer's template.
    tokenizer = AutoTokenizer.from_pretrained(resolve_model(DEFAULT, cache_dir), local_files_only=True)
    messages = [{"role": "system", "content": "Answer briefly."}, *FRANCE]
    expected = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True)
    assert llama._encode(messages) == list(expected["input_ids"])  # type: ignore[attr-defined]
    assert llama.prompt_tokens(messages) == len(expected["input_ids"])
    assert "Paris" in llama.complete(FRANCE, max_new_tokens=8)


@pytest.mark.slow
def test_stream_yields_several_pieces(llama: TextGenerator) -> None:
    pieces = list(llama.stream(COUNT, max_new_tokens=24))
    assert len(pieces) > 5
    text = "".join(pieces)
    assert text.startswith("1, 2, 3")
    assert llama.count_tokens(text) <= 24


@pytest.mark.slow
def test_stop_event_ends_generation_early(llama: TextGenerator) -> None:
    stop = threading.Event()
    received = []
    for piece in llama.stream(COUNT, max_new_tokens=200, stop=stop):
        received.append(piece)
        if len(received) == 3:
            stop.set()
    assert len(received) == 3
    assert not llama._lock.locked()  # type: ignore[attr-defined]


@pytest.mark.slow
def test_a_looping_generation_ends_at_the_third_copy(llama: TextGenerator) -> None:
    ask = [{"role": "user", "content": "Write the line '- Body script' 60 times, one per line, nothing else."}]
    text = "".join(llama.stream(ask, max_new_tokens=400))
    assert text.count("Body script") == 3
    assert not llama._lock.locked()  # type: ignore[attr-defined]


@pytest.mark.slow
def test_abandoned_stream_releases_the_model(llama: TextGenerator) -> None:
    stream = llama.stream(COUNT, max_new_tokens=200)
    next(stream)
    assert llama._lock.locked()  # type: ignore[attr-defined]
    stream.close()
    assert not llama._lock.locked()  # type: ignore[attr-defined]


@pytest.mark.slow
def test_prompt_of_several_hundred_tokens_decodes(llama: TextGenerator) -> None:
    # Crosses the 512-token prompt batch: a -march=native build on the AMX Xeon segfaulted here, while a
    # one-token prompt worked.
    messages = _long_prompt(450)
    assert llama.prompt_tokens(messages) > PROMPT_BATCH + 50
    answer = llama.complete(messages, max_new_tokens=40)
    assert len(answer.split()) >= 5


@pytest.mark.slow
def test_greedy_output_is_deterministic(llama: TextGenerator) -> None:
    messages = _long_prompt(300)
    first = llama.complete(messages, max_new_tokens=40)
    llama.complete(FRANCE, max_new_tokens=8)  # something else in between: nothing carries over
    assert llama.complete(messages, max_new_tokens=40) == first


@pytest.fixture(scope="module", params=["llama.cpp", "transformers"])
def llama_engine(sample_index_dir: Path, request: pytest.FixtureRequest):
    """The engine with the automatic model in each runtime: the 1.5B in llama.cpp, the 0.5B in transformers."""
    from qa.engine import Engine

    return Engine.open(get_settings(index=sample_index_dir, runtime=request.param))


@pytest.mark.slow
def test_engine_answers_with_a_citation_in_each_runtime(llama_engine) -> None:
    assert llama_engine.generator().runtime == llama_engine.settings.runtime
    stream = llama_engine.ask("How much will the Millbrook Bridge repair cost?", max_new_tokens=60)
    pieces = list(stream)
    answer = stream.answer
    assert len(pieces) > 3
    assert answer.found and "4.8 million" in answer.text
    assert answer.citations and answer.citations[0].passage.release_id == "riverton_bridge_repair"
    assert f"[{answer.citations[0].n}]" in answer.text


@pytest.mark.slow
def test_engine_refuses_a_question_about_no_one_in_the_releases(llama_engine) -> None:
    stream = llama_engine.ask("What was the population of Mars in 1850?", max_new_tokens=40)
    list(stream)
    assert not stream.answer.found
    assert stream.answer.citations == ()
    assert stream.answer.text.startswith("The indexed releases do not say")
