"""The job queue the settings name, and services over it: Celery over Redis in distributed
mode, threads of this process in embedded mode."""

from __future__ import annotations

from mexma_search.app.job_queue import JobQueue
from mexma_search.app.runtime import Runtime
from mexma_search.app.services import Services
from mexma_search.app.settings import Settings
from mexma_search.jobs.celery import CeleryJobQueue, create_celery_app
from mexma_search.jobs.inprocess import InProcessJobQueue, InProcessWorker


def job_queue_for(runtime: Runtime) -> JobQueue:
    """Distributed mode: a Celery queue over the Redis broker; embedded: the in-process one."""
    if runtime.settings.mode == "distributed":
        return CeleryJobQueue(create_celery_app(runtime.settings, runtime))
    return InProcessJobQueue()


def open_services(settings: Settings) -> Services:
    """Services over a new runtime for ``settings`` and the job queue its mode uses."""
    runtime = Runtime(settings)
    return Services(runtime, job_queue_for(runtime))


def in_process_worker(services: Services) -> InProcessWorker | None:
    """The worker threads ``serve`` runs, or None in distributed mode: there the jobs go
    through Redis to separate ``mexma-search worker`` processes."""
    if isinstance(services.queue, InProcessJobQueue):
        return InProcessWorker(services)
    return None
