"""``mexma-search encode``: embed a text file, one text per line, into a .npy file."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np
from tqdm import tqdm

from mexma_search.app.runtime import Runtime
from mexma_search.app.settings import get_settings
from mexma_search.cli.output import emit_json, fail, json_option


def read_lines(path: Path) -> list[str]:
    """Lines of a UTF-8 text file without their line ends (a trailing newline adds none)."""
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise click.ClickException(
            f"{path}: not valid UTF-8 at byte {exc.start} ({exc.reason})"
        ) from exc


@click.command("encode")
@click.option("--model", "model_name", default=None, help="Model name, directory or hub id.")
@click.option(
    "--input",
    "input_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="UTF-8 text file, one text per line.",
)
@click.option(
    "--output",
    "output_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the float32 vectors (.npy).",
)
@click.option(
    "--prompt",
    type=click.Choice(["passage", "query", "none"]),
    default="passage",
    show_default=True,
    help="Which of the model's prefixes to use.",
)
@click.option("--batch-size", type=click.IntRange(min=1), default=None)
@click.option(
    "--precision",
    type=click.Choice(["auto", "fp32", "bf16", "fp16", "int8"]),
    default="auto",
    show_default=True,
    help="int8: the fast CPU path (about 2.5x fp32, same xsim error; see encoder/quantize.py).",
)
@json_option
def encode_command(
    model_name: str | None,
    input_path: Path,
    output_path: Path,
    prompt: str,
    batch_size: int | None,
    precision: str,
    as_json: bool,
) -> None:
    """Embed every line of INPUT and save the vectors to OUTPUT (.npy, float32)."""
    if output_path.suffix != ".npy":
        fail(f"--output must end in .npy (got {output_path.name})")
    settings = get_settings()
    texts = read_lines(input_path)
    runtime = Runtime(settings)
    encoder = runtime.encoders.get(model_name or settings.default_model, precision=precision)
    with tqdm(total=len(texts), unit="text", disable=as_json) as bar:
        result = encoder.encode(
            texts,
            prompt=None if prompt == "none" else prompt,
            batch_size=batch_size or settings.encode_batch_size,
            progress=lambda done, _total: bar.update(done - bar.n),
        )
    output_path.parent.mkdir(parents=True, exist_ok=True)
    np.save(output_path, result.vectors)
    summary = {
        "model": encoder.config.name,
        "texts": len(texts),
        "dimension": encoder.dimension,
        "truncated": result.n_truncated,
        "max_length": encoder.config.max_length,
        "output": str(output_path),
    }
    if as_json:
        emit_json(summary)
        return
    click.echo(f"Wrote {len(texts)} x {encoder.dimension} vectors to {output_path}")
    if result.n_truncated:
        click.echo(
            f"{result.n_truncated} text(s) were longer than {encoder.config.max_length} tokens "
            "and were truncated."
        )
