"""Blocked top-k, ratio margin, xsim, BUCC-style mining and in-batch accuracy."""

from __future__ import annotations

import numpy as np
import pytest

from mexma_search.encoder.evaluate import (
    BitextSearch,
    Candidate,
    LabelledSplit,
    bucc_evaluate,
    choose_threshold,
    evaluate_bitext,
    mine,
    mining_scores,
    topk_cosine,
    xsim_errors,
)
from mexma_search.encoder.model import SentenceEncoder


def unit_rows(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def noisy_copies(rng: np.random.Generator, vectors: np.ndarray, noise: float) -> np.ndarray:
    noisy = vectors + noise * unit_rows(rng, *vectors.shape)
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


def dense_margin(src: np.ndarray, trg: np.ndarray, k: int) -> np.ndarray:
    """Reference: the ratio margin of every pair, straight from the definition."""
    cos = src @ trg.T
    src_mean = np.sort(cos, axis=1)[:, -k:].mean(axis=1)
    trg_mean = np.sort(cos, axis=0)[-k:, :].mean(axis=0)
    return cos / (src_mean[:, None] / 2 + trg_mean[None, :] / 2)


@pytest.mark.parametrize(("k", "block_size"), [(1, 7), (5, 7), (5, 1000), (40, 16)])
def test_blocked_topk_equals_dense(k: int, block_size: int) -> None:
    rng = np.random.default_rng(0)
    queries, keys = unit_rows(rng, 50, 16), unit_rows(rng, 45, 16)
    scores, indices = topk_cosine(queries, keys, k, block_size=block_size)
    dense = queries @ keys.T
    expected = np.argsort(-dense, axis=1)[:, :k]
    assert scores.shape == indices.shape == (50, k)
    np.testing.assert_array_equal(indices, expected)
    np.testing.assert_allclose(scores, np.take_along_axis(dense, expected, axis=1), atol=1e-6)


def test_topk_breaks_ties_towards_the_lower_index() -> None:
    rng = np.random.default_rng(0)
    query, other = unit_rows(rng, 2, 8)
    keys = np.stack([other, query, other, query, query, other])
    scores, indices = topk_cosine(query[None], keys, 3, block_size=2)
    np.testing.assert_array_equal(indices, [[1, 3, 4]])
    assert scores[0, 0] == scores[0, 2]


def test_topk_rejects_k_beyond_the_keys() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="k must be"):
        topk_cosine(unit_rows(rng, 3, 4), unit_rows(rng, 2, 4), 3)


# Sources are the first three basis vectors of R^4, so cos(src_i, trg_j) = HAND_COS[i, j];
# the fourth coordinate makes each target a unit vector.
HAND_COS = np.array([[0.6, 0.5, 0.1], [0.4, 0.2, 0.3], [0.5, 0.1, 0.2]], dtype=np.float32)
HAND_SRC = np.eye(3, 4, dtype=np.float32)
HAND_TRG = np.hstack([HAND_COS.T, np.sqrt(1 - (HAND_COS.T**2).sum(1, keepdims=True))])


def test_margin_by_hand_on_three_pairs() -> None:
    # k=2: source means 0.55, 0.35, 0.35; target means 0.55, 0.35, 0.25.
    margin_s2t, margin_t2s = BitextSearch.run(HAND_SRC, HAND_TRG, k=2).margin()
    expected = np.array(
        [
            [0.6 / 0.55, 0.5 / 0.45, 0.1 / 0.40],
            [0.4 / 0.45, 0.2 / 0.35, 0.3 / 0.30],
            [0.5 / 0.45, 0.1 / 0.35, 0.2 / 0.30],
        ]
    )
    np.testing.assert_array_equal(margin_s2t.indices, [[1, 0, 2], [2, 0, 1], [0, 2, 1]])
    np.testing.assert_allclose(
        margin_s2t.scores, np.take_along_axis(expected, margin_s2t.indices, 1), rtol=1e-5
    )
    np.testing.assert_array_equal(margin_t2s.best(), [2, 0, 1])
    np.testing.assert_allclose(margin_t2s.scores[:, 0], [0.5 / 0.45, 0.5 / 0.45, 1.0], rtol=1e-5)


def test_xsim_by_hand_on_three_pairs() -> None:
    result = xsim_errors(HAND_SRC, HAND_TRG, k=2).to_dict()
    # cosine picks targets [0, 0, 0] and sources [0, 0, 1]; margin [1, 2, 0] and [2, 0, 1].
    assert result["n"] == 3
    assert result["xsim_cos_error"] == pytest.approx({"src2trg": 200 / 3, "trg2src": 200 / 3})
    assert result["xsim_margin_error"] == {"src2trg": 100.0, "trg2src": 100.0}


def test_margin_candidates_covering_all_equal_the_exhaustive_argmax() -> None:
    rng = np.random.default_rng(1)
    src = unit_rows(rng, 60, 8)
    trg = noisy_copies(rng, src, 1.5)
    dense = dense_margin(src, trg, k=4)
    margin_s2t, margin_t2s = BitextSearch.run(src, trg, k=4, candidates=60).margin()
    np.testing.assert_array_equal(margin_s2t.best(), dense.argmax(axis=1))
    np.testing.assert_array_equal(margin_t2s.best(), dense.argmax(axis=0))
    np.testing.assert_allclose(margin_s2t.scores[:, 0], dense.max(axis=1), rtol=1e-5)


def test_xsim_is_zero_on_identical_vectors() -> None:
    vectors = unit_rows(np.random.default_rng(2), 30, 16)
    result = xsim_errors(vectors, vectors.copy()).to_dict()
    assert result["xsim_cos_error"] == {"src2trg": 0.0, "trg2src": 0.0}
    assert result["xsim_margin_error"] == {"src2trg": 0.0, "trg2src": 0.0}


def test_xsim_counts_the_rows_a_permutation_moves() -> None:
    vectors = unit_rows(np.random.default_rng(3), 20, 16)
    permutation = np.arange(20)
    permutation[[0, 1, 5, 6, 7]] = [1, 0, 6, 7, 5]
    result = xsim_errors(vectors, vectors[permutation]).to_dict()
    assert result["xsim_cos_error"] == {"src2trg": 25.0, "trg2src": 25.0}
    assert result["xsim_margin_error"] == {"src2trg": 25.0, "trg2src": 25.0}


def test_margin_fixes_a_hub_that_cosine_falls_for() -> None:
    rng = np.random.default_rng(4)
    n, dim = 40, 64
    shared = unit_rows(rng, 1, dim)
    own = unit_rows(rng, n, dim)
    src = own + 0.8 * shared
    src /= np.linalg.norm(src, axis=1, keepdims=True)
    trg = noisy_copies(rng, own, 1.0)
    trg[0] = shared[0]  # the hub: nearer to most sources than their own translation
    result = xsim_errors(src, trg)
    assert result.cos_src2trg > 50
    assert result.margin_src2trg < 10


def planted_split(rng: np.random.Generator, noise: float, n_pairs: int = 120) -> LabelledSplit:
    """Noisy translation pairs at shuffled rows among as many unpaired rows on each side."""
    dim = 32
    src_pairs = unit_rows(rng, n_pairs, dim)
    src = np.vstack([src_pairs, unit_rows(rng, n_pairs, dim)])
    trg = np.vstack([noisy_copies(rng, src_pairs, noise), unit_rows(rng, n_pairs, dim)])
    src_order, trg_order = rng.permutation(len(src)), rng.permutation(len(trg))
    src_row, trg_row = np.argsort(src_order), np.argsort(trg_order)
    gold = frozenset((int(src_row[i]), int(trg_row[i])) for i in range(n_pairs))
    return LabelledSplit(src[src_order], trg[trg_order], gold)


def test_mine_returns_the_best_partner_of_each_side_once() -> None:
    split = planted_split(np.random.default_rng(5), noise=0.3)
    candidates = mine(split.src_vecs, split.trg_vecs)
    pairs = [(c.src, c.trg) for c in candidates]
    assert len(pairs) == len(set(pairs))
    assert {s for s, _ in pairs} == set(range(len(split.src_vecs)))
    assert {t for _, t in pairs} == set(range(len(split.trg_vecs)))
    assert [c.score for c in candidates] == sorted((c.score for c in candidates), reverse=True)
    assert split.gold_pairs <= set(pairs)


def test_choose_threshold_takes_the_cut_of_best_f1() -> None:
    candidates = [Candidate(0, 0, 1.4), Candidate(1, 1, 1.3), Candidate(2, 5, 1.2)]
    candidates += [Candidate(3, 3, 1.1), Candidate(4, 9, 1.0), Candidate(5, 8, 0.9)]
    gold = {(0, 0), (1, 1), (3, 3), (7, 7)}
    threshold, f1 = choose_threshold(candidates, gold)
    assert threshold == pytest.approx(1.05)
    assert f1 == pytest.approx(2 * 0.75 * 0.75 / 1.5)
    scores = mining_scores(candidates, gold, threshold)
    assert (scores.precision, scores.recall) == (0.75, 0.75)
    assert mining_scores(candidates, gold, 1.25).f1 == pytest.approx(2 * 1 * 0.5 / 1.5)


def test_choose_threshold_never_cuts_between_tied_scores() -> None:
    candidates = [Candidate(0, 0, 2.0), Candidate(1, 9, 1.0), Candidate(2, 2, 1.0)]
    threshold, f1 = choose_threshold(candidates, {(0, 0), (2, 2)})
    assert threshold == 1.0
    assert f1 == pytest.approx(0.8)


def test_bucc_finds_clean_pairs_among_noise() -> None:
    rng = np.random.default_rng(6)
    result = bucc_evaluate(planted_split(rng, noise=0.5), planted_split(rng, noise=0.5))
    assert result.dev_f1 > 0.95
    assert result.test.f1 > 0.95
    reported = result.to_dict()
    assert reported["test"]["f1"] == pytest.approx(100 * result.test.f1)


def test_bucc_is_worse_when_pairs_drown_in_noise() -> None:
    rng = np.random.default_rng(7)
    clean = bucc_evaluate(planted_split(rng, noise=0.5), planted_split(rng, noise=0.5))
    noisy = bucc_evaluate(planted_split(rng, noise=2.5), planted_split(rng, noise=2.5))
    assert noisy.test.f1 < clean.test.f1 - 0.2


def test_evaluate_bitext_on_the_tiny_encoder(tiny_mean_encoder: SentenceEncoder) -> None:
    english = ["The river flows through the old town.", "The bakery opens at six."]
    english += ["The next train leaves at noon.", "Seven bridges cross the river."]
    english += ["Fresh bread every morning.", "Platform four is closed."]
    spanish = ["El río atraviesa el casco antiguo.", "La panadería abre a las seis."]
    spanish += ["El próximo tren sale a mediodía.", "Siete puentes cruzan el río."]
    spanish += ["Pan fresco cada mañana.", "El andén cuatro está cerrado."]
    result = evaluate_bitext(tiny_mean_encoder, english, spanish, batch_size=4)
    assert result["n"] == 6
    for kind in ("xsim_cos_error", "xsim_margin_error"):
        assert set(result[kind]) == {"src2trg", "trg2src"}
        assert all(0 <= value <= 100 for value in result[kind].values())
    assert set(result["timing"]) == {"encode_seconds", "search_seconds"}
    same = evaluate_bitext(tiny_mean_encoder, english, english, batch_size=4)
    assert same["xsim_cos_error"] == same["xsim_margin_error"] == {"src2trg": 0.0, "trg2src": 0.0}
