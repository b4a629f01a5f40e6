"""``mexma-search serve``: in-process worker threads in embedded mode only."""

from __future__ import annotations

from collections.abc import Callable

from mexma_search.app.settings import Settings
from mexma_search.jobs.backends import in_process_worker, open_services
from mexma_search.jobs.celery import CeleryJobQueue
from mexma_search.jobs.inprocess import InProcessJobQueue


def test_distributed_serve_leaves_the_jobs_to_the_worker_processes(
    make_settings: Callable[..., Settings], redis_url: str
) -> None:
    services = open_services(make_settings(mode="distributed", redis_url=redis_url))
    assert isinstance(services.queue, CeleryJobQueue)
    assert services.queue.app.conf.broker_url == redis_url
    assert in_process_worker(services) is None


def test_embedded_serve_runs_worker_threads_without_a_broker(
    make_settings: Callable[..., Settings], redis_url: str
) -> None:
    # a broker configured in embedded mode is not used: the jobs table is the queue
    services = open_services(make_settings(mode="embedded", redis_url=redis_url))
    assert isinstance(services.queue, InProcessJobQueue)
    worker = in_process_worker(services)
    assert worker is not None
    with worker:
        assert worker.running
    assert not worker.running
