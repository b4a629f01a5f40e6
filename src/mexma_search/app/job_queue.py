"""The job queue as the application sees it: something that gets a queued job run.

The jobs table is the truth about every job (status, stage, progress, heartbeats); a queue only
carries "run step S of job N". Distributed mode sends it as a Celery message over Redis
(:mod:`mexma_search.jobs.celery`); embedded mode wakes a worker thread of this process that
claims jobs from the table (:mod:`mexma_search.jobs.inprocess`).
"""

from __future__ import annotations

from typing import Protocol

from mexma_search.app.queues import Step


class JobQueue(Protocol):
    """Gets queued jobs run by some worker."""

    def enqueue(self, job_id: int, step: Step) -> None:
        """Ask for ``step`` of queued job ``job_id`` to run (safe to repeat: a job is claimed
        once, and a step finding its job already running or ended does nothing)."""
        ...
