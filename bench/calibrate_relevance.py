"""Fit the relevance labels' score thresholds on the dev sets' scored results.

Reads the JSON reports of ``bench/retrieval_eval.py`` (each query's first 10 documents: the
cosine of their best-ranked passage, and whether they answer the query) and, per search mode
and per kind of result (same language as the query, or another), finds:

- ``strong``: the lowest score such that at least STRONG_PRECISION of the results scoring at
  or above it answer their query (1.0 when no score does: such results are never strong);
- ``good``: the same with GOOD_PRECISION;
- ``floor``: the score that FLOOR_RECALL of the answering results reach (results below it are
  hidden behind a "no good match" notice).

Hybrid rankings are fused ranks, not similarities, so every mode is calibrated on the cosine
of the document's best-ranked passage (the score search reports). The thresholds are printed
as the Python literal that ``src/mexma_search/app/relevance.py`` keeps.

    python bench/calibrate_relevance.py bench/results/retrieval_eval-<label>-<stamp>.json ...
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

STRONG_PRECISION = 0.8
GOOD_PRECISION = 0.5
FLOOR_RECALL = 0.98
# a threshold must rest on at least this many results above it
MIN_SUPPORT = 20

Scored = list[tuple[float, bool]]


def lowest_score_with_precision(rows: Scored, precision: float) -> float:
    """The lowest score whose results at or above it answer their query at least
    ``precision`` of the time (1.0, out of reach, if none does)."""
    ranked = sorted(rows, key=lambda row: -row[0])
    found = 1.0
    relevant = 0
    for seen, (score, answers) in enumerate(ranked, start=1):
        relevant += answers
        if seen >= MIN_SUPPORT and relevant / seen >= precision:
            found = score
    return found


def floor_score(rows: Scored, recall: float) -> float:
    """The score that ``recall`` of the answering results reach."""
    scores = sorted(score for score, answers in rows if answers)
    return scores[int((1 - recall) * len(scores))]


def thresholds(rows: Scored) -> dict[str, float]:
    """strong / good / floor for one mode and kind."""
    strong = lowest_score_with_precision(rows, STRONG_PRECISION)
    good = min(lowest_score_with_precision(rows, GOOD_PRECISION), strong)
    return {
        "strong": round(strong, 3),
        "good": round(good, 3),
        "floor": round(min(floor_score(rows, FLOOR_RECALL), good), 3),
    }


def pooled(reports: Sequence[Path]) -> dict[tuple[str, str], Scored]:
    """Every scored result of the reports, by (mode, kind)."""
    rows: dict[tuple[str, str], Scored] = defaultdict(list)
    for path in reports:
        report = json.loads(path.read_text(encoding="utf-8"))
        for result in report["sets"].values():
            for mode, found in result["modes"].items():
                for score, answers, kind in found["scored_documents"]:
                    rows[mode, kind].append((float(score), bool(answers)))
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reports", nargs="+", type=Path)
    args = parser.parse_args(argv)
    fitted: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    print(f"{'mode':<7} {'kind':<6} {'results':>7} {'answer':>7}  thresholds")
    for (mode, kind), rows in sorted(pooled(args.reports).items()):
        if not any(answers for _, answers in rows):
            continue
        fitted[mode][kind] = thresholds(rows)
        answering = sum(answers for _, answers in rows)
        print(f"{mode:<7} {kind:<6} {len(rows):>7} {answering:>7}  {fitted[mode][kind]}")
    print(json.dumps(fitted, indent=4, sort_keys=True))


if __name__ == "__main__":
    main()
