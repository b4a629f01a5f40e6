"""Retrieval scores on held-out translation pairs (same- and cross-language)."""

from __future__ import annotations

import numpy as np
import pytest

from mexma_search.encoder.model import SentenceEncoder
from mexma_search.encoder.pair_retrieval import (
    RETRIEVAL_METRICS,
    pair_retrieval,
    ranked_lists,
    sentence_halves,
)
from mexma_search.encoder.training.data import held_out_evaluator, higher_is_better, improvement

SRC = [
    "The river flows through the old town and under seven bridges.",
    "The bakery opens at six and sells fresh bread every morning.",
    "The next train to the coast leaves from platform four at noon.",
]
TRG = [
    "El río atraviesa el casco antiguo y pasa bajo siete puentes.",
    "La panadería abre a las seis y vende pan fresco cada mañana.",
    "El próximo tren a la costa sale del andén cuatro a mediodía.",
]


def test_sentences_are_halved_by_words_or_by_characters() -> None:
    assert sentence_halves("one two three four five") == ("one two", "three four five")
    assert sentence_halves("东京是日本的首都") == ("东京是日", "本的首都")
    assert sentence_halves("abc") is None


def test_rankings_are_by_cosine_best_first() -> None:
    documents = np.array([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]])
    queries = np.array([[0.0, 2.0], [1.0, 0.1]])
    assert ranked_lists(queries, documents).tolist() == [[1, 2, 0], [0, 2, 1]]
    assert ranked_lists(queries, documents, depth=1).tolist() == [[1], [0]]


def test_retrieval_scores_both_tasks_and_agree_with_given_passage_vectors(
    tiny_mean_encoder: SentenceEncoder,
) -> None:
    metrics = pair_retrieval(tiny_mean_encoder, SRC, TRG)
    assert set(metrics) == set(RETRIEVAL_METRICS)
    assert all(0.0 <= value <= 100.0 for value in metrics.values())
    # with three candidates every answer is in the first ten
    assert metrics["retrieval_cross_recall@10"] == metrics["retrieval_same_recall@10"] == 100.0
    src_vecs = tiny_mean_encoder.encode_array(SRC, prompt="passage")
    trg_vecs = tiny_mean_encoder.encode_array(TRG, prompt="passage")
    given = pair_retrieval(
        tiny_mean_encoder, SRC, TRG, src_passages=src_vecs, trg_passages=trg_vecs
    )
    assert given == pytest.approx(metrics)
    with pytest.raises(ValueError, match="aligned"):
        pair_retrieval(tiny_mean_encoder, SRC, TRG[:2])


def test_the_held_out_evaluator_adds_retrieval_to_xsim(tiny_mean_encoder: SentenceEncoder) -> None:
    pairs = list(zip(SRC * 2, TRG * 2, strict=True))
    metrics = held_out_evaluator(pairs)(tiny_mean_encoder)
    assert set(RETRIEVAL_METRICS) <= set(metrics)
    assert {"xsim_margin_error", "xsim_cos_error_src2trg"} <= set(metrics)


def test_improvement_is_positive_when_a_metric_gets_better() -> None:
    assert higher_is_better("retrieval_same_recall@1") and not higher_is_better("xsim_cos_error")
    assert improvement("retrieval_same_recall@1", 50.0, 55.0) == 5.0
    assert improvement("xsim_margin_error", 2.0, 0.5) == 1.5
    assert improvement("xsim_margin_error", 0.5, 2.0) == -1.5
