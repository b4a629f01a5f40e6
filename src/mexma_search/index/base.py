"""The vector index contract: what the app asks of any engine that stores chunk embeddings."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from mexma_search.index.fusion import hybrid_depth, hybrid_ranking
from mexma_search.index.keywords import KeywordQuery
from mexma_search.index.points import (
    LIVE_ALIAS,
    ChunkPoint,
    Hit,
    batches,
    is_chunk_collection,
    make_hit,
    model_version_of,
    passage_cosines,
    point_id,
    search_filters,
    unit,
)


@dataclass(frozen=True)
class SearchRequest:
    """A validated search: the unit query vector, how many hits, the filters (field -> the
    values of which any matches), exact or approximate, and the keywords of a hybrid search.
    Engines return hits without sentence vectors (:meth:`VectorIndex.with_sentence_vectors`
    reads them for the few hits shown)."""

    query: list[float]
    k: int
    filters: dict[str, list[Any]]
    exact: bool
    keywords: KeywordQuery | None


class IndexBusyError(RuntimeError):
    """The embedded index directory is held by another process."""


def keyword_scored_hits(points: Iterable[Any], request: SearchRequest) -> list[tuple[float, Hit]]:
    """The engine's points from a keyword search, each with its BM25 score, as hits scored by
    the cosine of the query and the stored passage vector."""
    found = [p for p in points if p.payload]
    cosines = passage_cosines([p.vector for p in found], request.query)
    return [
        (p.score, make_hit(p.score if cosine is None else cosine, p.payload))
        for p, cosine in zip(found, cosines, strict=True)
    ]


def scored_hits(points: Iterable[Any]) -> list[Hit]:
    """The engine's points from a dense search as hits (scored by cosine)."""
    return [make_hit(p.score, p.payload) for p in points if p.payload]


class VectorIndex(ABC):
    """Chunk embeddings, one collection per model version, and the live alias.

    Subclasses implement the engine calls (the methods starting with ``_`` and the abstract
    public ones); this class validates arguments, batches writes and normalises queries, so
    every engine sees the same requests.
    """

    def upsert(
        self, collection: str, points: Iterable[ChunkPoint], *, batch_size: int = 256
    ) -> int:
        """Write ``points`` to a chunk collection, ``batch_size`` per request; the number written.

        Point ids are :func:`~mexma_search.index.points.point_id` of the collection's model
        version, so writing the same chunks again replaces them instead of adding copies.
        """
        model_version = model_version_of(collection)
        written = 0
        for batch in batches(points, batch_size):
            self._upsert_batch(collection, model_version, batch)
            written += len(batch)
        return written

    def search(
        self,
        vector: Sequence[float] | np.ndarray,
        k: int,
        *,
        lang: str | Sequence[str] | None = None,
        collection: str | Sequence[str] | None = None,
        document_id: int | Sequence[int] | None = None,
        target: str = LIVE_ALIAS,
        with_sentence_vectors: bool = False,
        exact: bool = False,
        keywords: KeywordQuery | None = None,
    ) -> list[Hit]:
        """The ``k`` nearest chunks in ``target`` (the live alias unless named), best first.

        Each filter takes one value or several (any of them matches). ``exact`` compares the
        query with every matching point instead of walking the approximate (HNSW) graph.
        With ``keywords``, the ranking fuses the dense search with a keyword (BM25) search
        (hybrid search, see :mod:`~mexma_search.index.fusion`); the dense search is never
        restricted by the keywords, and every hit's score stays the cosine of the query and
        the passage. ``with_sentence_vectors`` reads the returned hits' sentence vectors once
        they are ranked (the candidates of a hybrid search go without).
        """
        if k < 1:
            raise ValueError(f"k must be at least 1 (got {k})")
        filters = search_filters(lang=lang, collection=collection, document_id=document_id)
        request = SearchRequest(unit(vector), k, filters, exact, None)
        if keywords is None or not keywords.text.strip():
            hits = self._search(target, request)
        else:
            deep = replace(request, k=hybrid_depth(k))
            dense = self._search(target, deep)
            found = self._keyword_search(target, replace(deep, keywords=keywords))
            hits = hybrid_ranking(
                dense,
                found,
                keywords,
                k,
                lambda codes: self._keyword_search(target, replace(request, k=1, keywords=codes)),
            )
        return self.with_sentence_vectors(hits, target) if with_sentence_vectors else hits

    def with_sentence_vectors(self, hits: Sequence[Hit], target: str = LIVE_ALIAS) -> list[Hit]:
        """``hits`` of chunk collection (or alias) ``target``, each with the sentence vectors
        stored with its point (None where the passage has none), read in one request."""
        if not hits:
            return []
        collection = target if is_chunk_collection(target) else self.alias_target(target)
        if collection is None:
            raise ValueError(f"the index has no collection {target!r}")
        version = model_version_of(collection)
        ids = [point_id(hit.document_id, hit.payload["ordinal"], version) for hit in hits]
        stored = self._sentence_vectors(collection, ids)
        return [
            replace(hit, sentence_vectors=stored.get(point))
            for hit, point in zip(hits, ids, strict=True)
        ]

    def delete_document(self, document_id: int) -> None:
        """Remove a document's points from every chunk collection."""
        for name in self.chunk_collections():
            self._delete_document(name, document_id)

    @abstractmethod
    def close(self) -> None:
        """Release the engine (and the storage's lock)."""

    @abstractmethod
    def ensure_collection(self, name: str, dim: int) -> bool:
        """Create chunk collection ``name`` for ``dim``-dimensional unit vectors if missing.

        Returns True when it was created; ValueError if it exists with another dimension.
        """

    def chunk_collections(self) -> list[str]:
        """The names of all chunk collections, sorted."""
        return [name for name in self.collection_names() if is_chunk_collection(name)]

    def tm_collections(self) -> list[str]:
        """The names of all translation memory segment collections, sorted."""
        return [name for name in self.collection_names() if not is_chunk_collection(name)]

    def delete_points_of(self, collection: str, document_id: int) -> None:
        """Remove the points stored under ``document_id`` from one collection."""
        self._delete_document(collection, document_id)

    @abstractmethod
    def collection_names(self) -> list[str]:
        """The names of all collections (of chunks and of TM segments), sorted."""

    @abstractmethod
    def alias_target(self, alias: str = LIVE_ALIAS) -> str | None:
        """The collection ``alias`` points to, or None if the alias does not exist."""

    @abstractmethod
    def swap_alias(self, alias: str, new_collection: str) -> None:
        """Point ``alias`` at ``new_collection`` in one atomic step (searches never miss it)."""

    @abstractmethod
    def count(self, collection: str) -> int:
        """The exact number of points in a collection (or behind an alias)."""

    @abstractmethod
    def drop_collection(self, name: str) -> bool:
        """Delete a collection and any alias on it; False if it did not exist."""

    @abstractmethod
    def chunk_ids_by_document(
        self, collection: str, *, without_keywords: bool = False
    ) -> dict[int, set[int]]:
        """Every point of ``collection`` as document id -> the chunk ids stored for it; with
        ``without_keywords``, only the points stored without a keyword vector (written by a
        release before hybrid search, or migrated from one)."""

    @abstractmethod
    def points(self, collection: str, ids: list[str]) -> list[ChunkPoint]:
        """The stored points with these ids (missing ones left out), with their vectors."""

    @abstractmethod
    def _upsert_batch(self, collection: str, model_version: str, batch: list[ChunkPoint]) -> None:
        """Write one batch of points."""

    @abstractmethod
    def _search(self, target: str, request: SearchRequest) -> list[Hit]:
        """The ``request.k`` nearest passages of the dense ``request`` in collection (or alias)
        ``target``, scored by cosine."""

    @abstractmethod
    def _keyword_search(self, target: str, request: SearchRequest) -> list[tuple[float, Hit]]:
        """The ``request.k`` best keyword (BM25) hits of ``request.keywords`` over every
        language in ``target``, best first, each with its BM25 score (the hit itself scored
        by the cosine of the query and the passage)."""

    @abstractmethod
    def _sentence_vectors(self, collection: str, ids: list[str]) -> dict[str, np.ndarray]:
        """The sentence vectors stored with the points ``ids`` of ``collection`` (point id ->
        ``[n_sentences, dim]`` float32), for the points that have them."""

    @abstractmethod
    def _delete_document(self, collection: str, document_id: int) -> None:
        """Remove a document's points from one collection."""
