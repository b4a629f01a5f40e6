"""Fine-tune the default model for ``bench/mine_bible.py``: the admin tab's training defaults.

Trains on the Bible en-es train split minus the verses ``mine_bible.py`` uses as distractors
(so no distractor was seen with its translation), with the defaults a train job started from
the admin tab uses (``app/training_params.job_defaults``: batch size of the settings, learning
rate, no token-level gradient, distillation) for ``--steps`` optimiser steps, and exports the
model to ``--out``. Prints steps, pairs and time.

    python bench/finetune_for_mining.py --steps 20 --out bench/results/mining-finetuned
    python bench/mine_bible.py --model bench/results/mining-finetuned/model

``--set KEY=VALUE`` (repeatable) changes one of those defaults, e.g. ``--set distill_weight=20``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from transformers.utils import logging as transformers_logging

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DEFAULT_DATA_DIR, DEFAULT_MODELS_DIR, machine
from evaluate_bible import read_bible
from finetune_keeps_search import add_set_option, option_overrides
from mine_bible import distractor_refs

from mexma_search.app.settings import Settings
from mexma_search.app.training_params import job_defaults
from mexma_search.encoder.default_model import prepare_default_model
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.encoder.training.callbacks import ProgressBar
from mexma_search.encoder.training.config import TrainingConfig
from mexma_search.encoder.training.loop import train


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--precision", default="auto", help="bf16 halves a CPU step's time")
    parser.add_argument("--distractors", type=int, default=5000)
    parser.add_argument("--dev-distractors", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    add_set_option(parser, "a training option changed from the admin defaults (value as JSON)")
    return parser.parse_args()


def main() -> None:
    transformers_logging.disable_progress_bar()
    args = parse_args()
    bible = read_bible(args.data_dir)
    held = set(distractor_refs(bible, args.distractors, args.dev_distractors))
    refs = [ref for ref in bible.splits["train"] if ref not in held]
    pairs = [(bible.texts["en"][ref], bible.texts["es"][ref]) for ref in refs]
    encoder = SentenceEncoder.load(prepare_default_model(args.models_dir).path)
    config = TrainingConfig.from_options(
        **{**job_defaults(Settings()), **option_overrides(args.overrides)},
        output_dir=args.out,
        max_steps=args.steps,
        precision=args.precision,
        checkpoint_every=0,
    )
    result = train(encoder, lambda: pairs, config, callbacks=[ProgressBar(mininterval=30)])
    report = {
        "train_pairs_available": len(pairs),
        "steps": result.steps,
        "pairs_per_step": config.batch_size * config.grad_accumulation,
        "train_seconds": result.train_seconds,
        "precision": args.precision,
        "overrides": option_overrides(args.overrides),
        "final_losses": result.losses,
        "model_dir": str(result.model_dir),
        "machine": machine(),
    }
    print(json.dumps(report, indent=2))
    (args.out / "finetune_report.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
