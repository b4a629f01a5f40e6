"""Distributed mode: a real Celery worker on a real Redis broker, on SQLite and PostgreSQL.

One test class runs the worker in a thread of the test process; one test runs the
``mexma-search worker`` command as a separate process, as a deployment would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from worker.embedded import EmbeddedWorker
from worker.index import LIVE_ALIAS
from worker.services import Services
from worker.settings import Settings

pytestmark = pytest.mark.filterwarnings("ignore:Failed to obtain server version:UserWarning")

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
FILES = [DOCS / "river.tmx", DOCS / "bakery_es.html", DOCS / "broken.pdf"]
TIMEOUT = 90


class TestWorkerThreadOnRedis:
    @pytest.fixture
    def services(
        self, make_settings: Callable[..., Settings], redis_url: str, database_url: str
    ) -> Iterator[Services]:
        settings = make_settings(mode="distributed", redis_url=redis_url, database_url=database_url)
        services = Services.from_settings(settings)
        with EmbeddedWorker(services.app, adopt_jobs=False):
            yield services
        services.runtime.close()

    def test_ingest_search_duplicate_and_delete(self, services: Services) -> None:
        assert services.app.conf.broker_url.startswith("redis://")
        jobs = services.wait_for_jobs(services.ingest_paths(FILES, "tm"), TIMEOUT)
        assert [job.status for job in jobs] == ["succeeded", "succeeded", "failed"]
        assert "broken.pdf" in (jobs[2].error or "")
        chunks = jobs[0].metrics["chunks"] + jobs[1].metrics["chunks"]
        assert services.runtime.index.count(LIVE_ALIAS) == chunks
        assert services.search("river", k=2, collection="tm")
        duplicate = services.wait_for_job(services.ingest_paths([FILES[0]], "tm")[0])
        assert "duplicate of document" in (duplicate.message or "")
        assert services.delete_document(jobs[0].metrics["document_id"])
        assert services.runtime.index.count(LIVE_ALIAS) == jobs[1].metrics["chunks"]


def test_the_worker_command_runs_jobs_in_its_own_process(
    make_settings: Callable[..., Settings], redis_url: str, tmp_path: Path
) -> None:
    # a local index directory can be opened by one process: the worker's, until it stops
    settings = make_settings(
        mode="distributed", redis_url=redis_url, qdrant_location=str(tmp_path / "qdrant")
    )
    env = {
        **os.environ,
        "MEXMA_MODE": "distributed",
        "MEXMA_REDIS_URL": redis_url,
        "MEXMA_DATA_DIR": str(settings.data_dir),
        "MEXMA_QDRANT_LOCATION": str(settings.qdrant_location),
        "MEXMA_DEFAULT_MODEL": settings.default_model,
        "MEXMA_DEVICE": "cpu",
        "MEXMA_CPU_THREADS": "1",
    }
    services = Services.from_settings(settings)
    job_ids = services.ingest_paths(FILES[:2])
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from worker.cli import main; main()",
            "worker",
            "--loglevel=WARNING",
        ],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        jobs = services.wait_for_jobs(job_ids, TIMEOUT)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    assert [job.status for job in jobs] == ["succeeded", "succeeded"]
    chunks = sum(job.metrics["chunks"] for job in jobs)
    try:
        assert services.runtime.index.count(LIVE_ALIAS) == chunks
        assert {r.document for r in services.search("pan", k=chunks)} == {
            "river.tmx",
            "bakery_es.html",
        }
    finally:
        services.runtime.close()
