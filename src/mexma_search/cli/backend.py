"""How CLI commands reach the backend: services for the current settings, and (in embedded
mode, for commands that wait on jobs) in-process worker threads for the command's duration."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import click

from mexma_search.app.services import Services
from mexma_search.app.settings import get_settings
from mexma_search.index import IndexBusyError
from mexma_search.jobs.backends import in_process_worker, open_services


@contextmanager
def backend(*, run_worker: bool = False) -> Iterator[Services]:
    """Services for one command; with ``run_worker`` in embedded mode, this process runs the
    jobs itself until the command ends (unfinished ones resume later)."""
    services = open_services(get_settings())
    try:
        with ExitStack() as stack:
            worker = in_process_worker(services) if run_worker else None
            if worker is not None:
                stack.enter_context(worker)
            yield services
    except IndexBusyError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        services.runtime.close()


def runs_jobs_elsewhere() -> bool:
    """True in distributed mode, where worker processes run the jobs."""
    return get_settings().mode == "distributed"
