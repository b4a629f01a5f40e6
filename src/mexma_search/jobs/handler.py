"""What every job-running task shares: claiming the job, progress, cancellation, the outcome.

A task body is a :class:`JobHandler`. :func:`execute` claims the job (or takes it over from a
worker that died), runs the handler, and records how it ended. Transient infrastructure errors
propagate so that Celery retries with exponential backoff; anything else ends the job as
failed with its reason, and the handler's :meth:`JobHandler.cleanup` undoes partial work.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypedDict, cast

import httpx
import kombu.exceptions
import redis.exceptions
from celery import Task
from qdrant_client.http.exceptions import ResponseHandlingException
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

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

if TYPE_CHECKING:
    from mexma_search.jobs.celery import MexmaCelery

logger = logging.getLogger(__name__)

# Worth retrying: the database, broker or vector store was briefly unreachable or busy.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    kombu.exceptions.OperationalError,
    ResponseHandlingException,
    httpx.TransportError,
)


class JobError(Exception):
    """A job cannot go on for a reason the user should read (bad input, missing document)."""


class JobCancelledError(Exception):
    """Cancellation was requested; raised at the next progress update."""


class JobInterruptedError(Exception):
    """The in-process worker is shutting down; the job goes back to the queue."""


class _ProgressFields(TypedDict):
    """The keyword arguments of :func:`update_progress` that a handler passes on."""

    stage: str | None
    done: int | None
    total: int | None
    message: str | None
    eta_seconds: float | None
    requeue: bool


class JobTask(Task):
    """Base class of the job tasks: retries transient errors with exponential backoff."""

    autoretry_for = TRANSIENT_ERRORS
    retry_backoff = 2
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = 8
    typing = False

    @property
    def runtime(self) -> Runtime:
        return cast("MexmaCelery", self.app).runtime

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


class JobHandler(ABC):
    """The body of a job: :meth:`run` does the work and reports progress as it goes."""

    def __init__(self, task: JobTask, job: Job) -> None:
        self.task = task
        self.runtime = task.runtime
        self.job = job
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
        fields: _ProgressFields = {
            "stage": stage,
            "done": done,
            "total": total,
            "message": message,
            "eta_seconds": eta_seconds,
            "requeue": requeue,
        }
        if session is None:
            with session_scope(self.runtime.engine) as own:
                cancel = update_progress(own, self.job_id, **fields)
        else:
            cancel = update_progress(session, self.job_id, **fields)
        if cancel:
            raise JobCancelledError
        if self.runtime.stopping.is_set():
            raise JobInterruptedError

    def finish(self, message: str, metrics: Mapping[str, Any]) -> None:
        """End the job as succeeded."""
        with session_scope(self.runtime.engine) as session:
            finish_job(session, self.job_id, message=message, metrics=metrics)


def execute(task: JobTask, job_id: int, handler_class: type[JobHandler]) -> None:
    """Run job ``job_id`` with ``handler_class`` and record how it ended."""
    handler = _start(task, job_id, handler_class)
    if handler is None:
        return
    try:
        if handler.job.cancel_requested:
            raise JobCancelledError
        with task.runtime.heartbeats.hold(handler.live_jobs):
            handler.run()
    except JobCancelledError:
        handler.cleanup("cancelled")
        with session_scope(task.runtime.engine) as session:
            finish_job(session, job_id, status=JobStatus.CANCELLED, message="cancelled")
    except JobInterruptedError:
        with session_scope(task.runtime.engine) as session:
            requeue_job(session, job_id)
    except TRANSIENT_ERRORS:
        _requeue_for_retry(task, job_id)
        raise
    except (JobError, IngestError) as exc:
        _fail(handler, str(exc))
    except Exception as exc:
        logger.exception("job %s failed", job_id)
        _fail(handler, f"internal error: {type(exc).__name__}: {exc}")


def _start(task: JobTask, job_id: int, handler_class: type[JobHandler]) -> JobHandler | None:
    """Claim a queued job, or take over a running one whose worker died (silent for
    ``job_stale_after_s``), and begin its handler; None if the job is gone, has ended or is
    alive elsewhere."""
    settings = task.runtime.settings
    stale_before = utcnow() - timedelta(seconds=settings.job_stale_after_s)
    with session_scope(task.runtime.engine) as session:
        job = claim_job(
            session,
            job_id,
            hostname=task.request.hostname or "",
            celery_task_id=task.request.id,
            stale_before=stale_before,
        )
        if job is None:
            return None
        handler = handler_class(task, job)
        handler.begin(session)
        return handler


def _requeue_for_retry(task: JobTask, job_id: int) -> None:
    """Put the job back in the queue, so that Celery's retry of this message can claim it.
    If the database is what failed, the job stays running until it goes stale; a later retry
    (the backoff grows to minutes) or the reaper then takes it over."""
    try:
        with session_scope(task.runtime.engine) as session:
            requeue_job(session, job_id)
    except TRANSIENT_ERRORS:
        logger.warning("could not requeue job %s for its retry", job_id, exc_info=True)


def _fail(handler: JobHandler, reason: str) -> None:
    try:
        handler.cleanup(reason)
    finally:
        with session_scope(handler.runtime.engine) as session:
            fail_job(session, handler.job_id, reason)
