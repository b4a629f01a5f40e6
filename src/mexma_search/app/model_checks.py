"""Which held-out metrics of a candidate model version got worse in training.

A train job stores ``before`` (the base model) and ``after`` (the fine-tuned one) on the
held-out pairs with the version (:func:`mexma_search.jobs.train_ddp.job_summary`). Promoting
a version on which any of them got worse needs an explicit confirmation
(:meth:`mexma_search.app.services.Services.promote_model`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mexma_search.encoder.training.data import higher_is_better, improvement

# a change smaller than this (in points) is rounding noise, not a metric getting worse
TOLERANCE = 1e-6


@dataclass(frozen=True)
class MetricChange:
    """One held-out metric before and after training; ``improvement`` > 0 is better."""

    name: str
    before: float
    after: float
    improvement: float
    higher_is_better: bool

    @property
    def worse(self) -> bool:
        """Whether training made this metric worse."""
        return self.improvement < -TOLERANCE

    def describe(self) -> str:
        """E.g. ``retrieval_same_recall@1 62.00 -> 55.00``."""
        return f"{self.name} {self.before:.2f} -> {self.after:.2f}"


def metric_changes(metrics: Mapping[str, Any]) -> list[MetricChange]:
    """Every metric in both ``before`` and ``after`` of a version's stored metrics, by name."""
    before: Mapping[str, float] = metrics.get("before") or {}
    after: Mapping[str, float] = metrics.get("after") or {}
    return [
        MetricChange(
            name,
            float(before[name]),
            float(after[name]),
            improvement(name, float(before[name]), float(after[name])),
            higher_is_better(name),
        )
        for name in sorted(after)
        if name in before
    ]


def worse_metrics(metrics: Mapping[str, Any]) -> list[MetricChange]:
    """The metrics that got worse in training (none for a version with no before/after)."""
    return [change for change in metric_changes(metrics) if change.worse]


class WorseMetricsError(ValueError):
    """Promotion of a version on which held-out metrics got worse, without confirmation."""

    def __init__(self, version: str, worse: Sequence[MetricChange]) -> None:
        self.version = version
        self.worse = list(worse)
        listed = "; ".join(change.describe() for change in self.worse)
        super().__init__(
            f"{version}: {len(self.worse)} held-out metric(s) got worse in training ({listed}); "
            "confirm to promote it anyway"
        )
