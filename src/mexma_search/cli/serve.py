"""``mexma-search serve``: the web app, with (in embedded mode) the worker threads."""

from __future__ import annotations

import click

from mexma_search.app.encoder_cache import prepare_default
from mexma_search.app.serving_model import serving_model
from mexma_search.app.settings import get_settings
from mexma_search.cli.backend import backend
from mexma_search.jobs.backends import in_process_worker


@click.command("serve")
@click.option("--demo", is_flag=True, help="Also load a small multilingual sample corpus.")
def serve_command(demo: bool) -> None:
    """Run the app in this process until Ctrl-C: prepare the default model, migrate the
    database, open the index and (in embedded mode) start the in-process worker, resuming
    unfinished jobs. In distributed mode it starts no worker.

    While it runs, the local index belongs to this process: CLI commands that read it
    (search, ingest --wait) fail with a clear message, while queueing files with
    `mexma-search ingest` works (this app picks them up within seconds).
    """
    # the UI's imports take seconds: only this command pays for them
    from mexma_search.webapp.app import build_app, launch
    from mexma_search.webapp.demo import load_demo

    settings = get_settings()
    settings.ensure_dirs()
    click.echo(f"Preparing the default model in {settings.models_dir} ...")
    prepare_default(settings)
    with backend() as services:
        model = serving_model(services.runtime)
        worker = in_process_worker(services)
        resumed = worker.start() if worker is not None else []
        try:
            click.echo(f"Data:     {settings.data_dir}")
            click.echo(f"Database: {settings.database_url}")
            click.echo(f"Index:    {settings.qdrant_location} (live model: {model.version})")
            click.echo(f"Uploads:  {settings.uploads_dir}")
            if worker is None:
                click.echo("Worker:   none here; `mexma-search worker` processes run the jobs")
            if resumed:
                click.echo(f"Resumed jobs: {resumed}")
            click.echo(
                "Running; press Ctrl-C to stop. The index belongs to this process: search "
                "in the web UI (or queue files from another shell with `mexma-search ingest`)."
            )
            if demo:
                click.echo(f"Demo corpus: {len(load_demo(services))} documents queued")
            launch(build_app(services, settings), settings)
        except KeyboardInterrupt:
            click.echo("Stopping ...")
        finally:
            if worker is not None:
                worker.stop()
