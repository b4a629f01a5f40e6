"""A keyword hit that stands out from the rest goes first in a hybrid search, on every engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from mexma_search.index import LIVE_ALIAS, ChunkPoint, VectorIndex, collection_name, open_index
from mexma_search.index.fusion import STANDOUT_RATIO, stands_out
from mexma_search.index.keywords import KeywordQuery

pytestmark = pytest.mark.filterwarnings("ignore:Failed to obtain server version:UserWarning")

DIM = 8
RARE = "The plant is certified to ISO 9001 norms"


@pytest.fixture(params=("edge", "qdrant-local"))
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorIndex]:
    """An empty in-memory index on each engine, closed afterwards."""
    index = open_index(":memory:", engine=request.param)
    yield index
    index.close()


def _index_with(
    index: VectorIndex, query: np.ndarray, rare_texts: list[str], rare_lang: str = "en"
) -> list[int]:
    """Index 120 English passages near ``query`` with no query word, and ``rare_texts`` (in
    ``rare_lang``) far from it; the chunk ids of the rare ones."""
    rng = np.random.default_rng(3)
    near = [
        (query + 0.3 * rng.standard_normal(DIM), f"Report {i} on the harvest") for i in range(120)
    ]
    far = [(-query + 0.1 * rng.standard_normal(DIM), text) for text in rare_texts]
    points = [
        ChunkPoint(
            i, i, 0, "news", "en" if i <= len(near) else rare_lang, vector.tolist(), text=text
        )
        for i, (vector, text) in enumerate(near + far, start=1)
    ]
    index.ensure_collection(collection_name("v1"), DIM)
    index.upsert(collection_name("v1"), points)
    index.swap_alias(LIVE_ALIAS, collection_name("v1"))
    return [point.chunk_id for point in points[len(near) :]]


def test_a_standout_keyword_hit_goes_first_past_nearer_dense_hits(engine: VectorIndex) -> None:
    query = np.random.default_rng(5).standard_normal(DIM)
    (rare,) = _index_with(engine, query, [RARE])
    hits = engine.search(query, 5, keywords=KeywordQuery("ISO 9001", "en"))
    assert [hit.chunk_id for hit in hits][:1] == [rare]
    assert len(hits) == 5
    assert hits[0].score < 0  # its score stays the cosine with the (opposite) query


def test_keyword_hits_that_tie_leave_the_fused_ranking_alone(engine: VectorIndex) -> None:
    query = np.random.default_rng(5).standard_normal(DIM)
    rare = _index_with(engine, query, [RARE, RARE.replace("plant", "mill")])
    hits = engine.search(query, 5, keywords=KeywordQuery("ISO 9001", "en"))
    assert hits[0].chunk_id not in rare
    assert hits[0].chunk_id == engine.search(query, 1)[0].chunk_id


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([], False),
        ([0.0], False),
        ([1.5], True),
        ([STANDOUT_RATIO * 2.0, 2.0], True),
        ([STANDOUT_RATIO * 2.0 - 0.01, 2.0], False),
    ],
)
def test_the_best_keyword_score_stands_out_by_the_ratio(
    scores: list[float], expected: bool
) -> None:
    assert stands_out(scores) is expected


def test_a_keyword_hit_stands_out_from_other_documents_not_its_own(engine: VectorIndex) -> None:
    query = np.random.default_rng(5).standard_normal(DIM)
    (rare,) = _index_with(engine, query, [RARE])
    sibling = ChunkPoint(999, rare, 1, "news", "en", (-query).tolist(), text=f"{RARE} again")
    engine.upsert(collection_name("v1"), [sibling])
    hits = engine.search(query, 5, keywords=KeywordQuery("ISO 9001", "en"))
    assert hits[0].document_id == rare


def test_a_passage_in_another_language_stands_out_only_on_a_code_term(
    engine: VectorIndex,
) -> None:
    query = np.random.default_rng(5).standard_normal(DIM)
    words, code = _index_with(
        engine, query, ["bridge stone bridge stone", "Le pont certifié ISO 9001"], "fr"
    )
    hits = engine.search(query, 5, keywords=KeywordQuery("the ISO 9001 norms", "en"))
    assert hits[0].chunk_id == code
    hits = engine.search(query, 5, keywords=KeywordQuery("the bridge of stone 9002", "en"))
    assert hits[0].chunk_id != words
