"""Hybrid fusion (DBSF with a keyword weight by the passage's language), alone and on every
engine."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from mexma_search.index import LIVE_ALIAS, ChunkPoint, Hit, VectorIndex, collection_name, open_index
from mexma_search.index.fusion import (
    OTHER_LANGUAGE_WEIGHT,
    SAME_LANGUAGE_WEIGHT,
    UNKNOWN_LANGUAGE_WEIGHT,
    code_query,
    code_terms,
    fuse,
    hybrid_ranking,
    keyword_weight,
    normalised,
    score_range,
)
from mexma_search.index.keywords import KeywordQuery

pytestmark = pytest.mark.filterwarnings("ignore:Failed to obtain server version:UserWarning")

DIM = 8


def _hit(chunk_id: int, score: float, lang: str = "en") -> Hit:
    payload = {"chunk_id": chunk_id, "document_id": chunk_id, "lang": lang}
    return Hit(chunk_id, chunk_id, score, payload)


def test_the_keyword_weight_depends_on_the_passage_language() -> None:
    assert keyword_weight("en", "en") == SAME_LANGUAGE_WEIGHT
    assert keyword_weight("en", "fr") == OTHER_LANGUAGE_WEIGHT
    assert keyword_weight(None, "fr") == UNKNOWN_LANGUAGE_WEIGHT
    assert OTHER_LANGUAGE_WEIGHT < SAME_LANGUAGE_WEIGHT


def test_scores_are_normalised_by_mean_and_three_deviations() -> None:
    bounds = score_range([1.0, 3.0])  # mean 2, deviation 1
    assert bounds == pytest.approx((-1.0, 5.0))
    assert normalised(2.0, bounds) == pytest.approx(0.5)
    assert normalised(9.0, bounds) == 1.0
    assert normalised(-4.0, bounds) == 0.0
    assert normalised(7.0, score_range([7.0, 7.0])) == 1.0


def test_a_keyword_match_lifts_a_near_dense_tie_in_the_query_language() -> None:
    dense = [_hit(1, 0.90, "fr"), _hit(2, 0.899), _hit(3, 0.5), _hit(4, 0.4)]
    keywords = [(8.0, _hit(2, 0.899)), (1.0, _hit(3, 0.5))]
    assert [hit.chunk_id for hit in fuse(dense, keywords, "en")][:2] == [2, 1]


def test_keywords_of_a_cross_language_query_leave_other_languages_alone() -> None:
    dense = [_hit(1, 0.90, "en"), _hit(2, 0.899, "fr"), _hit(3, 0.5, "fr"), _hit(4, 0.4)]
    keywords = [(8.0, _hit(2, 0.899, "fr")), (1.0, _hit(3, 0.5, "fr"))]
    assert [hit.chunk_id for hit in fuse(dense, keywords, "en")] == [1, 2, 3, 4]


def test_a_keyword_hit_the_dense_leg_missed_joins_with_its_cosine() -> None:
    dense = [_hit(1, 0.9), _hit(2, 0.8), _hit(3, 0.7)]
    keywords = [(5.0, _hit(9, 0.85)), (4.0, _hit(2, 0.8))]
    fused = fuse(dense, keywords, "en")
    assert {hit.chunk_id for hit in fused} == {1, 2, 3, 9}
    assert [hit.score for hit in fused if hit.chunk_id == 9] == [0.85]


def test_code_terms_are_numbers_and_capitalised_codes() -> None:
    assert code_terms("Certified to ISO 9001, under PBL 9 kap.") == ["ISO", "9001", "PBL", "9"]
    assert code_terms("Honoré de Balzac was a French novelist") == []
    assert code_terms("Jacques-Louis David painted in COVID-19 times") == ["COVID-19"]


def test_the_code_query_holds_the_code_terms_of_a_query_in_a_known_language() -> None:
    assert code_query(KeywordQuery("the ISO 9001 bridge", "en")) == KeywordQuery("ISO 9001")
    assert code_query(KeywordQuery("the stone bridge", "en")) is None
    assert code_query(KeywordQuery("ISO 9001", None)) is None  # every hit counts already


@pytest.mark.parametrize(
    ("query", "lang", "goes_first"),
    [
        (KeywordQuery("the bridge of stone", "en"), "en", True),
        (KeywordQuery("the bridge of stone", "en"), "fr", False),  # chance, in another language
        (KeywordQuery("the ISO 9001 bridge", "en"), "fr", False),  # not on the code itself
        (KeywordQuery("the bridge of stone", None), "fr", True),  # language unclear: any
    ],
)
def test_a_lone_keyword_hit_goes_first_unless_a_chance_cross_language_match(
    query: KeywordQuery, lang: str, goes_first: bool
) -> None:
    dense = [_hit(1, 0.9), _hit(2, 0.8), _hit(3, 0.7)]
    ranked = hybrid_ranking(dense, [(2.5, _hit(9, 0.5, lang))], query, 3)
    assert (ranked[0].chunk_id == 9) is goes_first
    assert len(ranked) == 3


@pytest.mark.parametrize(("code_document", "goes_first"), [(9, True), (8, False)])
def test_a_passage_in_another_language_goes_first_when_it_holds_the_code_terms_best(
    code_document: int, goes_first: bool
) -> None:
    dense = [_hit(1, 0.9), _hit(2, 0.8), _hit(3, 0.7)]
    query = KeywordQuery("the ISO 9001 bridge", "en")
    code_hit = (4.0, _hit(code_document, 0.4, "fr"))
    searched: list[KeywordQuery] = []

    def code_search(codes: KeywordQuery) -> list[tuple[float, Hit]]:
        searched.append(codes)
        return [code_hit]

    ranked = hybrid_ranking(dense, [(2.5, _hit(9, 0.5, "fr"))], query, 3, code_search)
    assert (ranked[0].chunk_id == 9) is goes_first
    assert searched == [KeywordQuery("ISO 9001")]


def test_the_code_terms_are_searched_only_for_a_lead_in_another_language() -> None:
    dense = [_hit(1, 0.9), _hit(2, 0.8), _hit(3, 0.7)]
    query = KeywordQuery("the ISO 9001 bridge", "en")

    def code_search(codes: KeywordQuery) -> list[tuple[float, Hit]]:
        raise AssertionError(f"searched {codes}")

    same_language = hybrid_ranking(dense, [(2.5, _hit(9, 0.5, "en"))], query, 3, code_search)
    close_scores = [(2.5, _hit(9, 0.5, "fr")), (2.0, _hit(8, 0.4, "fr"))]
    nothing_stands_out = hybrid_ranking(dense, close_scores, query, 3, code_search)
    assert same_language[0].chunk_id == 9
    assert nothing_stands_out[0].chunk_id == 1


@pytest.fixture
def engines() -> Iterator[list[VectorIndex]]:
    """An empty in-memory index on each engine, closed afterwards."""
    opened = [open_index(":memory:", engine="edge"), open_index(":memory:", engine="qdrant-local")]
    yield opened
    for index in opened:
        index.close()


def test_every_engine_fuses_a_hybrid_search_alike(engines: list[VectorIndex]) -> None:
    rng = np.random.default_rng(11)
    words = ["harvest", "bridge", "river", "bread", "permit", "village", "stone", "mill"]
    langs = ["en", "fr", "es"]
    points = [
        ChunkPoint(
            i,
            i // 2,
            i % 2,
            "news",
            langs[i % 3],
            rng.standard_normal(DIM).tolist(),
            text=" ".join(rng.choice(words, size=5)),
        )
        for i in range(1, 61)
    ]
    query = rng.standard_normal(DIM)
    rankings = []
    for index in engines:
        index.ensure_collection(collection_name("v1"), DIM)
        index.upsert(collection_name("v1"), points)
        index.swap_alias(LIVE_ALIAS, collection_name("v1"))
        found = [
            index.search(query, 10, keywords=KeywordQuery("river bridge stone", lang), exact=True)
            for lang in ("en", "fr", None)
        ]
        rankings.append([[hit.chunk_id for hit in hits] for hits in found])
    assert rankings[0] == rankings[1]
    dense = [hit.chunk_id for hit in engines[0].search(query, 10, exact=True)]
    assert rankings[0][0] != dense  # the keywords did reorder the dense ranking
