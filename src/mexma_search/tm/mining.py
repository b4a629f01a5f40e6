"""Bitext mining: the sentence pairs of two monolingual sides that translate each other.

Candidates come from the k nearest neighbours of every sentence in the other side, both ways,
scored by LASER's ratio margin (``encoder.evaluate``: blocked matrix products, never an
N x N matrix). Identical sentences are searched once, so a repeated sentence neither pairs
twice nor turns into a hub. Of the union of both directions, best first, a pair sharing a
sentence with a better pair is dropped (each sentence is in at most one pair, as translations
are), and pairs scoring below the threshold are dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from mexma_search.encoder.evaluate import (
    DEFAULT_BLOCK_SIZE,
    DEFAULT_K,
    Candidate,
    MiningScores,
    choose_threshold,
    mine,
    mining_scores,
)

# Margin candidates per sentence: deep enough to find the best margin partner (see
# encoder/evaluate.py), shallow enough to keep the running top-k cheap at scale.
DEFAULT_MINING_CANDIDATES = 16
# Ratio margin above which a pair is kept when no threshold is given.
DEFAULT_THRESHOLD = 1.01


@dataclass(frozen=True)
class MinedPair:
    """A source and a target sentence that translate each other, and their margin score."""

    src: str
    trg: str
    score: float


@dataclass(frozen=True)
class UniqueTexts:
    """The distinct texts of a side, in first-seen order."""

    texts: list[str]

    @classmethod
    def of(cls, texts: Iterable[str]) -> UniqueTexts:
        return cls(list(dict.fromkeys(text.strip() for text in texts if text.strip())))

    def index(self) -> dict[str, int]:
        return {text: i for i, text in enumerate(self.texts)}


def mine_candidates(
    src_vecs: np.ndarray,
    trg_vecs: np.ndarray,
    *,
    k: int = DEFAULT_K,
    candidates: int = DEFAULT_MINING_CANDIDATES,
    block_size: int = DEFAULT_BLOCK_SIZE,
    one_per_sentence: bool = True,
) -> list[Candidate]:
    """Margin-scored candidates of both directions, best first, one per sentence unless
    ``one_per_sentence`` is false (then the union of both directions).

    ``k`` shrinks for tiny sides.
    """
    k = min(k, len(src_vecs), len(trg_vecs))
    if k == 0:
        return []
    found = mine(src_vecs, trg_vecs, k=k, candidates=candidates, block_size=block_size)
    return one_to_one(found) if one_per_sentence else found


def one_to_one(candidates: Iterable[Candidate]) -> list[Candidate]:
    """The candidates in their order, less those sharing a source or target with an earlier one."""
    used_src: set[int] = set()
    used_trg: set[int] = set()
    kept = []
    for candidate in candidates:
        if candidate.src not in used_src and candidate.trg not in used_trg:
            used_src.add(candidate.src)
            used_trg.add(candidate.trg)
            kept.append(candidate)
    return kept


def kept_pairs(
    candidates: Iterable[Candidate], src: UniqueTexts, trg: UniqueTexts, threshold: float
) -> list[MinedPair]:
    """The candidates scoring at least ``threshold``, as text pairs, best first."""
    return [
        MinedPair(src.texts[c.src], trg.texts[c.trg], c.score)
        for c in candidates
        if c.score >= threshold
    ]


@dataclass(frozen=True)
class ThresholdSuggestion:
    """The margin threshold of best F1 on a labelled sample, and what it scores there."""

    threshold: float
    scores: MiningScores
    labelled: int
    found: int

    def to_dict(self) -> dict[str, float | int]:
        return {
            "threshold": self.threshold,
            "precision": 100 * self.scores.precision,
            "recall": 100 * self.scores.recall,
            "f1": 100 * self.scores.f1,
            "labelled_pairs": self.labelled,
            "labelled_pairs_in_sides": self.found,
        }


def suggest_threshold(
    candidates: Sequence[Candidate],
    src: UniqueTexts,
    trg: UniqueTexts,
    labelled: Sequence[tuple[str, str]],
) -> ThresholdSuggestion:
    """The F1-maximising threshold on a sample of known translation pairs.

    Pass the union of both directions (``one_per_sentence=False``): the wrong candidates that
    one pair per sentence drops are the negatives the threshold is placed against. Only the
    candidates whose source or target sentence is in the sample are judged (a
    candidate pairing a sample sentence with anything but its translation is wrong); sample
    pairs whose sentences are not in the sides are ignored. Raises ``ValueError`` when no
    sample pair is in the sides.
    """
    src_index, trg_index = src.index(), trg.index()
    gold = {
        (src_index[s.strip()], trg_index[t.strip()])
        for s, t in labelled
        if s.strip() in src_index and t.strip() in trg_index
    }
    if not gold:
        raise ValueError("none of the labelled pairs has both sentences in the two sides")
    gold_src, gold_trg = {s for s, _ in gold}, {t for _, t in gold}
    judged = [c for c in candidates if c.src in gold_src or c.trg in gold_trg]
    threshold, _ = choose_threshold(judged, gold)
    scores = mining_scores(judged, gold, threshold)
    return ThresholdSuggestion(threshold, scores, len(labelled), len(gold))
