"""Retrieval metrics over ranked lists: recall@k, MRR@k and nDCG@k with binary relevance.

Each query contributes a ranking (item keys, best first, without repeats) and the set of keys
that are relevant to it. Scores are averaged over queries and reported in percent.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

Ranking = tuple[Sequence[Hashable], Collection[Hashable]]


def _check(relevant: Collection[Hashable], k: int) -> None:
    if not relevant:
        raise ValueError("a query needs at least one relevant item")
    if k < 1:
        raise ValueError(f"k must be positive, got {k}")


def recall_at(ranked: Sequence[Hashable], relevant: Collection[Hashable], k: int) -> float:
    """The share of the relevant items found in the first ``k`` places."""
    _check(relevant, k)
    return sum(item in relevant for item in ranked[:k]) / len(relevant)


def reciprocal_rank(ranked: Sequence[Hashable], relevant: Collection[Hashable], k: int) -> float:
    """1 / the place of the first relevant item, 0 if none is in the first ``k``."""
    _check(relevant, k)
    for place, item in enumerate(ranked[:k], start=1):
        if item in relevant:
            return 1.0 / place
    return 0.0


def ndcg_at(ranked: Sequence[Hashable], relevant: Collection[Hashable], k: int) -> float:
    """Normalised discounted cumulative gain of the first ``k`` places (gain 1 per relevant
    item at place ``p``, discounted by ``log2(p + 1)``)."""
    _check(relevant, k)
    gain = sum(
        1.0 / math.log2(place + 1)
        for place, item in enumerate(ranked[:k], start=1)
        if item in relevant
    )
    ideal = sum(1.0 / math.log2(place + 1) for place in range(1, min(k, len(relevant)) + 1))
    return gain / ideal


@dataclass(frozen=True)
class RetrievalScores:
    """Mean scores over ``n`` queries, in percent."""

    n: int
    recall_at_1: float
    recall_at_10: float
    mrr_at_10: float
    ndcg_at_10: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "recall@1": self.recall_at_1,
            "recall@10": self.recall_at_10,
            "mrr@10": self.mrr_at_10,
            "ndcg@10": self.ndcg_at_10,
        }


def score_rankings(rankings: Iterable[Ranking]) -> RetrievalScores:
    """Recall@1, recall@10, MRR@10 and nDCG@10 averaged over ``(ranked, relevant)`` pairs."""
    rows = [
        (
            recall_at(ranked, relevant, 1),
            recall_at(ranked, relevant, 10),
            reciprocal_rank(ranked, relevant, 10),
            ndcg_at(ranked, relevant, 10),
        )
        for ranked, relevant in rankings
    ]
    if not rows:
        raise ValueError("no queries to score")
    means = [100.0 * sum(column) / len(rows) for column in zip(*rows, strict=True)]
    return RetrievalScores(len(rows), *means)
