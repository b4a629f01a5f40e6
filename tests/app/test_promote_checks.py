"""Promoting a candidate on which a held-out metric got worse needs an explicit confirmation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mexma_search.app.model_checks import WorseMetricsError, metric_changes
from mexma_search.app.services import Services
from mexma_search.store import (
    JobKind,
    NewModelVersion,
    create_model_version,
    session_scope,
    unfinished_jobs,
)

BETTER_XSIM = {"xsim_margin_error": (2.2, 0.6), "retrieval_cross_recall@1": (90.0, 95.0)}
WORSE_SEARCH = {**BETTER_XSIM, "retrieval_same_recall@1": (62.0, 55.0)}


def register(services: Services, name: str, model: Path, scores: dict[str, Any]) -> None:
    metrics = {
        "before": {key: before for key, (before, _) in scores.items()},
        "after": {key: after for key, (_, after) in scores.items()},
    }
    new = NewModelVersion(
        name=name, source=str(model), path=str(model), pooling="cls", dimension=32,
        metrics=metrics, qdrant_collection=f"chunks__{name}",
    )  # fmt: skip
    with session_scope(services.runtime.engine) as session:
        create_model_version(session, new)


def reindex_jobs(services: Services) -> int:
    with session_scope(services.runtime.engine) as session:
        return sum(job.kind == JobKind.REINDEX for job in unfinished_jobs(session))


def test_promotion_refuses_a_worse_candidate_until_confirmed(
    services: Services, tiny_cls_model_dir: Path
) -> None:
    register(services, "worse", tiny_cls_model_dir, WORSE_SEARCH)
    worse = services.worse_metrics("worse")
    assert [(c.name, c.before, c.after) for c in worse] == [("retrieval_same_recall@1", 62.0, 55.0)]
    with pytest.raises(WorseMetricsError, match=r"retrieval_same_recall@1 62\.00 -> 55\.00"):
        services.promote_model("worse")
    assert reindex_jobs(services) == 0
    job_id = services.promote_model("worse", accept_worse=True)
    assert services.get_job(job_id) is not None and reindex_jobs(services) == 1


def test_a_candidate_that_got_better_everywhere_promotes_without_confirmation(
    services: Services, tiny_cls_model_dir: Path
) -> None:
    register(services, "better", tiny_cls_model_dir, BETTER_XSIM)
    assert services.worse_metrics("better") == []
    assert services.worse_metrics("not-registered") == []
    assert services.promote_model("better") > 0


def test_errors_getting_larger_count_as_worse() -> None:
    changes = metric_changes(
        {"before": {"xsim_cos_error": 3.0, "extra": 1.0}, "after": {"xsim_cos_error": 3.5}}
    )
    assert [(c.name, c.worse, c.improvement) for c in changes] == [("xsim_cos_error", True, -0.5)]
    assert metric_changes({}) == []
