"""Blocked both-ways top-k against a brute-force reference."""

from __future__ import annotations

import numpy as np
import pytest

from mexma_search.encoder.topk import topk_both_ways


def brute_force(queries: np.ndarray, keys: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best keys of each query by dot product, ties towards the lower index."""
    scores = queries.astype(np.float64) @ keys.astype(np.float64).T
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, order, axis=1), order


@pytest.mark.parametrize(
    ("n_src", "n_trg", "k_src", "k_trg", "block_size"),
    [(300, 257, 16, 16, 64), (130, 70, 70, 9, 32), (5, 300, 3, 5, 2048), (90, 90, 1, 1, 7)],
)
def test_both_ways_equal_brute_force(
    n_src: int, n_trg: int, k_src: int, k_trg: int, block_size: int
) -> None:
    rng = np.random.default_rng(n_src + n_trg)
    centre = rng.normal(size=32)
    src = (centre + rng.normal(size=(n_src, 32))).astype(np.float32)
    trg = (centre + rng.normal(size=(n_trg, 32))).astype(np.float32)
    (fs, fi), (bs, bi) = topk_both_ways(src, trg, k_src, k_trg, block_size=block_size)
    ref_fs, ref_fi = brute_force(src, trg, k_src)
    ref_bs, ref_bi = brute_force(trg, src, k_trg)
    np.testing.assert_array_equal(fi, ref_fi)
    np.testing.assert_array_equal(bi, ref_bi)
    np.testing.assert_allclose(fs, ref_fs, rtol=1e-5)
    np.testing.assert_allclose(bs, ref_bs, rtol=1e-5)


def test_duplicates_in_other_blocks_rank_by_index() -> None:
    rng = np.random.default_rng(1)
    src = rng.normal(size=(6, 8)).astype(np.float32)
    trg = rng.normal(size=(9, 8)).astype(np.float32)
    trg[[2, 5, 8]] = src[0] * 3
    src[[1, 4]] = trg[7] * 3
    (_, fi), (_, bi) = topk_both_ways(src, trg, 3, 2, block_size=2)
    np.testing.assert_array_equal(fi[0], [2, 5, 8])
    np.testing.assert_array_equal(bi[7], [1, 4])


def test_one_way_leaves_the_other_empty() -> None:
    rng = np.random.default_rng(2)
    src, trg = rng.normal(size=(4, 3)), rng.normal(size=(5, 3))
    forward, backward = topk_both_ways(src, trg, 2, 0)
    assert forward[1].shape == (4, 2)
    assert backward[0].shape == backward[1].shape == (5, 0)
