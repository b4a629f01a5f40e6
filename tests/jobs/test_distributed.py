"""Distributed mode: a real Celery worker on a real Redis broker, on SQLite and PostgreSQL.

One test class runs the worker in a thread of the test process; the other tests run the
``mexma-search worker`` command as separate processes, as a deployment would, one of them
killing a worker in the middle of a job.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from celery_worker import celery_worker_thread, start_worker, stop_worker

from mexma_search.app.access import OPERATOR
from mexma_search.app.queues import STAGE_EMBEDDING
from mexma_search.app.services import Services
from mexma_search.app.settings import Settings
from mexma_search.app.tm_jobs import AlignmentSide
from mexma_search.app.views import JobInfo
from mexma_search.index import LIVE_ALIAS, collection_name
from mexma_search.jobs.backends import open_services
from mexma_search.jobs.celery import CeleryJobQueue
from mexma_search.store import chunks_of_documents, session_scope
from mexma_search.tm.results import ResultQuery

pytestmark = pytest.mark.filterwarnings("ignore:Failed to obtain server version:UserWarning")

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
FILES = [DOCS / "river.tmx", DOCS / "bakery_es.html", DOCS / "broken.pdf"]
TIMEOUT = 90
HEARTBEAT_S = 0.5
STALE_AFTER_S = 2.0
# ~400 passages at a 16-token budget with the tiny model's toy tokenizer
LONG_TEXT = "\n".join(
    f"Sentence {i} tells how the river passes bakery number {i % 37} before it reaches the sea."
    for i in range(100)
)


class TestWorkerThreadOnRedis:
    @pytest.fixture
    def services(
        self, make_settings: Callable[..., Settings], redis_url: str, database_url: str
    ) -> Iterator[Services]:
        settings = make_settings(mode="distributed", redis_url=redis_url, database_url=database_url)
        services = open_services(settings)
        assert isinstance(services.queue, CeleryJobQueue)
        with celery_worker_thread(services.queue.app):
            yield services
        services.runtime.close()

    def test_ingest_search_duplicate_and_delete(self, services: Services) -> None:
        assert isinstance(services.queue, CeleryJobQueue)
        assert services.queue.app.conf.broker_url.startswith("redis://")
        jobs = services.wait_for_jobs(services.ingest_paths(FILES, "tm", caller=OPERATOR), TIMEOUT)
        assert [job.status for job in jobs] == ["succeeded", "succeeded", "failed"]
        assert "broken.pdf" in (jobs[2].error or "")
        chunks = jobs[0].metrics["chunks"] + jobs[1].metrics["chunks"]
        assert services.runtime.index.count(LIVE_ALIAS) == chunks
        assert services.search("river", k=2, collection="tm", caller=OPERATOR)
        duplicate = services.wait_for_job(
            services.ingest_paths([FILES[0]], "tm", caller=OPERATOR)[0]
        )
        assert "duplicate of document" in (duplicate.message or "")
        assert services.delete_document(jobs[0].metrics["document_id"], caller=OPERATOR)
        assert services.runtime.index.count(LIVE_ALIAS) == jobs[1].metrics["chunks"]

    def test_an_alignment_job_runs_on_the_celery_worker(self, services: Services) -> None:
        copies = [DOCS / "river_en.txt"] * 2
        jobs = [
            services.wait_for_job(services.ingest_paths([path], name, caller=OPERATOR)[0], TIMEOUT)
            for path, name in zip(copies, ("left", "right"), strict=True)
        ]
        left, right = (AlignmentSide(job.parameters["document_id"]) for job in jobs)
        job = services.wait_for_job(services.tm.start_alignment(left, right), TIMEOUT)
        assert job.status == "succeeded", job
        pairs = services.tm.results(job.id, ResultQuery(page_size=1000)).pairs
        # the tiny model knows no language, but a sentence is always closest to itself
        assert pairs and all(pair.src == pair.trg for pair in pairs)


def test_the_worker_command_runs_jobs_in_its_own_process(
    make_settings: Callable[..., Settings], redis_url: str, tmp_path: Path
) -> None:
    # a local index directory can be opened by one process: the worker's, until it stops
    settings = make_settings(
        mode="distributed", redis_url=redis_url, qdrant_location=str(tmp_path / "qdrant")
    )
    services = open_services(settings)
    job_ids = services.ingest_paths(FILES[:2], caller=OPERATOR)
    process = start_worker(settings)
    try:
        jobs = services.wait_for_jobs(job_ids, TIMEOUT)
    finally:
        stop_worker(process)
    assert [job.status for job in jobs] == ["succeeded", "succeeded"]
    chunks = sum(job.metrics["chunks"] for job in jobs)
    try:
        assert services.runtime.index.count(LIVE_ALIAS) == chunks
        assert {r.document for r in services.search("pan", k=chunks, caller=OPERATOR)} == {
            "river.tmx",
            "bakery_es.html",
        }
    finally:
        services.runtime.close()


def _embedding_under_way(services: Services, job_id: int) -> JobInfo | None:
    """The job once its embedding has written some points, else None."""
    job = services.get_job(job_id)
    assert job is not None and not job.finished, job
    return job if job.stage == STAGE_EMBEDDING and job.done > 0 else None


def _wait_for(probe: Callable[[], JobInfo | None], timeout: float) -> JobInfo:
    deadline = time.monotonic() + timeout
    while (found := probe()) is None:
        assert time.monotonic() < deadline, f"nothing happened within {timeout} s"
        time.sleep(0.02)
    return found


@pytest.mark.timeout(2 * TIMEOUT + 240)  # two workers, each started and stopped
def test_a_worker_killed_mid_job_loses_nothing(
    make_settings: Callable[..., Settings], redis_url: str, database_url: str, tmp_path: Path
) -> None:
    """Worker A takes a document, is SIGKILLed half-way through embedding it, and worker B,
    another ``mexma-search worker`` process, finishes the job.

    Real: two worker processes, the Redis broker, SQLite or PostgreSQL shared by all
    processes, A's heartbeat stopping with A, B's reaper requeueing the silent job and sending
    a new message (Redis keeps A's unacknowledged one invisible for the default 48 hours), B
    taking the job over, and the points A had already written. Not covered: A and B holding
    the index at the same time. An embedded index directory opens in one process only, so B starts
    once A is dead (the kernel releases A's lock); with a Qdrant server B could be running all
    along, and the same requeue and deterministic point ids apply.
    """
    settings = make_settings(
        mode="distributed",
        redis_url=redis_url,
        database_url=database_url,
        qdrant_location=str(tmp_path / "qdrant"),
        # one passage per encoder call and upsert: a long window to kill A in
        encode_batch_size=1,
        embed_gather_chunks=1,
        chunk_max_tokens=16,
        job_heartbeat_s=HEARTBEAT_S,
        job_stale_after_s=STALE_AFTER_S,
    )
    document = tmp_path / "long.txt"
    document.write_text(LONG_TEXT, encoding="utf-8")
    services = open_services(settings)
    [job_id] = services.ingest_paths([document], caller=OPERATOR)

    first = start_worker(settings)
    try:
        at_kill = _wait_for(lambda: _embedding_under_way(services, job_id), TIMEOUT)
    finally:
        first.kill()
        first.wait(30)
    killed = services.get_job(job_id)
    assert killed is not None and killed.status == "running", killed
    assert at_kill.total is not None and 0 < killed.done < killed.total, killed

    assert settings.celery_visibility_timeout >= 3600  # no help from Redis's re-delivery
    second = start_worker(settings)
    try:
        job = services.wait_for_job(job_id, TIMEOUT)
    finally:
        stop_worker(second)

    assert job.status == "succeeded", job.error
    document_id, version = job.metrics["document_id"], job.metrics["model_version"]
    with session_scope(services.runtime.engine) as session:
        chunks = chunks_of_documents(session, [document_id])[document_id]
        ordinals = [chunk.ordinal for chunk in chunks]
        chunk_ids = {chunk.id for chunk in chunks}
    assert ordinals == list(range(at_kill.total)) == list(range(job.metrics["chunks"]))
    index = services.runtime.index
    # one point per chunk (point ids are fixed by document, ordinal and version: a chunk
    # written twice is one point)
    assert index.count(collection_name(version)) == len(ordinals)
    assert index.chunk_ids_by_document(collection_name(version)) == {document_id: chunk_ids}
    services.runtime.close()
