"""The vector index: a thin facade over qdrant-client for chunk embeddings.

Each model version has its own collection ``chunks__<model version>``; the alias ``chunks``
names the live one, and search goes through the alias, so promoting a model is one atomic
alias swap. Points carry the chunk's ids, collection and language as payload, and two named
vectors: ``passage`` (searched) and, when the chunk has several sentences, ``sentences`` (one
vector per sentence, stored on disk in float16 and never indexed: search reads them back for
the returned passages to point at the best sentence).

Local mode (``':memory:'`` or a directory) is qdrant-client's pure-Python engine: it is not
thread-safe, so every call here holds a lock, and its directory can be opened by one process
only (the embedded app's). Several processes need a Qdrant server (an http(s) URL).
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from itertools import islice
from typing import Any

import numpy as np
from qdrant_client import QdrantClient, models

LIVE_ALIAS = "chunks"
COLLECTION_PREFIX = "chunks__"
# fixed, so that point ids stay the same across processes and releases
POINT_NAMESPACE = uuid.UUID("6f0d5a3e-2b7c-5a1e-9c4d-8e2f1a7b3c90")
MODEL_VERSION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
KEYWORD_FIELDS = ("collection", "lang")
PASSAGE_VECTOR = "passage"
SENTENCE_VECTORS = "sentences"
# Local mode reads a filtered search off the first points of the unfiltered ranking (see
# VectorIndex._ranked_then_filtered): this many, then this many if too few match (at least
# LOCAL_RANKING_PER_HIT per hit asked for), each only while it is at most this fraction of the
# collection: ranking a point costs about as much as checking it against a filter, so ranking
# a small share of the collection beats filtering all of it.
LOCAL_RANKING_DEPTHS = (256, 8192)
LOCAL_RANKING_PER_HIT = 32
LOCAL_RANKING_MAX_FRACTION = 0.125

FilterValue = str | int | Sequence[str] | Sequence[int]


def point_id(document_id: int, ordinal: int, model_version: str) -> str:
    """The deterministic UUID of a chunk's point in a model version's collection."""
    return str(uuid.uuid5(POINT_NAMESPACE, f"{document_id}:{ordinal}:{model_version}"))


def collection_name(model_version: str) -> str:
    """The name of the collection holding ``model_version``'s embeddings."""
    if not MODEL_VERSION_PATTERN.match(model_version):
        raise ValueError(
            f"model version {model_version!r} must be letters, digits, '.', '_' or '-'"
        )
    return COLLECTION_PREFIX + model_version


def model_version_of(collection: str) -> str:
    """The model version whose embeddings ``collection`` holds (inverse of collection_name)."""
    if not collection.startswith(COLLECTION_PREFIX):
        raise ValueError(f"{collection!r} is not a chunk collection ({COLLECTION_PREFIX}<version>)")
    return collection.removeprefix(COLLECTION_PREFIX)


@dataclass(frozen=True)
class ChunkPoint:
    """One chunk embedding to store."""

    chunk_id: int
    document_id: int
    ordinal: int
    collection: str
    lang: str
    vector: Sequence[float]
    sentence_vectors: np.ndarray | Sequence[Sequence[float]] | None = None


@dataclass(frozen=True)
class Hit:
    """A search result: the chunk, its document, the cosine score and the stored payload, and
    the chunk's sentence vectors ``[n_sentences, dim]`` when asked for and stored."""

    chunk_id: int
    document_id: int
    score: float
    payload: dict[str, Any]
    sentence_vectors: np.ndarray | None = None


class VectorIndex:
    """Chunk embeddings in Qdrant (local mode or a server)."""

    def __init__(
        self, client: QdrantClient, *, local: bool, shards: int = 1, replicas: int = 1
    ) -> None:
        self._client = client
        self._local = local
        self._lock: AbstractContextManager[Any] = threading.RLock() if local else nullcontext()
        self._shards = shards
        self._replicas = replicas

    @classmethod
    def from_location(
        cls, location: str, api_key: str | None = None, *, shards: int = 1, replicas: int = 1
    ) -> VectorIndex:
        """Open ``':memory:'``, a storage directory, or a server at an http(s) URL.

        ``shards`` and ``replicas`` apply to collections created on a server.
        """
        if location.startswith(("http://", "https://")):
            client = QdrantClient(url=location, api_key=api_key)
            return cls(client, local=False, shards=shards, replicas=replicas)
        if api_key is not None:
            raise ValueError("an API key only applies to a Qdrant server (an http(s) URL)")
        if location == ":memory:":
            return cls(QdrantClient(location=":memory:"), local=True)
        return cls(QdrantClient(path=location), local=True)

    def close(self) -> None:
        """Release the client (and a local directory's lock)."""
        with self._lock:
            self._client.close()

    def ensure_collection(self, name: str, dim: int) -> bool:
        """Create chunk collection ``name`` for ``dim``-dimensional vectors (scored by cosine:
        stored and queried as unit vectors, compared by dot product) if missing.

        Returns True when it was created; ValueError if it exists with another dimension.
        """
        model_version_of(name)
        with self._lock:
            if self._client.collection_exists(name):
                self._check_dimension(name, dim)
                return False
            self._client.create_collection(
                name,
                vectors_config=_vectors_config(dim),
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
        vectors = self._client.get_collection(name).config.params.vectors
        if not isinstance(vectors, dict) or PASSAGE_VECTOR not in vectors:
            raise ValueError(
                f"collection {name!r} has no {PASSAGE_VECTOR!r} vector (made by an older "
                "release?): drop it and re-index"
            )
        size = vectors[PASSAGE_VECTOR].size
        if size != dim:
            raise ValueError(f"collection {name!r} holds {size}-d vectors, not {dim}-d")

    def upsert(
        self, collection: str, points: Iterable[ChunkPoint], *, batch_size: int = 256
    ) -> int:
        """Write ``points`` to a chunk collection, ``batch_size`` per request; the number written.

        Point ids are :func:`point_id` of the collection's model version, so writing the same
        chunks again replaces them instead of adding copies.
        """
        model_version = model_version_of(collection)
        written = 0
        for batch in _batches(points, batch_size):
            structs = [_point_struct(point, model_version) for point in batch]
            with self._lock:
                self._client.upsert(collection, points=structs, wait=True)
            written += len(structs)
        return written

    def search(
        self,
        vector: Sequence[float],
        k: int,
        *,
        lang: str | Sequence[str] | None = None,
        collection: str | Sequence[str] | None = None,
        document_id: int | Sequence[int] | None = None,
        target: str = LIVE_ALIAS,
        with_sentence_vectors: bool = False,
    ) -> list[Hit]:
        """The ``k`` nearest chunks in ``target`` (the live alias unless named), best first.

        Each filter takes one value or several (any of them matches).
        """
        filters = {
            key: value
            for key, value in (
                ("lang", lang),
                ("collection", collection),
                ("document_id", document_id),
            )
            if value is not None
        }
        query = _unit(vector)
        vectors = [SENTENCE_VECTORS] if with_sentence_vectors else False
        with self._lock:
            hits = self._ranked_then_filtered(target, query, k, filters, vectors)
            if hits is None:
                where = _filter(filters) if filters else None
                points = self._nearest(target, query, k, where, True, vectors)
                hits = [_hit(p.score, p.payload, p.vector) for p in points if p.payload]
        return hits

    def _nearest(
        self,
        target: str,
        query: list[float],
        limit: int,
        query_filter: models.Filter | None,
        payload: bool | list[str],
        vectors: bool | list[str],
    ) -> list[models.ScoredPoint]:
        """The ``limit`` points of ``target`` nearest to the unit vector ``query``."""
        return self._client.query_points(
            target,
            query=query,
            using=PASSAGE_VECTOR,
            limit=limit,
            query_filter=query_filter,
            with_payload=payload,
            with_vectors=vectors,
        ).points

    def _ranked_then_filtered(
        self,
        target: str,
        query: list[float],
        k: int,
        filters: dict[str, FilterValue],
        vectors: list[str] | bool,
    ) -> list[Hit] | None:
        """Local mode with filters: the filtered top ``k`` read off the first points of the
        unfiltered ranking; None (use a filtered query) when too few of them match, even
        looking deeper.

        Local mode checks a filter against every point's payload in Python (slow on large
        collections) but ranks without one in a matrix product and a sort. It ranks every
        point exactly, in the same order with or without a filter, so the first ``k`` matching
        points of the unfiltered ranking are exactly the filtered top ``k``.
        """
        if not self._local or not filters or "document_id" in filters:
            return None  # a document's few points are seldom among the first of a ranking
        allowed = {key: _values(value) for key, value in filters.items()}
        size = self._client.count(target).count
        depths = sorted(
            {min(size, max(d, LOCAL_RANKING_PER_HIT * k)) for d in LOCAL_RANKING_DEPTHS}
        )
        for depth in (d for d in depths if d <= size * LOCAL_RANKING_MAX_FRACTION):
            ranked = self._nearest(target, query, depth, None, list(filters), False)
            chosen = [
                point
                for point in ranked
                if point.payload and all(point.payload.get(f) in allowed[f] for f in allowed)
            ][:k]
            if len(chosen) == k or len(ranked) < depth or depth == size:
                break
        else:
            return None
        records = self._client.retrieve(
            target, [point.id for point in chosen], with_payload=True, with_vectors=vectors
        )
        by_id = {record.id: record for record in records}
        return [
            _hit(point.score, by_id[point.id].payload, by_id[point.id].vector)
            for point in chosen
            if point.id in by_id and by_id[point.id].payload
        ]

    def chunk_collections(self) -> list[str]:
        """The names of all chunk collections, sorted."""
        with self._lock:
            names = [c.name for c in self._client.get_collections().collections]
        return sorted(name for name in names if name.startswith(COLLECTION_PREFIX))

    def delete_document(self, document_id: int) -> None:
        """Remove a document's points from every chunk collection."""
        selector = models.FilterSelector(filter=_filter({"document_id": document_id}))
        for name in self.chunk_collections():
            with self._lock:
                self._client.delete(name, points_selector=selector, wait=True)

    def alias_target(self, alias: str = LIVE_ALIAS) -> str | None:
        """The collection ``alias`` points to, or None if the alias does not exist."""
        with self._lock:
            aliases = self._client.get_aliases().aliases
        return next((a.collection_name for a in aliases if a.alias_name == alias), None)

    def swap_alias(self, alias: str, new_collection: str) -> None:
        """Point ``alias`` at ``new_collection`` in one atomic update (searches never miss it)."""
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
        """The exact number of points in a collection (or behind an alias)."""
        with self._lock:
            return self._client.count(collection, exact=True).count

    def drop_collection(self, name: str) -> bool:
        """Delete a collection and any alias on it; False if it did not exist."""
        with self._lock:
            if not self._client.collection_exists(name):
                return False
            return self._client.delete_collection(name)


def _vectors_config(dim: int) -> dict[str, models.VectorParams]:
    return {
        # Dot products of unit vectors (both sides normalised here) are the cosines; local mode
        # would re-normalise every stored vector on every cosine query. Existing COSINE
        # collections give the same scores.
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


def _sentence_vectors(vectors: Any) -> np.ndarray | None:
    if not isinstance(vectors, dict) or SENTENCE_VECTORS not in vectors:
        return None
    return np.asarray(vectors[SENTENCE_VECTORS], dtype=np.float32)


def _point_struct(point: ChunkPoint, model_version: str) -> models.PointStruct:
    vectors: dict[str, Any] = {PASSAGE_VECTOR: _unit(point.vector)}
    if point.sentence_vectors is not None and len(point.sentence_vectors) > 0:
        vectors[SENTENCE_VECTORS] = [_floats(v) for v in point.sentence_vectors]
    return models.PointStruct(
        id=point_id(point.document_id, point.ordinal, model_version),
        vector=vectors,
        payload={
            "chunk_id": point.chunk_id,
            "document_id": point.document_id,
            "ordinal": point.ordinal,
            "collection": point.collection,
            "lang": point.lang,
        },
    )


def _filter(filters: dict[str, FilterValue]) -> models.Filter:
    """All of ``filters`` (each: one value, or several of which any matches)."""
    return models.Filter(
        must=[
            models.FieldCondition(key=key, match=models.MatchAny(any=list(_values(value))))
            for key, value in filters.items()
        ]
    )


def _values(value: FilterValue) -> set[Any]:
    return {value} if isinstance(value, str | int) else set(value)


def _hit(score: float, payload: dict[str, Any] | None, vector: Any) -> Hit:
    assert payload is not None
    return Hit(
        chunk_id=payload["chunk_id"],
        document_id=payload["document_id"],
        score=score,
        payload=payload,
        sentence_vectors=_sentence_vectors(vector),
    )


def _unit(vector: Sequence[float]) -> list[float]:
    """``vector`` scaled to length 1 (a zero vector stays zero), as plain floats."""
    array = np.asarray(vector, dtype=np.float64)
    norm = float(np.linalg.norm(array))
    return (array / norm if norm > 0 else array).tolist()


def _floats(vector: Sequence[float]) -> list[float]:
    # plain floats: the server's JSON encoder rejects numpy scalars
    return [float(x) for x in vector]


def _batches(points: Iterable[ChunkPoint], size: int) -> Iterator[list[ChunkPoint]]:
    if size < 1:
        raise ValueError(f"batch size must be at least 1 (got {size})")
    iterator = iter(points)
    while batch := list(islice(iterator, size)):
        yield batch
