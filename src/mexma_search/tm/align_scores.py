"""Scoring a sentence alignment against a gold one (Vecalign's strict and link-level scores)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Block = tuple[tuple[int, ...], tuple[int, ...]]


@dataclass(frozen=True)
class PRF:
    """Precision, recall and F1 as fractions."""

    precision: float
    recall: float
    f1: float

    @classmethod
    def from_counts(cls, correct_predicted: int, predicted: int, found: int, gold: int) -> PRF:
        precision = correct_predicted / predicted if predicted else 0.0
        recall = found / gold if gold else 0.0
        total = precision + recall
        return cls(precision, recall, 2 * precision * recall / total if total else 0.0)

    def to_dict(self) -> dict[str, float]:
        """In percent."""
        return {"precision": 100 * self.precision, "recall": 100 * self.recall, "f1": 100 * self.f1}


def _links(blocks: Iterable[Block]) -> set[tuple[int, int]]:
    return {(s, t) for src, trg in blocks for s in src for t in trg}


def _pairing(blocks: Iterable[Block]) -> list[Block]:
    return [(tuple(src), tuple(trg)) for src, trg in blocks if src and trg]


def strict_scores(predicted: Sequence[Block], gold: Sequence[Block]) -> PRF:
    """Exact matches: a predicted pair is right if a gold block has the same sentences."""
    predicted_pairs, gold_pairs = set(_pairing(predicted)), set(_pairing(gold))
    exact = len(predicted_pairs & gold_pairs)
    return PRF.from_counts(exact, len(predicted_pairs), exact, len(gold_pairs))


def link_scores(predicted: Sequence[Block], gold: Sequence[Block]) -> PRF:
    """Sentence links (every source x target sentence of a pair) against the gold links."""
    predicted_links, gold_links = _links(predicted), _links(gold)
    correct = len(predicted_links & gold_links)
    return PRF.from_counts(correct, len(predicted_links), correct, len(gold_links))


def unit_scores(
    predicted: Sequence[Block], src_units: Sequence[set[int]], trg_units: Sequence[set[int]]
) -> PRF:
    """Pairs scored against a finer gold alignment of shared units (such as Bible verses).

    Each sentence carries the units its text comes from, numbered alike on both sides. A
    predicted pair is right if its two sides share a unit; a unit is found if a predicted pair
    holds it on both sides.
    """
    pairs = _pairing(predicted)
    correct, found = 0, set()
    for src, trg in pairs:
        shared = set().union(*(src_units[s] for s in src)) & set().union(
            *(trg_units[t] for t in trg)
        )
        correct += bool(shared)
        found |= shared
    gold = set().union(*src_units, *trg_units)
    return PRF.from_counts(correct, len(pairs), len(found), len(gold))
