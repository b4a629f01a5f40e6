"""``mexma-search validate-bitext`` and ``evaluate``: check a bitext file, score a model on one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from mexma_search.app.encoder_cache import resolve_model_source
from mexma_search.app.settings import get_settings
from mexma_search.cli.output import emit_json, fail, json_option
from mexma_search.encoder.bitext import (
    FORMATS,
    BitextError,
    ValidationReport,
    drop_lines,
    format_report,
    read_splits,
    screen_pairs,
    validate_bitext,
)
from mexma_search.encoder.evaluate import evaluate_bitext
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.encoder.training.data import BitextSource, as_pairs

F = TypeVar("F", bound=Callable[..., Any])

_BITEXT_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_BITEXT_OPTIONS = [
    click.argument("bitext_file", required=False, type=_BITEXT_FILE),
    click.option(
        "--bitext",
        "bitext_path",
        type=_BITEXT_FILE,
        help="Bitext file (or give it as the argument): .tsv, .csv, .jsonl, .tmx, or the "
        "source side of two text files.",
    ),
    click.option(
        "--target-file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Target side, line-aligned with --bitext (two-file text format).",
    ),
    click.option("--format", "fmt", type=click.Choice(FORMATS), help="Override the file type."),
    click.option("--src-lang", help="Source language (picks the column / TMX variant)."),
    click.option("--trg-lang", help="Target language (picks the column / TMX variant)."),
    click.option("--src-column", help="Source column or key name."),
    click.option("--trg-column", help="Target column or key name."),
]


def bitext_options(command: F) -> F:
    """Add the options that say which bitext file to read and how."""
    for option in reversed(_BITEXT_OPTIONS):
        command = option(command)
    return command


def bitext_source(
    bitext_file: Path | None,
    bitext_path: Path | None,
    target_file: Path | None,
    fmt: str | None,
    src_lang: str | None,
    trg_lang: str | None,
    src_column: str | None,
    trg_column: str | None,
) -> BitextSource:
    """The :class:`BitextSource` the bitext argument and options describe."""
    if bitext_file is not None and bitext_path is not None and bitext_file != bitext_path:
        raise click.UsageError("give the bitext file once: as the argument or with --bitext")
    path = bitext_path or bitext_file
    if path is None:
        raise click.UsageError("which bitext file? Give it as the argument or with --bitext")
    options = {
        "second_path": target_file,
        "fmt": fmt,
        "src_lang": src_lang,
        "trg_lang": trg_lang,
        "src_column": src_column,
        "trg_column": trg_column,
    }
    return BitextSource(path, {k: v for k, v in options.items() if v is not None})


def print_validation(source: BitextSource, as_json: bool) -> dict[str, Any]:
    """Validate the whole file (streaming), print the report unless ``as_json``; return it."""
    try:
        report = validate_bitext(source.read(), source.filter_options)
    except BitextError as exc:
        fail(str(exc))
    if not as_json:
        click.echo(f"Bitext {source.path}:")
        click.echo(format_report(report))
    return report.to_dict()


@click.command("validate-bitext")
@bitext_options
@json_option
def validate_bitext_command(as_json: bool, **bitext: Any) -> None:
    """Check a bitext file and report how many pairs are usable for training, and why not."""
    report = print_validation(bitext_source(**bitext), as_json)
    if as_json:
        emit_json(report)
    if report["pairs_kept"] == 0:
        fail("no usable pair in the bitext")


@click.command("evaluate")
@click.option("--model", "model_name", default=None, help="Model name, directory or hub id.")
@bitext_options
@click.option(
    "--splits",
    "splits_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A splits file (train/dev/test refs); evaluate on the --split part only.",
)
@click.option("--split", type=click.Choice(["train", "dev", "test"]), default="test")
@click.option("--limit", type=click.IntRange(min=4), help="Evaluate on the first N pairs only.")
@click.option(
    "--filter",
    "apply_filter",
    is_flag=True,
    help="Leave out the pairs the validation filter drops (length ratio in tokens, "
    "duplicates, ...); by default every pair is scored and the drops are only reported.",
)
@click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True)
@json_option
def evaluate_command(
    model_name: str | None,
    splits_file: Path | None,
    split: str,
    limit: int | None,
    apply_filter: bool,
    batch_size: int,
    as_json: bool,
    **bitext: Any,
) -> None:
    """xsim error rates (percent, cosine and margin, both directions) of a model on a bitext.

    Every pair is scored unless --filter; either way the report says how many pairs the
    validation filter drops and why, with length ratios in the model's tokens.
    """
    settings = get_settings()
    source = bitext_source(**bitext)
    model = resolve_model_source(model_name or settings.default_model, settings)
    encoder = SentenceEncoder.load(model, device=settings.device)
    try:
        pairs = list(source.read())
        if splits_file is not None:
            pairs = list(read_splits(splits_file).select(pairs, split))
    except BitextError as exc:
        fail(str(exc))
    pairs, report = screen_pairs(
        pairs[:limit] if limit else pairs,
        source.filter_options,
        apply=apply_filter,
        count_tokens=encoder.count_tokens,
    )
    if len(pairs) < 4:
        fail(f"evaluation needs at least 4 pairs, found {len(pairs)}")
    texts = list(as_pairs(pairs))
    result = evaluate_bitext(
        encoder, [s for s, _ in texts], [t for _, t in texts], batch_size=batch_size
    )
    result["model"] = encoder.config.name
    result["bitext"] = str(source.path)
    result["filter"] = {"applied": apply_filter, **report.to_dict()}
    if as_json:
        emit_json(result)
        return
    click.echo(f"{encoder.config.name} on {source.path} ({result['n']} pairs), error in %:")
    for name in ("xsim_cos_error", "xsim_margin_error"):
        values = result[name]
        click.echo(f"  {name}: src2trg {values['src2trg']:.2f}  trg2src {values['trg2src']:.2f}")
    click.echo(_filter_summary(report, apply_filter))


def _filter_summary(report: ValidationReport, applied: bool) -> str:
    """What the validation filter did (``applied``) or would do to the scored pairs."""
    if report.pairs_dropped == 0:
        return f"Validation filter: all {report.pairs_read} pairs pass."
    verb = "left out" if applied else "would drop"
    after = "" if applied else " (all scored; --filter leaves them out)"
    head = f"Validation filter {verb} {report.pairs_dropped} of {report.pairs_read} pairs{after}:"
    return "\n".join([head, *drop_lines(report)])
