"""The embedded index: Qdrant Edge, the Qdrant engine running in this process.

One shard per collection under the index directory (see :mod:`edge_storage`), vectors and
payload on disk (memory-mapped), payload indexes on the filter fields, and the live alias kept
in a record that is switched atomically. New points are searchable at once (exactly, on the
shard's unindexed segment); the HNSW graph is built in the background (:mod:`edge_build`).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np
from qdrant_edge import (
    Filter,
    HasVectorCondition,
    QuantizationSearchParams,
    Query,
    QueryRequest,
    ScrollRequest,
    SearchParams,
)

from mexma_search.index.base import (
    SearchRequest,
    VectorIndex,
    keyword_scored_hits,
    scored_hits,
)
from mexma_search.index.edge_build import (
    DEFAULT_BUILD_THRESHOLD,
    QUIET_S,
    BackgroundBuilder,
    optimize_in_child,
)
from mexma_search.index.edge_collection import EdgeCollection, edge_filter
from mexma_search.index.edge_storage import (
    AliasRecord,
    CollectionDirectory,
    collection_names,
    lock_directory,
)
from mexma_search.index.keywords import KEYWORD_VECTOR, query_keywords
from mexma_search.index.points import (
    LIVE_ALIAS,
    PASSAGE_VECTOR,
    SENTENCE_VECTORS,
    ChunkPoint,
    Hit,
    chunk_point,
    model_version_of,
    sentence_vectors_by_id,
)

SCROLL_PAGE = 2048
# HNSW beam width at search: recall@10 against exact search stays at 0.98 or more
SEARCH_EF = 2048
QUANTIZATION_OVERSAMPLING = 2.0


class EdgeIndex(VectorIndex):
    """Chunk embeddings in Qdrant Edge shards under one directory (one process at a time)."""

    def __init__(
        self,
        root: Path,
        *,
        quantization: bool = False,
        build_threshold: int = DEFAULT_BUILD_THRESHOLD,
        build_quiet_s: float = QUIET_S,
        temporary: bool = False,
    ) -> None:
        self.root = root
        self._lock_file = lock_directory(root)
        self._temporary = temporary
        self._quantization = quantization
        self._lock = threading.RLock()
        self._aliases = AliasRecord(root)
        self._collections = {
            name: EdgeCollection.open(CollectionDirectory(root, name))
            for name in collection_names(root)
        }
        self._builder = BackgroundBuilder(
            self._all_collections, threshold=build_threshold, quiet_s=build_quiet_s
        )
        self._builder.written()  # builds what an earlier run left unindexed

    @classmethod
    def temporary(cls, **options: Any) -> EdgeIndex:
        """An index in a new temporary directory, deleted when it closes (``':memory:'``)."""
        return cls(Path(tempfile.mkdtemp(prefix="mexma-index-")), temporary=True, **options)

    def _all_collections(self) -> list[EdgeCollection]:
        with self._lock:
            return list(self._collections.values())

    def _collection(self, name: str) -> EdgeCollection:
        with self._lock:
            resolved = self._aliases.read().get(name, name)
            collection = self._collections.get(resolved)
        if collection is None:
            raise ValueError(f"the index has no collection {name!r}")
        return collection

    def close(self) -> None:
        self._builder.close()
        with self._lock:
            for collection in self._collections.values():
                collection.close()
            self._collections.clear()
            self._lock_file.close()
            if self._temporary:
                shutil.rmtree(self.root, ignore_errors=True)

    def ensure_collection(self, name: str, dim: int) -> bool:
        model_version_of(name)
        with self._lock:
            existing = self._collections.get(name)
            if existing is not None:
                if existing.dim != dim:
                    raise ValueError(
                        f"collection {name!r} holds {existing.dim}-d vectors, not {dim}-d"
                    )
                return False
            directory = CollectionDirectory(self.root, name)
            self._collections[name] = EdgeCollection.create(
                directory, dim, quantization=self._quantization
            )
            return True

    def _upsert_batch(self, collection: str, model_version: str, batch: list[ChunkPoint]) -> None:
        self._collection(collection).upsert(model_version, batch)
        self._builder.written()

    def _search(self, target: str, request: SearchRequest) -> list[Hit]:
        collection = self._collection(target)
        query = QueryRequest(
            limit=request.k,
            query=Query.Nearest(request.query, using=PASSAGE_VECTOR),
            filter=edge_filter(request.filters) if request.filters else None,
            params=_search_params(request.exact, collection.quantized),
            with_payload=True,
            with_vector=False,
        )
        with collection.reading() as shard:
            points = shard.query(query)
        return scored_hits(points)

    def _keyword_search(self, target: str, request: SearchRequest) -> list[tuple[float, Hit]]:
        assert request.keywords is not None
        query = QueryRequest(
            limit=request.k,
            query=Query.Nearest(query_keywords(request.keywords), using=KEYWORD_VECTOR),
            filter=edge_filter(request.filters) if request.filters else None,
            with_payload=True,
            with_vector=[PASSAGE_VECTOR],
        )
        with self._collection(target).reading() as shard:
            points = shard.query(query)
        return keyword_scored_hits(points, request)

    def _sentence_vectors(self, collection: str, ids: list[str]) -> dict[str, np.ndarray]:
        with self._collection(collection).reading() as shard:
            records = shard.retrieve(
                list[Any](ids), with_payload=False, with_vector=[SENTENCE_VECTORS]
            )
        return sentence_vectors_by_id(records)

    def collection_names(self) -> list[str]:
        with self._lock:
            return sorted(self._collections)

    def _delete_document(self, collection: str, document_id: int) -> None:
        self._collection(collection).delete_document(document_id)

    def alias_target(self, alias: str = LIVE_ALIAS) -> str | None:
        with self._lock:
            return self._aliases.read().get(alias)

    def swap_alias(self, alias: str, new_collection: str) -> None:
        with self._lock:
            if new_collection not in self._collections:
                raise ValueError(f"the index has no collection {new_collection!r}")
            aliases = self._aliases.read()
            aliases[alias] = new_collection
            self._aliases.write(aliases)

    def count(self, collection: str) -> int:
        return self._collection(collection).count()

    def drop_collection(self, name: str) -> bool:
        with self._lock:
            collection = self._collections.pop(name, None)
            if collection is None:
                return False
            aliases = self._aliases.read()
            kept = {alias: target for alias, target in aliases.items() if target != name}
            if kept != aliases:
                self._aliases.write(kept)
        collection.close()
        collection.directory.remove()
        return True

    def chunk_ids_by_document(
        self, collection: str, *, without_keywords: bool = False
    ) -> dict[int, set[int]]:
        found: dict[int, set[int]] = {}
        offset: Any = None
        keywordless = Filter(must_not=[HasVectorCondition(KEYWORD_VECTOR)])
        with self._collection(collection).reading() as shard:
            while True:
                records, offset = shard.scroll(
                    ScrollRequest(
                        offset=offset,
                        limit=SCROLL_PAGE,
                        filter=keywordless if without_keywords else None,
                        with_payload=["document_id", "chunk_id"],
                    )
                )
                for record in records:
                    if record.payload:
                        found.setdefault(record.payload["document_id"], set()).add(
                            record.payload["chunk_id"]
                        )
                if offset is None:
                    return found

    def points(self, collection: str, ids: list[str]) -> list[ChunkPoint]:
        with self._collection(collection).reading() as shard:
            records = shard.retrieve(list[Any](ids), with_payload=True, with_vector=True)
        return [chunk_point(record.payload, record.vector) for record in records if record.payload]

    def build(self, collection: str) -> None:
        """Build ``collection``'s search graph now (in a child process) and wait for it."""
        self._collection(collection).rebuild(optimize_in_child)


def _search_params(exact: bool, quantized: bool) -> SearchParams:
    if exact:
        return SearchParams(exact=True)
    quantization = (
        QuantizationSearchParams(rescore=True, oversampling=QUANTIZATION_OVERSAMPLING)
        if quantized
        else None
    )
    return SearchParams(hnsw_ef=SEARCH_EF, quantization=quantization)
