"""Translation memory segments in the vector index, and concordance search over them.

Each side of a segment is one point of the model version's TM collection
(:func:`~mexma_search.index.points.tm_collection_name`), apart from the document chunks, so
document search never meets them. The points reuse the chunk point's fields: its "document" is
the translation memory (``document_id`` = TM id, so a TM filter and a TM's deletion work as for a
document), its "chunk" the segment (``chunk_id`` = segment id), and ``ordinal`` tells the side
(``2 * segment id + side``, which keeps point ids unique). Both sides get a passage vector and a
BM25 keyword vector in their own language, so a query in any language finds either side by
meaning and by its words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from mexma_search.index import ChunkPoint, Hit, VectorIndex
from mexma_search.index.keywords import KeywordQuery, document_keywords
from mexma_search.index.points import tm_collection_name
from mexma_search.store.tm_tables import TmSegment

Side = Literal["src", "trg"]
SIDES: tuple[Side, Side] = ("src", "trg")
Encode = Callable[[Sequence[str]], np.ndarray]
Span = tuple[int, int]
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class SegmentText:
    """What the index needs of a segment: its ids, collection, and each side's text and
    language."""

    segment_id: int
    tm_id: int
    collection: str
    src_lang: str
    trg_lang: str
    src_text: str
    trg_text: str

    @classmethod
    def of(cls, segment: TmSegment, collection: str) -> SegmentText:
        return cls(
            segment.id,
            segment.tm_id,
            collection,
            segment.src_lang,
            segment.trg_lang,
            segment.src_text,
            segment.trg_text,
        )

    def side(self, side: Side) -> tuple[str, str]:
        """The ``(text, language)`` of one side."""
        return (self.src_text, self.src_lang) if side == "src" else (self.trg_text, self.trg_lang)


@dataclass(frozen=True)
class SegmentHit:
    """A segment the index found: by which side, with the cosine of the query and that side."""

    segment_id: int
    tm_id: int
    side: Side
    score: float


def side_ordinal(segment_id: int, side: Side) -> int:
    """The point ordinal of one side of a segment (unique within its TM)."""
    return 2 * segment_id + SIDES.index(side)


def side_of(hit: Hit) -> Side:
    """Which side of its segment a hit is."""
    return SIDES[int(hit.payload["ordinal"]) % 2]


def index_segments(
    index: VectorIndex, model_version: str, encode: Encode, segments: Sequence[SegmentText]
) -> int:
    """Encode both sides of ``segments`` and write them to ``model_version``'s TM collection
    (created when missing); the number of points written."""
    if not segments:
        return 0
    texts = [segment.side(side)[0] for segment in segments for side in SIDES]
    vectors = encode(texts)
    collection = tm_collection_name(model_version)
    index.ensure_collection(collection, int(vectors.shape[1]))
    points = [
        ChunkPoint(
            chunk_id=segment.segment_id,
            document_id=segment.tm_id,
            ordinal=side_ordinal(segment.segment_id, side),
            collection=segment.collection,
            lang=segment.side(side)[1],
            vector=vectors[2 * i + j],
            text=segment.side(side)[0],
        )
        for i, segment in enumerate(segments)
        for j, side in enumerate(SIDES)
    ]
    return index.upsert(collection, points)


def delete_tm_points(index: VectorIndex, tm_id: int) -> None:
    """Remove a translation memory's points from every TM collection."""
    for collection in index.tm_collections():
        index.delete_points_of(collection, tm_id)


@dataclass(frozen=True)
class SegmentQuery:
    """A concordance search in the index: the query vector and words, how many segments, and
    the filters (None: any)."""

    vector: np.ndarray
    keywords: KeywordQuery
    limit: int
    collections: Sequence[str] | None = None
    tm_ids: Sequence[int] | None = None
    languages: Sequence[str] | None = None


def search_segments(
    index: VectorIndex, model_version: str, query: SegmentQuery
) -> list[SegmentHit]:
    """The best ``query.limit`` segments (each by its better side), best first: hybrid search
    over both sides of every segment; empty when nothing was indexed for the model."""
    collection = tm_collection_name(model_version)
    if collection not in index.tm_collections():
        return []
    hits = index.search(
        query.vector,
        # both sides of a segment may come back: ask for enough to fill the limit
        2 * query.limit,
        collection=query.collections,
        document_id=query.tm_ids,
        lang=query.languages,
        target=collection,
        keywords=query.keywords,
    )
    found: dict[int, SegmentHit] = {}
    for hit in hits:
        if hit.chunk_id not in found:
            found[hit.chunk_id] = SegmentHit(hit.chunk_id, hit.document_id, side_of(hit), hit.score)
    return list(found.values())[: query.limit]


def matched_words(text: str, lang: str, wanted: set[int]) -> list[Span]:
    """The spans of the words of ``text`` (in ``lang``) among the ``wanted`` keyword ids (a
    query's BM25 terms): tokenized and stemmed as the keyword search does."""
    if not wanted:
        return []
    return [
        match.span()
        for match in WORD.finditer(text)
        if wanted.intersection(document_keywords(match.group(), lang).indices)
    ]
