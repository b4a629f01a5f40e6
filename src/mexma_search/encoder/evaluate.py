"""Evaluation of cross-lingual sentence encoders: xsim error and BUCC-style mining.

Every function takes L2-normalised float32 vectors (``encoder.encode_array`` returns them), so
cosine is a dot product. Gold alignment for xsim and in-batch accuracy is row ``i`` <-> row ``i``.

Ratio margin (LASER, Artetxe & Schwenk 2019) with ``k`` nearest neighbours::

    margin(x, y) = cos(x, y) / (mean_{z in NN_k(x)} cos(x, z) / 2
                                + mean_{z in NN_k(y)} cos(y, z) / 2)

where ``NN_k(x)`` are the ``k`` nearest vectors of the other side. Margin is symmetric in x and
y. Rather than scoring all N x N pairs, a vector's best margin partner is searched among its
``candidates`` nearest neighbours by cosine. LASER uses ``k`` (4) candidates; a hub-heavy side
needs more, so the default is 64, close to an exhaustive search. The candidates only deepen the
top-k search, so 64 costs next to nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mexma_search.encoder.topk import DEFAULT_BLOCK_SIZE, topk_both_ways

if TYPE_CHECKING:
    from mexma_search.encoder.model import SentenceEncoder

DEFAULT_K = 4
DEFAULT_CANDIDATES = 64

Pair = tuple[int, int]


def topk_cosine(
    queries: np.ndarray, keys: np.ndarray, k: int, *, block_size: int = DEFAULT_BLOCK_SIZE
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` keys of highest dot product with each query, best first.

    Returns ``(scores [n, k] float32, indices [n, k] int64)``, searched in blocks as
    :func:`topk_both_ways` does.
    """
    forward, _ = topk_both_ways(queries, keys, k, 0, block_size=block_size)
    return forward


def ratio_margin(cos: np.ndarray, x_knn_mean: np.ndarray, y_knn_mean: np.ndarray) -> np.ndarray:
    """LASER's ratio margin from a cosine and each side's mean cosine to its k nearest."""
    return cos / (x_knn_mean / 2 + y_knn_mean / 2)


@dataclass(frozen=True)
class Neighbours:
    """Each query's best keys, best first: ``scores`` and ``indices`` of shape [n, depth]."""

    scores: np.ndarray
    indices: np.ndarray

    def best(self) -> np.ndarray:
        """The index of each query's best key."""
        return self.indices[:, 0]

    def rescored_by_margin(self, query_mean: np.ndarray, key_mean: np.ndarray) -> Neighbours:
        """These cosine neighbours scored by ratio margin instead, re-sorted best first."""
        margins = ratio_margin(self.scores, query_mean[:, None], key_mean[self.indices])
        order = np.argsort(-margins, axis=1, kind="stable")
        return Neighbours(
            np.take_along_axis(margins, order, axis=1),
            np.take_along_axis(self.indices, order, axis=1),
        )


@dataclass(frozen=True)
class BitextSearch:
    """Cosine neighbours of a source and a target matrix in each other, with margin on top."""

    src2trg: Neighbours
    trg2src: Neighbours
    k: int

    @classmethod
    def run(
        cls,
        src: np.ndarray,
        trg: np.ndarray,
        *,
        k: int = DEFAULT_K,
        candidates: int = DEFAULT_CANDIDATES,
        block_size: int = DEFAULT_BLOCK_SIZE,
    ) -> BitextSearch:
        """Search both ways deep enough for the k-NN means and ``candidates`` margin candidates."""
        if not 1 <= k <= min(len(src), len(trg)):
            raise ValueError(f"k must be between 1 and the smaller side ({len(src)}, {len(trg)})")
        depth = max(k, candidates)
        forward, backward = topk_both_ways(
            src, trg, min(depth, len(trg)), min(depth, len(src)), block_size=block_size
        )
        return cls(Neighbours(*forward), Neighbours(*backward), k)

    def margin(self) -> tuple[Neighbours, Neighbours]:
        """``(src2trg, trg2src)`` candidates scored by ratio margin, best first."""
        src_mean = self.src2trg.scores[:, : self.k].mean(axis=1)
        trg_mean = self.trg2src.scores[:, : self.k].mean(axis=1)
        return (
            self.src2trg.rescored_by_margin(src_mean, trg_mean),
            self.trg2src.rescored_by_margin(trg_mean, src_mean),
        )


def _error_percent(predicted: np.ndarray) -> float:
    return 100.0 * float(np.mean(predicted != np.arange(len(predicted))))


@dataclass(frozen=True)
class XsimResult:
    """xsim error rates in percent (gold: row i <-> row i), by cosine and by margin."""

    n: int
    cos_src2trg: float
    cos_trg2src: float
    margin_src2trg: float
    margin_trg2src: float
    k: int
    candidates: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "xsim_cos_error": {"src2trg": self.cos_src2trg, "trg2src": self.cos_trg2src},
            "xsim_margin_error": {"src2trg": self.margin_src2trg, "trg2src": self.margin_trg2src},
            "margin_k": self.k,
            "margin_candidates": self.candidates,
        }


def xsim_errors(
    src_vecs: np.ndarray,
    trg_vecs: np.ndarray,
    *,
    k: int = DEFAULT_K,
    candidates: int = DEFAULT_CANDIDATES,
    block_size: int = DEFAULT_BLOCK_SIZE,
) -> XsimResult:
    """xsim error both ways: the share of rows whose best partner by score is not their own."""
    if len(src_vecs) != len(trg_vecs):
        raise ValueError(f"xsim needs aligned sides, got {len(src_vecs)} and {len(trg_vecs)} rows")
    search = BitextSearch.run(src_vecs, trg_vecs, k=k, candidates=candidates, block_size=block_size)
    margin_s2t, margin_t2s = search.margin()
    return XsimResult(
        n=len(src_vecs),
        cos_src2trg=_error_percent(search.src2trg.best()),
        cos_trg2src=_error_percent(search.trg2src.best()),
        margin_src2trg=_error_percent(margin_s2t.best()),
        margin_trg2src=_error_percent(margin_t2s.best()),
        k=k,
        candidates=candidates,
    )


def evaluate_bitext(
    encoder: SentenceEncoder,
    src_texts: Sequence[str],
    trg_texts: Sequence[str],
    *,
    batch_size: int = 64,
    prompt: str | None = "passage",
    k: int = DEFAULT_K,
    candidates: int = DEFAULT_CANDIDATES,
) -> dict[str, Any]:
    """Encode aligned texts and report xsim errors (``XsimResult.to_dict``) plus timings.

    ``prompt`` picks the model's prefix; ``passage`` is no prefix for models without one.
    """
    started = time.perf_counter()
    src = encoder.encode_array(src_texts, prompt=prompt, batch_size=batch_size)
    trg = encoder.encode_array(trg_texts, prompt=prompt, batch_size=batch_size)
    encoded = time.perf_counter()
    result = xsim_errors(src, trg, k=k, candidates=candidates).to_dict()
    result["timing"] = {
        "encode_seconds": encoded - started,
        "search_seconds": time.perf_counter() - encoded,
    }
    return result


@dataclass(frozen=True)
class Candidate:
    """A mined pair: source row, target row and its margin score."""

    src: int
    trg: int
    score: float


def mine(
    src_vecs: np.ndarray,
    trg_vecs: np.ndarray,
    *,
    k: int = DEFAULT_K,
    candidates: int = DEFAULT_CANDIDATES,
    block_size: int = DEFAULT_BLOCK_SIZE,
) -> list[Candidate]:
    """BUCC-style candidates: the best margin partner of every source and of every target.

    The union of both directions without duplicates, best score first.
    """
    margin_s2t, margin_t2s = BitextSearch.run(
        src_vecs, trg_vecs, k=k, candidates=candidates, block_size=block_size
    ).margin()
    pairs: dict[Pair, float] = {}
    for s, (t, score) in enumerate(zip(margin_s2t.best(), margin_s2t.scores[:, 0], strict=True)):
        pairs[(s, int(t))] = float(score)
    for t, (s, score) in enumerate(zip(margin_t2s.best(), margin_t2s.scores[:, 0], strict=True)):
        pairs[(int(s), t)] = float(score)
    ranked = sorted(pairs.items(), key=lambda item: (-item[1], item[0]))
    return [Candidate(s, t, score) for (s, t), score in ranked]


@dataclass(frozen=True)
class MiningScores:
    """Precision, recall and F1 of extracted pairs against gold pairs, as fractions."""

    precision: float
    recall: float
    f1: float

    @classmethod
    def from_counts(cls, n_correct: int, n_extracted: int, n_gold: int) -> MiningScores:
        precision = n_correct / n_extracted if n_extracted else 0.0
        recall = n_correct / n_gold if n_gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if n_correct else 0.0
        return cls(precision, recall, f1)


def choose_threshold(
    candidates: Sequence[Candidate], gold_pairs: Iterable[Pair]
) -> tuple[float, float]:
    """The margin threshold of best F1 on a labelled split: ``(threshold, f1)``.

    Pairs scoring at least the threshold are kept. As in LASER, the threshold sits halfway
    between the last kept score and the next one; cuts are only made between distinct scores.
    """
    gold = set(gold_pairs)
    ranked = sorted(candidates, key=lambda c: -c.score)
    best_f1, threshold = 0.0, float("inf")
    n_correct = 0
    for i, candidate in enumerate(ranked):
        n_correct += (candidate.src, candidate.trg) in gold
        next_score = ranked[i + 1].score if i + 1 < len(ranked) else None
        if next_score == candidate.score:
            continue
        f1 = MiningScores.from_counts(n_correct, i + 1, len(gold)).f1
        if f1 > best_f1:
            best_f1 = f1
            threshold = (
                candidate.score if next_score is None else (candidate.score + next_score) / 2
            )
    return threshold, best_f1


def mining_scores(
    candidates: Iterable[Candidate], gold_pairs: Iterable[Pair], threshold: float
) -> MiningScores:
    """Precision, recall and F1 of the candidates scoring at least ``threshold``."""
    gold = set(gold_pairs)
    kept = [(c.src, c.trg) for c in candidates if c.score >= threshold]
    return MiningScores.from_counts(sum(p in gold for p in kept), len(kept), len(gold))


@dataclass(frozen=True)
class LabelledSplit:
    """Source and target vectors with the gold pairs among them; other rows are noise."""

    src_vecs: np.ndarray
    trg_vecs: np.ndarray
    gold_pairs: frozenset[Pair]


@dataclass(frozen=True)
class BuccResult:
    """A threshold chosen on a dev split and the scores it gets on a test split."""

    threshold: float
    dev_f1: float
    test: MiningScores
    n_test_candidates: int

    def to_dict(self) -> dict[str, Any]:
        """Threshold, and F1 / precision / recall in percent."""
        return {
            "threshold": self.threshold,
            "dev_f1": 100 * self.dev_f1,
            "test": {
                "precision": 100 * self.test.precision,
                "recall": 100 * self.test.recall,
                "f1": 100 * self.test.f1,
            },
            "n_test_candidates": self.n_test_candidates,
        }


def bucc_evaluate(
    dev: LabelledSplit,
    test: LabelledSplit,
    *,
    k: int = DEFAULT_K,
    candidates: int = DEFAULT_CANDIDATES,
) -> BuccResult:
    """Mine both splits, choose the threshold of best F1 on ``dev``, score ``test`` with it."""
    dev_candidates = mine(dev.src_vecs, dev.trg_vecs, k=k, candidates=candidates)
    threshold, dev_f1 = choose_threshold(dev_candidates, dev.gold_pairs)
    test_candidates = mine(test.src_vecs, test.trg_vecs, k=k, candidates=candidates)
    return BuccResult(
        threshold=threshold,
        dev_f1=dev_f1,
        test=mining_scores(test_candidates, test.gold_pairs, threshold),
        n_test_candidates=len(test_candidates),
    )
