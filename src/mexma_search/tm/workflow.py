"""Mining and alignment from sentences to scored pairs, with an encoder passed in."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mexma_search.encoder.encode import DEFAULT_MAX_BATCH_TOKENS, BatchTurn
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.tm.align import DEFAULT_SKIP_COST, align_sentences
from mexma_search.tm.mining import (
    DEFAULT_THRESHOLD,
    MinedPair,
    ThresholdSuggestion,
    UniqueTexts,
    kept_pairs,
    mine_candidates,
    one_to_one,
    suggest_threshold,
)
from mexma_search.tm.verify import DEFAULT_VERIFIED_THRESHOLD, WordVectors, verify_candidates

# (texts done, texts in all) while encoding
Progress = Callable[[int, int], None]


def encoder_function(
    encoder: SentenceEncoder,
    batch_size: int,
    progress: Progress | None = None,
    *,
    max_batch_tokens: int = DEFAULT_MAX_BATCH_TOKENS,
    turn: BatchTurn | None = None,
) -> Callable[[Sequence[str]], np.ndarray]:
    """Sentences -> L2-normalised vectors with the model's passage prefix; each batch runs
    inside ``turn()`` when given (see :meth:`SentenceEncoder.encode`)."""

    def encode(texts: Sequence[str]) -> np.ndarray:
        return encoder.encode(
            list(texts),
            prompt="passage",
            batch_size=batch_size,
            progress=progress,
            max_batch_tokens=max_batch_tokens,
            turn=turn,
        ).vectors

    return encode


@dataclass
class MiningReport:
    """Mined pairs (best first), the threshold used and, with a labelled sample, the
    suggested one."""

    pairs: list[MinedPair]
    threshold: float
    sentences: tuple[int, int]
    candidates: int
    suggestion: ThresholdSuggestion | None = None
    timing: dict[str, float] = field(default_factory=dict)
    verified: bool = False

    def summary(self) -> dict[str, Any]:
        return {
            "pairs": len(self.pairs),
            "threshold": self.threshold,
            "verified": self.verified,
            "unique_sentences": {"source": self.sentences[0], "target": self.sentences[1]},
            "candidates": self.candidates,
            "suggestion": self.suggestion.to_dict() if self.suggestion else None,
            "timing": self.timing,
        }


def mine_sentences(
    src_sentences: Sequence[str],
    trg_sentences: Sequence[str],
    encode: Callable[[Sequence[str]], np.ndarray],
    *,
    threshold: float | None = None,
    labelled: Sequence[tuple[str, str]] = (),
    verify: WordVectors | None = None,
) -> MiningReport:
    """Mine two sides. With ``verify`` (texts -> word vectors), the margin candidates are
    rescored by word-level agreement (:mod:`mexma_search.tm.verify`) before one pair per
    sentence is kept. Without ``threshold``: the one suggested by ``labelled`` if given, else
    :data:`DEFAULT_VERIFIED_THRESHOLD` or :data:`DEFAULT_THRESHOLD`."""
    started = time.perf_counter()
    src, trg = UniqueTexts.of(src_sentences), UniqueTexts.of(trg_sentences)
    vectors = encode([*src.texts, *trg.texts])
    encoded = time.perf_counter()
    both_ways = mine_candidates(
        vectors[: len(src.texts)], vectors[len(src.texts) :], one_per_sentence=False
    )
    mined = time.perf_counter()
    if verify is not None:
        both_ways = verify_candidates(both_ways, src.texts, trg.texts, verify)
    verified = time.perf_counter()
    suggestion = suggest_threshold(both_ways, src, trg, labelled) if labelled else None
    candidates = one_to_one(both_ways)
    if threshold is None:
        default = DEFAULT_THRESHOLD if verify is None else DEFAULT_VERIFIED_THRESHOLD
        threshold = suggestion.threshold if suggestion else default
    return MiningReport(
        pairs=kept_pairs(candidates, src, trg, threshold),
        threshold=threshold,
        sentences=(len(src.texts), len(trg.texts)),
        candidates=len(candidates),
        suggestion=suggestion,
        timing={
            "encode_s": encoded - started,
            "mine_s": mined - encoded + time.perf_counter() - verified,
            "verify_s": verified - mined,
        },
        verified=verify is not None,
    )


@dataclass(frozen=True)
class AlignedText:
    """An aligned pair of documents' sentences (several joined by a space), with its cosine."""

    src: str
    trg: str
    score: float
    src_sentences: tuple[int, ...]
    trg_sentences: tuple[int, ...]


def align_documents(
    src_sentences: Sequence[str],
    trg_sentences: Sequence[str],
    encode: Callable[[Sequence[str]], np.ndarray],
    *,
    skip_cost: float = DEFAULT_SKIP_COST,
    keep_skips: bool = False,
) -> list[AlignedText]:
    """Align two documents' sentences in order; skipped sentences only with ``keep_skips``."""
    return [
        AlignedText(
            " ".join(src_sentences[i] for i in pair.src),
            " ".join(trg_sentences[j] for j in pair.trg),
            pair.score,
            pair.src,
            pair.trg,
        )
        for pair in align_sentences(src_sentences, trg_sentences, encode, skip_cost=skip_cost)
        if keep_skips or not pair.is_skip
    ]
