"""The Celery application: broker, queues, routes and delivery guarantees.

The jobs table is the truth about every job; Celery only carries ``job_id`` messages, so
there is no result backend. Tasks acknowledge late and are idempotent: a message re-delivered
after a worker died simply runs the job again from its last checkpoint.
"""

from __future__ import annotations

from celery import Celery
from kombu import Queue

from mexma_search.app.queues import QUEUE_INGEST, QUEUES, TASK_FOR_KIND, TASK_ROUTES
from mexma_search.app.runtime import Runtime
from mexma_search.app.settings import Settings
from mexma_search.jobs.registry import register_tasks
from mexma_search.store import JobKind

EMBEDDED_BROKER = "memory://"


class MexmaCelery(Celery):
    """A Celery app that carries the process's :class:`Runtime` for its tasks, and the ids of
    the jobs this process has sent."""

    runtime: Runtime
    sent_jobs: set[int]


def create_celery_app(settings: Settings, runtime: Runtime | None = None) -> MexmaCelery:
    """The app for ``settings``: Redis when ``redis_url`` is set, else the in-process broker.

    The in-process (``memory://``) broker only reaches a worker running in the same process
    (see :mod:`mexma_search.jobs.inprocess`).
    """
    app = MexmaCelery("mexma_search", broker=settings.redis_url or EMBEDDED_BROKER)
    app.runtime = runtime or Runtime(settings)
    app.sent_jobs = set()
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
        task_routes=TASK_ROUTES,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    register_tasks(app)
    return app


def enqueue_job(app: MexmaCelery, job_id: int, kind: JobKind) -> None:
    """Send the message that runs (or resumes) job ``job_id``."""
    try:
        task = TASK_FOR_KIND[kind]
    except KeyError:
        raise ValueError(f"no task runs {kind} jobs yet") from None
    app.send_task(task, kwargs={"job_id": job_id})
    app.sent_jobs.add(job_id)
