"""The in-process queue of embedded mode: worker threads that take jobs from the jobs table."""

from __future__ import annotations

import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from sqlalchemy.exc import OperationalError

import mexma_search.jobs.ingest
from mexma_search.app.access import OPERATOR
from mexma_search.app.queues import QUEUE_INGEST
from mexma_search.app.services import Services
from mexma_search.app.settings import Settings
from mexma_search.jobs import inprocess
from mexma_search.jobs.backends import open_services
from mexma_search.jobs.inprocess import InProcessWorker, retry_delay_s

TIMEOUT = 60
DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"


def test_a_job_queued_by_other_services_is_picked_up_without_being_enqueued(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings()
    app_process = open_services(settings)
    cli_process = open_services(settings)
    try:
        with InProcessWorker(app_process), mock.patch.object(cli_process.queue, "enqueue") as sent:
            job_id = cli_process.ingest_paths([DOCS / "river_en.txt"], caller=OPERATOR)[0]
            job = app_process.wait_for_job(job_id, TIMEOUT)
        assert sent.call_count == 1  # it went nowhere: the worker found the job in the table
        assert job.status == "succeeded", job.error
    finally:
        app_process.runtime.close()
        cli_process.runtime.close()


def test_the_retry_delay_doubles_up_to_a_cap() -> None:
    delays = [retry_delay_s(failures) for failures in range(1, 14)]
    assert delays[:3] == [delays[0], 2 * delays[0], 4 * delays[0]]
    assert delays == sorted(delays)
    assert delays[-1] == inprocess.RETRY_MAX_S


def _failing_transiently(times: int, attempts: list[float]) -> Callable[..., Any]:
    """``parse_bytes`` that raises a transient database error ``times`` times first."""
    parse_bytes = mexma_search.jobs.ingest.parse_bytes

    def parse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(time.monotonic())
        if len(attempts) <= times:
            raise OperationalError("SELECT 1", {}, ConnectionError("database restarting"))
        return parse_bytes(*args, **kwargs)

    return parse


def test_a_transient_error_requeues_the_job_and_backs_off_before_the_retry(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inprocess, "RETRY_FIRST_S", 0.3)
    attempts: list[float] = []
    monkeypatch.setattr(mexma_search.jobs.ingest, "parse_bytes", _failing_transiently(2, attempts))
    with InProcessWorker(services):
        job = services.wait_for_job(
            services.ingest_paths([DOCS / "river_en.txt"], caller=OPERATOR)[0], TIMEOUT
        )
    assert job.status == "succeeded", job.error
    assert len(attempts) == 3
    waits = [later - earlier for earlier, later in pairwise(attempts)]
    assert waits[0] >= 0.3
    assert waits[1] >= 0.6


def test_stopping_interrupts_a_backoff(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inprocess, "RETRY_FIRST_S", 600.0)
    attempts: list[float] = []
    monkeypatch.setattr(mexma_search.jobs.ingest, "parse_bytes", _failing_transiently(1, attempts))
    worker = InProcessWorker(services, queues=(QUEUE_INGEST,))
    worker.start()
    job_id = services.ingest_paths([DOCS / "river_en.txt"], caller=OPERATOR)[0]
    deadline = time.monotonic() + TIMEOUT
    while not attempts:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(0.1)  # into the backoff
    stopping = time.monotonic()
    worker.stop()
    assert time.monotonic() - stopping < 5
    assert not worker.running
    job = services.get_job(job_id)
    assert job is not None
    assert job.status == "queued"
