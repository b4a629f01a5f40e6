"""What every job handler shares: claiming the job, progress, cancellation, the outcome.

A job's work is a :class:`JobHandler`. :func:`execute` claims the job (or takes it over from a
worker that died), runs the handler, and records how it ended. Transient infrastructure errors
put the job back in the queue and propagate, so that the queue adapter retries with backoff;
anything else ends the job as failed with its reason, and the handler's
:meth:`JobHandler.cleanup` undoes partial work.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

import httpx
from qdrant_client.http.exceptions import ResponseHandlingException
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from mexma_search.app.job_queue import JobQueue
from mexma_search.app.runtime import Runtime
from mexma_search.documents import IngestError
from mexma_search.store import (
    Job,
    JobStatus,
    claim_job,
    fail_job,
    finish_job,
    requeue_job,
    session_scope,
    update_progress,
)
from mexma_search.store.types import utcnow

logger = logging.getLogger(__name__)

# Worth retrying: the database or vector store was briefly unreachable or busy.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    ResponseHandlingException,
    httpx.TransportError,
)


class JobError(Exception):
    """A job cannot go on for a reason the user should read (bad input, missing document)."""


class JobCancelledError(Exception):
    """Cancellation was requested; raised at the next progress update."""


class JobInterruptedError(Exception):
    """The in-process worker is shutting down; the job goes back to the queue."""


@dataclass(frozen=True)
class WorkerIdentity:
    """Who runs a job, as recorded on its row: the worker's name and, under Celery, the task
    id of the message being run."""

    hostname: str
    task_id: str | None = None


class JobHandler(ABC):
    """The body of a job: :meth:`run` does the work and reports progress as it goes."""

    def __init__(self, runtime: Runtime, queue: JobQueue, job: Job, worker: WorkerIdentity) -> None:
        self.runtime = runtime
        self.queue = queue
        self.job = job
        self.worker = worker
        # the jobs this handler is running, whose heartbeat it writes (a handler may claim
        # more jobs than the one its message named)
        self.live_jobs: set[int] = {job.id}

    @property
    def job_id(self) -> int:
        return self.job.id

    def parameter(self, name: str) -> Any:
        """A job parameter that must be there."""
        try:
            return self.job.parameters[name]
        except KeyError:
            raise JobError(f"job {self.job_id} has no {name!r} parameter") from None

    @abstractmethod
    def run(self) -> None:
        """Do the work; end with :meth:`finish` unless another task takes the job over."""

    def begin(self, session: Session) -> None:  # noqa: B027 (optional hook)
        """Record that the work starts, in the transaction that claims the job (one commit
        fewer per job); bad input must not raise here: :meth:`run` reports it."""

    def cleanup(self, reason: str) -> None:  # noqa: B027 (optional hook)
        """Undo partial work after a failure or cancellation (default: nothing to undo)."""

    def progress(
        self,
        *,
        stage: str | None = None,
        done: int | None = None,
        total: int | None = None,
        message: str | None = None,
        eta_seconds: float | None = None,
        requeue: bool = False,
        session: Session | None = None,
    ) -> None:
        """Record progress and a heartbeat, in ``session`` (with the caller's other changes,
        which a cancellation then rolls back) or in a session of its own; stop here if
        cancelled or shutting down. ``requeue`` hands the job back to the queue."""
        record = partial(
            update_progress,
            job_id=self.job_id,
            stage=stage,
            done=done,
            total=total,
            message=message,
            eta_seconds=eta_seconds,
            requeue=requeue,
        )
        if session is None:
            with session_scope(self.runtime.engine) as own:
                cancel = record(own)
        else:
            cancel = record(session)
        if cancel:
            raise JobCancelledError
        if self.runtime.stopping.is_set():
            raise JobInterruptedError

    def finish(self, message: str, metrics: Mapping[str, Any]) -> None:
        """End the job as succeeded."""
        with session_scope(self.runtime.engine) as session:
            finish_job(session, self.job_id, message=message, metrics=metrics)


# a handler class, or a function that picks one by the job
HandlerFactory = Callable[[Runtime, JobQueue, Job, WorkerIdentity], JobHandler]


def execute(
    runtime: Runtime,
    queue: JobQueue,
    job_id: int,
    make_handler: HandlerFactory,
    worker: WorkerIdentity,
) -> bool:
    """Run job ``job_id`` with the handler ``make_handler`` makes and record how it ended;
    False when the job could not be claimed (gone, ended, or alive on another worker)."""
    handler = _start(runtime, queue, job_id, make_handler, worker)
    if handler is None:
        return False
    try:
        if handler.job.cancel_requested:
            raise JobCancelledError
        with runtime.heartbeats.hold(handler.live_jobs):
            handler.run()
    except JobCancelledError:
        handler.cleanup("cancelled")
        with session_scope(runtime.engine) as session:
            finish_job(session, job_id, status=JobStatus.CANCELLED, message="cancelled")
    except JobInterruptedError:
        with session_scope(runtime.engine) as session:
            requeue_job(session, job_id)
    except TRANSIENT_ERRORS:
        _requeue_for_retry(runtime, job_id)
        raise
    except (JobError, IngestError) as exc:
        _fail(handler, str(exc))
    except Exception as exc:
        logger.exception("job %s failed", job_id)
        _fail(handler, f"internal error: {type(exc).__name__}: {exc}")
    return True


def _start(
    runtime: Runtime,
    queue: JobQueue,
    job_id: int,
    make_handler: HandlerFactory,
    worker: WorkerIdentity,
) -> JobHandler | None:
    """Claim a queued job, or take over a running one whose worker died (silent for
    ``job_stale_after_s``), and begin its handler; None if the job is gone, has ended or is
    alive elsewhere."""
    stale_before = utcnow() - timedelta(seconds=runtime.settings.job_stale_after_s)
    with session_scope(runtime.engine) as session:
        job = claim_job(
            session,
            job_id,
            hostname=worker.hostname,
            celery_task_id=worker.task_id,
            stale_before=stale_before,
        )
        if job is None:
            return None
        handler = make_handler(runtime, queue, job, worker)
        handler.begin(session)
        return handler


def _requeue_for_retry(runtime: Runtime, job_id: int) -> None:
    """Put the job back in the queue, so that the retry can claim it. If the database is what
    failed, the job stays running until it goes stale; a later retry (the backoff grows to
    minutes) or the reaper then takes it over."""
    try:
        with session_scope(runtime.engine) as session:
            requeue_job(session, job_id)
    except TRANSIENT_ERRORS:
        logger.warning("could not requeue job %s for its retry", job_id, exc_info=True)


def _fail(handler: JobHandler, reason: str) -> None:
    try:
        handler.cleanup(reason)
    finally:
        with session_scope(handler.runtime.engine) as session:
            fail_job(session, handler.job_id, reason)
