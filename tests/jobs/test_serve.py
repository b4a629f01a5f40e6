"""``mexma-search serve``: an in-process worker in embedded mode only."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mexma_search.app.services import Services
from mexma_search.app.settings import Settings
from mexma_search.jobs.inprocess import in_process_worker


def test_distributed_serve_leaves_the_jobs_to_the_worker_processes(
    make_settings: Callable[..., Settings], redis_url: str
) -> None:
    services = Services.from_settings(make_settings(mode="distributed", redis_url=redis_url))
    assert in_process_worker(services) is None


@pytest.mark.parametrize(("broker", "adopts"), [(False, True), (True, False)])
def test_embedded_serve_runs_a_worker_thread(
    make_settings: Callable[..., Settings], redis_url: str, broker: bool, adopts: bool
) -> None:
    # without a broker the thread also adopts the queued jobs no message carries
    settings = make_settings(mode="embedded", redis_url=redis_url if broker else None)
    worker = in_process_worker(Services.from_settings(settings))
    assert worker is not None
    assert worker.adopt_jobs is adopts
    assert worker.app.conf.broker_url.startswith("redis://" if broker else "memory://")
