"""How CLI commands reach the backend: services for the current settings, and (in embedded
mode, for commands that wait on jobs) an in-process worker for the command's duration."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import click

from mexma_search.app.runtime import IndexBusyError
from mexma_search.app.services import Services
from mexma_search.app.settings import get_settings
from mexma_search.jobs.inprocess import EmbeddedWorker


@contextmanager
def backend(*, run_worker: bool = False) -> Iterator[Services]:
    """Services for one command; with ``run_worker`` and no Redis broker configured, this
    process runs the jobs itself until the command ends (unfinished ones resume later)."""
    settings = get_settings()
    services = Services.from_settings(settings)
    try:
        with ExitStack() as stack:
            if run_worker and settings.redis_url is None:
                stack.enter_context(EmbeddedWorker(services.app))
            yield services
    except IndexBusyError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        services.runtime.close()


def runs_jobs_elsewhere() -> bool:
    """True when a broker is configured, so workers in other processes run the jobs."""
    return get_settings().redis_url is not None
