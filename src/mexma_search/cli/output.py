"""Shared output helpers for CLI commands (human text or ``--json``)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")


def emit_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def emit_json_line(data: Any) -> None:
    """Print ``data`` as one line of JSON on stdout (a stream of events), flushed at once."""
    click.echo(json.dumps(data, ensure_ascii=False, default=str))
    sys.stdout.flush()


def fail(message: str) -> None:
    """Stop the command with a clear error message and exit status 2."""
    raise click.ClickException(message)


def quiet_libraries() -> None:
    """Keep library progress bars and advisory warnings out of the command's output."""
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
