"""The command line starts fast: a command's module is imported only when that command runs."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from mexma_search.cli import COMMANDS, main

CHECK = (
    "import sys; from mexma_search.cli import main; "
    "main({args}, standalone_mode=False); "
    "assert 'torch' not in sys.modules, 'torch was imported'"
)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_listed_command_resolves_to_itself(name: str) -> None:
    command = main.get_command(click.Context(main), name)
    assert isinstance(command, click.Command)
    assert command.name == name


@pytest.mark.parametrize("args", [["--help"], ["version"]])
def test_help_and_version_load_neither_torch_nor_the_backend(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK.format(args=args)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "train" in result.stdout or "mexma-search" in result.stdout
