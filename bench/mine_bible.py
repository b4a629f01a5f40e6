"""Bitext mining on the English-Spanish Bible, BUCC-style, through the app's mining path.

Sides: the 1,000 test verses in English and in Spanish, each side shuffled together with
``--distractors`` unpaired train verses (different ones per side, so no distractor has its
own translation on the other side; a parallel passage told twice may still have one, which
the gold counts as wrong: see ``mine_errors.py``). The threshold is chosen on the dev split
mined the same way (with ``--dev-distractors`` per side) and scored on test; the default
threshold and the best threshold on test (an oracle) are reported too. Both the app's selection
(``mine_candidates``: each sentence in at most one pair) and the plain union of both directions
are scored.
Vectors are cached under ``--cache``.

``--distractor-source wikipedia`` takes the distractors from the Wikipedia lead summaries
instead (sentences of 4-80 words of the English and the Spanish summaries, leaving out the
articles whose title both languages have), as BUCC fills its sides with monolingual text.

    python bench/mine_bible.py [--distractors 5000] [--dev-distractors 1000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    DEFAULT_DATA_DIR,
    DEFAULT_MODELS_DIR,
    RESULTS_DIR,
    machine,
    read_summaries,
    rss_mb,
    write_report,
)
from evaluate_bible import Bible, read_bible

from mexma_search.documents.split import split_sentences
from mexma_search.encoder.default_model import prepare_default_model
from mexma_search.encoder.evaluate import Candidate, choose_threshold, mine, mining_scores
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.tm.mining import (
    DEFAULT_MINING_CANDIDATES,
    DEFAULT_THRESHOLD,
    mine_candidates,
)


def mining_parser(description: str, dev_distractors: int) -> argparse.ArgumentParser:
    """The options shared by the Bible mining benches: data, model, distractors, cache."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR)
    parser.add_argument("--model", type=Path, help="a model directory (default: the default)")
    parser.add_argument("--distractors", type=int, default=5000)
    parser.add_argument("--dev-distractors", type=int, default=dev_distractors)
    parser.add_argument("--precision", default="bf16")
    parser.add_argument("--cache", type=Path, default=RESULTS_DIR / "mine_cache")
    return parser


def parse_args() -> argparse.Namespace:
    parser = mining_parser(__doc__.split("\n\n")[0], dev_distractors=1000)
    parser.add_argument("--candidates", type=int, default=DEFAULT_MINING_CANDIDATES)
    parser.add_argument("--distractor-source", choices=["bible", "wikipedia"], default="bible")
    return parser.parse_args()


Side = tuple[np.ndarray, np.ndarray, set[tuple[int, int]]]
SAVE_EVERY = 1000


class VectorCache:
    """Verse vectors by language, encoded once and kept in one .npz per language."""

    def __init__(self, encoder: SentenceEncoder, bible: Bible, directory: Path) -> None:
        self.encoder, self.bible, self.directory = encoder, bible, directory
        directory.mkdir(parents=True, exist_ok=True)

    def vectors(self, refs: list[str], lang: str) -> np.ndarray:
        path = self.directory / f"{self.encoder.config.name}-{lang}.npz"
        stored = dict(np.load(path)) if path.exists() else {}
        missing = [ref for ref in dict.fromkeys(refs) if ref not in stored]
        # saved chunk by chunk, so that a run stopped on a busy machine keeps what it encoded
        for start in range(0, len(missing), SAVE_EVERY):
            chunk = missing[start : start + SAVE_EVERY]
            texts = [self.bible.texts[lang][ref] for ref in chunk]
            vectors = self.encoder.encode_array(texts, prompt="passage", batch_size=32)
            stored.update(zip(chunk, vectors, strict=True))
            np.savez(path, **stored)
        return np.stack([stored[ref] for ref in refs])


def distractor_refs(bible: Bible, distractors: int, dev_distractors: int) -> list[str]:
    """The train verses used as distractors: dev's two sides first, then test's."""
    return random.Random(0).sample(bible.splits["train"], 2 * distractors + 2 * dev_distractors)


def bible_distractors(
    bible: Bible, distractors: int, dev_distractors: int
) -> tuple[list[str], list[str]]:
    """The English side's and the Spanish side's distractor verses, dev's before test's."""
    d, dd = distractors, dev_distractors
    noise = distractor_refs(bible, d, dd)
    return noise[:dd] + noise[2 * dd : 2 * dd + d], noise[dd : 2 * dd] + noise[2 * dd + d :]


def wikipedia_distractors(bible: Bible, data_dir: Path, count: int) -> dict[str, list[str]]:
    """``count`` sentences of the English and of the Spanish Wikipedia summaries, added to
    ``bible.texts`` under refs of their own; their refs by language."""
    summaries = {lang: read_summaries(data_dir, lang) for lang in ("en", "es")}
    titles = [{s.title.casefold() for s in summaries[lang]} for lang in summaries]
    both = titles[0] & titles[1]
    refs = {}
    for lang, docs in summaries.items():
        sentences = dict.fromkeys(
            span.of(doc.text).strip()
            for doc in docs
            if doc.title.casefold() not in both
            for span in split_sentences(doc.text, lang)
        )
        kept = [text for text in sentences if 4 <= len(text.split()) <= 80]
        chosen = random.Random(0).sample(kept, count)
        refs[lang] = [f"wiki-{lang}-{i}" for i in range(count)]
        bible.texts[lang].update(zip(refs[lang], chosen, strict=True))
    return refs


SideRefs = tuple[list[str], list[str], set[tuple[int, int]]]


def side_refs(pairs: list[str], noise_src: list[str], noise_trg: list[str], seed: int) -> SideRefs:
    """The refs of the shuffled English and Spanish rows and the gold (row, row) pairs."""
    src_refs, trg_refs = pairs + noise_src, pairs + noise_trg
    src_order = random.Random(seed).sample(range(len(src_refs)), len(src_refs))
    trg_order = random.Random(seed + 1).sample(range(len(trg_refs)), len(trg_refs))
    src_row = {i: row for row, i in enumerate(src_order)}
    trg_row = {i: row for row, i in enumerate(trg_order)}
    return (
        [src_refs[i] for i in src_order],
        [trg_refs[i] for i in trg_order],
        {(src_row[i], trg_row[i]) for i in range(len(pairs))},
    )


def mining_side(
    cache: VectorCache, pairs: list[str], noise_src: list[str], noise_trg: list[str], seed: int
) -> Side:
    """Shuffled English and Spanish sides and the gold (row, row) pairs between them."""
    src_refs, trg_refs, gold = side_refs(pairs, noise_src, noise_trg, seed)
    return cache.vectors(src_refs, "en"), cache.vectors(trg_refs, "es"), gold


def scored_selection(
    dev: Side, test: Side, select: Callable[..., list[Candidate]], candidates: int
) -> dict[str, Any]:
    """Mine dev and test with ``select``; test P/R/F1 at the dev, default and oracle thresholds."""
    dev_candidates = select(dev[0], dev[1], candidates=candidates)
    test_candidates = select(test[0], test[1], candidates=candidates)
    dev_threshold, dev_f1 = choose_threshold(dev_candidates, dev[2])
    oracle_threshold, _ = choose_threshold(test_candidates, test[2])

    def scored(threshold: float) -> dict[str, float]:
        result = mining_scores(test_candidates, test[2], threshold)
        return {
            "threshold": threshold,
            "precision": 100 * result.precision,
            "recall": 100 * result.recall,
            "f1": 100 * result.f1,
        }

    return {
        "dev_f1": 100 * dev_f1,
        "test_at_dev_threshold": scored(dev_threshold),
        "test_at_default_threshold": scored(DEFAULT_THRESHOLD),
        "test_oracle": scored(oracle_threshold),
    }


def main() -> None:
    args = parse_args()
    bible = read_bible(args.data_dir)
    model = args.model or prepare_default_model(args.models_dir).path
    encoder = SentenceEncoder.load(model, precision=args.precision)
    cache = VectorCache(encoder, bible, args.cache)
    d, dd = args.distractors, args.dev_distractors
    if args.distractor_source == "wikipedia":
        wiki = wikipedia_distractors(bible, args.data_dir, d + dd)
        noise_src, noise_trg = wiki["en"], wiki["es"]
    else:
        noise_src, noise_trg = bible_distractors(bible, d, dd)
    started = time.perf_counter()
    dev = mining_side(cache, bible.splits["dev"], noise_src[:dd], noise_trg[:dd], seed=1)
    test = mining_side(cache, bible.splits["test"], noise_src[dd:], noise_trg[dd:], seed=2)
    encode_s = time.perf_counter() - started
    started = time.perf_counter()
    selections = {
        "one_to_one": scored_selection(dev, test, mine_candidates, args.candidates),
        "union": scored_selection(dev, test, mine, args.candidates),
    }
    mine_s = time.perf_counter() - started
    report = {
        "data": f"bible-en-es test split (1,000 pairs) + {d} {args.distractor_source} "
        "distractors per side, shuffled; "
        f"threshold chosen on dev (1,000 pairs + {dd} distractors per side)",
        "model": encoder.config.name,
        "candidates": args.candidates,
        **selections,
        "encode_s": encode_s,
        "mine_s": mine_s,
        "rss_mb": rss_mb(),
        "machine": machine(),
    }
    for name, selection in selections.items():
        print(name, "dev F1", round(selection["dev_f1"], 2))
        for key in ("test_at_dev_threshold", "test_at_default_threshold", "test_oracle"):
            print(" ", key, {k: round(v, 4) for k, v in selection[key].items()})
    print(write_report(report, RESULTS_DIR, "mine_bible"))


if __name__ == "__main__":
    main()
