"""Jobs: creation, claiming, progress, cancellation, completion and per-step metrics.

State changes are single conditional UPDATEs, so two workers (or a re-delivered task) racing on
the same job cannot both claim it, and a finished job is never reopened. Functions take a session
and never commit.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mexma_search.store.tables import (
    ACTIVE_JOB_STATUSES,
    Job,
    JobKind,
    JobMetric,
    JobStatus,
    table_of,
)
from mexma_search.store.types import utcnow


def create_job(
    session: Session,
    kind: JobKind,
    *,
    parameters: Mapping[str, Any] | None = None,
    total: int | None = None,
) -> Job:
    """A new queued job (flushed, so its id is set)."""
    job = Job(kind=kind, parameters=dict(parameters or {}), total=total)
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, job_id: int) -> Job | None:
    """The job with this id, or None."""
    return session.get(Job, job_id)


def get_jobs(session: Session, job_ids: Sequence[int]) -> dict[int, Job]:
    """The jobs with these ids that exist, by id (one query per 500 ids)."""
    found: dict[int, Job] = {}
    unique = sorted(set(job_ids))
    for start in range(0, len(unique), 500):
        query = select(Job).where(Job.id.in_(unique[start : start + 500]))
        found.update((job.id, job) for job in session.scalars(query))
    return found


def list_jobs(
    session: Session,
    *,
    kind: JobKind | None = None,
    status: JobStatus | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Job]:
    """Jobs, newest first (``limit`` of them after skipping ``offset``)."""
    query = select(Job).order_by(Job.created_at.desc(), Job.id.desc()).limit(limit).offset(offset)
    if kind is not None:
        query = query.where(Job.kind == kind)
    if status is not None:
        query = query.where(Job.status == status)
    return list(session.scalars(query))


def unfinished_jobs(session: Session) -> list[Job]:
    """Jobs still queued or running, oldest first: what a restarted worker must resume."""
    query = select(Job).where(Job.status.in_(ACTIVE_JOB_STATUSES)).order_by(Job.id)
    return list(session.scalars(query))


def queued_jobs(session: Session) -> list[tuple[int, JobKind, str | None]]:
    """The ``(id, kind, stage)`` of the queued jobs, oldest first (a light query, polled
    often)."""
    query = (
        select(Job.id, Job.kind, Job.stage).where(Job.status == JobStatus.QUEUED).order_by(Job.id)
    )
    return [(job_id, kind, stage) for job_id, kind, stage in session.execute(query)]


def _set(session: Session, job_id: int, when: ColumnElement[bool], **values: Any) -> bool:
    statement = update(Job).where(Job.id == job_id, when).values(**values)
    result = cast("CursorResult[Any]", session.execute(statement))
    return bool(result.rowcount)


def claim_job(
    session: Session,
    job_id: int,
    *,
    hostname: str,
    celery_task_id: str | None = None,
    stale_before: datetime | None = None,
) -> Job | None:
    """Mark a queued job running on this worker and return it (one statement); None if it is
    not queued (or was cancelled).

    With ``stale_before``, a running job whose last heartbeat is older is taken over too (its
    worker died); a running job with a fresh heartbeat never is, so a duplicate message for a
    live job does nothing.
    """
    claimable = Job.status == JobStatus.QUEUED
    if stale_before is not None:
        claimable = claimable | ((Job.status == JobStatus.RUNNING) & _stale(stale_before))
    statement = (
        update(Job)
        .where(Job.id == job_id, claimable, Job.cancel_requested.is_(False))
        .values(**_running_on(hostname, celery_task_id))
        .returning(Job)
    )
    return session.scalars(statement).one_or_none()


def touch_jobs(session: Session, job_ids: Collection[int]) -> int:
    """Record a heartbeat of these jobs (one UPDATE); how many of them are still running."""
    if not job_ids:
        return 0
    statement = (
        update(Job)
        .where(Job.id.in_(list(job_ids)), Job.status == JobStatus.RUNNING)
        .values(heartbeat_at=utcnow())
    )
    result = cast("CursorResult[Any]", session.execute(statement))
    return result.rowcount


def waiting_jobs(session: Session, kind: JobKind, stage: str, limit: int) -> list[tuple[int, int]]:
    """The ``(id, total)`` of up to ``limit`` queued jobs of ``kind`` whose stage is
    ``stage``, oldest first (the embed task gathers documents waiting for the encoder so)."""
    query = (
        select(Job.id, func.coalesce(Job.total, 0))
        .where(
            Job.status == JobStatus.QUEUED,
            Job.kind == kind,
            Job.stage == stage,
            Job.cancel_requested.is_(False),
        )
        .order_by(Job.created_at, Job.id)
        .limit(limit)
    )
    return [(job_id, total) for job_id, total in session.execute(query)]


def claim_jobs(
    session: Session, job_ids: Collection[int], *, hostname: str, celery_task_id: str | None
) -> set[int]:
    """Mark those of these jobs that are queued (and not cancelled) running on this worker,
    in one statement; their ids."""
    if not job_ids:
        return set()
    statement = (
        update(Job)
        .where(
            Job.id.in_(list(job_ids)),
            Job.status == JobStatus.QUEUED,
            Job.cancel_requested.is_(False),
        )
        .values(**_running_on(hostname, celery_task_id))
        .returning(Job.id)
        .execution_options(synchronize_session=False)
    )
    return set(session.scalars(statement))


def _running_on(hostname: str, celery_task_id: str | None) -> dict[str, Any]:
    """The values of a job claimed by this worker."""
    now = utcnow()
    return {
        "status": JobStatus.RUNNING,
        "started_at": now,
        "heartbeat_at": now,
        "worker_hostname": hostname,
        "celery_task_id": celery_task_id,
    }


def stale_job_ids(session: Session, stale_before: datetime) -> list[int]:
    """The running jobs whose last heartbeat is older than ``stale_before`` (their worker died)."""
    running_stale = (Job.status == JobStatus.RUNNING) & _stale(stale_before)
    return list(session.scalars(select(Job.id).where(running_stale).order_by(Job.id)))


def requeue_stale_jobs(
    session: Session, stale_before: datetime
) -> list[tuple[int, JobKind, str | None]]:
    """Put back in the queue the running jobs whose last heartbeat is older than
    ``stale_before`` (their worker died); the ``(id, kind, stage)`` of those this call
    requeued."""
    when = (Job.status == JobStatus.RUNNING) & _stale(stale_before)
    candidates = session.execute(select(Job.id, Job.kind, Job.stage).where(when)).all()
    return [
        (job_id, kind, stage)
        for job_id, kind, stage in candidates
        if _set(session, job_id, when, status=JobStatus.QUEUED)
    ]


def _stale(stale_before: datetime) -> ColumnElement[bool]:
    return Job.heartbeat_at.is_(None) | (Job.heartbeat_at < stale_before)


def requeue_job(session: Session, job_id: int) -> bool:
    """Put a running job back in the queue (its worker died or is stopping, or its task
    hands it to the next one); False if it was not running."""
    return _set(session, job_id, Job.status == JobStatus.RUNNING, status=JobStatus.QUEUED)


def update_progress(
    session: Session,
    job_id: int,
    *,
    stage: str | None = None,
    done: int | None = None,
    total: int | None = None,
    message: str | None = None,
    eta_seconds: float | None = None,
    requeue: bool = False,
) -> bool:
    """Record progress of a running job (fields left None keep their value) and a heartbeat;
    with ``requeue`` the job also goes back to the queue, as :func:`requeue_job` does.

    Returns True when cancellation has been requested, so a task can stop at this point.
    """
    changes = {
        "stage": stage,
        "done": done,
        "total": total,
        "message": message,
        "eta_seconds": eta_seconds,
        "status": JobStatus.QUEUED if requeue else None,
    }
    jobs = table_of(Job)  # a table statement: no loaded job to refresh, on a hot path
    statement = (
        update(jobs)
        .where(jobs.c.id == job_id, jobs.c.status == JobStatus.RUNNING)
        .values(heartbeat_at=utcnow(), **{k: v for k, v in changes.items() if v is not None})
        .returning(jobs.c.cancel_requested)
    )
    return bool(session.scalar(statement))


def record_done(session: Session, done_by_job: Mapping[int, int]) -> set[int]:
    """Record the done count of several running jobs and a heartbeat (one executemany); the
    ids of those whose cancellation has been requested."""
    if not done_by_job:
        return set()
    jobs = table_of(Job)
    statement = (
        update(jobs)
        .where(jobs.c.id == bindparam("job_id"), jobs.c.status == JobStatus.RUNNING)
        .values(done=bindparam("done_count"), heartbeat_at=utcnow())
    )
    session.execute(statement, [{"job_id": i, "done_count": n} for i, n in done_by_job.items()])
    cancelled = select(Job.id).where(Job.id.in_(list(done_by_job)), Job.cancel_requested)
    return set(session.scalars(cancelled))


def request_cancel(session: Session, job_id: int) -> bool:
    """Ask a job to stop; a queued job is cancelled at once. False if it had already ended."""
    if _set(
        session,
        job_id,
        Job.status == JobStatus.QUEUED,
        status=JobStatus.CANCELLED,
        cancel_requested=True,
        finished_at=utcnow(),
    ):
        return True
    return _set(session, job_id, Job.status == JobStatus.RUNNING, cancel_requested=True)


def finish_job(
    session: Session,
    job_id: int,
    *,
    status: JobStatus = JobStatus.SUCCEEDED,
    message: str | None = None,
    metrics: Mapping[str, Any] | None = None,
) -> bool:
    """End a running job as succeeded or cancelled, with an optional summary of metrics."""
    if status not in (JobStatus.SUCCEEDED, JobStatus.CANCELLED):
        raise ValueError(f"finish_job ends a job as succeeded or cancelled, not {status}")
    values: dict[str, Any] = {"status": status, "finished_at": utcnow()}
    if message is not None:
        values["message"] = message
    if metrics is not None:
        values["metrics"] = dict(metrics)
    return _set(session, job_id, Job.status == JobStatus.RUNNING, **values)


def finish_jobs(session: Session, outcomes: Mapping[int, tuple[str, Mapping[str, Any]]]) -> None:
    """End several running jobs as succeeded, each with its ``(message, metrics)`` (one
    executemany; a job no longer running is left as it is)."""
    if not outcomes:
        return
    jobs = table_of(Job)
    statement = (
        update(jobs)
        .where(jobs.c.id == bindparam("job_id"), jobs.c.status == JobStatus.RUNNING)
        .values(
            status=JobStatus.SUCCEEDED,
            finished_at=utcnow(),
            message=bindparam("summary"),
            metrics=bindparam("summary_metrics"),
        )
    )
    session.execute(
        statement,
        [
            {"job_id": i, "summary": message, "summary_metrics": dict(metrics)}
            for i, (message, metrics) in outcomes.items()
        ],
    )


def fail_job(session: Session, job_id: int, error: str) -> bool:
    """End a queued or running job as failed with ``error``; False if it had already ended."""
    return _set(
        session,
        job_id,
        Job.status.in_(ACTIVE_JOB_STATUSES),
        status=JobStatus.FAILED,
        error=error,
        finished_at=utcnow(),
    )


def record_metrics(session: Session, job_id: int, step: int, values: Mapping[str, float]) -> None:
    """Store metric values for a step, merged with any already stored for that step."""
    existing = session.scalar(
        select(JobMetric).where(JobMetric.job_id == job_id, JobMetric.step == step)
    )
    if existing is not None:
        existing.values = {**existing.values, **values}
        return
    try:
        with session.begin_nested():
            session.add(JobMetric(job_id=job_id, step=step, values=dict(values)))
    except IntegrityError:
        # a re-delivered task wrote the same step concurrently
        record_metrics(session, job_id, step, values)


def job_metrics(session: Session, job_id: int, *, after_step: int = -1) -> list[JobMetric]:
    """A job's metric rows with ``step > after_step``, in step order (for live charts)."""
    query = (
        select(JobMetric)
        .where(JobMetric.job_id == job_id, JobMetric.step > after_step)
        .order_by(JobMetric.step)
    )
    return list(session.scalars(query))
