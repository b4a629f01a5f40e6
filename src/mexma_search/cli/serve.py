"""``mexma-search serve``: the web app, with (in embedded mode) the worker threads."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import click

from mexma_search.app.encoder_cache import prepare_default
from mexma_search.app.running_app import announce_running_app, forget_running_app
from mexma_search.app.serving_model import serving_model
from mexma_search.app.settings import Settings, get_settings
from mexma_search.cli.backend import backend
from mexma_search.jobs.backends import in_process_worker


@click.command("serve")
@click.option("--demo", is_flag=True, help="Also load a small multilingual sample corpus.")
@click.option("--host", help="Address the web UI listens on (default: MEXMA_HOST).")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    help="Port of the web UI (default: MEXMA_PORT).",
)
def serve_command(demo: bool, host: str | None, port: int | None) -> None:
    """Run the app in this process until Ctrl-C or SIGTERM: prepare the default model, migrate the
    database, open the index and (in embedded mode) start the in-process worker, resuming
    unfinished jobs. In distributed mode it starts no worker. Stopping lets running jobs
    reach their next batch and puts them back in the queue, then closes the index and the
    database.

    While it runs, the embedded index belongs to this process: `mexma-search search` asks
    this app over HTTP instead, queueing files with `mexma-search ingest` works (this app picks
    them up within seconds), and commands that write the index (ingest --wait) fail with a
    clear message.
    """
    # the UI's imports take seconds: only this command pays for them
    from mexma_search.webapp.app import build_app, launch
    from mexma_search.webapp.demo import load_demo

    with sigterm_as_interrupt():
        settings = get_settings()
        settings.ensure_dirs()
        click.echo(f"Preparing the default model in {settings.models_dir} ...")
        prepare_default(settings)
        with backend() as services:
            model = serving_model(services.runtime)
            worker = in_process_worker(services)
            resumed = worker.start() if worker is not None else []
            try:
                _describe(settings, model.version, worker is not None, resumed)
                if demo:
                    click.echo(f"Demo corpus: {len(load_demo(services))} documents queued")
                listen = {"host": host or settings.host, "port": port or settings.port}
                launch(
                    build_app(services, settings),
                    settings.model_copy(update=listen),
                    on_listening=lambda url: announce_running_app(settings, url),
                )
            except KeyboardInterrupt:
                pass  # interrupted before the UI blocked: stop as below
            finally:
                click.echo("Stopping ...")
                forget_running_app(settings)
                if worker is not None:
                    worker.stop()


def _describe(settings: Settings, version: str, has_worker: bool, resumed: list[int]) -> None:
    """Where the app keeps its data, what it serves and what it resumed."""
    click.echo(f"Data:     {settings.data_dir}")
    click.echo(f"Database: {settings.database_url}")
    click.echo(f"Index:    {settings.qdrant_location} (live model: {version})")
    click.echo(f"Uploads:  {settings.uploads_dir}")
    if not has_worker:
        click.echo("Worker:   none here; `mexma-search worker` processes run the jobs")
    if resumed:
        click.echo(f"Resumed jobs: {resumed}")
    click.echo(
        "Running; press Ctrl-C to stop. The index belongs to this process: search in the web "
        "UI or with `mexma-search search` (which asks this app), queue files with "
        "`mexma-search ingest`."
    )


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While the block runs, SIGTERM interrupts the main thread as Ctrl-C does; a second one
    is ignored, so that the shutdown it started completes."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
