"""Sentence alignment of two documents that translate each other (Vecalign-style).

A monotone dynamic programme over the two sentence sequences with five steps: 1-1, 1-2, 2-1
(a sentence against two adjacent sentences of the other side, encoded together) and the
skips 1-0 and 0-1. A step that pairs spans ``x`` and ``y`` costs, as in Vecalign (Thompson &
Koehn 2019)::

    cost(x, y) = (1 - cos(x, y)) * n_sentences(x) * n_sentences(y) / baseline

where ``baseline`` is the mean ``1 - cos`` of sentence pairs drawn at random from the two
documents, so a random pair costs about 1 whatever the encoder's cosine range; a skip costs
``skip_cost``. The cheapest path is searched in a band around the diagonal, so long documents
cost time linear in their length.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

# (source sentences, target sentences) consumed by each step.
STEPS: tuple[tuple[int, int], ...] = ((1, 1), (1, 2), (2, 1), (1, 0), (0, 1))
DEFAULT_SKIP_COST = 1.0
DEFAULT_BAND = 48
_BASELINE_SAMPLES = 2000

Encode = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class AlignedPair:
    """Source and target sentence indices aligned together (one side empty for a skip)."""

    src: tuple[int, ...]
    trg: tuple[int, ...]
    score: float

    @property
    def is_skip(self) -> bool:
        return not self.src or not self.trg


@dataclass(frozen=True)
class SpanVectors:
    """L2-normalised vectors of each sentence and of each two adjacent sentences together."""

    single: np.ndarray
    double: np.ndarray

    @classmethod
    def encode(cls, sentences: Sequence[str], encode: Encode) -> SpanVectors:
        """Encode the sentences and the ``len - 1`` concatenations of neighbours in one call."""
        doubles = [f"{a} {b}" for a, b in pairwise(sentences)]
        vectors = encode([*sentences, *doubles]) if sentences else np.zeros((0, 1), np.float32)
        return cls(vectors[: len(sentences)], vectors[len(sentences) :])

    def span(self, start: int, length: int) -> np.ndarray:
        return self.single[start] if length == 1 else self.double[start]


def cosine_baseline(src: np.ndarray, trg: np.ndarray, seed: int = 0) -> float:
    """Mean ``1 - cos`` of random source/target sentence pairs (never below 1e-3)."""
    rng = np.random.default_rng(seed)
    i = rng.integers(0, len(src), _BASELINE_SAMPLES)
    j = rng.integers(0, len(trg), _BASELINE_SAMPLES)
    return max(float(np.mean(1.0 - np.sum(src[i] * trg[j], axis=1))), 1e-3)


def _band(i: int, n: int, m: int, half_width: int) -> range:
    centre = round(i * m / n) if n else 0
    return range(max(0, centre - half_width), min(m, centre + half_width) + 1)


def _similarities(src: SpanVectors, trg: SpanVectors) -> dict[tuple[int, int], np.ndarray]:
    """Cosine matrices for each pairing step, indexed by the span starts."""
    return {
        (1, 1): src.single @ trg.single.T,
        (1, 2): src.single @ trg.double.T,
        (2, 1): src.double @ trg.single.T,
    }


def align_vectors(
    src: SpanVectors,
    trg: SpanVectors,
    *,
    skip_cost: float = DEFAULT_SKIP_COST,
    band: int = DEFAULT_BAND,
) -> list[AlignedPair]:
    """The cheapest monotone alignment of two documents' sentences, in document order.

    ``band`` is the half-width of the searched band around the diagonal; it grows with the
    difference in sentence counts, so a document with many extra sentences still aligns.
    """
    n, m = len(src.single), len(trg.single)
    if n == 0 or m == 0:
        return [AlignedPair((i,), (), 0.0) for i in range(n)] + [
            AlignedPair((), (j,), 0.0) for j in range(m)
        ]
    sims = _similarities(src, trg)
    baseline = cosine_baseline(src.single, trg.single)
    half_width = band + abs(n - m)
    cost = np.full((n + 1, m + 1), np.inf)
    back = np.zeros((n + 1, m + 1), dtype=np.int8)
    cost[0, 0] = 0.0
    for i in range(n + 1):
        for j in _band(i, n, m, half_width):
            if i == 0 and j == 0:
                continue
            best, best_step = np.inf, -1
            for step, (a, b) in enumerate(STEPS):
                if i < a or j < b or cost[i - a, j - b] == np.inf:
                    continue
                if a and b:
                    pair_cost = (1.0 - sims[(a, b)][i - a, j - b]) * a * b / baseline
                else:
                    pair_cost = skip_cost
                total = cost[i - a, j - b] + pair_cost
                if total < best:
                    best, best_step = total, step
            cost[i, j], back[i, j] = best, best_step
    return _trace_back(back, sims, n, m)


def _trace_back(
    back: np.ndarray, sims: dict[tuple[int, int], np.ndarray], n: int, m: int
) -> list[AlignedPair]:
    pairs: list[AlignedPair] = []
    i, j = n, m
    while i or j:
        a, b = STEPS[int(back[i, j])]
        i, j = i - a, j - b
        score = float(sims[(a, b)][i, j]) if a and b else 0.0
        pairs.append(AlignedPair(tuple(range(i, i + a)), tuple(range(j, j + b)), score))
    return pairs[::-1]


def align_sentences(
    src_sentences: Sequence[str],
    trg_sentences: Sequence[str],
    encode: Encode,
    *,
    skip_cost: float = DEFAULT_SKIP_COST,
    band: int = DEFAULT_BAND,
) -> list[AlignedPair]:
    """Encode both documents' sentences (and adjacent pairs) and align them."""
    return align_vectors(
        SpanVectors.encode(src_sentences, encode),
        SpanVectors.encode(trg_sentences, encode),
        skip_cost=skip_cost,
        band=band,
    )
