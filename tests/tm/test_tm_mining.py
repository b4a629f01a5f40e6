"""Bitext mining: margin candidates both ways, deduplicated, thresholded, calibrated."""

from __future__ import annotations

import numpy as np
import pytest
from unit_encoder import UnitEncoder

from mexma_search.encoder.evaluate import Candidate, mine, topk_both_ways, topk_cosine
from mexma_search.tm.mining import (
    DEFAULT_MINING_CANDIDATES,
    UniqueTexts,
    kept_pairs,
    mine_candidates,
    one_to_one,
    suggest_threshold,
)
from mexma_search.tm.workflow import mine_sentences


def _sides(n_pairs: int, n_noise: int) -> tuple[list[str], list[str], set[tuple[str, str]]]:
    """Source and target texts, shuffled: ``n_pairs`` translations among ``n_noise`` others."""
    rng = np.random.default_rng(1)
    src = [f"u{i}" for i in range(n_pairs)] + [f"s{i}" for i in range(n_noise)]
    trg = [f"u{i}" for i in range(n_pairs)] + [f"t{i}" for i in range(n_noise)]
    return (
        list(rng.permutation(src)),
        list(rng.permutation(trg)),
        {(f"u{i}", f"u{i}") for i in range(n_pairs)},
    )


def test_mining_finds_the_translations_among_distractors() -> None:
    src, trg, gold = _sides(60, 200)
    encoder = UnitEncoder(noise=0.5)
    report = mine_sentences(src, trg, encoder, labelled=sorted(gold)[:20])
    found = {(p.src, p.trg) for p in report.pairs}
    assert report.suggestion is not None and report.suggestion.scores.f1 > 0.9
    assert report.threshold == report.suggestion.threshold
    assert len(found & gold) >= 55 and len(found - gold) <= 5
    assert [p.score for p in report.pairs] == sorted((p.score for p in report.pairs), reverse=True)
    assert encoder.calls == 1


def test_a_given_threshold_wins_over_the_suggestion() -> None:
    src, trg, gold = _sides(30, 50)
    report = mine_sentences(src, trg, UnitEncoder(noise=0.5), threshold=5.0, labelled=sorted(gold))
    assert report.pairs == [] and report.threshold == 5.0
    assert report.suggestion is not None and report.suggestion.threshold < 5.0


def test_repeated_sentences_are_mined_once() -> None:
    src = ["u1", "u1", " u1 ", "u2", "", "u3"]
    trg = ["u2", "u1", "u3", "u3"]
    report = mine_sentences(src, trg, UnitEncoder(), threshold=0.0)
    pairs = [(p.src, p.trg) for p in report.pairs]
    assert len(pairs) == len(set(pairs))
    assert report.sentences == (3, 3)
    assert {("u1", "u1"), ("u2", "u2"), ("u3", "u3")} <= set(pairs)


def test_tiny_sides_still_mine() -> None:
    report = mine_sentences(["u1"], ["u1"], UnitEncoder(), threshold=0.0)
    assert [(p.src, p.trg) for p in report.pairs] == [("u1", "u1")]


def test_suggestion_needs_labelled_pairs_in_the_sides() -> None:
    src, trg = UniqueTexts.of(["u1", "u2"]), UniqueTexts.of(["u1", "u2"])
    vectors = UnitEncoder()(["u1", "u2", "u1", "u2"])
    candidates = mine_candidates(vectors[:2], vectors[2:])
    with pytest.raises(ValueError, match="labelled"):
        suggest_threshold(candidates, src, trg, [("elsewhere", "ailleurs")])
    assert len(kept_pairs(candidates, src, trg, threshold=-1.0)) == len(candidates)


@pytest.mark.parametrize("block_size", [1, 3, 50])
def test_both_ways_search_equals_two_one_way_searches(block_size: int) -> None:
    rng = np.random.default_rng(0)
    src = rng.normal(size=(23, 8)).astype(np.float32)
    trg = rng.normal(size=(17, 8)).astype(np.float32)
    (fs, fi), (bs, bi) = topk_both_ways(src, trg, 5, 4, block_size=block_size)
    exact = src @ trg.T
    np.testing.assert_array_equal(fi, np.argsort(-exact, axis=1)[:, :5])
    np.testing.assert_array_equal(bi, np.argsort(-exact.T, axis=1)[:, :4])
    np.testing.assert_allclose(bs, -np.sort(-exact.T, axis=1)[:, :4], rtol=1e-5)
    np.testing.assert_array_equal(topk_cosine(src, trg, 5, block_size=block_size)[1], fi)
    np.testing.assert_allclose(fs, -np.sort(-exact, axis=1)[:, :5], rtol=1e-5)


def test_one_to_one_keeps_the_best_pair_of_each_sentence() -> None:
    candidates = [Candidate(0, 0, 1.3), Candidate(0, 1, 1.2), Candidate(1, 0, 1.1)]
    candidates += [Candidate(1, 1, 1.05), Candidate(2, 1, 1.0), Candidate(3, 2, 0.9)]
    kept = one_to_one(candidates)
    assert [(c.src, c.trg) for c in kept] == [(0, 0), (1, 1), (3, 2)]


def test_mined_candidates_pair_each_sentence_once() -> None:
    rng = np.random.default_rng(3)
    src = rng.normal(size=(40, 16))
    trg = np.concatenate([src[:10] + 0.1 * rng.normal(size=(10, 16)), rng.normal(size=(30, 16))])
    src, trg = (
        (side / np.linalg.norm(side, axis=1, keepdims=True)).astype(np.float32)
        for side in (src, trg)
    )
    union = mine(src, trg, candidates=DEFAULT_MINING_CANDIDATES)
    kept = mine_candidates(src, trg)
    assert len({c.src for c in union}) < len(union)
    assert len({c.src for c in kept}) == len({c.trg for c in kept}) == len(kept)
    assert {(c.src, c.trg) for c in kept} <= {(c.src, c.trg) for c in union}
    assert {(i, i) for i in range(10)} <= {(c.src, c.trg) for c in kept}


def test_the_suggestion_is_placed_against_the_wrong_candidates_one_per_sentence_drops() -> None:
    src, trg, gold = _sides(20, 20)
    labelled = sorted(gold)[:2]
    report = mine_sentences(src, trg, UnitEncoder(noise=0.5), labelled=labelled)
    labelled_scores = [p.score for p in report.pairs if (p.src, p.trg) in set(labelled)]
    assert report.suggestion is not None and len(labelled_scores) == 2
    # halfway to the best wrong candidate of a sample sentence, not at the sample's lowest score
    assert report.suggestion.threshold < min(labelled_scores)
