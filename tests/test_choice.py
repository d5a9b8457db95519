"""The start-up choice of answer model and runtime ("auto"), on this machine's real packages.

The branches that depend on the machine (llama-cpp-python importable, free memory) are pinned here the way
embeddings.hardware.pinned_cpu pins the CPU, so each branch runs on every machine.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from embeddings.settings import Settings
from qa import choice
from qa.choice import ModelChoice, choose
from qa.models import REGISTRY, available_models


@pytest.fixture
def llama_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(choice, "llama_cpp_available", lambda: True)


@pytest.fixture
def llama_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(choice, "llama_cpp_available", lambda: False)


def test_both_packaged_models_are_installed() -> None:
    # The README's commands install both: the default must not depend on an extra.
    assert set(available_models()) == set(REGISTRY)


def test_settings_default_to_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRESSQA_MODEL", raising=False)
    monkeypatch.delenv("PRESSQA_RUNTIME", raising=False)
    settings = Settings()
    assert (settings.model, settings.runtime) == ("auto", "auto")


def test_auto_picks_the_larger_model_in_llama_cpp(llama_installed: None) -> None:
    chosen = choose()
    assert (chosen.model, chosen.runtime) == ("qwen2.5-1.5b", "llama.cpp")
    assert chosen.reason == "the best packaged model"


def test_without_llama_cpp_the_small_model_in_transformers(llama_missing: None) -> None:
    chosen = choose()
    assert (chosen.model, chosen.runtime) == ("qwen2.5-0.5b", "transformers")
    assert "qwen2.5-1.5b is too slow in transformers" in chosen.reason


def test_too_little_memory_falls_back_to_the_small_model(
    llama_installed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_enough = int(REGISTRY["qwen2.5-0.5b"].size * choice.MEMORY_FACTOR) + 1
    monkeypatch.setattr(choice, "_available_memory", lambda: small_enough)
    chosen = choose()
    assert (chosen.model, chosen.runtime) == ("qwen2.5-0.5b", "llama.cpp")
    assert "qwen2.5-1.5b needs more free memory" in chosen.reason


def test_a_set_runtime_is_kept(llama_installed: None) -> None:
    chosen = choose(runtime="transformers")
    assert (chosen.model, chosen.runtime) == ("qwen2.5-0.5b", "transformers")
    assert choose("qwen2.5-1.5b", "transformers") == ModelChoice("qwen2.5-1.5b", "transformers", "as set")


def test_a_set_model_gets_the_auto_runtime(llama_installed: None, tmp_path: Path) -> None:
    assert choose("qwen2.5-0.5b").runtime == "llama.cpp"
    folder = tmp_path / "hf-model"
    folder.mkdir()
    # A Hugging Face folder runs only in transformers, whatever is installed.
    assert choose(str(folder)).runtime == "transformers"


def test_quantize_asks_for_transformers(llama_installed: None) -> None:
    chosen = choose(quantize=True)
    assert (chosen.model, chosen.runtime) == ("qwen2.5-0.5b", "transformers")


def test_unknown_runtime_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown runtime"):
        choose("qwen2.5-0.5b", "onnx")


def test_describe_names_model_runtime_weights_and_threads() -> None:
    assert ModelChoice("qwen2.5-1.5b", "llama.cpp", "").describe(2) == "qwen2.5-1.5b (llama.cpp, Q4_K_M, 2 threads)"
    assert ModelChoice("qwen2.5-0.5b", "transformers", "").describe(3) == "qwen2.5-0.5b (transformers, 3 threads)"


def test_info_names_the_answer_model_and_why(sample_index_dir: Path) -> None:
    import json

    from typer.testing import CliRunner

    from ui.cli import app

    result = CliRunner().invoke(app, ["info", "--index", str(sample_index_dir), "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    chosen = choose()
    assert info["generation_model"].startswith(f"{chosen.model} ({chosen.runtime}, ")
    assert info["generation_model_reason"] == chosen.reason
