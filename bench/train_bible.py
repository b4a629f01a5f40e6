"""MEXMA fine-tuning of the default model on the English-Spanish Bible, for a wall-clock budget.

Data set: ``bitext/bible-en-es.tsv`` with its splits file: training on the (validated) train
split, xsim error (cosine and margin, en->es and es->en) on the 1,000-pair test split before
and after training. Reports throughput (pairs/s) and peak memory (process RSS; CUDA peak
allocation on GPU). Results are printed and written as JSON into ``bench/results/``.

    python bench/train_bible.py --minutes 30 --config full
    python bench/train_bible.py --minutes 30 --ablations   # five configs, same budget each

The budget maps to a step count: a short calibration run measures seconds per step, and the
learning-rate schedule then spans ``budget / seconds_per_step`` steps (a TimeBudget callback
stops a run that turns out slower). Each ablation runs in its own process, so its peak RSS is
its own.

Bench defaults (unlike the CLI, whose defaults are the paper's: turning the masked-LM XLM-R
large into a sentence encoder): lr 3e-5, because the start is already a good sentence encoder
and the paper's 1e-4 would undo much of it early on; 32 pairs per step and max length 96
tokens, which suit a CPU and short Bible verses; bf16 autocast (fp32 master weights) and frozen
token embeddings, which together make a CPU step about twice as fast (16.2 -> ~8 s for 32
pairs on the 2-core dev machine, with the chunked vocabulary loss) and which
``--precision fp32 --train-embeddings`` turn off. Warm-up and clipping as in the paper.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
from transformers.utils import logging as transformers_logging

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from mexma_search.encoder.default_model import prepare_default_model  # noqa: E402
from mexma_search.encoder.evaluate import evaluate_bitext  # noqa: E402
from mexma_search.encoder.model import SentenceEncoder  # noqa: E402
from mexma_search.encoder.training.callbacks import ProgressBar, TimeBudget, TrainerCallback  # noqa: E402
from mexma_search.encoder.training.config import TrainingConfig  # noqa: E402
from mexma_search.encoder.training.data import BitextSource, TrainingSplits, fixed_splits  # noqa: E402
from mexma_search.encoder.training.loop import train  # noqa: E402
from mexma_search.encoder.training.pair_stream import Pair  # noqa: E402

DATASET = "bible-en-es"
CALIBRATION_STEPS = 4
# Overrun allowed past the planned steps before the TimeBudget callback stops a slow run.
BUDGET_SLACK = 1.1
ABLATIONS: dict[str, dict[str, Any]] = {
    "full": {},
    "no-token-gradient": {"token_gradient": False},
    "no-koleo": {"koleo": False},
    "contrastive": {"alignment": "contrastive"},
    "cls-pooling": {"pooling": "cls"},
    "mean-pooling": {"pooling": "mean"},
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", choices=sorted(ABLATIONS), default="full")
    parser.add_argument("--ablations", action="store_true", help="run the five ablation configs")
    parser.add_argument("--minutes", type=float, default=30.0, help="training budget per config")
    parser.add_argument("--model", type=Path, help="model directory (default: the default model)")
    parser.add_argument("--models-dir", type=Path, default=REPO_ROOT / "models")
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--grad-accumulation", type=int, default=1)
    parser.add_argument("--lr", type=float, default=3e-5)
    parser.add_argument("--max-length", type=int, default=96)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--precision", default="bf16")
    parser.add_argument(
        "--train-embeddings",
        action="store_true",
        help="train the token embeddings too (the bench freezes them by default)",
    )
    parser.add_argument("--eval-batch-size", type=int, default=64)
    parser.add_argument("--test-limit", type=int, help="evaluate on the first N test pairs only")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results")
    parser.add_argument("--no-before", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json-out", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def bible_splits(data_dir: Path, limit: int | None) -> tuple[TrainingSplits, list[Pair]]:
    """The train pair source and the test pairs (first ``limit`` of them if given)."""
    bitext = data_dir / "bitext"
    source = BitextSource(bitext / f"{DATASET}.tsv")
    splits = fixed_splits(source, bitext / f"{DATASET}.splits.json", held_out="test")
    return splits, splits.held_out[:limit] if limit else splits.held_out


def xsim(encoder: SentenceEncoder, pairs: list[Pair], batch_size: int) -> dict[str, Any]:
    src, trg = [s for s, _ in pairs], [t for _, t in pairs]
    return evaluate_bitext(encoder, src, trg, batch_size=batch_size)


def training_config(args: argparse.Namespace, output_dir: Path, **changes: Any) -> TrainingConfig:
    settings: dict[str, Any] = {
        "output_dir": output_dir,
        "batch_size": args.batch_size,
        "grad_accumulation": args.grad_accumulation,
        "learning_rate": args.lr,
        "max_length": args.max_length,
        "seed": args.seed,
        "device": args.device,
        "precision": args.precision,
        "checkpoint_every": 0,
        "freeze_embeddings": not args.train_embeddings,
        **ABLATIONS[args.config],
    }
    settings.update(changes)
    return TrainingConfig.from_options(**settings)


class StepClock(TrainerCallback):
    """Times optimiser steps after the first (which pays one-off start-up costs)."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def on_step_end(self, state: Any, control: Any) -> None:
        self.times.append(time.perf_counter())

    def seconds_per_step(self) -> float:
        return (self.times[-1] - self.times[0]) / (len(self.times) - 1)


def calibrate(args: argparse.Namespace, model: Path, splits: TrainingSplits, tmp: Path) -> float:
    """Seconds per optimiser step of this config, from a few steps on a throwaway copy."""
    clock = StepClock()
    config = training_config(args, tmp / "calibration", max_steps=CALIBRATION_STEPS)
    train(SentenceEncoder.load(model, device=args.device), splits.train, config, callbacks=[clock])
    return clock.seconds_per_step()


def peak_memory() -> dict[str, float | None]:
    """Peak RSS of this process and, on CUDA, the peak allocated GPU memory (MiB)."""
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # ru_maxrss is KiB
    gpu = torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None
    return {"peak_rss_mib": rss_mib, "peak_cuda_allocated_mib": gpu}


def run_one(args: argparse.Namespace) -> dict[str, Any]:
    """Calibrate, train for the budget and evaluate one config."""
    model = args.model or prepare_default_model(args.models_dir).path
    splits, test = bible_splits(args.data_dir, args.test_limit)
    budget = 60 * args.minutes
    with tempfile.TemporaryDirectory(prefix="train-bible-") as tmp:
        seconds_per_step = calibrate(args, model, splits, Path(tmp))
        encoder = SentenceEncoder.load(model, device=args.device)
        before = None if args.no_before else xsim(encoder, test, args.eval_batch_size)
        steps = max(1, int(budget / seconds_per_step))
        config = training_config(args, Path(tmp) / "run", max_steps=steps)
        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
        callbacks = [TimeBudget(budget * BUDGET_SLACK), ProgressBar(mininterval=5)]
        result = train(encoder, splits.train, config, callbacks=callbacks)
    after = xsim(encoder, test, args.eval_batch_size)
    return {
        "config": args.config,
        "changes": ABLATIONS[args.config],
        "dataset": f"{DATASET}: train split (validated); xsim on the test split "
        f"({len(test)} pairs; src=en, trg=es)",
        "model": str(model),
        "pooling": encoder.config.pooling,
        "device": str(encoder.device),
        "budget_minutes": args.minutes,
        "settings": {
            k: getattr(config, k)
            for k in (
                "batch_size",
                "grad_accumulation",
                "learning_rate",
                "max_length",
                "warmup_ratio",
                "precision",
                "freeze_embeddings",
                "seed",
            )
        },
        "calibrated_seconds_per_step": seconds_per_step,
        "status": result.status,
        "steps": result.steps,
        "planned_steps": steps,
        "pairs_seen": result.steps * args.batch_size * args.grad_accumulation,
        "train_seconds": result.train_seconds,
        "pairs_per_second": result.pairs_per_second,
        "final_losses": result.losses,
        "before": before,
        "after": after,
        **peak_memory(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def run_ablations(args: argparse.Namespace, argv: list[str]) -> list[dict[str, Any]]:
    """Each ablation in a child process (own peak RSS), sharing one 'before' evaluation."""
    model = args.model or prepare_default_model(args.models_dir).path
    encoder = SentenceEncoder.load(model, device=args.device)
    swap = "cls-pooling" if encoder.config.pooling == "mean" else "mean-pooling"
    names = ["full", "no-token-gradient", "no-koleo", "contrastive", swap]
    _, test = bible_splits(args.data_dir, args.test_limit)
    before = xsim(encoder, test, args.eval_batch_size)
    del encoder
    child_args = [a for a in argv if a != "--ablations"]
    reports = []
    with tempfile.TemporaryDirectory(prefix="ablations-") as tmp:
        for name in names:
            out = Path(tmp) / f"{name}.json"
            command = [sys.executable, __file__, *child_args, "--config", name, "--no-before",
                       "--json-out", str(out), "--model", str(model)]  # fmt: skip
            subprocess.run(command, check=True)
            reports.append({**json.loads(out.read_text()), "before": before})
    return reports


def print_table(reports: list[dict[str, Any]]) -> None:
    def errors(result: dict[str, Any] | None, key: str) -> str:
        if result is None:
            return "      -      "
        return f"{result[key]['src2trg']:5.2f}/{result[key]['trg2src']:5.2f}"

    print(f"\n{reports[0]['dataset']}; budget {reports[0]['budget_minutes']} min per config")
    print(
        f"{'config':<18} {'steps':>6} {'pairs/s':>8} {'cos err before':>15} {'after':>13} "
        f"{'margin before':>14} {'after':>13} {'RSS MiB':>8} {'GPU MiB':>8}"
    )
    for r in reports:
        gpu = r["peak_cuda_allocated_mib"]
        cos = [errors(r[when], "xsim_cos_error") for when in ("before", "after")]
        margin = [errors(r[when], "xsim_margin_error") for when in ("before", "after")]
        print(
            f"{r['config']:<18} {r['steps']:>6} {r['pairs_per_second']:>8.1f} "
            f"{cos[0]:>15} {cos[1]:>13} {margin[0]:>14} {margin[1]:>13} "
            f"{r['peak_rss_mib']:>8.0f} {'-' if gpu is None else f'{gpu:.0f}':>8}"
        )
    print("errors in %, en->es/es->en")


def main(argv: list[str] | None = None) -> None:
    transformers_logging.disable_progress_bar()
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.ablations:
        reports = run_ablations(args, argv)
        name = "ablations"
    else:
        reports = [run_one(args)]
        name = args.config
    if args.json_out:
        args.json_out.write_text(json.dumps(reports[0], indent=2) + "\n")
        return
    print_table(reports)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    out_file = args.out / f"train_bible-{name}-{stamp}.json"
    out_file.write_text(json.dumps(reports if args.ablations else reports[0], indent=2) + "\n")
    print(f"\nwritten to {out_file}")


if __name__ == "__main__":
    main()
