"""Requeue the jobs of workers that died.

A running job records a heartbeat every ``job_heartbeat_s`` (see
:func:`mexma_search.jobs.handler.heartbeat`). Each ``mexma-search worker`` process sweeps the jobs
table every ``job_heartbeat_s``: a running job silent for ``job_stale_after_s`` lost its
worker (killed, machine gone), so it goes back to ``queued`` and is enqueued again.
The requeue is one conditional UPDATE per job, so when several workers sweep at once only one
sends the message. The message Redis still holds for the dead worker comes back after the
visibility timeout and finds the job finished or alive elsewhere, so it does nothing.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from mexma_search.app.job_queue import JobQueue
from mexma_search.app.queues import step_for
from mexma_search.app.runtime import Runtime
from mexma_search.store import requeue_stale_jobs, session_scope
from mexma_search.store.types import utcnow

logger = logging.getLogger(__name__)


def requeue_dead_workers_jobs(runtime: Runtime, queue: JobQueue) -> list[int]:
    """One sweep: requeue the stale running jobs and enqueue them again; their ids."""
    stale_before = utcnow() - timedelta(seconds=runtime.settings.job_stale_after_s)
    with session_scope(runtime.engine) as session:
        requeued = requeue_stale_jobs(session, stale_before)
    for job_id, kind, stage in requeued:
        step = step_for(kind, stage)
        if step is not None:
            logger.warning("job %s lost its worker: requeued", job_id)
            queue.enqueue(job_id, step)
    return [job_id for job_id, _, _ in requeued]


class JobReaper:
    """A daemon thread that sweeps every ``job_heartbeat_s`` until :meth:`stop`."""

    def __init__(self, runtime: Runtime, queue: JobQueue) -> None:
        self.runtime = runtime
        self.queue = queue
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="job-reaper", daemon=True)

    def start(self) -> JobReaper:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        interval = self.runtime.settings.job_heartbeat_s
        while True:
            try:
                requeue_dead_workers_jobs(self.runtime, self.queue)
            except Exception:  # the database or broker is down: try again next time
                logger.warning("sweeping for dead workers' jobs failed", exc_info=True)
            if self._stop.wait(interval):
                return
