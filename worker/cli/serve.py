"""``mexma-search serve``: the embedded app (database, index and worker in this process)."""

from __future__ import annotations

import threading

import click

from worker.cli.backend import backend
from worker.embedded import EmbeddedWorker
from worker.live_model import serving_model
from worker.models import prepare_default
from worker.settings import get_settings


@click.command("serve")
def serve_command() -> None:
    """Run the app in this process until Ctrl-C: prepare the default model, migrate the
    database, open the index and start the in-process worker (resuming unfinished jobs).

    While it runs, the local index belongs to this process: CLI commands that read it
    (search, ingest --wait) fail with a clear message, while queueing files with
    `mexma-search ingest` works (this app picks them up within seconds).
    """
    settings = get_settings()
    settings.ensure_dirs()
    click.echo(f"Preparing the default model in {settings.models_dir} ...")
    prepare_default(settings)
    with backend() as services:
        model = serving_model(services.runtime)
        worker = EmbeddedWorker(services.app, adopt_jobs=settings.redis_url is None)
        resumed = worker.start()
        try:
            click.echo(f"Data:     {settings.data_dir}")
            click.echo(f"Database: {settings.database_url}")
            click.echo(f"Index:    {settings.qdrant_location} (live model: {model.version})")
            click.echo(f"Uploads:  {settings.uploads_dir}")
            if resumed:
                click.echo(f"Resumed jobs: {resumed}")
            click.echo(
                "Worker running; press Ctrl-C to stop. From another shell, queue files with "
                "`mexma-search ingest PATH` and follow them with `mexma-search jobs list`. "
                "Searching needs the index, which this process holds: stop it to use "
                "`mexma-search search`, or use the web UI once it is attached."
            )
            threading.Event().wait()
        except KeyboardInterrupt:
            click.echo("Stopping ...")
        finally:
            worker.stop()
