"""Retrieval metrics on rankings worked out by hand."""

from __future__ import annotations

import math

import pytest

from mexma_search.encoder.retrieval_metrics import (
    ndcg_at,
    recall_at,
    reciprocal_rank,
    score_rankings,
)


def test_a_single_answer_at_place_three() -> None:
    ranked = ["a", "b", "c", "d"]
    assert recall_at(ranked, {"c"}, 1) == 0.0
    assert recall_at(ranked, {"c"}, 3) == 1.0
    assert reciprocal_rank(ranked, {"c"}, 10) == pytest.approx(1 / 3)
    assert reciprocal_rank(ranked, {"c"}, 2) == 0.0
    assert ndcg_at(ranked, {"c"}, 10) == pytest.approx(1 / math.log2(4))


def test_several_answers_count_each_and_normalise_by_the_ideal_ranking() -> None:
    ranked = ["x", "a", "y", "b"]
    assert recall_at(ranked, {"a", "b", "z"}, 10) == pytest.approx(2 / 3)
    ideal = 1 + 1 / math.log2(3)
    assert ndcg_at(ranked, {"a", "b"}, 10) == pytest.approx(
        (1 / math.log2(3) + 1 / math.log2(5)) / ideal
    )
    assert ndcg_at(["a", "b"], {"a", "b"}, 10) == pytest.approx(1.0)


def test_scores_are_means_in_percent() -> None:
    scores = score_rankings([(["a", "b"], {"a"}), (["b", "a"], {"a"}), (["c"], {"a"})])
    assert scores.n == 3
    assert scores.recall_at_1 == pytest.approx(100 / 3)
    assert scores.recall_at_10 == pytest.approx(200 / 3)
    assert scores.mrr_at_10 == pytest.approx(100 * (1 + 0.5) / 3)
    assert scores.to_dict()["ndcg@10"] == pytest.approx(100 * (1 + 1 / math.log2(3)) / 3)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="relevant"):
        recall_at(["a"], set(), 1)
    with pytest.raises(ValueError, match="k must be positive"):
        ndcg_at(["a"], {"a"}, 0)
    with pytest.raises(ValueError, match="no queries"):
        score_rankings([])
