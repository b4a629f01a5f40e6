"""``mexma-search version``."""

from __future__ import annotations

import platform
from importlib.metadata import version

import click

from mexma_search.cli.output import emit_json, json_option


@click.command("version")
@json_option
def version_command(as_json: bool) -> None:
    """Show the versions of the app and of its main libraries."""
    info = {
        "mexma-search": version("mexma-search"),
        "python": platform.python_version(),
        "torch": version("torch"),
        "transformers": version("transformers"),
    }
    if as_json:
        emit_json(info)
        return
    for name, value in info.items():
        click.echo(f"{name} {value}")
