"""Relevance labels: what a result's score means to a person (strong, good, weak, poor match).

The score every search mode reports is the cosine of the query and the result's passage (a
hybrid ranking fuses ranks, which say nothing about how close a match is, so its results are
labelled by the same cosine). The thresholds were fitted by ``bench/calibrate_relevance.py``
on the dev sets of ``bench/retrieval_sets/``, per model, search mode and kind of match: a
passage in the query's language, or in another (cross-language cosines run lower). Results
below the ``floor`` are hidden behind a "no good match" notice. Cosines mean different things
for different models: the results of a model without a calibration (a fine-tuned version, say)
are not labelled, and none are hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mexma_search.encoder.config import DEFAULT_MODEL_NAME

Relevance = Literal["strong", "good", "weak", "poor"]
RELEVANCE_LABELS: dict[str, str] = {
    "strong": "strong match",
    "good": "good match",
    "weak": "weak match",
    "poor": "poor match",
}
MatchKind = Literal["same", "cross"]


@dataclass(frozen=True)
class Thresholds:
    """The lowest score of a strong and of a good match (1.0: out of reach), and the floor
    below which a match is poor (hidden unless asked for); weak in between."""

    strong: float
    good: float
    floor: float


# model version -> search mode -> kind of match: bench/calibrate_relevance.py over
# bench/retrieval_eval.py's reports (docs/benchmarks.md)
CALIBRATION: dict[str, dict[str, dict[MatchKind, Thresholds]]] = {
    DEFAULT_MODEL_NAME: {
        "dense": {
            "same": Thresholds(strong=0.899, good=0.882, floor=0.83),
            # no cross-language score reaches 80 % precision: such matches are good at best
            "cross": Thresholds(strong=1.0, good=0.903, floor=0.802),
        },
        "hybrid": {
            "same": Thresholds(strong=0.895, good=0.873, floor=0.836),
            "cross": Thresholds(strong=1.0, good=0.903, floor=0.798),
        },
    },
}


def match_kind(query_language: str | None, passage_language: str) -> MatchKind:
    """``same`` when the query's language is known and is the passage's, else ``cross``."""
    return "same" if query_language is not None and query_language == passage_language else "cross"


def relevance(score: float, model: str, mode: str, kind: MatchKind) -> Relevance | None:
    """The label of a result scoring ``score`` with model version ``model`` in search
    ``mode``; None when the model has no calibration."""
    if model not in CALIBRATION:
        return None
    limits = CALIBRATION[model][mode][kind]
    if score >= limits.strong:
        return "strong"
    if score >= limits.good:
        return "good"
    return "weak" if score >= limits.floor else "poor"
