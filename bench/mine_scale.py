"""Mining at scale: time and peak memory of mining N x N sentences (no N x N matrix).

Encoding 2 x 200k sentences on a CPU takes hours, so the vectors are stand-ins built like
``bench/index_scale.py`` builds its points: real vectors of the default model (the cached Bible
verse vectors of ``bench/mine_bible.py``, so run that first) plus Gaussian noise, re-normalised.
A share ``--translated`` of the target rows are translations of source rows (the source vector
plus a smaller noise); precision and recall against them are a sanity check, the figures that
matter are time (wall and CPU) and peak RSS.

    python bench/mine_scale.py --n 200000 [--translated 0.2]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS_DIR, machine, rss_mb, write_report

from mexma_search.encoder.evaluate import choose_threshold, mining_scores
from mexma_search.tm.mining import DEFAULT_MINING_CANDIDATES, mine_candidates

DIM = 384


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200_000, help="sentences per side")
    parser.add_argument("--translated", type=float, default=0.2)
    parser.add_argument("--noise", type=float, default=0.6, help="spread around a real vector")
    parser.add_argument("--translation-noise", type=float, default=0.25)
    parser.add_argument("--candidates", type=int, default=DEFAULT_MINING_CANDIDATES)
    parser.add_argument("--cache", type=Path, default=RESULTS_DIR / "mine_cache")
    return parser.parse_args()


def real_vectors(cache: Path) -> np.ndarray:
    """Real sentence vectors to build the stand-ins around."""
    stored = sorted(cache.glob("*-en.npz")) + sorted(cache.glob("*-es.npz"))
    if not stored:
        raise SystemExit(f"no cached vectors in {cache}: run bench/mine_bible.py first")
    return np.concatenate([np.stack(list(np.load(path).values())) for path in stored])


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def stand_ins(
    base: np.ndarray, n: int, translated: int, noise: float, translation_noise: float
) -> tuple[np.ndarray, np.ndarray]:
    """Source and target sides; target row i < ``translated`` translates source row i."""
    rng = np.random.default_rng(0)
    scale = noise / np.sqrt(DIM)
    src = unit(base[rng.integers(0, len(base), n)] + rng.normal(0, scale, (n, DIM)))
    trg = unit(base[rng.integers(0, len(base), n)] + rng.normal(0, scale, (n, DIM)))
    trg[:translated] = unit(
        src[:translated] + rng.normal(0, translation_noise / np.sqrt(DIM), (translated, DIM))
    )
    return src, trg


def main() -> None:
    args = parse_args()
    translated = int(args.n * args.translated)
    src, trg = stand_ins(
        real_vectors(args.cache), args.n, translated, args.noise, args.translation_noise
    )
    before = rss_mb()
    load_before = os.getloadavg()
    started, cpu_started = time.perf_counter(), time.process_time()
    candidates = mine_candidates(src, trg, candidates=args.candidates)
    mine_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    gold = {(i, i) for i in range(translated)}
    threshold, _ = choose_threshold(candidates, gold)
    scores = mining_scores(candidates, gold, threshold)
    report = {
        "data": f"{args.n} x {args.n} stand-in vectors (real e5 vectors + noise {args.noise}), "
        f"{translated} translated pairs (noise {args.translation_noise})",
        "candidates_per_sentence": args.candidates,
        "mine_s": mine_s,
        "mine_cpu_s": cpu_s,
        "load_average_before": [round(x, 2) for x in load_before],
        "rss_before_mb": before,
        "peak_rss_mb": peak,
        "vectors_mb": (src.nbytes + trg.nbytes) / 2**20,
        "candidate_pairs": len(candidates),
        "best_f1_sanity": {"precision": scores.precision, "recall": scores.recall, "f1": scores.f1},
        "machine": machine(),
    }
    print({k: v for k, v in report.items() if k != "machine"})
    print(write_report(report, RESULTS_DIR, "mine_scale"))


if __name__ == "__main__":
    main()
