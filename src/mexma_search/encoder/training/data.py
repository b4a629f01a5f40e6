"""Bitext files as training input: filtered pair sources, fixed or held-out splits, dev metrics.

The glue between :mod:`mexma_search.encoder.bitext` (reading, validation, splits),
:mod:`.loop` (which takes a function returning pairs) and :mod:`mexma_search.encoder.evaluate`
(xsim errors) and :mod:`mexma_search.encoder.pair_retrieval` (retrieval scores).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mexma_search.encoder.bitext import (
    BitextFilter,
    BitextPair,
    FilterOptions,
    read_bitext,
    read_splits,
    split_held_out,
)
from mexma_search.encoder.evaluate import DEFAULT_K, evaluate_bitext, xsim_errors
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.encoder.pair_retrieval import RETRIEVAL_METRICS, pair_retrieval
from mexma_search.encoder.training.pair_stream import Pair, PairSource


@dataclass(frozen=True)
class BitextSource:
    """A bitext file and how to read it (keyword arguments of :func:`read_bitext`)."""

    path: Path
    read_options: dict[str, Any] = field(default_factory=dict)
    filter_options: FilterOptions = field(default_factory=FilterOptions)

    def read(self) -> Iterator[BitextPair]:
        """Every pair of the file, unfiltered (streaming)."""
        return read_bitext(self.path, **self.read_options)

    def kept(self) -> Iterator[BitextPair]:
        """The pairs that pass validation (streaming; a fresh filter per call)."""
        return BitextFilter(self.filter_options).filter(self.read())


def as_pairs(pairs: Iterable[BitextPair]) -> Iterator[Pair]:
    """``(source, target)`` strings of bitext pairs."""
    return ((pair.src, pair.trg) for pair in pairs)


@dataclass(frozen=True)
class TrainingSplits:
    """The training pair source and the held-out pairs for evaluation (possibly none)."""

    train: PairSource
    held_out: list[Pair]


def fixed_splits(source: BitextSource, splits_file: Path, held_out: str = "dev") -> TrainingSplits:
    """Train on the validated ``train`` refs of a splits file; hold out its ``held_out`` refs.

    The held-out pairs are taken as they are (unfiltered), so scores stay comparable with
    other evaluations of the same split.
    """
    splits = read_splits(splits_file)
    return TrainingSplits(
        train=lambda: as_pairs(splits.select(source.kept(), "train")),
        held_out=list(as_pairs(splits.select(source.read(), held_out))),
    )


def held_out_split(source: BitextSource, held_out: int, seed: int = 0) -> TrainingSplits:
    """Hold out ``held_out`` pairs (a seeded hash sample) and train on the rest."""
    if held_out == 0:
        return TrainingSplits(train=lambda: as_pairs(source.kept()), held_out=[])
    split = split_held_out(source.kept(), held_out=held_out, seed=seed)
    return TrainingSplits(
        train=lambda: as_pairs(split.train(source.kept())), held_out=list(as_pairs(split.held_out))
    )


def flat_xsim_metrics(result: Mapping[str, Any]) -> dict[str, float]:
    """``evaluate_bitext``'s nested result as flat metrics: each error per direction and mean."""
    metrics: dict[str, float] = {}
    for name in ("xsim_cos_error", "xsim_margin_error"):
        directions = result[name]
        for direction, value in directions.items():
            metrics[f"{name}_{direction}"] = float(value)
        metrics[name] = sum(directions.values()) / len(directions)
    return metrics


def _sides(pairs: list[Pair]) -> tuple[list[str], list[str]]:
    if len(pairs) < DEFAULT_K:
        raise ValueError(f"dev evaluation needs at least {DEFAULT_K} pairs, got {len(pairs)}")
    return [s for s, _ in pairs], [t for _, t in pairs]


def xsim_evaluator(
    pairs: list[Pair], *, batch_size: int = 64
) -> Callable[[SentenceEncoder], dict[str, float]]:
    """An evaluator for :func:`.loop.train`: xsim errors (percent) on ``pairs``."""
    src, trg = _sides(pairs)

    def evaluate(encoder: SentenceEncoder) -> dict[str, float]:
        return flat_xsim_metrics(evaluate_bitext(encoder, src, trg, batch_size=batch_size))

    return evaluate


def held_out_evaluator(
    pairs: list[Pair], *, batch_size: int = 64
) -> Callable[[SentenceEncoder], dict[str, float]]:
    """An evaluator for :func:`.loop.train`: xsim errors and the same- and cross-language
    retrieval scores of :func:`~mexma_search.encoder.pair_retrieval.pair_retrieval` (percent)
    on ``pairs`` (the passage vectors are encoded once for both)."""
    src, trg = _sides(pairs)

    def evaluate(encoder: SentenceEncoder) -> dict[str, float]:
        src_vecs = encoder.encode_array(src, prompt="passage", batch_size=batch_size)
        trg_vecs = encoder.encode_array(trg, prompt="passage", batch_size=batch_size)
        metrics = flat_xsim_metrics(xsim_errors(src_vecs, trg_vecs).to_dict())
        retrieval = pair_retrieval(
            encoder, src, trg, batch_size=batch_size, src_passages=src_vecs, trg_passages=trg_vecs
        )
        return {**metrics, **retrieval}

    return evaluate


def higher_is_better(metric: str) -> bool:
    """Whether a larger value of dev metric ``metric`` is better (the retrieval scores);
    the xsim errors are better lower."""
    return metric in RETRIEVAL_METRICS


def improvement(metric: str, before: float, after: float) -> float:
    """How much ``metric`` got better from ``before`` to ``after`` (negative: worse)."""
    return after - before if higher_is_better(metric) else before - after
