"""The Celery tasks. Each carries only a ``job_id``; the job row holds the parameters."""

from __future__ import annotations

from collections.abc import Callable

from celery import Celery

from mexma_search.app.queues import TASK_EMBED, TASK_INGEST, TASK_REINDEX, TASK_TRAIN
from mexma_search.jobs.embed import EmbedDocuments
from mexma_search.jobs.handler import JobHandler, JobTask, execute
from mexma_search.jobs.ingest import IngestDocument
from mexma_search.jobs.reindex import Reindex
from mexma_search.jobs.train import TrainModel

HANDLERS: dict[str, type[JobHandler]] = {
    TASK_INGEST: IngestDocument,
    TASK_EMBED: EmbedDocuments,
    TASK_REINDEX: Reindex,
    TASK_TRAIN: TrainModel,
}


def register_tasks(app: Celery) -> None:
    """Add the job tasks to ``app`` (to this app only, not to every app of the process)."""
    for name, handler_class in HANDLERS.items():
        app.task(name=name, base=JobTask, bind=True, shared=False)(_runner(handler_class))


def _runner(handler_class: type[JobHandler]) -> Callable[..., None]:
    def run(task: JobTask, *, job_id: int) -> None:
        execute(task, job_id, handler_class)

    run.__name__ = run.__qualname__ = handler_class.__name__
    run.__doc__ = handler_class.__doc__
    return run
