"""A Celery worker running in a thread of this process: the engine of embedded mode.

Embedded mode needs no Redis: the app's in-process broker (``memory://``) carries messages
between the services and this thread. Those messages die with the process, so the job rows
are what counts: at start, jobs a previous process left running are queued again, and while it
runs the worker adopts every queued job no message of this process carries (left by a previous
run, or queued by a CLI command in another process). Tasks are idempotent, so this is safe.
The same class also runs a worker thread against Redis (``adopt_jobs=False``), as tests do.

Qdrant's local storage can be opened by one process only, so while an embedded app runs, CLI
commands that need the index (search, ingest --wait, document deletion, promote --wait) fail
with a clear message; queueing files (ingest without --wait) and reading jobs and documents
work, since they only touch the database.
"""

from __future__ import annotations

import logging
import socket
import threading
from types import TracebackType

from celery.worker import WorkController

from worker.celery_app import MexmaCelery, enqueue_job
from worker.db import JobStatus, requeue_job, session_scope, unfinished_jobs
from worker.queues import QUEUES, TASK_FOR_KIND

logger = logging.getLogger(__name__)

STOP_TIMEOUT_S = 60.0
ADOPT_INTERVAL_S = 2.0


class EmbeddedWorker:
    """An in-process worker thread (one task at a time) for ``app``; use as a context manager.

    With ``adopt_jobs`` (for the in-process broker), it resumes jobs left by a previous
    process and picks up jobs queued by other processes every ``ADOPT_INTERVAL_S``.
    """

    def __init__(
        self, app: MexmaCelery, *, queues: tuple[str, ...] = QUEUES, adopt_jobs: bool = True
    ) -> None:
        self.app = app
        self.queues = queues
        self.adopt_jobs = adopt_jobs
        self._controller: WorkController | None = None
        self._threads: list[threading.Thread] = []
        self._stopped = threading.Event()

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def start(self) -> list[int]:
        """Start the worker thread; the ids of the jobs it resumed (empty without adoption)."""
        if self.running:
            raise RuntimeError("the embedded worker is already running")
        self.app.finalize()
        self.app.set_current()
        self.app.runtime.stopping.clear()
        self._stopped.clear()
        self._controller = WorkController(
            app=self.app,
            hostname=f"embedded@{socket.gethostname()}",
            pool_cls="solo",
            concurrency=1,
            queues=list(self.queues),
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
        )
        self._threads = [threading.Thread(target=self._work, name="mexma-worker", daemon=True)]
        resumed: list[int] = []
        if self.adopt_jobs:
            # The job rows are the truth: start from them, not from messages left in memory.
            purge_queues(self.app, self.queues)
            requeue_orphaned_jobs(self.app)
            resumed = adopt_queued_jobs(self.app)
            self._threads.append(
                threading.Thread(target=self._adopt, name="mexma-adopt", daemon=True)
            )
        for thread in self._threads:
            thread.start()
        return resumed

    def _work(self) -> None:
        # Celery finds the app of a running task through a thread-local "current app"
        self.app.set_current()
        assert self._controller is not None
        self._controller.start()

    def _adopt(self) -> None:
        while not self._stopped.wait(ADOPT_INTERVAL_S):
            try:
                adopt_queued_jobs(self.app)
            except Exception:
                logger.exception("could not look for queued jobs")

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Stop after the current batch of the running job (which resumes at the next start)."""
        if self._controller is None:
            return
        self._stopped.set()
        self.app.runtime.stopping.set()
        self._controller.stop(in_sighandler=False)
        for thread in self._threads:
            thread.join(timeout)
            if thread.is_alive():
                logger.warning("thread %s did not stop within %.0f s", thread.name, timeout)
        self._controller = None
        self._threads = []

    def __enter__(self) -> EmbeddedWorker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def purge_queues(app: MexmaCelery, queues: tuple[str, ...]) -> None:
    """Drop the messages waiting in ``queues`` and forget which jobs were sent."""
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        for queue in queues:
            channel.queue_purge(queue)
    app.sent_jobs.clear()


def requeue_orphaned_jobs(app: MexmaCelery) -> list[int]:
    """Put the jobs still marked running back in the queue: at start, their worker is gone."""
    with session_scope(app.runtime.engine) as session:
        running = [job.id for job in unfinished_jobs(session) if job.status == JobStatus.RUNNING]
        for job_id in running:
            requeue_job(session, job_id)
    return running


def adopt_queued_jobs(app: MexmaCelery) -> list[int]:
    """Send a message for every queued job this process has not sent one for; their ids."""
    with session_scope(app.runtime.engine) as session:
        queued = [
            (job.id, job.kind)
            for job in unfinished_jobs(session)
            if job.status == JobStatus.QUEUED
            and job.kind in TASK_FOR_KIND
            and job.id not in app.sent_jobs
        ]
    for job_id, kind in queued:
        enqueue_job(app, job_id, kind)
    return [job_id for job_id, _ in queued]
