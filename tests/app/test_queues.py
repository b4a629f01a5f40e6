"""Steps, queues and the step that runs (or resumes) a queued job."""

from __future__ import annotations

import pytest

from mexma_search.app.queues import (
    QUEUE_EMBED,
    QUEUE_INGEST,
    QUEUE_OF_STEP,
    QUEUE_TRAIN,
    STAGE_EMBEDDING,
    Step,
    step_for,
)
from mexma_search.store import JobKind


@pytest.mark.parametrize(
    ("kind", "stage", "step"),
    [
        (JobKind.INGEST, None, Step.INGEST),
        (JobKind.INGEST, "parsing", Step.INGEST),
        (JobKind.INGEST, STAGE_EMBEDDING, Step.EMBED),
        (JobKind.REINDEX, None, Step.REINDEX),
        (JobKind.REINDEX, STAGE_EMBEDDING, Step.REINDEX),
        (JobKind.TRAIN, "training", Step.TRAIN),
        (JobKind.EMBED, "encoding", Step.TM),
    ],
)
def test_a_queued_job_runs_the_step_of_its_kind_and_stage(
    kind: JobKind, stage: str | None, step: Step
) -> None:
    assert step_for(kind, stage) is step


def test_steps_keep_their_celery_task_names_and_queues() -> None:
    assert [step.value for step in Step] == [
        "mexma.ingest",
        "mexma.embed",
        "mexma.reindex",
        "mexma.train",
        "mexma.tm",
    ]
    assert QUEUE_OF_STEP == {
        Step.INGEST: QUEUE_INGEST,
        Step.EMBED: QUEUE_EMBED,
        Step.REINDEX: QUEUE_EMBED,
        Step.TRAIN: QUEUE_TRAIN,
        Step.TM: QUEUE_EMBED,
    }
    assert {step.queue for step in Step} == {QUEUE_INGEST, QUEUE_EMBED, QUEUE_TRAIN}
