"""Heartbeats of running jobs and the sweep that requeues the jobs of dead workers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import update

from mexma_search.app.queues import Step
from mexma_search.app.reaper import requeue_dead_workers_jobs
from mexma_search.app.services import Services
from mexma_search.app.settings import Settings
from mexma_search.jobs.backends import open_services
from mexma_search.store import (
    Job,
    JobKind,
    JobStatus,
    claim_job,
    create_job,
    get_job,
    session_scope,
)
from mexma_search.store.types import utcnow


class RecordingQueue:
    """A job queue that only records what it is asked to run."""

    def __init__(self) -> None:
        self.enqueued: list[tuple[int, Step]] = []

    def enqueue(self, job_id: int, step: Step) -> None:
        self.enqueued.append((job_id, step))


def _running_job(services: Services, kind: JobKind = JobKind.INGEST) -> int:
    with session_scope(services.runtime.engine) as session:
        job_id = create_job(session, kind, parameters={"path": "x"}).id
        assert claim_job(session, job_id, hostname="w")
    return job_id


def _last_heartbeat(services: Services, job_id: int) -> object:
    with session_scope(services.runtime.engine) as session:
        job = get_job(session, job_id)
        assert job is not None
        return job.heartbeat_at


def test_a_running_job_beats_while_its_handler_is_busy(
    make_settings: Callable[..., Settings],
) -> None:
    services = open_services(make_settings(job_heartbeat_s=0.05, job_stale_after_s=1))
    try:
        job_id, adopted = _running_job(services), _running_job(services)
        before = _last_heartbeat(services, job_id)
        live = {job_id}
        with services.runtime.heartbeats.hold(live):
            live.add(adopted)  # a handler may take on more jobs while it runs
            adopted_before = _last_heartbeat(services, adopted)
            time.sleep(0.4)  # a handler that reports no progress
        assert _last_heartbeat(services, job_id) > before  # type: ignore[operator]
        assert _last_heartbeat(services, adopted) > adopted_before  # type: ignore[operator]
    finally:
        services.runtime.close()


def _heartbeat_threads() -> int:
    return sum(thread.name == "job-heartbeat" for thread in threading.enumerate())


def test_one_thread_beats_for_every_handler_of_the_process(
    make_settings: Callable[..., Settings],
) -> None:
    services = open_services(make_settings(job_heartbeat_s=0.05, job_stale_after_s=1))
    elsewhere = _heartbeat_threads()
    try:
        jobs = [_running_job(services), _running_job(services)]
        before = [_last_heartbeat(services, job_id) for job_id in jobs]
        heartbeats = services.runtime.heartbeats
        with heartbeats.hold({jobs[0]}), heartbeats.hold({jobs[1]}):
            time.sleep(0.3)
            assert _heartbeat_threads() == elsewhere + 1
        after = [_last_heartbeat(services, job_id) for job_id in jobs]
        assert all(a > b for a, b in zip(after, before, strict=True))  # type: ignore[operator]
    finally:
        services.runtime.close()
    assert _heartbeat_threads() == elsewhere


def test_the_sweep_requeues_silent_jobs_once_and_sends_them(services: Services) -> None:
    silent, alive = _running_job(services), _running_job(services)
    with session_scope(services.runtime.engine) as session:
        session.execute(
            update(Job).where(Job.id == silent).values(heartbeat_at=utcnow() - timedelta(hours=1))
        )
    queue = RecordingQueue()
    assert requeue_dead_workers_jobs(services.runtime, queue) == [silent]
    assert queue.enqueued == [(silent, Step.INGEST)]
    assert requeue_dead_workers_jobs(services.runtime, queue) == []
    assert queue.enqueued == [(silent, Step.INGEST)]
    with session_scope(services.runtime.engine) as session:
        statuses = [get_job(session, i).status for i in (silent, alive)]  # type: ignore[union-attr]
    assert statuses == [JobStatus.QUEUED, JobStatus.RUNNING]


def test_worker_status_counts_queued_jobs_and_names_busy_workers(services: Services) -> None:
    running = _running_job(services)
    with session_scope(services.runtime.engine) as session:
        create_job(session, JobKind.TRAIN, parameters={})
        session.execute(
            update(Job).where(Job.id == running).values(heartbeat_at=utcnow() - timedelta(hours=1))
        )
    status = services.worker_status()
    assert status.mode == "embedded" and status.queued == {"train": 1}
    [busy] = status.busy
    assert (busy.worker, busy.job_id, busy.kind) == ("w", running, "ingest")
    assert busy.silent_s > status.stale_after_s
