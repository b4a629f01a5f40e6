"""A Celery worker running in a thread of this process: the engine of embedded mode.

Embedded mode needs no Redis: the app's in-process broker (``memory://``) carries messages
between the services and this thread. Those messages die with the process, so the job rows
are what counts: at start, jobs a previous process left running are queued again, and while it
runs the worker adopts every queued job no message of this process carries (left by a previous
run, or queued by a CLI command in another process). Tasks are idempotent, so this is safe.
The same class also runs a worker thread against Redis (``adopt_jobs=False``), as tests do.

With the in-process broker, each queue gets a worker thread of its own: training, so that a
run of hours never holds up ingestion; and parsing apart from embedding, so that documents are
parsed while the encoder works and the embed task finds many waiting to be encoded together
(as GPU workers do in distributed mode). Celery selects a worker's queues on its app, so each
extra thread consumes through a sibling app that shares this app's runtime (database, index,
encoders) and broker.
Against Redis one thread takes every queue (Celery's event loop is one per process); there,
``mexma-search worker`` processes are meant to run the train queue.

Qdrant's local storage can be opened by one process only, so while an embedded app runs, CLI
commands that need the index (search, ingest --wait, document deletion, promote --wait) fail
with a clear message; queueing files (ingest without --wait) and reading jobs and documents
work, since they only touch the database.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import threading
from collections.abc import Iterator
from types import TracebackType
from typing import TYPE_CHECKING

from celery.worker import WorkController
from threadpoolctl import threadpool_limits

from mexma_search.app.queues import QUEUES, TASK_FOR_KIND
from mexma_search.jobs.celery import MexmaCelery, create_celery_app, enqueue_job
from mexma_search.store import (
    JobStatus,
    queued_jobs,
    read_scope,
    requeue_job,
    session_scope,
    unfinished_jobs,
)

if TYPE_CHECKING:
    from mexma_search.app.services import Services

logger = logging.getLogger(__name__)

STOP_TIMEOUT_S = 60.0
ADOPT_INTERVAL_S = 2.0
# While the worker threads run, the encoder shares the cores with the parsing thread:
# - the encoding thread needs the GIL back between every torch operation, and the default
#   5 ms switch interval can make it wait that long each time the parser holds it;
# - numpy's OpenBLAS (language identification calls it per document) wakes a thread per core
#   that then spins, taking CPU time from torch's own threads.
# Measured (bench/ingest_throughput.py, 1,500 chunks, 2 cores; runs of the same code vary by
# up to 10 %): the pipeline took 127 s with neither setting, 117 s with the short interval,
# 113-121 s with both.
SWITCH_INTERVAL_S = 0.0005
BLAS_THREADS = 1


class EmbeddedWorker:
    """In-process worker threads for ``app``, each running one task at a time: one per queue
    (see :meth:`_lanes`); use as a context manager.

    With ``adopt_jobs`` (for the in-process broker), it resumes jobs left by a previous
    process and picks up jobs queued by other processes every ``ADOPT_INTERVAL_S``.
    """

    def __init__(
        self, app: MexmaCelery, *, queues: tuple[str, ...] = QUEUES, adopt_jobs: bool = True
    ) -> None:
        self.app = app
        self.queues = queues
        self.adopt_jobs = adopt_jobs
        self._controllers: list[WorkController] = []
        self._siblings: list[MexmaCelery] = []
        self._threads: list[threading.Thread] = []
        self._stopped = threading.Event()
        self._cpu_sharing = contextlib.ExitStack()

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
        self._cpu_sharing.enter_context(sharing_the_cpu_with_the_encoder())
        self._stopped.clear()
        lanes = self._lanes()
        self._siblings = [
            create_celery_app(self.app.runtime.settings, self.app.runtime) for _ in lanes[1:]
        ]
        # this app's controller last: setting one up makes its app the process default
        apps = [*self._siblings, self.app]
        self._controllers = [_controller(a, lane) for a, lane in zip(apps, lanes, strict=True)]
        for sibling in self._siblings:
            # Celery's fast path runs the tasks of the app set up last: trace a sibling's
            # tasks through the thread's own app instead
            sibling.use_fast_trace_task = False  # type: ignore[attr-defined]  # not in the stubs
        self._threads = [
            threading.Thread(
                target=self._work,
                args=(controller,),
                name=f"mexma-worker-{'-'.join(lane)}",
                daemon=True,
            )
            for controller, lane in zip(self._controllers, lanes, strict=True)
        ]
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

    def _lanes(self) -> list[tuple[str, ...]]:
        """The queues of each worker thread. Celery runs one event loop per process for
        asynchronous brokers (Redis), so there a single thread takes every queue."""
        with self.app.connection_for_write() as connection:
            asynchronous = connection.transport.implements.asynchronous
        return [self.queues] if asynchronous else queue_lanes(self.queues)

    @staticmethod
    def _work(controller: WorkController) -> None:
        # Celery finds the app of a running task through a thread-local "current app"
        controller.app.set_current()
        controller.start()

    def _adopt(self) -> None:
        while not self._stopped.wait(ADOPT_INTERVAL_S):
            try:
                adopt_queued_jobs(self.app)
            except Exception:
                logger.exception("could not look for queued jobs")

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Stop after the current batch of the running job (which resumes at the next start)."""
        if not self._controllers:
            return
        self._stopped.set()
        self.app.runtime.stopping.set()
        for controller in self._controllers:
            controller.stop(in_sighandler=False)
        for thread in self._threads:
            thread.join(timeout)
            if thread.is_alive():
                logger.warning("thread %s did not stop within %.0f s", thread.name, timeout)
        for sibling in self._siblings:
            sibling.close()
        self._controllers = []
        self._siblings = []
        self._threads = []
        self._cpu_sharing.close()

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


def queue_lanes(queues: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The queues of each worker thread: one thread per queue."""
    return [(queue,) for queue in queues]


def _controller(app: MexmaCelery, queues: tuple[str, ...]) -> WorkController:
    return WorkController(
        app=app,
        hostname=f"embedded-{'-'.join(queues)}@{socket.gethostname()}",
        pool_cls="solo",
        concurrency=1,
        queues=list(queues),
        without_heartbeat=True,
        without_mingle=True,
        without_gossip=True,
    )


def purge_queues(app: MexmaCelery, queues: tuple[str, ...]) -> None:
    """Drop the messages waiting in ``queues`` and forget which jobs were sent."""
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        for queue in queues:
            # kombu's stubs type the channel as StdChannel, which lacks the transports' purge
            channel.queue_purge(queue)  # type: ignore[attr-defined]
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
    with read_scope(app.runtime.engine) as session:
        queued = [
            (job_id, kind)
            for job_id, kind in queued_jobs(session)
            if kind in TASK_FOR_KIND and job_id not in app.sent_jobs
        ]
    for job_id, kind in queued:
        enqueue_job(app, job_id, kind)
    return [job_id for job_id, _ in queued]


def in_process_worker(services: Services) -> EmbeddedWorker | None:
    """The worker thread ``serve`` runs, or None in distributed mode: there the jobs go
    through Redis to separate ``mexma-search worker`` processes."""
    settings = services.settings
    if settings.mode == "distributed":
        return None
    return EmbeddedWorker(services.app, adopt_jobs=settings.redis_url is None)
