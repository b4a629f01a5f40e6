"""Distributed mode's job queue: Celery over Redis, and the tasks its workers run.

The jobs table is the truth about every job; Celery only carries ``job_id`` messages, so there
is no result backend. Tasks acknowledge late and are idempotent: a message re-delivered after a
worker died simply runs the job again from its last checkpoint. A transient error (database,
broker or vector store briefly away) is retried with exponential backoff.
"""

from __future__ import annotations

import logging
import socket
from typing import Any, cast

import kombu.exceptions
import redis.exceptions
from celery import Celery, Task
from kombu import Queue

from mexma_search.app.queues import QUEUE_INGEST, QUEUE_OF_STEP, QUEUES, Step
from mexma_search.app.runtime import Runtime
from mexma_search.app.settings import Settings
from mexma_search.jobs.handler import TRANSIENT_ERRORS, WorkerIdentity, execute
from mexma_search.jobs.registry import HANDLERS
from mexma_search.store import fail_job, session_scope

logger = logging.getLogger(__name__)

RETRIED_ERRORS: tuple[type[Exception], ...] = (
    *TRANSIENT_ERRORS,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    kombu.exceptions.OperationalError,
)


class MexmaCelery(Celery):
    """A Celery app that carries the process's :class:`Runtime` for its tasks."""

    runtime: Runtime


class CeleryJobQueue:
    """The :class:`~mexma_search.app.job_queue.JobQueue` of distributed mode: one message per
    step, on the step's queue."""

    def __init__(self, app: MexmaCelery) -> None:
        self.app = app

    def enqueue(self, job_id: int, step: Step) -> None:
        self.app.send_task(step.value, kwargs={"job_id": job_id}, queue=step.queue)


class JobTask(Task):
    """Base class of the job tasks: retries transient errors with exponential backoff."""

    autoretry_for = RETRIED_ERRORS
    retry_backoff = 2
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = 8
    typing = False

    @property
    def runtime(self) -> Runtime:
        return cast(MexmaCelery, self.app).runtime

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        """Retries are exhausted: record it on the job (if the database answers at all)."""
        job_id = kwargs.get("job_id")
        if job_id is None:
            return
        try:
            with session_scope(self.runtime.engine) as session:
                fail_job(session, job_id, f"gave up after retries: {type(exc).__name__}: {exc}")
        except Exception:
            logger.exception("could not record the failure of job %s", job_id)


def create_celery_app(settings: Settings, runtime: Runtime | None = None) -> MexmaCelery:
    """The Celery app over the Redis broker of ``settings``, with the job tasks."""
    if settings.redis_url is None:
        raise ValueError("the Celery job queue needs a broker: set MEXMA_REDIS_URL")
    app = MexmaCelery("mexma_search", broker=settings.redis_url)
    app.runtime = runtime or Runtime(settings)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # Redis re-delivers an unacknowledged message (its worker died) after this long; with
        # late acks it must exceed the longest task (a training run), or a second worker
        # would start the same job while the first still runs it.
        broker_transport_options={"visibility_timeout": settings.celery_visibility_timeout},
        broker_connection_retry_on_startup=True,
        task_queues=[Queue(name) for name in QUEUES],
        task_default_queue=QUEUE_INGEST,
        task_routes={step.value: {"queue": queue} for step, queue in QUEUE_OF_STEP.items()},
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    for step in Step:
        _register(app, step)
    return app


def _register(app: MexmaCelery, step: Step) -> None:
    make_handler = HANDLERS[step]
    queue = CeleryJobQueue(app)

    def run(task: JobTask, *, job_id: int) -> None:
        worker = WorkerIdentity(task.request.hostname or socket.gethostname(), task.request.id)
        execute(task.runtime, queue, job_id, make_handler, worker)

    run.__name__ = run.__qualname__ = make_handler.__name__
    run.__doc__ = make_handler.__doc__
    app.task(name=step.value, base=JobTask, bind=True, shared=False)(run)
