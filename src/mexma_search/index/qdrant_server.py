"""The index on a Qdrant server, through qdrant-client (distributed mode).

qdrant-client's local mode (``':memory:'`` or a directory, a pure-Python engine) speaks the
same API: the tests use it as the stand-in for a server, which cannot be installed here. It
is not thread-safe, so every call holds a lock in local mode, and it ranks every point
exactly (HNSW is the server's).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import numpy as np
from qdrant_client import QdrantClient, models

from mexma_search.index.base import (
    IndexBusyError,
    SearchRequest,
    VectorIndex,
    keyword_scored_hits,
    scored_hits,
)
from mexma_search.index.keywords import KEYWORD_VECTOR, document_keywords, query_keywords
from mexma_search.index.points import (
    KEYWORD_FIELDS,
    LIVE_ALIAS,
    PASSAGE_VECTOR,
    SENTENCE_VECTORS,
    ChunkPoint,
    Hit,
    chunk_point,
    float_rows,
    model_version_of,
    point_id,
    sentence_vectors_by_id,
    unit,
)

SCROLL_PAGE = 1024


class QdrantServerIndex(VectorIndex):
    """Chunk embeddings on a Qdrant server (or in qdrant-client's local mode)."""

    def __init__(
        self, client: QdrantClient, *, local: bool, shards: int = 1, replicas: int = 1
    ) -> None:
        self._client = client
        self._local = local
        self._lock: AbstractContextManager[Any] = threading.RLock() if local else nullcontext()
        self._shards = shards
        self._replicas = replicas

    @classmethod
    def connect(
        cls, url: str, api_key: str | None = None, *, shards: int = 1, replicas: int = 1
    ) -> QdrantServerIndex:
        """A server at an http(s) URL; ``shards`` and ``replicas`` apply to new collections."""
        client = QdrantClient(url=url, api_key=api_key)
        return cls(client, local=False, shards=shards, replicas=replicas)

    @classmethod
    def local(cls, location: str) -> QdrantServerIndex:
        """qdrant-client's local mode at ``':memory:'`` or a directory (one process only)."""
        try:
            client = (
                QdrantClient(location=":memory:")
                if location == ":memory:"
                else QdrantClient(path=location)
            )
        except RuntimeError as exc:
            if "already accessed" not in str(exc):
                raise
            raise IndexBusyError(f"the index at {location} is open in another process") from exc
        return cls(client, local=True)

    def close(self) -> None:
        with self._lock:
            self._client.close()

    def ensure_collection(self, name: str, dim: int) -> bool:
        model_version_of(name)
        with self._lock:
            if self._client.collection_exists(name):
                self._check_dimension(name, dim)
                return False
            self._client.create_collection(
                name,
                vectors_config=_vectors_config(dim),
                sparse_vectors_config=_sparse_vectors_config(),
                shard_number=self._shards,
                replication_factor=self._replicas,
            )
            if not self._local:  # local mode filters by scanning and ignores payload indexes
                self._create_payload_indexes(name)
            return True

    def _create_payload_indexes(self, name: str) -> None:
        self._client.create_payload_index(
            name, "document_id", field_schema=models.PayloadSchemaType.INTEGER
        )
        for field in KEYWORD_FIELDS:
            self._client.create_payload_index(
                name, field, field_schema=models.PayloadSchemaType.KEYWORD
            )

    def _check_dimension(self, name: str, dim: int) -> None:
        size = self.dimension(name)
        if size != dim:
            raise ValueError(f"collection {name!r} holds {size}-d vectors, not {dim}-d")

    def _upsert_batch(self, collection: str, model_version: str, batch: list[ChunkPoint]) -> None:
        structs = [_point_struct(point, model_version) for point in batch]
        with self._lock:
            self._client.upsert(collection, points=structs, wait=True)

    def _search(self, target: str, request: SearchRequest) -> list[Hit]:
        # local mode always searches exactly (and warns about search parameters)
        params = models.SearchParams(exact=True) if request.exact and not self._local else None
        with self._lock:
            points = self._client.query_points(
                target,
                query=request.query,
                using=PASSAGE_VECTOR,
                query_filter=_filter(request.filters) if request.filters else None,
                limit=request.k,
                search_params=params,
                with_payload=True,
                with_vectors=False,
            ).points
        return scored_hits(points)

    def _keyword_search(self, target: str, request: SearchRequest) -> list[tuple[float, Hit]]:
        assert request.keywords is not None
        found = query_keywords(request.keywords)
        with self._lock:
            points = self._client.query_points(
                target,
                query=models.SparseVector(indices=found.indices, values=found.values),
                using=KEYWORD_VECTOR,
                query_filter=_filter(request.filters) if request.filters else None,
                limit=request.k,
                with_payload=True,
                with_vectors=[PASSAGE_VECTOR],
            ).points
        return keyword_scored_hits(points, request)

    def _sentence_vectors(self, collection: str, ids: list[str]) -> dict[str, np.ndarray]:
        with self._lock:
            records = self._client.retrieve(
                collection, ids, with_payload=False, with_vectors=[SENTENCE_VECTORS]
            )
        return sentence_vectors_by_id(records)

    def collection_names(self) -> list[str]:
        with self._lock:
            names = [c.name for c in self._client.get_collections().collections]
        return sorted(name for name in names if _is_ours(name))

    def _delete_document(self, collection: str, document_id: int) -> None:
        selector = models.FilterSelector(filter=_filter({"document_id": [document_id]}))
        with self._lock:
            self._client.delete(collection, points_selector=selector, wait=True)

    def alias_target(self, alias: str = LIVE_ALIAS) -> str | None:
        with self._lock:
            aliases = self._client.get_aliases().aliases
        return next((a.collection_name for a in aliases if a.alias_name == alias), None)

    def swap_alias(self, alias: str, new_collection: str) -> None:
        with self._lock:
            operations: list[models.AliasOperations] = []
            if self.alias_target(alias) is not None:
                operations.append(
                    models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=alias))
                )
            operations.append(
                models.CreateAliasOperation(
                    create_alias=models.CreateAlias(
                        collection_name=new_collection, alias_name=alias
                    )
                )
            )
            self._client.update_collection_aliases(change_aliases_operations=operations)

    def count(self, collection: str) -> int:
        with self._lock:
            return self._client.count(collection, exact=True).count

    def drop_collection(self, name: str) -> bool:
        with self._lock:
            if not self._client.collection_exists(name):
                return False
            return self._client.delete_collection(name)

    def chunk_ids_by_document(
        self, collection: str, *, without_keywords: bool = False
    ) -> dict[int, set[int]]:
        found: dict[int, set[int]] = {}
        keywordless = models.Filter(must_not=[models.HasVectorCondition(has_vector=KEYWORD_VECTOR)])
        pages = self._pages(
            collection,
            ["document_id", "chunk_id"],
            False,
            keywordless if without_keywords else None,
        )
        for records in pages:
            for record in records:
                if record.payload:
                    found.setdefault(record.payload["document_id"], set()).add(
                        record.payload["chunk_id"]
                    )
        return found

    def dimension(self, collection: str) -> int:
        """The dimension of ``collection``'s passage vectors."""
        with self._lock:
            vectors = self._client.get_collection(collection).config.params.vectors
        if not isinstance(vectors, dict) or PASSAGE_VECTOR not in vectors:
            raise ValueError(
                f"collection {collection!r} has no {PASSAGE_VECTOR!r} vector (made by an "
                "older release?): drop it and re-index"
            )
        return vectors[PASSAGE_VECTOR].size

    def aliases(self) -> dict[str, str]:
        """Every alias and the collection it names."""
        with self._lock:
            aliases = self._client.get_aliases().aliases
        return {a.alias_name: a.collection_name for a in aliases}

    def points(self, collection: str, ids: list[str]) -> list[ChunkPoint]:
        with self._lock:
            records = self._client.retrieve(collection, ids, with_payload=True, with_vectors=True)
        return [_chunk_point(record) for record in records if record.payload]

    def export_points(self, collection: str) -> Iterator[list[ChunkPoint]]:
        """Every point of ``collection`` with its vectors, a page at a time."""
        for records in self._pages(collection, True, True):
            yield [_chunk_point(record) for record in records if record.payload]

    def _pages(
        self,
        collection: str,
        payload: bool | list[str],
        vectors: bool,
        condition: models.Filter | None = None,
    ) -> Iterator[list[models.Record]]:
        offset: Any = None
        while True:
            with self._lock:
                records, offset = self._client.scroll(
                    collection,
                    limit=SCROLL_PAGE,
                    offset=offset,
                    scroll_filter=condition,
                    with_payload=payload,
                    with_vectors=vectors,
                )
            yield records
            if offset is None:
                return


def _is_ours(name: str) -> bool:
    """Whether ``name`` names a collection of chunks or TM segments."""
    try:
        model_version_of(name)
    except ValueError:
        return False
    return True


def _vectors_config(dim: int) -> dict[str, models.VectorParams]:
    return {
        # Dot products of unit vectors (both sides normalised here) are the cosines.
        PASSAGE_VECTOR: models.VectorParams(size=dim, distance=models.Distance.DOT),
        SENTENCE_VECTORS: models.VectorParams(
            size=dim,
            distance=models.Distance.COSINE,
            multivector_config=models.MultiVectorConfig(
                comparator=models.MultiVectorComparator.MAX_SIM
            ),
            hnsw_config=models.HnswConfigDiff(m=0),  # read back, never searched
            on_disk=True,
            datatype=models.Datatype.FLOAT16,
        ),
    }


def _sparse_vectors_config() -> dict[str, models.SparseVectorParams]:
    return {KEYWORD_VECTOR: models.SparseVectorParams(modifier=models.Modifier.IDF)}


def _point_struct(point: ChunkPoint, model_version: str) -> models.PointStruct:
    vectors: dict[str, Any] = {PASSAGE_VECTOR: unit(point.vector)}
    if point.has_sentence_vectors():
        assert point.sentence_vectors is not None
        vectors[SENTENCE_VECTORS] = float_rows(point.sentence_vectors)
    if point.text:
        found = document_keywords(point.text, point.lang)
        vectors[KEYWORD_VECTOR] = models.SparseVector(indices=found.indices, values=found.values)
    return models.PointStruct(
        id=point_id(point.document_id, point.ordinal, model_version),
        vector=vectors,
        payload=point.payload(),
    )


def _chunk_point(record: models.Record) -> ChunkPoint:
    assert record.payload is not None
    return chunk_point(record.payload, record.vector)


def _filter(conditions: dict[str, list[Any]]) -> models.Filter:
    """Every condition of ``conditions`` (field: the values of which any matches)."""
    return models.Filter(
        must=[
            models.FieldCondition(key=key, match=models.MatchAny(any=values))
            for key, values in conditions.items()
        ]
    )
