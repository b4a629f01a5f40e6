"""The ``mexma-search`` command line: thin commands over the backend's services."""

from __future__ import annotations

import click

from worker.cli.encode import encode_command
from worker.cli.models import models_group
from worker.cli.output import quiet_libraries
from worker.cli.version import version_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """MEXMA Search: self-hosted cross-lingual semantic search."""
    quiet_libraries()


main.add_command(version_command)
main.add_command(models_group)
main.add_command(encode_command)
