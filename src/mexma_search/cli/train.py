"""``mexma-search train``: fine-tune an encoder with MEXMA on a bitext file.

Defaults are the paper's (lr 1e-4, 150 pairs x 2 accumulation, max length 200, 3 epochs);
for fine-tuning an already good encoder on a small bitext, pass a lower ``--lr`` (2e-5 ..
5e-5) and a batch size that fits the machine. Run under ``torchrun`` for several GPUs.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import click

from mexma_search.app.encoder_cache import resolve_model_source
from mexma_search.app.settings import get_settings
from mexma_search.cli.bitext import bitext_options, bitext_source, print_validation
from mexma_search.cli.output import emit_json_line, fail, json_option
from mexma_search.encoder.bitext import BitextError
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.encoder.training.callbacks import (
    ProgressBar,
    TrainerCallback,
    TrainerControl,
    TrainerState,
)
from mexma_search.encoder.training.config import PRECISIONS, TrainingConfig
from mexma_search.encoder.training.data import (
    TrainingSplits,
    as_pairs,
    fixed_splits,
    held_out_split,
    xsim_evaluator,
)
from mexma_search.encoder.training.loop import train

# CLI option name -> TrainingConfig field, for the options passed through unchanged.
_PASSED_THROUGH = (
    "epochs",
    "max_steps",
    "batch_size",
    "grad_accumulation",
    "learning_rate",
    "weight_decay",
    "warmup_ratio",
    "max_length",
    "mask_ratio",
    "align_weight",
    "mlm_weight",
    "koleo_weight",
    "distill_weight",
    "freeze_embeddings",
    "alignment",
    "temperature",
    "seed",
    "precision",
    "checkpoint_every",
    "eval_every",
)


def _splits(bitext: dict[str, Any], splits_file: Path | None, held_out: int) -> TrainingSplits:
    source = bitext_source(**bitext)
    if splits_file is not None:
        return fixed_splits(source, splits_file)
    return held_out_split(source, held_out)


@click.command("train")
@click.option("--base", default=None, help="Model to start from: name, directory or hub id.")
@bitext_options
@click.option(
    "--output",
    "output_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Run directory: checkpoints/, model/ (the export) and best/.",
)
@click.option(
    "--dev",
    "dev_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Held-out bitext (read like --bitext) for xsim evaluation during training.",
)
@click.option(
    "--splits",
    "splits_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Splits file: train on its train refs, evaluate on its dev refs.",
)
@click.option(
    "--held-out",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Without --dev/--splits: hold out this many pairs for evaluation.",
)
@click.option("--epochs", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--max-steps", type=click.IntRange(min=1), help="Optimiser steps (overrides epochs).")
@click.option("--batch-size", type=click.IntRange(min=1), default=150, show_default=True)
@click.option("--grad-accumulation", type=click.IntRange(min=1), default=2, show_default=True)
@click.option(
    "--lr",
    "learning_rate",
    type=click.FloatRange(min=0, min_open=True),
    default=1e-4,
    show_default=True,
)
@click.option("--weight-decay", type=click.FloatRange(min=0), default=0.0, show_default=True)
@click.option("--warmup-ratio", type=click.FloatRange(0, 1), default=0.3, show_default=True)
@click.option("--max-length", type=click.IntRange(min=4), default=200, show_default=True)
@click.option(
    "--mask-ratio", type=click.FloatRange(0, 1, min_open=True), default=0.4, show_default=True
)
@click.option("--align-weight", type=float, default=1.0, show_default=True)
@click.option("--mlm-weight", type=float, default=1.0, show_default=True)
@click.option("--koleo-weight", type=float, default=0.01, show_default=True)
@click.option(
    "--distill-weight",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Weight of the term keeping sentence vectors near the base model's (keeps "
    "same-language search; 0: off).",
)
@click.option(
    "--no-token-gradient",
    is_flag=True,
    help="Ablation: detach the head's token inputs (positions >= 1).",
)
@click.option("--no-koleo", is_flag=True, help="Ablation: drop the KoLeo regulariser.")
@click.option(
    "--freeze-embeddings",
    is_flag=True,
    help="Keep the token embeddings (and the tied vocabulary projection) fixed: less memory, "
    "faster steps.",
)
@click.option(
    "--alignment", type=click.Choice(["mse", "contrastive"]), default="mse", show_default=True
)
@click.option(
    "--temperature",
    type=click.FloatRange(min=0, min_open=True),
    default=0.05,
    show_default=True,
    help="InfoNCE temperature (--alignment contrastive).",
)
@click.option(
    "--pooling",
    type=click.Choice(["cls", "mean"]),
    help="Sentence vector of training and export [default: the base model's].",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", default=None, help="auto, cpu, cuda, cuda:1, mps [default: settings].")
@click.option("--precision", type=click.Choice(PRECISIONS), default="auto", show_default=True)
@click.option("--resume", is_flag=True, help="Continue from the newest checkpoint in --output.")
@click.option("--checkpoint-every", type=click.IntRange(min=0), default=1000, show_default=True)
@click.option(
    "--eval-every",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Evaluate every N steps (0: before and after only).",
)
@click.option("--name", "model_name", default="", help="Name of the trained model.")
@json_option
def train_command(
    base: str | None,
    output_dir: Path,
    dev_path: Path | None,
    splits_file: Path | None,
    held_out: int,
    pooling: str | None,
    no_token_gradient: bool,
    no_koleo: bool,
    device: str | None,
    resume: bool,
    model_name: str,
    as_json: bool,
    **options: Any,
) -> None:
    """Fine-tune a sentence encoder with MEXMA on the pairs of a bitext file."""
    settings = get_settings()
    bitext = {k: options.pop(k) for k in list(options) if k not in _PASSED_THROUGH}
    report = print_validation(bitext_source(**bitext), as_json)
    if report["pairs_kept"] == 0:
        fail("no usable pair in the bitext")
    try:
        splits = _splits(bitext, splits_file, held_out)
        dev = splits.held_out
        if dev_path is not None:
            dev = list(
                as_pairs(
                    bitext_source(**{**bitext, "bitext_file": None, "bitext_path": dev_path}).kept()
                )
            )
    except BitextError as exc:
        fail(str(exc))
    device = device or settings.device
    encoder = SentenceEncoder.load(
        resolve_model_source(base or settings.default_model, settings), device=device
    )
    config = TrainingConfig.from_options(
        output_dir=output_dir,
        pooling=pooling,
        token_gradient=not no_token_gradient,
        koleo=not no_koleo,
        device=device,
        resume=resume,
        model_name=model_name,
        **options,
    )
    evaluator = xsim_evaluator(dev) if dev else None
    before = evaluator(encoder) if evaluator else None
    if before and not as_json:
        click.echo(f"dev before: {_metrics_line(before)}")
    callbacks: list[TrainerCallback] = [JsonLinesProgress()] if as_json else [ProgressBar()]
    interrupt = StopOnInterrupt()
    with interrupt.installed():
        result = train(
            encoder, splits.train, config, evaluator=evaluator, callbacks=[*callbacks, interrupt]
        )
    summary = {
        "status": result.status,
        "steps": result.steps,
        "total_steps": result.total_steps,
        "losses": result.losses,
        "dev_before": before,
        "dev_after": result.metrics or None,
        "best_step": result.best_step,
        "model_dir": result.model_dir,
        "best_dir": result.best_dir,
        "checkpoint_dir": result.checkpoint_dir,
        "pairs_per_second": result.pairs_per_second,
        "train_seconds": result.train_seconds,
        "validation": report,
    }
    if as_json:
        emit_json_line({"event": "summary", **summary})
        return
    if result.metrics:
        click.echo(f"dev after:  {_metrics_line(result.metrics)}")
    click.echo(
        f"{result.status}: {result.steps}/{result.total_steps} steps; model in {result.model_dir}"
    )


class StopOnInterrupt(TrainerCallback):
    """The first Ctrl-C ends training after the current step, so the run is checkpointed and
    its model exported as when it completes (``--resume`` goes on from there); a second one
    stops at once."""

    def __init__(self) -> None:
        self.requested = False

    @contextmanager
    def installed(self) -> Iterator[None]:
        """Catch SIGINT while the block runs."""
        previous = signal.signal(signal.SIGINT, self._request)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def _request(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        click.echo("Stopping after this step (Ctrl-C again to stop at once) ...", err=True)

    def on_step_end(self, state: TrainerState, control: TrainerControl) -> bool | None:
        return self.requested


class JsonLinesProgress(TrainerCallback):
    """``--json`` progress: one JSON object per line for every step and evaluation, so that a
    script follows the run as it goes (the summary is the last line)."""

    def on_step_end(self, state: TrainerState, control: TrainerControl) -> None:
        emit_json_line(
            {
                "event": "step",
                "step": state.step,
                "total_steps": state.total_steps,
                "losses": state.losses,
                "lr": state.lr,
                "pairs_per_second": state.pairs_per_second,
                "eta_seconds": state.eta_seconds,
            }
        )

    def on_evaluate(
        self, state: TrainerState, metrics: Mapping[str, float], control: TrainerControl
    ) -> None:
        emit_json_line({"event": "evaluate", "step": state.step, "metrics": dict(metrics)})


def _metrics_line(metrics: dict[str, float]) -> str:
    keys = ("xsim_cos_error", "xsim_margin_error")
    return ", ".join(f"{k} {metrics[k]:.2f} %" for k in keys if k in metrics)
