"""The chunks in a Milvus collection: ids, unit vectors, BM25 sparse vectors and the fields filters read.

One pymilvus client talks to Milvus Lite (a local `.db` file, the default: `milvus.db` in the index folder) or
to a Milvus server or cluster (an `http://HOST:19530` URI). Dense search is exact (a FLAT index, inner
product), as the default search is up to 75,000 chunks; lexical search is an inner product over the sparse
vectors of embeddings/bm25_weights.py.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

COLLECTION = "pressqa_chunks"
# VARCHAR bounds: the longest release id and organisation of DOJ+ISAF are 47 and 64 characters.
RELEASE_ID_CHARS = 1024
ORGANISATION_CHARS = 2048
# Rows sent per insert: 1,000 rows (~2 MB of vectors) took 0.5 s in Milvus Lite on 2 cores.
INSERT_ROWS = 1_000
# Chunk ids read per query: within Milvus's 16,384 rows a query may return.
ID_RANGE = 10_000
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


class MilvusEngineError(RuntimeError):
    pass


def quoted(value: str) -> str:
    """A string literal of Milvus's filter expressions."""
    return '"' + "".join(_ESCAPES.get(ch, ch) for ch in value) + '"'


def strings_in(field: str, values: Sequence[str]) -> str:
    return f"{field} in [{', '.join(quoted(v) for v in values)}]"


class MilvusChunks:
    def __init__(self, uri: str, dim: int) -> None:
        from pymilvus import MilvusClient

        self.uri = uri
        self.dim = dim
        self._lock = threading.Lock()  # one request at a time through the client (Milvus Lite is in process)
        try:
            self._client = MilvusClient(uri)
        except Exception as exc:  # pymilvus raises its own and grpc's errors
            raise MilvusEngineError(f"Cannot reach Milvus at {uri} ({exc}).") from exc
        self._create()

    def _create(self) -> None:
        from pymilvus import DataType

        client = self._client
        if client.has_collection(COLLECTION):
            client.load_collection(COLLECTION)  # a collection opened again is released until loaded
            return
        schema = client.create_schema(auto_id=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=self.dim)
        schema.add_field("lexical", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_field("release_id", DataType.VARCHAR, max_length=RELEASE_ID_CHARS)
        schema.add_field("organisation", DataType.VARCHAR, max_length=ORGANISATION_CHARS)
        schema.add_field("published", DataType.INT64)  # date.toordinal(); 0 for an undated release
        schema.add_field("happened", DataType.INT64)  # the event's day where read, else the release's date
        index = client.prepare_index_params()
        index.add_index("dense", index_type="FLAT", metric_type="IP")
        index.add_index("lexical", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
        client.create_collection(COLLECTION, schema=schema, index_params=index)

    def close(self) -> None:
        with self._lock:
            self._client.close()

    def drop(self) -> None:
        """Deletes every chunk (a new database's chunk ids start again from 1)."""
        with self._lock:
            self._client.drop_collection(COLLECTION)
            self._create()

    def insert(self, rows: list[dict[str, Any]]) -> None:
        for start in range(0, len(rows), INSERT_ROWS):
            with self._lock:
                self._client.upsert(COLLECTION, rows[start : start + INSERT_ROWS])

    def delete(self, chunk_ids: Sequence[int]) -> None:
        ids = [int(i) for i in chunk_ids]
        for start in range(0, len(ids), INSERT_ROWS):
            with self._lock:
                self._client.delete(COLLECTION, ids=ids[start : start + INSERT_ROWS])

    def chunk_ids(self, up_to: int) -> np.ndarray:
        """Every chunk id the collection holds, given the store's largest (ids above it are read as well).

        Read by ranges of ids, each holding at most ID_RANGE rows, so every page is complete whatever order the
        engine returns rows in (Milvus Lite's query iterator asks its server for a timestamp it does not give).
        """
        found: list[int] = []
        with self._lock:
            for start in range(0, up_to + 1, ID_RANGE):
                expression = f"id >= {start} and id < {start + ID_RANGE}"
                found += [row["id"] for row in self._client.query(COLLECTION, filter=expression, limit=ID_RANGE)]
            # Ids beyond the store's (chunks of releases removed since): few, and deleted as they are found.
            found += [row["id"] for row in self._client.query(COLLECTION, filter=f"id > {up_to}", limit=ID_RANGE)]
        return np.array(sorted(set(found)), dtype=np.int64)

    def search(self, field: str, query: object, n: int, expression: str) -> list[tuple[int, float]]:
        """The `n` best (chunk id, inner product) on `field` ("dense" or "lexical") among the rows `expression`
        lets through ("" for all)."""
        with self._lock:
            found = self._client.search(
                COLLECTION,
                data=[query],
                anns_field=field,
                limit=n,
                filter=expression,
                search_params={"metric_type": "IP"},
                output_fields=[],
            )
        return [(int(hit["id"]), float(hit["distance"])) for hit in found[0]]
