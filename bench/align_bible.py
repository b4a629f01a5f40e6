"""Document alignment on Bible chapters in English and Spanish, scored against the verses.

Each chapter becomes a plain document per language: its verses joined by spaces (no verse
numbers), split into sentences by the app's splitter. A sentence belongs to the verses its
characters come from; the gold alignment is the smallest blocks of consecutive sentences of
both sides that cover the same verses. The aligner (``mexma_search.tm.align``, default model)
aligns each chapter; scores: link-level (every source x target sentence of a pair) and strict
(exact blocks) precision / recall / F1.

    python bench/align_bible.py [--chapters 40] [--seed 0] [--skip-cost 0.6]

Chapters are drawn at random (``--seed``); tune on one seed, report on another.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DEFAULT_DATA_DIR, DEFAULT_MODELS_DIR, RESULTS_DIR, machine, write_report
from evaluate_bible import read_bible

from mexma_search.documents.split import split_sentences
from mexma_search.encoder.default_model import prepare_default_model
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.tm.align import DEFAULT_SKIP_COST, Encode, SpanVectors, align_vectors
from mexma_search.tm.align_scores import Block, link_scores, strict_scores, unit_scores


def chapter_document(verses: list[str], lang: str) -> tuple[list[str], list[set[int]]]:
    """The chapter's sentences and, for each, the verse numbers (0-based) it draws from."""
    text, starts = "", []
    for verse in verses:
        starts.append(len(text))
        text += verse.strip() + " "
    sentences, sentence_verses = [], []
    for span in split_sentences(text, lang):
        sentences.append(span.of(text))
        sentence_verses.append(
            {
                v
                for v, start in enumerate(starts)
                if start < span.end and span.start < start + len(verses[v].strip()) + 1
            }
        )
    return sentences, sentence_verses


def gold_blocks(src_verses: list[set[int]], trg_verses: list[set[int]]) -> list[Block]:
    """Minimal blocks of consecutive sentences on both sides covering the same verses."""
    blocks: list[Block] = []
    i = j = 0
    while i < len(src_verses) and j < len(trg_verses):
        src, trg = [i], [j]
        while True:
            covered_src = set().union(*(src_verses[s] for s in src))
            covered_trg = set().union(*(trg_verses[t] for t in trg))
            covered = covered_src | covered_trg
            next_src = src[-1] + 1 if src[-1] + 1 < len(src_verses) else None
            next_trg = trg[-1] + 1 if trg[-1] + 1 < len(trg_verses) else None
            if next_src is not None and src_verses[next_src] & covered:
                src.append(next_src)
            elif next_trg is not None and trg_verses[next_trg] & covered:
                trg.append(next_trg)
            elif (
                covered_src != covered_trg
                and next_src is not None
                and (next_trg is None or max(covered_src) < max(covered_trg))
            ):
                src.append(next_src)
            elif covered_src != covered_trg and next_trg is not None:
                trg.append(next_trg)
            else:
                break
        blocks.append((tuple(src), tuple(trg)))
        i, j = src[-1] + 1, trg[-1] + 1
    return blocks


def chapters(refs: list[str]) -> dict[str, list[str]]:
    """Refs grouped by chapter (``Book.chapter``), in order."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for ref in refs:
        grouped[ref.rsplit(".", 1)[0]].append(ref)
    return grouped


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR)
    parser.add_argument("--chapters", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-cost", type=float, nargs="+", default=[DEFAULT_SKIP_COST])
    parser.add_argument("--precision", default="bf16")
    parser.add_argument(
        "--cache", type=Path, default=RESULTS_DIR / "align_cache", help="vectors kept per chapter"
    )
    return parser.parse_args()


@dataclass
class Chapter:
    """One chapter in both languages: span vectors, each sentence's verses, the gold blocks."""

    src: SpanVectors
    trg: SpanVectors
    src_verses: list[set[int]]
    trg_verses: list[set[int]]


def load_chapter(
    name: str, verses: tuple[list[str], list[str]], encode: Encode, cache: Path
) -> Chapter:
    """Split and encode a chapter (vectors cached in ``cache`` by chapter name)."""
    en, en_verses = chapter_document(verses[0], "en")
    es, es_verses = chapter_document(verses[1], "es")
    path = cache / f"{name}.npz"
    if path.exists():
        stored = np.load(path)
        spans = [
            SpanVectors(stored[f"{side}_single"], stored[f"{side}_double"]) for side in ("en", "es")
        ]
    else:
        spans = [SpanVectors.encode(en, encode), SpanVectors.encode(es, encode)]
        cache.mkdir(parents=True, exist_ok=True)
        np.savez(
            path,
            en_single=spans[0].single,
            en_double=spans[0].double,
            es_single=spans[1].single,
            es_double=spans[1].double,
        )
    return Chapter(spans[0], spans[1], en_verses, es_verses)


def score(chapters: list[Chapter], skip_cost: float) -> dict[str, Any]:
    """Align every chapter; link, strict and verse-level scores over all of them."""
    started = time.perf_counter()
    predicted: list[Block] = []
    gold: list[Block] = []
    src_units: list[set[int]] = []
    trg_units: list[set[int]] = []
    for number, chapter in enumerate(chapters):
        src_offset, trg_offset, unit_offset = len(src_units), len(trg_units), 1000 * number

        def shifted(
            block: Block, src_offset: int = src_offset, trg_offset: int = trg_offset
        ) -> Block:
            return (
                tuple(s + src_offset for s in block[0]),
                tuple(t + trg_offset for t in block[1]),
            )

        for pair in align_vectors(chapter.src, chapter.trg, skip_cost=skip_cost):
            predicted.append(shifted((pair.src, pair.trg)))
        gold += [shifted(block) for block in gold_blocks(chapter.src_verses, chapter.trg_verses)]
        src_units += [{v + unit_offset for v in verses} for verses in chapter.src_verses]
        trg_units += [{v + unit_offset for v in verses} for verses in chapter.trg_verses]
    sizes = Counter((len(a), len(b)) for a, b in gold)
    return {
        "skip_cost": skip_cost,
        "verse": unit_scores(predicted, src_units, trg_units).to_dict(),
        "strict": strict_scores(predicted, gold).to_dict(),
        "link": link_scores(predicted, gold).to_dict(),
        "align_s": time.perf_counter() - started,
        "sentences": [len(src_units), len(trg_units)],
        "gold_blocks": len(gold),
        "gold_one_to_one": sizes[(1, 1)],
    }


def main() -> None:
    args = parse_args()
    bible = read_bible(args.data_dir)
    by_chapter = chapters(list(bible.texts["en"]))
    chosen = random.Random(args.seed).sample(sorted(by_chapter), args.chapters)
    encoder = SentenceEncoder.load(
        prepare_default_model(args.models_dir).path, precision=args.precision
    )

    def encode(texts: Sequence[str]) -> np.ndarray:
        return encoder.encode_array(list(texts), prompt="passage", batch_size=32)

    started = time.perf_counter()
    loaded = [
        load_chapter(
            name,
            tuple([bible.texts[lang][r] for r in by_chapter[name]] for lang in ("en", "es")),
            encode,
            args.cache / encoder.config.name,
        )
        for name in chosen
    ]
    encode_s = time.perf_counter() - started
    results = [score(loaded, skip_cost) for skip_cost in args.skip_cost]
    for result in results:
        print(json.dumps(result))
    report = {
        "data": f"{args.chapters} Bible chapters en-es (seed {args.seed})",
        "model": encoder.config.name,
        "encode_s": encode_s,
        "results": results,
        "machine": machine(),
    }
    print(report["data"], f"encode {encode_s:.1f} s")
    print(write_report(report, RESULTS_DIR, "align_bible"))


if __name__ == "__main__":
    main()
