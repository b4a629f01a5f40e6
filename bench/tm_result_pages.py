"""How fast the pairs table pages through a large mining result: reading the result file (the
first page of a job) and one filtered, sorted page from the cached pairs (every later page).

Synthetic pairs of about 60 characters a side, written once to a temporary file.

    python bench/tm_result_pages.py [--pairs 1000000]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from mexma_search.tm.mining import MinedPair
from mexma_search.tm.results import ResultCache, ResultQuery, result_page, write_results

WORDS = ["river", "bridge", "bakery", "morning", "train", "station", "library", "garden"]


def synthetic_pairs(count: int, seed: int = 0) -> list[MinedPair]:
    rng = random.Random(seed)
    return [
        MinedPair(
            " ".join(rng.choices(WORDS, k=9)) + f" {n}",
            " ".join(rng.choices(WORDS, k=9)) + f" {n}",
            round(1 + rng.random() / 5, 4),
        )
        for n in range(count)
    ]


def timed(label: str, action: object) -> None:
    started = time.perf_counter()
    action()  # type: ignore[operator]
    print(f"{label:<48} {time.perf_counter() - started:7.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "1.jsonl"
        write_results(path, synthetic_pairs(args.pairs))
        print(f"{args.pairs} pairs, {path.stat().st_size / 2**20:.0f} MiB")
        cache = ResultCache()
        timed("read the file (first page of a job)", lambda: cache.pairs(path))
        pairs = cache.pairs(path)
        queries = {
            "page 1 by score (cached)": ResultQuery(),
            "page 500 by score (cached)": ResultQuery(page=500),
            "min score 1.1, sorted by source (cached)": ResultQuery(min_score=1.1, sort="source"),
            "contains 'garden 12' (cached)": ResultQuery(contains="garden 12"),
        }
        for label, query in queries.items():
            timed(label, lambda query=query: result_page(pairs, query))


if __name__ == "__main__":
    main()
