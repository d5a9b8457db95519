"""The seam between the index and what searches its chunks, and which one an index folder was built for.

"local" is the default: FAISS and BM25 files beside the database (embeddings/search_files.py). "milvus" keeps the
chunks in a Milvus collection (embeddings/engine_search.py): Milvus Lite in a file of the index folder, or a
Milvus server or cluster. Both answer the same three searches; the retriever fuses their lists alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from embeddings.index_types import Filters, IndexStoreError

BackendName = Literal["local", "milvus"]
BACKENDS: tuple[BackendName, ...] = ("local", "milvus")
META_KEY = "search_backend"
# Every index from before the choice existed was searched locally.
UNRECORDED: BackendName = "local"
MILVUS_LITE_FILE = "milvus.db"


class BackendMismatchError(IndexStoreError):
    pass


class SearchBackend(Protocol):
    """The searches of one generation of the store; `allowed` restricts them to those chunk ids, and `filters`
    (when given, the same restriction) may be applied by the backend itself instead."""

    generation: int

    def dense_search(
        self, vector: np.ndarray, n: int, allowed: np.ndarray | None = None, filters: Filters | None = None
    ) -> list[tuple[int, float]]:
        """The `n` chunks nearest to a unit vector, as (chunk id, inner product)."""
        ...

    def lexical_search(
        self, query: str, n: int, allowed: np.ndarray | None = None, filters: Filters | None = None
    ) -> list[tuple[int, float]]:
        """The `n` best chunks by BM25 over the query's words, as (chunk id, score > 0)."""
        ...

    def token_search(
        self, tokens: list[str], n: int, allowed: np.ndarray | None = None, filters: Filters | None = None
    ) -> list[tuple[int, float]]:
        """As lexical_search, for tokens already made (whole reference codes)."""
        ...


@dataclass(frozen=True)
class BackendChoice:
    name: BackendName = "local"
    milvus_uri: str | None = None  # None: Milvus Lite in the index folder

    def uri(self, folder: Path) -> str:
        return self.milvus_uri or str(folder / MILVUS_LITE_FILE)


def from_settings() -> BackendChoice:
    from embeddings.settings import get_settings

    settings = get_settings()
    return BackendChoice(settings.search_backend, settings.milvus_uri)


def check_backend(recorded: str | None, chosen: BackendName, folder: Path, new: bool) -> bool:
    """True when `chosen` is to be recorded (a new index); raises when the index was built for another backend."""
    if new:
        return True
    built_for = recorded or UNRECORDED
    if built_for != chosen:
        raise BackendMismatchError(
            f"The index at {folder} is searched with {built_for}, not {chosen}: set "
            f"PRESSQA_SEARCH_BACKEND={built_for}, or copy it for {chosen} with "
            f"`python -m embeddings.backend_copy {folder} NEW_FOLDER {chosen}`."
        )
    return False
