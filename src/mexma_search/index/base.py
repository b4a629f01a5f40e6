"""The vector index contract: what the app asks of any engine that stores chunk embeddings."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mexma_search.index.keywords import KeywordQuery, stands_out
from mexma_search.index.points import (
    LIVE_ALIAS,
    PASSAGE_VECTOR,
    SENTENCE_VECTORS,
    ChunkPoint,
    Hit,
    batches,
    is_chunk_collection,
    make_hit,
    model_version_of,
    search_filters,
    unit,
)


@dataclass(frozen=True)
class SearchRequest:
    """A validated search: the unit query vector, how many hits, the filters (field -> the
    values of which any matches), whether to return sentence vectors, exact or approximate,
    and the keywords of a hybrid search."""

    query: list[float]
    k: int
    filters: dict[str, list[Any]]
    with_sentence_vectors: bool
    exact: bool
    keywords: KeywordQuery | None


class IndexBusyError(RuntimeError):
    """The embedded index directory is held by another process."""


def hybrid_vectors(request: SearchRequest) -> list[str]:
    """The named vectors a hybrid search reads back: the passage vector (for the cosine) and
    the sentence vectors when asked for."""
    return [PASSAGE_VECTOR, *([SENTENCE_VECTORS] if request.with_sentence_vectors else [])]


def keyword_scored_hits(points: Iterable[Any], request: SearchRequest) -> list[tuple[float, Hit]]:
    """The engine's points from a keyword search, each with its BM25 score, as hits scored by
    the cosine of the query and the stored passage vector."""
    return [
        (p.score, make_hit(p.score, p.payload, p.vector, request.query))
        for p in points
        if p.payload
    ]


def scored_hits(points: Iterable[Any], request: SearchRequest) -> list[Hit]:
    """The engine's scored points as hits; after a fusion (hybrid search), scored by the cosine
    of the query and the stored passage vector."""
    rescore = request.query if request.keywords is not None else None
    return [make_hit(p.score, p.payload, p.vector, rescore) for p in points if p.payload]


def best_per_document(scored: list[tuple[float, Hit]]) -> list[tuple[float, Hit]]:
    """The first of ``scored`` (best first) of each document."""
    seen: set[int] = set()
    firsts = []
    for score, hit in scored:
        if hit.document_id not in seen:
            seen.add(hit.document_id)
            firsts.append((score, hit))
    return firsts


def standout_first(hits: list[Hit], standout: Hit, k: int) -> list[Hit]:
    """The first ``k`` of ``standout`` followed by ``hits`` without it."""
    return [standout, *(hit for hit in hits if hit.chunk_id != standout.chunk_id)][:k]


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
        With ``keywords``, the ranking fuses the dense search with keyword (BM25) searches
        (hybrid search); the dense search is never restricted by the keywords, and every hit's
        score stays the cosine of the query and the passage. The best keyword hit goes first
        when its BM25 score stands out from other documents' (see
        :func:`~mexma_search.index.keywords.stands_out`).
        """
        if k < 1:
            raise ValueError(f"k must be at least 1 (got {k})")
        filters = search_filters(lang=lang, collection=collection, document_id=document_id)
        if keywords is not None and not keywords.text.strip():
            keywords = None
        request = SearchRequest(unit(vector), k, filters, with_sentence_vectors, exact, keywords)
        hits = self._search(target, request)
        if keywords is None:
            return hits
        best = best_per_document(self._keyword_hits(target, request))
        if not stands_out([score for score, _ in best]):
            return hits
        return standout_first(hits, best[0][1], k)

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
        """The answer to ``request`` from collection (or alias) ``target``."""

    @abstractmethod
    def _keyword_hits(self, target: str, request: SearchRequest) -> list[tuple[float, Hit]]:
        """The ``STANDOUT_CANDIDATES`` best keyword (BM25) hits of ``request`` over every
        language, best first, each with its BM25 score (the hits scored, as in a hybrid
        search, by the cosine)."""

    @abstractmethod
    def _delete_document(self, collection: str, document_id: int) -> None:
        """Remove a document's points from one collection."""
