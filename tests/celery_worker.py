"""Celery workers for tests of distributed mode: in a thread of the test process, or as a
``mexma-search worker`` process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from celery.worker import WorkController

from mexma_search.app.queues import QUEUES
from mexma_search.app.settings import Settings
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


def worker_env(settings: Settings) -> dict[str, str]:
    """The environment of a ``mexma-search worker`` process with ``settings``."""
    return {
        **os.environ,
        "MEXMA_MODE": "distributed",
        "MEXMA_REDIS_URL": str(settings.redis_url),
        "MEXMA_DATA_DIR": str(settings.data_dir),
        "MEXMA_DATABASE_URL": str(settings.database_url),
        "MEXMA_QDRANT_LOCATION": str(settings.qdrant_location),
        "MEXMA_DEFAULT_MODEL": settings.default_model,
        "MEXMA_DEVICE": "cpu",
        "MEXMA_CPU_THREADS": "1",
        "MEXMA_ENCODE_BATCH_SIZE": str(settings.encode_batch_size),
        "MEXMA_EMBED_GATHER_CHUNKS": str(settings.embed_gather_chunks),
        "MEXMA_CHUNK_MAX_TOKENS": str(settings.chunk_max_tokens),
        "MEXMA_CELERY_VISIBILITY_TIMEOUT": str(settings.celery_visibility_timeout),
        "MEXMA_JOB_HEARTBEAT_S": str(settings.job_heartbeat_s),
        "MEXMA_JOB_STALE_AFTER_S": str(settings.job_stale_after_s),
    }


def start_worker(settings: Settings, queues: str = "ingest,embed") -> subprocess.Popen[bytes]:
    """``mexma-search worker --queues QUEUES`` as a separate process, as a deployment runs it."""
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from mexma_search.cli import main; main()",
            "worker",
            f"--queues={queues}",
            "--loglevel=WARNING",
        ],
        env=worker_env(settings),
    )


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    """Warm shutdown (SIGTERM); the worker must exit cleanly."""
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0
