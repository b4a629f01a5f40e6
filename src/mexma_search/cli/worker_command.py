"""``mexma-search worker``: a Celery worker process for distributed mode."""

from __future__ import annotations

import os
import socket

import click

from mexma_search.app.queues import QUEUES
from mexma_search.app.reaper import JobReaper
from mexma_search.app.settings import get_settings
from mexma_search.jobs.celery import CeleryJobQueue, create_celery_app


def _queues(value: str) -> list[str]:
    queues = [name.strip() for name in value.split(",") if name.strip()]
    unknown = sorted(set(queues) - set(QUEUES))
    if not queues or unknown:
        raise click.BadParameter(f"choose among {', '.join(QUEUES)} (got {value!r})")
    return queues


@click.command("worker")
@click.option(
    "--queues",
    default=",".join(QUEUES),
    show_default=True,
    help="Comma-separated queues to take tasks from (e.g. embed,train on a GPU machine).",
)
@click.option("--concurrency", type=click.IntRange(min=1), default=1, show_default=True)
@click.option(
    "--pool",
    type=click.Choice(["solo", "threads"]),
    default="solo",
    show_default=True,
    help="solo: one task at a time in this process; threads: several (models are shared).",
)
@click.option("--loglevel", default="INFO", show_default=True)
def worker_command(queues: str, concurrency: int, pool: str, loglevel: str) -> None:
    """Run tasks from the Redis broker (MEXMA_REDIS_URL) until stopped with Ctrl-C.

    Models and connections load lazily inside this process; forking pools are not offered
    because CUDA cannot be re-initialised in a forked child.
    """
    settings = get_settings()
    if settings.mode != "distributed":
        raise click.ClickException(
            "the worker runs the jobs of distributed mode: set MEXMA_MODE=distributed and "
            "MEXMA_REDIS_URL (embedded mode runs its jobs inside `mexma-search serve`)"
        )
    selected = _queues(queues)
    app = create_celery_app(settings)
    # the pid keeps node names apart when one machine runs several workers for the same queues
    node = f"{'-'.join(selected)}-{os.getpid()}@{socket.gethostname()}"
    reaper = JobReaper(app.runtime, CeleryJobQueue(app)).start()
    try:
        app.worker_main(
            [
                "worker",
                f"--queues={','.join(selected)}",
                f"--pool={pool}",
                f"--concurrency={1 if pool == 'solo' else concurrency}",
                f"--loglevel={loglevel}",
                f"--hostname={node}",
                "--without-mingle",
                "--without-gossip",
            ]
        )
    finally:
        reaper.stop()
