"""Embedded mode's job queue: worker threads in this process that claim jobs from the table.

No broker: the jobs table is the queue. Each queue (ingest, embed, train) gets a thread of its
own, so that a training run of hours never holds up ingestion, and documents are parsed while
the encoder works (the embed step then finds many waiting to be encoded together, as GPU
workers do in distributed mode). A thread runs the oldest queued job of its queue, one at a
time; :meth:`InProcessJobQueue.enqueue` hands it a job to run first (a queued one, or a
running one whose worker went silent, which it takes over), and it also looks every ``POLL_S``
seconds, so jobs queued by another process (``mexma-search ingest`` in another shell) are
picked up too.

At start, jobs a previous process left running are queued again: their worker is gone. Every
step is idempotent and claims its job in one conditional UPDATE, so two processes never run
the same job.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import threading
from collections import deque
from collections.abc import Iterator
from types import TracebackType

from threadpoolctl import threadpool_limits

from mexma_search.app.queues import QUEUES, Step, step_for
from mexma_search.app.runtime import Runtime
from mexma_search.app.services import Services
from mexma_search.jobs.handler import TRANSIENT_ERRORS, WorkerIdentity, execute
from mexma_search.jobs.registry import HANDLERS
from mexma_search.store import (
    JobStatus,
    queued_jobs,
    read_scope,
    requeue_job,
    session_scope,
    unfinished_jobs,
)

logger = logging.getLogger(__name__)

STOP_TIMEOUT_S = 60.0
POLL_S = 2.0
RETRY_FIRST_S = 1.0
RETRY_MAX_S = 60.0
# While the worker threads run, the encoder shares the cores with the parsing thread: a short
# GIL switch interval gives the encoding thread the GIL back between torch operations, and one
# BLAS thread keeps numpy (language identification) from spinning on the encoder's cores.
SWITCH_INTERVAL_S = 0.0005
BLAS_THREADS = 1


class InProcessJobQueue:
    """The :class:`~mexma_search.app.job_queue.JobQueue` of embedded mode: hands the job to the
    worker thread of the step's queue and wakes it."""

    def __init__(self) -> None:
        self._wake = {queue: threading.Event() for queue in QUEUES}
        self._asked: dict[str, deque[tuple[int, Step]]] = {queue: deque() for queue in QUEUES}

    def enqueue(self, job_id: int, step: Step) -> None:
        self._asked[step.queue].append((job_id, step))
        self._wake[step.queue].set()

    def waker(self, queue: str) -> threading.Event:
        """The event that wakes the thread of ``queue``."""
        return self._wake[queue]

    def take_asked(self, queue: str) -> list[tuple[int, Step]]:
        """The jobs enqueued for ``queue`` since the last call, oldest first."""
        asked = self._asked[queue]
        taken = []
        while asked:
            taken.append(asked.popleft())
        return taken


class InProcessWorker:
    """Worker threads for ``services``, one per queue, each running one job at a time; use as a
    context manager. ``services`` must have been opened with an :class:`InProcessJobQueue`."""

    def __init__(self, services: Services, *, queues: tuple[str, ...] = QUEUES) -> None:
        if not isinstance(services.queue, InProcessJobQueue):
            raise TypeError("an in-process worker needs services with an InProcessJobQueue")
        self.runtime: Runtime = services.runtime
        self.queue: InProcessJobQueue = services.queue
        self.queues = queues
        self._threads: list[threading.Thread] = []
        self._cpu_sharing = contextlib.ExitStack()

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def start(self) -> list[int]:
        """Start the threads; the ids of the unfinished jobs they will resume or start."""
        if self.running:
            raise RuntimeError("the in-process worker is already running")
        self.runtime.stopping.clear()
        waiting = requeue_orphaned_jobs(self.runtime)
        self._cpu_sharing.enter_context(sharing_the_cpu_with_the_encoder())
        self._threads = [
            threading.Thread(
                target=self._work, args=(queue,), name=f"mexma-worker-{queue}", daemon=True
            )
            for queue in self.queues
        ]
        for thread in self._threads:
            thread.start()
        return waiting

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Stop after the current batch of each running job (which resumes at the next start)."""
        if not self._threads:
            return
        self.runtime.stopping.set()
        for queue in self.queues:
            self.queue.waker(queue).set()
        for thread in self._threads:
            thread.join(timeout)
            if thread.is_alive():
                logger.warning("thread %s did not stop within %.0f s", thread.name, timeout)
        self._threads = []
        self._cpu_sharing.close()

    def _work(self, queue: str) -> None:
        worker = WorkerIdentity(f"inprocess-{queue}@{socket.gethostname()}")
        wake = self.queue.waker(queue)
        failures = 0
        while not self.runtime.stopping.is_set():
            wake.clear()
            try:
                ran = self._run_next(queue, worker)
                failures = 0
            except TRANSIENT_ERRORS:
                failures += 1
                delay = retry_delay_s(failures)
                logger.warning("queue %s: transient error, retrying in %.1f s", queue, delay)
                self.runtime.stopping.wait(delay)
                continue
            except Exception:
                logger.exception("queue %s: could not run a job", queue)
                ran = False
            if not ran:
                wake.wait(POLL_S)

    def _run_next(self, queue: str, worker: WorkerIdentity) -> bool:
        """Run the jobs enqueued for ``queue``, or else the oldest queued job of ``queue`` that
        this thread can claim; False if it ran none."""
        asked = self.queue.take_asked(queue)
        if asked:
            ran = [self._run(job_id, step, worker) for job_id, step in asked]
            return any(ran)
        with read_scope(self.runtime.engine) as session:
            candidates = [
                (job_id, step)
                for job_id, kind, stage in queued_jobs(session)
                if (step := step_for(kind, stage)) is not None and step.queue == queue
            ]
        return any(self._run(job_id, step, worker) for job_id, step in candidates)

    def _run(self, job_id: int, step: Step, worker: WorkerIdentity) -> bool:
        if self.runtime.stopping.is_set():
            return False
        return execute(self.runtime, self.queue, job_id, HANDLERS[step], worker)

    def __enter__(self) -> InProcessWorker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def retry_delay_s(failures: int) -> float:
    """The wait before retrying after ``failures`` transient errors in a row: doubling from
    ``RETRY_FIRST_S`` up to ``RETRY_MAX_S``."""
    return float(min(RETRY_FIRST_S * 2 ** (failures - 1), RETRY_MAX_S))


@contextlib.contextmanager
def sharing_the_cpu_with_the_encoder() -> Iterator[None]:
    """A shorter GIL switch interval and one BLAS thread while the block runs (see
    ``SWITCH_INTERVAL_S``), restored after it."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(min(previous, SWITCH_INTERVAL_S))
    try:
        with threadpool_limits(limits=BLAS_THREADS, user_api="blas"):
            yield
    finally:
        sys.setswitchinterval(previous)


def requeue_orphaned_jobs(runtime: Runtime) -> list[int]:
    """Put the jobs still marked running back in the queue (at start, their worker is gone);
    the ids of every unfinished job, oldest first."""
    with session_scope(runtime.engine) as session:
        unfinished = unfinished_jobs(session)
        for job in unfinished:
            if job.status == JobStatus.RUNNING:
                requeue_job(session, job.id)
        return [job.id for job in unfinished]
