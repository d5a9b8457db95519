"""Shared fixtures: the real embedding model, and real indexes on disk built from the sample releases.

Tests write only under the system's temporary folder. The caches (the language model's safetensors
built from the packaged GGUF, minutes to make; the embedding model's ONNX export, about half a minute)
live in one folder there that later runs reuse, never in the user's own cache, and so do the XDG cache
and config folders the libraries write to; the default index folder is a fresh one per session. All are
set here, before any test module creates a Settings.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
TEST_CACHE = Path(tempfile.gettempdir()) / "pressqa-test-cache"
os.environ["PRESSQA_CACHE"] = str(TEST_CACHE)
# Libraries' own caches and settings follow: matplotlib's font list (the bench plots) and onnxruntime's
# device id would otherwise land in ~/.cache and ~/.config.
os.environ["XDG_CACHE_HOME"] = str(TEST_CACHE / "xdg-cache")
os.environ["XDG_CONFIG_HOME"] = str(TEST_CACHE / "xdg-config")
# hypothesis (tests/test_fuzz.py) keeps its caches in .hypothesis/ of the working folder unless told otherwise.
os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = str(TEST_CACHE / "hypothesis")
# Pytest imports this file twice (as `conftest`, and as `tests.conftest` where a test imports from it):
# the second import keeps the first one's folder.
if "PYTEST_PRESSQA_SESSION" not in os.environ:
    os.environ["PYTEST_PRESSQA_SESSION"] = tempfile.mkdtemp(prefix="pressqa-test-session-")
    atexit.register(shutil.rmtree, os.environ["PYTEST_PRESSQA_SESSION"], ignore_errors=True)
TEST_INDEX = Path(os.environ["PYTEST_PRESSQA_SESSION"]) / "index"
os.environ["PRESSQA_INDEX"] = str(TEST_INDEX)

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "embeddings" / "sample_releases"
SHARED = REPO.parent / "shared"


def shared_path(relative: str) -> Path:
    """A path under ../shared, or a skip where this checkout has none."""
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return path


@pytest.fixture(scope="session")
def encoder():
    from embeddings.encode import Encoder

    return Encoder()


@pytest.fixture(scope="session")
def sample_index_dir(tmp_path_factory: pytest.TempPathFactory, encoder) -> Path:
    """An index of the bundled sample releases, built once per test session; copy it before changing it."""
    from embeddings.index import Index
    from embeddings.ingest import Ingestor

    path = tmp_path_factory.mktemp("sample-index")
    index = Index.open(path, encoder.name, encoder.dim)
    report = Ingestor(index, encoder).ingest_paths([SAMPLES])
    assert report.added == 14 and not report.failed
    index.close()
    return path


@pytest.fixture
def writable_index_dir(sample_index_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "index"
    shutil.copytree(sample_index_dir, target)
    return target


@pytest.fixture(scope="session")
def engine(sample_index_dir: Path):
    from embeddings.settings import get_settings
    from qa.engine import Engine

    return Engine.open(get_settings(index=sample_index_dir))


DEEP_LEVELS = 1500


@pytest.fixture
def deep_folder(tmp_path: Path) -> Iterator[Path]:
    """The innermost of DEEP_LEVELS nested folders under tmp_path / "deep", made and removed one level at a time:
    pathlib's mkdir(parents=True), os.makedirs and shutil.rmtree each recurse once per level and would hit
    Python's recursion limit (1,000) here, in the test itself or in pytest's cleanup of old temporary folders."""
    levels = [tmp_path / "deep"]
    levels[0].mkdir()
    for _ in range(DEEP_LEVELS):
        levels.append(levels[-1] / "d")
        levels[-1].mkdir()
    yield levels[-1]
    for level in reversed(levels):
        for entry in level.iterdir():
            if not entry.is_dir():
                entry.unlink()
        level.rmdir()
