"""What the verified mining's false pairs are: parallel passages the gold cannot list, or errors.

Reads the candidates and features that ``mine_verify.py --layers 4`` cached (run it first with
the same ``--cache``), scores them with the app's feature set refitted on dev's best partners
(as ``mine_verify.py`` does) and takes test's pairs at dev's threshold. Each false pair is put
in a class (two distractors, or a test verse given a wrong partner) and compared through the
English Bible: the word-sequence similarity of its source verse's English and its target
verse's English (difflib's ratio over lower-cased words), and whether the two state the same
numbers. A pair whose two verses say (nearly) the same thing in English is a translation that
the gold, which pairs each verse with its own translation only, counts as wrong; the bound
printed for each similarity floor is the precision and F1 if such pairs with the same numbers
counted as right.

    python bench/mine_errors.py --cache DIR [--examples 30]
"""

from __future__ import annotations

import random
import re
import sys
from collections import Counter
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS_DIR, machine, write_report
from evaluate_bible import Bible, read_bible
from mine_bible import mining_parser
from mine_verify import TEXT_FEATURES, best_partners, logistic_scores, selected
from mine_verify_features import load_splits

from mexma_search.encoder.evaluate import Candidate, choose_threshold
from mexma_search.tm.numbers import number_values

FEATURES = ["margin", "F@4", "mutual@4", *TEXT_FEATURES]
SIMILARITY_FLOORS = (0.9, 0.8, 0.7, 0.6, 0.5)


def test_pairs(dev: dict[str, Any], test: dict[str, Any]) -> tuple[list[Candidate], float]:
    """Test's pairs at dev's threshold, the app's feature set refitted on dev; the threshold."""
    columns = list(range(len(FEATURES)))
    dev_scores, test_scores, _ = logistic_scores(dev, test, columns)
    threshold, _ = choose_threshold(selected(dev["pairs"], dev_scores), dev["gold"])
    found = [c for c in selected(test["pairs"], test_scores) if c.score >= threshold]
    return found, threshold


def english_similarity(a: str, b: str) -> float:
    words = [re.findall(r"\w+", text.lower()) for text in (a, b)]
    return SequenceMatcher(None, *words, autojunk=False).ratio()


def false_pairs(bible: Bible, test: dict[str, Any], found: list[Candidate]) -> list[dict]:
    """Each false pair with its class, the English similarity of its verses and their texts."""
    gold_src = {s for s, _ in test["gold"]}
    gold_trg = {t for _, t in test["gold"]}
    rows = []
    for pair in found:
        if (pair.src, pair.trg) in test["gold"]:
            continue
        src, trg = test["src"][pair.src], test["trg"][pair.trg]
        english = bible.texts["en"][src], bible.texts["en"][trg]
        rows.append(
            {
                "class": ("test" if pair.src in gold_src else "distractor")
                + " -> "
                + ("test" if pair.trg in gold_trg else "distractor"),
                "similarity": english_similarity(*english),
                "same_numbers": number_values(english[0]) == number_values(english[1]),
                "refs": f"{src} / {trg}",
                "en": english[0],
                "es": bible.texts["es"][trg],
            }
        )
    return rows


def bounds(found: int, right: int, gold: int, errors: list[dict]) -> dict[str, list[float]]:
    """Per similarity floor: false pairs at or above it (same numbers), and P / F1 if those
    counted as right."""
    result = {}
    for floor in SIMILARITY_FLOORS:
        close = [e for e in errors if e["similarity"] >= floor]
        forgiven = sum(e["same_numbers"] for e in close)
        precision, recall = (right + forgiven) / found, right / gold
        f1 = 2 * precision * recall / (precision + recall)
        result[f">= {floor}"] = [len(close), forgiven, 100 * precision, 100 * f1]
    return result


def main() -> None:
    parser = mining_parser(__doc__.split("\n\n")[0], dev_distractors=5000)
    parser.add_argument("--examples", type=int, default=30)
    args = parser.parse_args()
    bible = read_bible(args.data_dir)
    splits = load_splits(bible, args.cache, args.distractors)
    dev, test = (best_partners(splits[name]) for name in ("dev", "test"))
    found, threshold = test_pairs(dev, test)
    errors = false_pairs(bible, test, found)
    right, gold = len(found) - len(errors), len(test["gold"])
    report = {
        "cache": str(args.cache),
        "threshold": threshold,
        "pairs": len(found),
        "right": right,
        "precision": 100 * right / len(found),
        "recall": 100 * right / gold,
        "false_pairs_by_class": Counter(e["class"] for e in errors),
        "if_counted_right": bounds(len(found), right, gold, errors),
        "machine": machine(),
    }
    print(
        f"pairs {len(found)}, right {right}: P {report['precision']:.1f} R {report['recall']:.1f}"
    )
    print("false pairs by class:", dict(report["false_pairs_by_class"]))
    print("English similarity floor: false pairs (same numbers), then P / F1 if those were right")
    for floor, (close, forgiven, precision, f1) in report["if_counted_right"].items():
        print(f"  {floor}: {close} ({forgiven})  P {precision:.1f}  F1 {f1:.1f}")
    for error in random.Random(0).sample(errors, min(args.examples, len(errors))):
        print(
            f"{error['similarity']:.2f} {error['refs']} | {error['en'][:90]} | {error['es'][:90]}"
        )
    print(write_report(report, RESULTS_DIR, "mine_errors"))


if __name__ == "__main__":
    main()
