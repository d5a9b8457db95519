"""The encoder's two backends: plain torch and the int8 ONNX export (skipped without onnxruntime)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from embeddings.encode import DEFAULT_MODEL_NAME, Encoder, TruncationWarning, default_backend, onnx_available
from embeddings.hardware import AMX_XEON, AVX2_ONLY, pinned_cpu
from embeddings.onnx_export import OnnxExport

needs_onnx = pytest.mark.skipif(not onnx_available(), reason="onnxruntime is not installed")

SENTENCES = [
    "Riverton General Hospital will open its new maternity wing to patients on Monday, March 3.",
    "The city council approved $4.2 million in emergency funding to repair the Halden Street bridge.",
    "Greenmarsh Wildlife Trust volunteers counted 37 otters along the estuary during the spring survey.",
    "Applications for the Halden Foundation scholarships close on April 30 at 5 p.m. local time.",
    "Nimbus Cloud said the outage affected fewer than 2% of CloudDesk customers for about 40 minutes.",
    "The Ashford data centre will be powered entirely by renewable energy from 2027, the company said.",
    "Mayor Lydia Stacey thanked the emergency crews who worked through the night to clear the flood debris.",
    "Police are asking anyone who witnessed the collision on Route 9 to contact the incident line.",
    "The museum's new exhibition brings together 120 works by regional artists from the past century.",
    "Shares in the company rose 6% after it reported quarterly revenue of $812 million, ahead of forecasts.",
    "The health department urges residents over 65 to book their seasonal flu vaccination this month.",
    "Construction of the light-rail extension is expected to create about 1,400 jobs over three years.",
    "The university has appointed Professor Amal Haddad as the founding director of its climate institute.",
    "Road closures will be in place on Harbour Drive between 7 a.m. and 6 p.m. during the marathon.",
    "The ministry will publish its review of school funding formulas before the end of the financial year.",
    "A boil-water notice remains in effect for homes in the northern district until further testing is complete.",
    "The charity's winter appeal raised a record £310,000 for families facing fuel poverty.",
    "Officials confirmed that no personal data was accessed during the attempted cyber attack.",
    "The airline will add three weekly flights between Riverton and Lisbon starting in June.",
    "For media enquiries, contact the press office at press@example.org or call 555-0142.",
]


@pytest.fixture(scope="module")
def torch_encoder() -> Encoder:
    return Encoder(backend="torch")


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("encoder-cache")


@pytest.fixture(scope="module")
def onnx_encoder(cache_dir: Path) -> Encoder:
    if not onnx_available():
        pytest.skip("onnxruntime is not installed")
    encoder = Encoder(backend="onnx-int8", cache_dir=cache_dir)
    assert encoder.dim == 384  # exports (once) into cache_dir
    return encoder


def _check_unit_vectors(vectors: np.ndarray, n: int) -> None:
    assert vectors.dtype == np.float32
    assert vectors.shape == (n, 384)
    assert vectors.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_torch_backend(torch_encoder: Encoder) -> None:
    assert torch_encoder.backend == "torch"
    assert torch_encoder.name == DEFAULT_MODEL_NAME
    assert torch_encoder.dim == 384
    assert torch_encoder.max_tokens == 256
    vectors = torch_encoder.encode(SENTENCES)
    _check_unit_vectors(vectors, len(SENTENCES))
    query = torch_encoder.encode_query(SENTENCES[0])
    assert query.shape == (384,)
    assert float(query @ vectors[0]) > 0.999
    assert torch_encoder.encode([]).shape == (0, 384)


@needs_onnx
def test_onnx_vectors_match_torch(onnx_encoder: Encoder, torch_encoder: Encoder) -> None:
    assert onnx_encoder.backend == "onnx-int8"
    assert onnx_encoder.name == f"{DEFAULT_MODEL_NAME}#onnx-int8"
    assert onnx_encoder.max_tokens == 256
    fast = onnx_encoder.encode(SENTENCES)
    _check_unit_vectors(fast, len(SENTENCES))
    cosine = (fast * torch_encoder.encode(SENTENCES)).sum(axis=1)
    assert cosine.min() >= 0.98, cosine
    # Same nearest neighbours among the sentences (each one's own best match is itself).
    assert (np.argmax(fast @ fast.T, axis=1) == np.arange(len(SENTENCES))).all()
    # A text's vector does not depend on the texts encoded with it (int8 scales are per text).
    alone = np.vstack([onnx_encoder.encode_query(s) for s in SENTENCES[:5]])
    np.testing.assert_allclose(alone, fast[:5], atol=1e-6)
    assert onnx_encoder.encode([]).shape == (0, 384)


@needs_onnx
def test_export_is_cached(onnx_encoder: Encoder, cache_dir: Path, capfd: pytest.CaptureFixture[str]) -> None:
    model_file = onnx_encoder.cache_dir / "model_int8.onnx"
    assert model_file.is_file() and model_file.parent.parent == cache_dir
    before = model_file.stat().st_mtime_ns
    again = Encoder(cache_dir=cache_dir)  # "auto" picks the cached export
    assert again.backend == "onnx-int8"
    again.encode_query("bridge repairs")
    assert model_file.stat().st_mtime_ns == before
    assert "preparing" not in capfd.readouterr().err
    assert [p.name for p in cache_dir.iterdir()] == [model_file.parent.name]  # no temporary folders left


def test_a_second_installation_of_the_model_reuses_the_export(
    onnx_encoder: Encoder, cache_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    import shutil

    model_file = onnx_encoder.cache_dir / "model_int8.onnx"
    before = model_file.stat().st_mtime_ns
    # A copy has the same bytes but new modification times, like another virtual environment's install.
    copy = shutil.copytree(onnx_encoder.model_path, tmp_path / "model", copy_function=shutil.copy)
    other = Encoder(model_path=copy, name=DEFAULT_MODEL_NAME, backend="onnx-int8", cache_dir=cache_dir)
    assert other.cache_dir == onnx_encoder.cache_dir
    np.testing.assert_allclose(other.encode_query("bridge repairs"), onnx_encoder.encode_query("bridge repairs"))
    assert "preparing" not in capfd.readouterr().err
    assert model_file.stat().st_mtime_ns == before


@needs_onnx
def test_for_index_picks_the_backend_that_built_it(cache_dir: Path) -> None:
    assert Encoder.for_index(DEFAULT_MODEL_NAME, cache_dir=cache_dir).backend == "torch"
    fast = Encoder.for_index(f"{DEFAULT_MODEL_NAME}#onnx-int8", cache_dir=cache_dir)
    assert fast.backend == "onnx-int8" and fast.name == f"{DEFAULT_MODEL_NAME}#onnx-int8"
    assert Encoder.for_index(None, cache_dir=cache_dir).name == Encoder(cache_dir=cache_dir).name
    with pytest.raises(ValueError, match="unknown embedding backend"):
        Encoder.for_index(f"{DEFAULT_MODEL_NAME}#fp4")
    with pytest.raises(ValueError, match="not here"):
        Encoder.for_index("/nowhere/some-model")


def test_auto_falls_back_to_torch_without_onnxruntime(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import embeddings.encode as encode

    monkeypatch.setattr(encode, "onnx_available", lambda: False)
    encoder = Encoder(cache_dir=tmp_path)
    assert encoder.backend == "torch" and encoder.name == DEFAULT_MODEL_NAME
    with pytest.raises(RuntimeError, match="needs onnxruntime"):
        Encoder.for_index(f"{DEFAULT_MODEL_NAME}#onnx-int8", cache_dir=tmp_path)
    assert not any(tmp_path.iterdir())  # nothing exported


@needs_onnx
@pytest.mark.parametrize("flags", [AVX2_ONLY, AMX_XEON], ids=["avx2", "amx"])
def test_auto_picks_onnx_int8_on_either_cpu(flags: tuple[str, ...], tmp_path: Path) -> None:
    """default_backend does not ask the CPU: int8 ONNX is the faster one on both kinds of machine."""
    with pinned_cpu(*flags):
        encoder = Encoder(cache_dir=tmp_path)
        assert encoder.backend == "onnx-int8"
        assert default_backend(OnnxExport(encoder.model_path, DEFAULT_MODEL_NAME, tmp_path / "x")) == "onnx-int8"
    assert not any(tmp_path.iterdir())  # choosing exports nothing; the first encode does


def test_auto_picks_torch_for_a_model_the_export_cannot_reproduce(tmp_path: Path) -> None:
    model = tmp_path / "weighted-pooling-model"
    (model / "1_Pooling").mkdir(parents=True)
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]
    (model / "modules.json").write_text(json.dumps(modules))
    (model / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_weightedmean_tokens": True}))
    assert default_backend(OnnxExport(model, str(model), tmp_path / "cache")) == "torch"
    assert Encoder(model_path=model, cache_dir=tmp_path / "cache").backend == "torch"
    refusal = "not a plain pooled encoder" if onnx_available() else "needs onnxruntime"
    with pytest.raises(RuntimeError, match=refusal):
        Encoder(model_path=model, backend="onnx-int8", cache_dir=tmp_path / "cache")


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown embedding backend"):
        Encoder(backend="tpu")


def _long_input(encoder: Encoder, pieces: int) -> str:
    """A text of exactly `pieces` word pieces (without [CLS] and [SEP])."""
    words = " ".join(SENTENCES * 4).split()
    ids = encoder.tokenizer(" ".join(words), add_special_tokens=False)["input_ids"][:pieces]
    text = encoder.tokenizer.decode(ids)
    assert len(encoder.tokenizer(text, add_special_tokens=False)["input_ids"]) == pieces
    return text


@pytest.mark.parametrize("backend", ["torch", pytest.param("onnx-int8", marks=needs_onnx)])
def test_overlong_input_is_truncated_with_a_warning(
    backend: str, torch_encoder: Encoder, request: pytest.FixtureRequest
) -> None:
    """The window is 256 word pieces including [CLS] and [SEP]: 256 pieces of text lose their last two.

    Both backends truncate as sentence-transformers does (keep the first 254 pieces, then [SEP]) and
    say so with a TruncationWarning instead of dropping the text's end silently.
    """
    encoder = torch_encoder if backend == "torch" else request.getfixturevalue("onnx_encoder")
    fits = _long_input(encoder, encoder.max_tokens - 2)
    too_long = _long_input(encoder, encoder.max_tokens)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TruncationWarning)
        kept = encoder.encode([fits])  # exactly the window: no warning
    with pytest.warns(TruncationWarning, match=r"1 of 2 embedding inputs exceed the model's 256 word pieces"):
        vectors = encoder.encode([too_long, SENTENCES[0]])
    np.testing.assert_allclose(vectors[0], kept[0], atol=1e-4)
