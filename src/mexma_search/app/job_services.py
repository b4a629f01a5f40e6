"""Job operations of :class:`~mexma_search.app.services.Services`: listing, reading,
cancelling and waiting for background jobs, and what the workers are doing.

Jobs are identified by their row id and read from the database; nothing about the job queue
leaks out.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from mexma_search import store as db
from mexma_search.app.access import Caller, Role
from mexma_search.app.caller_checks import check_write
from mexma_search.app.service_base import ServiceBase
from mexma_search.app.views import BusyWorker, JobInfo, WorkerStatus
from mexma_search.store import DocumentStatus, JobKind, JobStatus, read_scope, session_scope
from mexma_search.store.types import utcnow

POLL_SECONDS = 0.2

JobsProgress = Callable[[Sequence[JobInfo]], None]


class JobServices(ServiceBase):
    """The background jobs, as the caller may see them."""

    def list_jobs(
        self,
        kind: str | None = None,
        status: str | None = None,
        limit: int = 50,
        *,
        caller: Caller | None = None,
    ) -> list[JobInfo]:
        """The newest ``limit`` jobs (with ``caller``, of those it may see: see
        :meth:`visible_job`), newest first."""
        kind_filter = JobKind(kind) if kind else None
        status_filter = JobStatus(status) if status else None
        visible: list[JobInfo] = []
        with read_scope(self.runtime.engine) as session:
            for offset in itertools.count(0, limit):
                rows = db.list_jobs(
                    session, kind=kind_filter, status=status_filter, limit=limit, offset=offset
                )
                jobs = (JobInfo.from_row(row) for row in rows)
                visible += [job for job in jobs if caller is None or may_see_job(caller, job)]
                if len(visible) >= limit or len(rows) < limit:
                    break
        return visible[:limit]

    def get_job(self, job_id: int) -> JobInfo | None:
        """One job, or None."""
        with read_scope(self.runtime.engine) as session:
            job = db.get_job(session, job_id)
            return JobInfo.from_row(job) if job else None

    def visible_job(self, job_id: int, *, caller: Caller) -> JobInfo | None:
        """One job if ``caller`` may see it (admins every job, others the uploads into the
        collections they may read or write), else None."""
        job = self.get_job(job_id)
        return job if job is not None and may_see_job(caller, job) else None

    def worker_status(self) -> WorkerStatus:
        """Jobs waiting by kind, and which worker runs which job (with its heartbeat age)."""
        now = utcnow()
        with read_scope(self.runtime.engine) as session:
            jobs = db.unfinished_jobs(session)
            queued = Counter(str(job.kind) for job in jobs if job.status == JobStatus.QUEUED)
            busy = [
                BusyWorker(
                    worker=job.worker_hostname or "?",
                    job_id=job.id,
                    kind=str(job.kind),
                    stage=job.stage,
                    silent_s=(now - job.heartbeat_at).total_seconds() if job.heartbeat_at else 0.0,
                )
                for job in jobs
                if job.status == JobStatus.RUNNING
            ]
        return WorkerStatus(
            mode=self.settings.mode,
            queued=dict(queued),
            busy=busy,
            stale_after_s=self.settings.job_stale_after_s,
        )

    def cancel_job(self, job_id: int, *, caller: Caller | None = None) -> bool:
        """Ask a job to stop (a queued one stops at once); False if it had already ended."""
        with session_scope(self.runtime.engine) as session:
            job = db.get_job(session, job_id)
            if job is not None and "collection" in job.parameters:
                check_write(caller, job.parameters["collection"])
            if not db.request_cancel(session, job_id):
                return False
            job = db.get_job(session, job_id)
            assert job is not None
            document_id = job.parameters.get("document_id")
            if job.status == JobStatus.CANCELLED and document_id is not None:
                db.set_document_status(
                    session, document_id, DocumentStatus.FAILED, error="cancelled"
                )
        return True

    def wait_for_job(self, job_id: int, timeout: float | None = None) -> JobInfo:
        """Block until the job has ended; TimeoutError after ``timeout`` seconds."""
        return self.wait_for_jobs([job_id], timeout)[0]

    def wait_for_jobs(
        self,
        job_ids: Sequence[int],
        timeout: float | None = None,
        progress: JobsProgress | None = None,
    ) -> list[JobInfo]:
        """Block until all jobs have ended, calling ``progress`` with their state as it
        changes; TimeoutError after ``timeout`` seconds. KeyError for an unknown id."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            jobs = self._require_jobs(job_ids)
            if progress is not None:
                progress(jobs)
            if all(job.finished for job in jobs):
                return jobs
            if deadline is not None and time.monotonic() > deadline:
                pending = [job.id for job in jobs if not job.finished]
                raise TimeoutError(f"jobs {pending} still running after {timeout} s")
            time.sleep(POLL_SECONDS)

    def job_metrics(self, job_id: int, after_step: int = -1) -> list[dict[str, Any]]:
        """A job's per-step values with ``step > after_step`` in step order, each
        ``{"step": n, name: value, ...}`` (for live charts: poll with the last step seen)."""
        with read_scope(self.runtime.engine) as session:
            rows = db.job_metrics(session, job_id, after_step=after_step)
            return [{"step": row.step, **row.values} for row in rows]

    def _require_jobs(self, job_ids: Sequence[int]) -> list[JobInfo]:
        """The jobs, in the order given, from one read; KeyError names a missing one."""
        with read_scope(self.runtime.engine) as session:
            rows = db.get_jobs(session, job_ids)
            missing = [job_id for job_id in job_ids if job_id not in rows]
            if missing:
                raise KeyError(f"no job {missing[0]}")
            return [JobInfo.from_row(rows[job_id]) for job_id in job_ids]


def may_see_job(caller: Caller, job: JobInfo) -> bool:
    """Admins see every job, others the uploads into collections they may read or write."""
    if caller.role is Role.ADMIN:
        return True
    collection = job.parameters.get("collection")
    return isinstance(collection, str) and (
        caller.may_read(collection) or caller.may_write(collection)
    )
