"""A search reads sentence vectors for the hits it returns, never for the candidates it ranks."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from mexma_search.index import (
    LIVE_ALIAS,
    ChunkPoint,
    Hit,
    VectorIndex,
    collection_name,
    open_index,
    point_id,
)
from mexma_search.index.keywords import KeywordQuery

pytestmark = pytest.mark.filterwarnings("ignore:Failed to obtain server version:UserWarning")

DIM = 8
V1 = collection_name("v1")
PASSAGES = 40


@pytest.fixture(params=("edge", "qdrant-local"))
def engine(request: pytest.FixtureRequest) -> Iterator[VectorIndex]:
    """An in-memory index on each engine holding PASSAGES passages of three sentences each
    (every third one a single sentence, stored without sentence vectors)."""
    index = open_index(":memory:", engine=request.param)
    rng = np.random.default_rng(5)
    points = []
    for n in range(PASSAGES):
        sentences = rng.standard_normal((3, DIM)).astype(np.float32)
        several = n % 3 != 0
        points.append(
            ChunkPoint(
                chunk_id=n + 1,
                document_id=n // 4 + 1,
                ordinal=n % 4,
                collection="news",
                lang="en",
                vector=sentences.mean(axis=0),
                sentence_vectors=sentences if several else None,
                text=f"The river report number {n}",
            )
        )
    index.ensure_collection(V1, DIM)
    index.upsert(V1, points)
    index.swap_alias(LIVE_ALIAS, V1)
    yield index
    index.close()


def _record_reads(index: VectorIndex, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The point ids of each sentence-vector read ``index`` makes from now on."""
    reads: list[list[str]] = []
    read = index._sentence_vectors

    def recorded(collection: str, ids: list[str]) -> dict[str, np.ndarray]:
        reads.append(list(ids))
        return read(collection, ids)

    monkeypatch.setattr(index, "_sentence_vectors", recorded)
    return reads


def _point_ids(hits: list[Hit]) -> list[str]:
    return [point_id(hit.document_id, hit.payload["ordinal"], "v1") for hit in hits]


@pytest.mark.parametrize("keywords", [None, KeywordQuery("river report", "en")])
def test_only_the_returned_hits_carry_sentence_vectors(
    engine: VectorIndex, monkeypatch: pytest.MonkeyPatch, keywords: KeywordQuery | None
) -> None:
    reads = _record_reads(engine, monkeypatch)
    query = np.random.default_rng(6).standard_normal(DIM)
    hits = engine.search(query, 5, with_sentence_vectors=True, keywords=keywords)
    assert len(hits) == 5
    assert reads == [_point_ids(hits)]  # one read, of the five returned (of 40 candidates)
    plain = engine.search(query, 5, keywords=keywords)
    assert [h.chunk_id for h in plain] == [h.chunk_id for h in hits]
    assert all(h.sentence_vectors is None for h in plain)
    for hit in hits:
        several = (hit.chunk_id - 1) % 3 != 0
        assert (hit.sentence_vectors is not None) == several
        if hit.sentence_vectors is not None:
            assert hit.sentence_vectors.shape == (3, DIM)


def test_sentence_vectors_are_read_for_the_hits_given(engine: VectorIndex) -> None:
    query = np.random.default_rng(7).standard_normal(DIM)
    hits = engine.search(query, 8, target=V1)
    shown = [hits[1], hits[4]]
    with_vectors = engine.with_sentence_vectors(shown, V1)
    assert [h.chunk_id for h in with_vectors] == [h.chunk_id for h in shown]
    by_alias = engine.with_sentence_vectors(shown, LIVE_ALIAS)
    for a, b in zip(with_vectors, by_alias, strict=True):
        assert (a.sentence_vectors is None) == (b.sentence_vectors is None)
        if a.sentence_vectors is not None and b.sentence_vectors is not None:
            np.testing.assert_array_equal(a.sentence_vectors, b.sentence_vectors)
    assert engine.with_sentence_vectors([], V1) == []


def test_an_unknown_alias_is_named(engine: VectorIndex) -> None:
    hit = engine.search(np.ones(DIM), 1)[0]
    with pytest.raises(ValueError, match="no collection 'nowhere'"):
        engine.with_sentence_vectors([hit], "nowhere")
