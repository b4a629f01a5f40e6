"""A Celery worker in a thread of the test process, for tests of distributed mode's queue."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from celery.worker import WorkController

from mexma_search.app.queues import QUEUES
from mexma_search.jobs.celery import MexmaCelery


@contextmanager
def celery_worker_thread(app: MexmaCelery) -> Iterator[WorkController]:
    """A solo-pool Celery worker taking every queue of ``app`` until the block ends."""
    app.finalize()
    app.set_current()
    controller = WorkController(
        app=app,
        hostname=f"test-{threading.get_ident()}@{socket.gethostname()}",
        pool_cls="solo",
        concurrency=1,
        queues=list(QUEUES),
        without_heartbeat=True,
        without_mingle=True,
        without_gossip=True,
    )

    def work() -> None:
        app.set_current()
        controller.start()

    thread = threading.Thread(target=work, name="celery-test-worker", daemon=True)
    thread.start()
    try:
        yield controller
    finally:
        app.runtime.stopping.set()
        controller.stop(in_sighandler=False)
        thread.join(60)
        app.runtime.stopping.clear()
