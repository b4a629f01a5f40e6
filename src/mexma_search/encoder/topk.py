"""Exact blocked top-k by dot product, both ways at once, never an N x N matrix.

The similarities are computed ``block_size x block_size`` at a time in float32 and every block
serves both directions, so memory stays linear in the sides.
"""

from __future__ import annotations

import numpy as np
import torch

DEFAULT_BLOCK_SIZE = 2048

Best = tuple[torch.Tensor, torch.Tensor]
Found = tuple[np.ndarray, np.ndarray]


def _as_matrix(vectors: np.ndarray, name: str) -> torch.Tensor:
    array = np.ascontiguousarray(vectors, dtype=np.float32)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D matrix, got shape {array.shape}")
    return torch.from_numpy(array)


def _check_topk(queries: torch.Tensor, keys: torch.Tensor, k: int, block_size: int) -> None:
    if queries.shape[1] != keys.shape[1]:
        raise ValueError(f"dimension mismatch: queries {queries.shape[1]}, keys {keys.shape[1]}")
    if not 1 <= k <= keys.shape[0]:
        raise ValueError(f"k must be between 1 and the number of keys ({keys.shape[0]}), got {k}")
    if block_size < 1:
        raise ValueError(f"block_size must be >= 1, got {block_size}")


def _by_score_then_index(scores: torch.Tensor, indices: torch.Tensor) -> Best:
    by_index = torch.argsort(indices, dim=1)
    scores, indices = scores.gather(1, by_index), indices.gather(1, by_index)
    by_score = torch.argsort(scores, dim=1, descending=True, stable=True)
    return scores.gather(1, by_score), indices.gather(1, by_score)


def _merge_topk(best: Best, new: Best, k: int) -> Best:
    scores = torch.cat([best[0], new[0]], dim=1)
    indices = torch.cat([best[1], new[1]], dim=1)
    top_scores, positions = torch.topk(scores, min(k, scores.shape[1]), dim=1)
    return top_scores, indices.gather(1, positions)


def _empty_best(rows: int) -> Best:
    return torch.empty((rows, 0)), torch.empty((rows, 0), dtype=torch.long)


def _block_search(
    s: torch.Tensor, t: torch.Tensor, k_src: int, k_trg: int, block_size: int
) -> tuple[Best, Best]:
    """The top k of every row of ``s @ t.T`` and of every column, unsorted."""
    forward: list[Best] = []
    backward = [
        _empty_best(min(block_size, len(t) - start)) for start in range(0, len(t), block_size)
    ]
    for s_start in range(0, len(s), block_size):
        s_block = s[s_start : s_start + block_size]
        best = _empty_best(len(s_block))
        for block, t_start in enumerate(range(0, len(t), block_size)):
            sims = s_block @ t[t_start : t_start + block_size].T
            top = torch.topk(sims, min(k_src, sims.shape[1]), dim=1)
            best = _merge_topk(best, (top.values, top.indices + t_start), k_src)
            if k_trg:
                # a contiguous copy makes the column top-k several times cheaper
                top = torch.topk(sims.T.contiguous(), min(k_trg, sims.shape[0]), dim=1)
                backward[block] = _merge_topk(
                    backward[block], (top.values, top.indices + s_start), k_trg
                )
        forward.append(best)
    return _joined(forward), _joined(backward) if k_trg else _empty_best(len(t))


def _joined(parts: list[Best]) -> Best:
    return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])


def _to_numpy(best: Best) -> Found:
    return best[0].numpy(), best[1].numpy()


def topk_both_ways(
    src: np.ndarray,
    trg: np.ndarray,
    k_src: int,
    k_trg: int,
    *,
    block_size: int = DEFAULT_BLOCK_SIZE,
) -> tuple[Found, Found]:
    """The ``k_src`` targets nearest each source and the ``k_trg`` sources nearest each target.

    Returns ``((scores, indices) per source, (scores, indices) per target)``, best first, by
    dot product in float32. One pass over ``block_size x block_size`` blocks of similarities
    serves both directions, so no more than one block exists at once whatever the sizes.
    Exactly tied scores (duplicate sentences) are ordered by index; which of them are kept is
    unspecified only where a tie straddles the k-th place. ``k_trg=0`` searches one way only.
    """
    s, t = _as_matrix(src, "queries"), _as_matrix(trg, "keys")
    _check_topk(s, t, k_src, block_size)
    if k_trg:
        _check_topk(t, s, k_trg, block_size)
    forward, backward = _block_search(s, t, k_src, k_trg, block_size)
    return _to_numpy(_by_score_then_index(*forward)), _to_numpy(
        _by_score_then_index(*backward) if k_trg else backward
    )
