"""What the vector index stores and returns, independent of the engine behind it.

Each model version has its own collection ``chunks__<model version>``; the live alias
``chunks`` names the one search uses, so promoting a model is one atomic switch. Points carry
the chunk's ids, collection and language as payload, and two named vectors: ``passage``
(searched) and, when the chunk has several sentences, ``sentences`` (one vector per sentence,
stored on disk in float16 and never indexed: search reads them back for the returned passages
to point at the best sentence).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

import numpy as np

LIVE_ALIAS = "chunks"
COLLECTION_PREFIX = "chunks__"
# translation memory segments, one collection per model version, apart from the chunks
TM_COLLECTION_PREFIX = "tm__"
# fixed, so that point ids stay the same across processes and releases
POINT_NAMESPACE = uuid.UUID("6f0d5a3e-2b7c-5a1e-9c4d-8e2f1a7b3c90")
MODEL_VERSION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
KEYWORD_FIELDS = ("collection", "lang")
PASSAGE_VECTOR = "passage"
SENTENCE_VECTORS = "sentences"
FILTER_FIELDS = ("lang", "collection", "document_id")

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


def tm_collection_name(model_version: str) -> str:
    """The name of the collection holding ``model_version``'s translation memory segments."""
    return TM_COLLECTION_PREFIX + collection_name(model_version).removeprefix(COLLECTION_PREFIX)


def is_chunk_collection(name: str) -> bool:
    """Whether ``name`` names a collection of document chunks (not of TM segments)."""
    return name.startswith(COLLECTION_PREFIX)


def model_version_of(collection: str) -> str:
    """The model version whose embeddings ``collection`` holds (inverse of collection_name
    and tm_collection_name)."""
    prefix = next(
        (p for p in (COLLECTION_PREFIX, TM_COLLECTION_PREFIX) if collection.startswith(p)), None
    )
    if prefix is None:
        raise ValueError(f"{collection!r} is not a chunk collection ({COLLECTION_PREFIX}<version>)")
    version = collection.removeprefix(prefix)
    if not MODEL_VERSION_PATTERN.match(version):
        raise ValueError(f"{collection!r} is not a valid chunk collection name")
    return version


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
    # the passage's text, for its keyword (BM25) vector; empty: no keyword vector
    text: str = ""

    def payload(self) -> dict[str, Any]:
        """The payload stored with the point (what filters and results read)."""
        return {
            "chunk_id": self.chunk_id,
            "document_id": self.document_id,
            "ordinal": self.ordinal,
            "collection": self.collection,
            "lang": self.lang,
        }

    def has_sentence_vectors(self) -> bool:
        """True when the chunk's sentence vectors are given (chunks of several sentences)."""
        return self.sentence_vectors is not None and len(self.sentence_vectors) > 0


@dataclass(frozen=True)
class Hit:
    """A search result: the chunk, its document, the cosine score and the stored payload, and
    the chunk's sentence vectors ``[n_sentences, dim]`` when asked for and stored."""

    chunk_id: int
    document_id: int
    score: float
    payload: dict[str, Any]
    sentence_vectors: np.ndarray | None = None


def make_hit(score: float, payload: dict[str, Any]) -> Hit:
    """A :class:`Hit` (without sentence vectors) from a score and the stored payload."""
    return Hit(
        chunk_id=payload["chunk_id"],
        document_id=payload["document_id"],
        score=score,
        payload=payload,
    )


def passage_cosines(vectors: Sequence[Any], query: Sequence[float]) -> list[float | None]:
    """The cosine of the unit ``query`` and each of the engine's named ``vectors`` (one dict
    per point) by its passage vector, in one product; None where a point has none."""
    passages = [v.get(PASSAGE_VECTOR) if isinstance(v, dict) else None for v in vectors]
    present = [passage for passage in passages if passage is not None]
    if not present:
        return [None] * len(passages)
    dots = iter((np.asarray(present, dtype=np.float64) @ np.asarray(query, np.float64)).tolist())
    return [None if passage is None else next(dots) for passage in passages]


def sentence_vectors_by_id(records: Iterable[Any]) -> dict[str, np.ndarray]:
    """The sentence vectors of an engine's ``records`` (each with an ``id`` and its named
    vectors as ``vector``) by point id, ``[n_sentences, dim]`` float32, for those that have
    them."""
    found = {}
    for record in records:
        sentences = record.vector.get(SENTENCE_VECTORS) if isinstance(record.vector, dict) else None
        if sentences is not None:
            found[str(record.id)] = np.asarray(sentences, dtype=np.float32)
    return found


def chunk_point(payload: dict[str, Any], vectors: Any) -> ChunkPoint:
    """The :class:`ChunkPoint` stored as ``payload`` and named ``vectors``."""
    assert isinstance(vectors, dict)
    return ChunkPoint(
        chunk_id=payload["chunk_id"],
        document_id=payload["document_id"],
        ordinal=payload["ordinal"],
        collection=payload["collection"],
        lang=payload["lang"],
        vector=vectors[PASSAGE_VECTOR],
        sentence_vectors=vectors.get(SENTENCE_VECTORS),
    )


def search_filters(**filters: FilterValue | None) -> dict[str, list[Any]]:
    """The given filters (None ones dropped), each as the list of values any of which matches."""
    unknown = set(filters) - set(FILTER_FIELDS)
    if unknown:
        raise ValueError(f"unknown filter field(s): {', '.join(sorted(unknown))}")
    return {
        key: [value] if isinstance(value, str | int) else list(value)
        for key, value in filters.items()
        if value is not None
    }


def unit(vector: Sequence[float] | np.ndarray) -> list[float]:
    """``vector`` scaled to length 1 (a zero vector stays zero), as plain floats."""
    array = np.asarray(vector, dtype=np.float64)
    norm = float(np.linalg.norm(array))
    return (array / norm if norm > 0 else array).tolist()


def unit_rows(vectors: np.ndarray | Sequence[Sequence[float]]) -> list[list[float]]:
    """Each of ``vectors`` scaled to length 1 (zero vectors stay zero), as plain floats."""
    rows = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return (rows / np.where(norms > 0, norms, 1.0)).tolist()


def float_rows(vectors: np.ndarray | Sequence[Sequence[float]]) -> list[list[float]]:
    """``vectors`` as lists of plain Python floats (JSON encoders and engines reject numpy
    scalars)."""
    return np.asarray(vectors, dtype=np.float32).tolist()


def batches(points: Iterable[ChunkPoint], size: int) -> Iterator[list[ChunkPoint]]:
    """``points`` in lists of ``size`` (the last one shorter)."""
    if size < 1:
        raise ValueError(f"batch size must be at least 1 (got {size})")
    iterator = iter(points)
    while batch := list(islice(iterator, size)):
        yield batch
