"""The ``mexma-search`` command line: thin commands over the backend's services."""

from __future__ import annotations

import click

from mexma_search.cli.bitext import evaluate_command, validate_bitext_command
from mexma_search.cli.documents import documents_group
from mexma_search.cli.encode import encode_command
from mexma_search.cli.ingest import ingest_command
from mexma_search.cli.jobs import jobs_group
from mexma_search.cli.models import models_group
from mexma_search.cli.output import quiet_libraries
from mexma_search.cli.search import search_command
from mexma_search.cli.serve import serve_command
from mexma_search.cli.train import train_command
from mexma_search.cli.version import version_command
from mexma_search.cli.worker_command import worker_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """MEXMA Search: self-hosted cross-lingual semantic search."""
    quiet_libraries()


main.add_command(serve_command)
main.add_command(version_command)
main.add_command(models_group)
main.add_command(encode_command)
main.add_command(ingest_command)
main.add_command(search_command)
main.add_command(jobs_group)
main.add_command(documents_group)
main.add_command(worker_command)
main.add_command(validate_bitext_command)
main.add_command(train_command)
main.add_command(evaluate_command)
