"""Does fine-tuning on translations keep same-language search? Base vs fine-tuned configs.

Fine-tunes the default model on the English-Spanish Bible train split
(``shared/data/bitext/bible-en-es.tsv`` and its splits file) with each config for the same
number of steps, and scores the base model and every result on:

- the xsim margin error en->es and es->en on the Bible test split (percent, lower is better);
- dense retrieval on the non-Bible wiki dev set ``bench/retrieval_sets/wiki`` (a Wikipedia
  article's first sentence finds the rest of the article): recall@1, recall@10 and MRR@10 of
  the same-language queries (en->en, fr->fr, es->es) and of the cross-language ones. Each
  document is its title and first ``--doc-words`` words, encoded as one text and ranked by
  cosine, without the app's passages, keywords or index.

Configs: ``previous`` (the admin tab's defaults before distillation: lr 3e-5, no token-level
gradient), ``distill`` (the same plus ``--distill-weight``, at ``--learning-rate`` when
given), ``distill-low-lr`` (that at half the learning rate), ``distill-no-mlm`` (``distill``
without the unmasking loss) and ``default`` (the admin tab's defaults now,
``FINE_TUNING_DEFAULTS``). ``--set KEY=VALUE`` (repeatable; the value read as JSON where it
parses, e.g. ``--set alignment=contrastive --set distill_weight=10``) changes a training option
in every config run.
Every config trains with ``--batch-size`` pairs per step, max length ``--max-length`` and
``--precision`` (bf16 autocast makes a CPU step about twice as fast), seed 0. ``--score DIR``
scores a model trained elsewhere (e.g. by ``finetune_for_mining.py``) beside them.

    python bench/finetune_keeps_search.py --steps 50 --configs previous,default
    python bench/finetune_keeps_search.py --configs '' --score DIR/model
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from transformers.utils import logging as transformers_logging

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "src"))

from mexma_search.app.training_params import FINE_TUNING_DEFAULTS  # noqa: E402
from mexma_search.encoder.default_model import prepare_default_model  # noqa: E402
from mexma_search.encoder.evaluate import evaluate_bitext  # noqa: E402
from mexma_search.encoder.model import SentenceEncoder  # noqa: E402
from mexma_search.encoder.pair_retrieval import ranked_lists  # noqa: E402
from mexma_search.encoder.retrieval_metrics import score_rankings  # noqa: E402
from mexma_search.encoder.training.callbacks import ProgressBar  # noqa: E402
from mexma_search.encoder.training.config import TrainingConfig  # noqa: E402
from mexma_search.encoder.training.data import BitextSource, fixed_splits  # noqa: E402
from mexma_search.encoder.training.loop import train  # noqa: E402

DATASET = "bible-en-es"
WIKI = REPO_ROOT / "bench" / "retrieval_sets" / "wiki"
PREVIOUS_DEFAULTS: dict[str, Any] = {"learning_rate": 3e-5, "token_gradient": False}


def configs(distill_weight: float, learning_rate: float) -> dict[str, dict[str, Any]]:
    """The configs by name."""
    distill = {**PREVIOUS_DEFAULTS, "distill_weight": distill_weight}
    if learning_rate:
        distill["learning_rate"] = learning_rate
    return {
        "previous": PREVIOUS_DEFAULTS,
        "distill": distill,
        "distill-low-lr": {**distill, "learning_rate": PREVIOUS_DEFAULTS["learning_rate"] / 2},
        # the unmasking head starts untrained: its loss reaches the encoder through the
        # sentence vectors, so leaving it out shows what it costs same-language search
        "distill-no-mlm": {**distill, "mlm_weight": 0.0},
        "default": dict(FINE_TUNING_DEFAULTS),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default="previous,distill", help="comma-separated names")
    parser.add_argument("--distill-weight", type=float, default=1.0)
    parser.add_argument(
        "--learning-rate", type=float, default=0.0, help="of the distill configs (0: 3e-5)"
    )
    add_set_option(parser, "a training option changed in every config")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=96)
    parser.add_argument("--precision", default="bf16")
    parser.add_argument("--test-limit", type=int, default=1000, help="Bible test pairs scored")
    parser.add_argument("--doc-words", type=int, default=64, help="words kept per wiki doc")
    parser.add_argument("--eval-batch-size", type=int, default=64)
    parser.add_argument("--no-base", action="store_true", help="do not score the base model")
    parser.add_argument(
        "--score",
        dest="trained",
        action="append",
        default=[],
        type=Path,
        metavar="MODEL_DIR",
        help="also score this already trained model (repeatable); --configs '' trains none",
    )
    parser.add_argument("--models-dir", type=Path, default=REPO_ROOT / "models")
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results")
    return parser.parse_args(argv)


def add_set_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    """``--set KEY=VALUE`` (repeatable) into ``args.overrides``; see :func:`option_overrides`."""
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=help_text,
    )


def option_overrides(pairs: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` strings as options, each value read as JSON where it parses."""
    overrides: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"--set takes KEY=VALUE, got {pair!r}")
        try:
            overrides[key] = json.loads(value)
        except json.JSONDecodeError:
            overrides[key] = value
    return overrides


def wiki_set(words: int) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    """The wiki dev set: document names, their texts (title and the first ``words`` words)
    and the queries."""
    paths = sorted((WIKI / "corpus").glob("*.txt"))
    texts = [" ".join(p.read_text(encoding="utf-8").split()[:words]) for p in paths]
    queries = [json.loads(line) for line in (WIKI / "queries.jsonl").read_text().splitlines()]
    return [p.name for p in paths], texts, queries


def wiki_retrieval(
    encoder: SentenceEncoder, batch_size: int, words: int
) -> dict[str, dict[str, float]]:
    """Recall@1/10 and MRR@10 of the same-language and the cross-language wiki queries."""
    names, texts, queries = wiki_set(words)
    index = {name: i for i, name in enumerate(names)}
    documents = encoder.encode_array(texts, prompt="passage", batch_size=batch_size)
    vectors = encoder.encode_array(
        [q["query"] for q in queries], prompt="query", batch_size=batch_size
    )
    ranked = ranked_lists(vectors, documents)
    kinds: dict[str, list[tuple[list[int], set[int]]]] = {"same": [], "cross": []}
    for query, row in zip(queries, ranked, strict=True):
        source, target = query["group"].split("->")
        kinds["same" if source == target else "cross"].append(
            (row.tolist(), {index[query["document"]]})
        )
    return {kind: score_rankings(rows).to_dict() for kind, rows in kinds.items()}


def score(encoder: SentenceEncoder, test: list[tuple[str, str]], args: argparse.Namespace) -> dict:
    started = time.perf_counter()
    batch_size = args.eval_batch_size
    xsim = evaluate_bitext(
        encoder, [s for s, _ in test], [t for _, t in test], batch_size=batch_size
    )
    return {
        "xsim_margin_error": xsim["xsim_margin_error"],
        "xsim_cos_error": xsim["xsim_cos_error"],
        "wiki": wiki_retrieval(encoder, batch_size, args.doc_words),
        "eval_seconds": time.perf_counter() - started,
    }


def run_config(
    args: argparse.Namespace, model: Path, splits: Any, test: list, name: str, changes: dict
) -> dict[str, Any]:
    encoder = SentenceEncoder.load(model)
    with tempfile.TemporaryDirectory(prefix="finetune-keeps-search-") as tmp:
        config = TrainingConfig.from_options(
            output_dir=Path(tmp),
            max_steps=args.steps,
            batch_size=args.batch_size,
            max_length=args.max_length,
            precision=args.precision,
            checkpoint_every=0,
            **changes,
        )
        result = train(encoder, splits.train, config, callbacks=[ProgressBar(mininterval=30)])
    return {
        "config": name,
        "changes": changes,
        "steps": result.steps,
        "train_seconds": result.train_seconds,
        "final_losses": result.losses,
        **score(encoder, test, args),
    }


def print_table(reports: list[dict[str, Any]], args: argparse.Namespace, pairs: int) -> None:
    trained = (
        f"configs trained here: Bible en-es train split, {args.steps} optimiser steps of "
        f"{TrainingConfig.grad_accumulation} x {args.batch_size} pairs, max length "
        f"{args.max_length}, {args.precision}; "
        if args.configs
        else ""
    )
    print(
        f"\n{trained}xsim margin error (%) on {pairs} Bible test pairs; wiki dev set dense "
        "retrieval (%)"
    )
    print(
        f"{'config':<40} {'s/step':>7} {'margin en>es':>12} {'es>en':>6} {'same R@1':>9} "
        f"{'R@10':>6} {'MRR@10':>7} {'cross R@1':>10} {'R@10':>6} {'MRR@10':>7}"
    )
    for r in reports:
        step = r["train_seconds"] / r["steps"] if r.get("steps") else 0.0
        same, cross = r["wiki"]["same"], r["wiki"]["cross"]
        margin = r["xsim_margin_error"]
        print(
            f"{r['config']:<40} {step:>7.1f} {margin['src2trg']:>12.2f} {margin['trg2src']:>6.2f} "
            f"{same['recall@1']:>9.1f} {same['recall@10']:>6.1f} {same['mrr@10']:>7.1f} "
            f"{cross['recall@1']:>10.1f} {cross['recall@10']:>6.1f} {cross['mrr@10']:>7.1f}"
        )


def main(argv: list[str] | None = None) -> None:
    transformers_logging.disable_progress_bar()
    args = parse_args(argv)
    chosen = configs(args.distill_weight, args.learning_rate)
    names = [name for name in args.configs.split(",") if name]
    unknown = [n for n in names if n not in chosen]
    if unknown:
        raise SystemExit(f"unknown config(s) {unknown}; known: {sorted(chosen)}")
    model = prepare_default_model(args.models_dir).path
    bitext = args.data_dir / "bitext"
    source = BitextSource(bitext / f"{DATASET}.tsv")
    splits = fixed_splits(source, bitext / f"{DATASET}.splits.json", held_out="test")
    test = splits.held_out[: args.test_limit]
    reports = (
        []
        if args.no_base
        else [{"config": "base", **score(SentenceEncoder.load(model), test, args)}]
    )
    for trained in args.trained:
        reports.append({"config": str(trained), **score(SentenceEncoder.load(trained), test, args)})
    for report in reports:
        print(json.dumps(report), flush=True)
    overrides = option_overrides(args.overrides)
    suffix = "".join(f" {key}={value}" for key, value in overrides.items())
    for name in names:
        changes = {**chosen[name], **overrides}
        reports.append(run_config(args, model, splits, test, name + suffix, changes))
        print(json.dumps(reports[-1]), flush=True)
    print_table(reports, args, len(test))
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    out_file = args.out / f"finetune_keeps_search-{stamp}.json"
    out_file.write_text(
        json.dumps(
            {"args": vars(args) | {"out": str(args.out)}, "reports": reports}, default=str, indent=2
        )
        + "\n"
    )
    print(f"\nwritten to {out_file}")


if __name__ == "__main__":
    main()
