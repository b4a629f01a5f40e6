"""More verifier features, and a scoring that counts repeated verses' translations as right.

Reads the candidates and features that ``mine_verify.py --layers 4`` cached for dev and test
(run it first with the same ``--cache``), computes each candidate sentence's word vectors after
:data:`~mexma_search.tm.verify.VERIFY_LAYERS` layers (cached too), and adds one feature at a
time to the app's set, fitted and scored as in ``mine_verify.py``: unaligned word shares, the
worst-aligned word, the mean-pooled sentence cosine of the word vectors, names matched by
character bigrams (transliterations), a binary number mismatch, the word-count difference.

Each result is also scored "duplicate-aware": a pair whose two verses have the same English or
the same Spanish text (after lower-casing and dropping punctuation; "Yahweh spoke to Moses,
saying," is 71 verses) is a translation the gold does not list; it counts as right, and recall
is over the largest one-to-one set of right pairs.

    python bench/mine_verify_features.py [--cache DIR] [--model DIR]
"""

from __future__ import annotations

import pickle
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS_DIR, machine, write_report
from evaluate_bible import Bible, read_bible
from mine_bible import mining_parser
from mine_verify import BATCH, fit_logistic, mining_sides, selected

from mexma_search.encoder.default_model import prepare_default_model
from mexma_search.encoder.evaluate import Candidate, MiningScores
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.encoder.token_vectors import token_vectors
from mexma_search.tm.numbers import number_values
from mexma_search.tm.verify import VERIFY_LAYERS, capitalised_words
from mexma_search.tm.word_alignment import unit_rows, word_vectors

NEW_FEATURES = (
    "unaligned<0.3", "unaligned<0.2", "worst word", "10th percentile word", "sentence cosine",
    "fuzzy names", "has names", "number mismatch", "word-count difference",
)  # fmt: skip
Key = tuple[str, str]


def normalised(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def load_splits(bible: Bible, cache: Path, distractors: int) -> dict[str, dict[str, Any]]:
    """mine_verify's cached candidates of dev and test, with gold and duplicate pairs."""
    d = distractors
    sides = mining_sides(bible, d, d)
    splits = {}
    for name, (src, trg, gold) in sides.items():
        stored = np.load(cache / f"verify-{name}-{d}-{d}-top2-{VERIFY_LAYERS}.npz")
        split: dict[str, Any] = {key: stored[key] for key in stored.files}
        same = {
            (int(s), int(t))
            for s, t in split["pairs"]
            for lang in ("en", "es")
            if normalised(bible.texts[lang][src[s]]) == normalised(bible.texts[lang][trg[t]])
        }
        split.update(src=src, trg=trg, gold=gold, right=gold | same)
        split["matchable"] = max_matching(split["right"])
        split["labels"] = np.array([(int(s), int(t)) in gold for s, t in split["pairs"]])
        splits[name] = split
    return splits


def max_matching(edges: set[tuple[int, int]]) -> int:
    """Size of the largest one-to-one subset of ``edges`` (augmenting paths)."""
    targets: dict[int, list[int]] = {}
    for s, t in edges:
        targets.setdefault(s, []).append(t)
    owner: dict[int, int] = {}

    def augment(s: int, seen: set[int]) -> bool:
        for t in targets[s]:
            if t not in seen:
                seen.add(t)
                if t not in owner or augment(owner[t], seen):
                    owner[t] = s
                    return True
        return False

    return sum(augment(s, set()) for s in targets)


def candidate_words(
    encoder: SentenceEncoder, bible: Bible, splits: dict[str, dict[str, Any]]
) -> dict[Key, np.ndarray]:
    """Word vectors (float16) of every sentence in a candidate pair, by (language, ref)."""
    keys: set[Key] = set()
    for split in splits.values():
        keys |= {("en", split["src"][s]) for s in set(split["pairs"][:, 0])}
        keys |= {("es", split["trg"][t]) for t in set(split["pairs"][:, 1])}
    ordered = sorted(keys, key=lambda key: len(bible.texts[key[0]][key[1]]))
    found = {}
    for start in range(0, len(ordered), BATCH):
        rows = ordered[start : start + BATCH]
        texts = [bible.texts[lang][ref] for lang, ref in rows]
        for key, text, tokens in zip(
            rows, texts, token_vectors(encoder, texts, VERIFY_LAYERS), strict=True
        ):
            found[key] = word_vectors(text, tokens)[1].astype(np.float16)
    return found


def bigram_dice(a: str, b: str) -> float:
    grams_a = {a[i : i + 2] for i in range(len(a) - 1)} or {a}
    grams_b = {b[i : i + 2] for i in range(len(b) - 1)} or {b}
    return 2 * len(grams_a & grams_b) / (len(grams_a) + len(grams_b))


def fuzzy_names(src: str, trg: str) -> tuple[float, float]:
    """Share of capitalised words with a look-alike on the other side, and whether any."""
    a, b = capitalised_words(src), capitalised_words(trg)
    if not a and not b:
        return 1.0, 0.0
    covered = sum(max((bigram_dice(x, y) for y in b), default=0) >= 0.5 for x in a)
    covered += sum(max((bigram_dice(y, x) for x in a), default=0) >= 0.5 for y in b)
    return covered / (len(a) + len(b)), 1.0


def new_features(src: str, src_words: np.ndarray, trg: str, trg_words: np.ndarray) -> list[float]:
    """The :data:`NEW_FEATURES` of one candidate pair."""
    if len(src_words) and len(trg_words):
        centre = np.vstack([src_words, trg_words]).mean(axis=0)
        similarity = unit_rows(src_words - centre) @ unit_rows(trg_words - centre).T
        best_a, best_b = similarity.max(axis=1), similarity.max(axis=0)
        word = [
            max(float((best_a < 0.3).mean()), float((best_b < 0.3).mean())),
            max(float((best_a < 0.2).mean()), float((best_b < 0.2).mean())),
            min(float(best_a.min()), float(best_b.min())),
            min(float(np.quantile(best_a, 0.1)), float(np.quantile(best_b, 0.1))),
            float(unit_rows(src_words.mean(0)[None])[0] @ unit_rows(trg_words.mean(0)[None])[0]),
        ]
    else:
        word = [1.0, 1.0, -1.0, -1.0, 0.0]
    numbers = (number_values(src), number_values(trg))
    mismatch = float(bool(numbers[0] or numbers[1]) and numbers[0] != numbers[1])
    return [*word, *fuzzy_names(src, trg), mismatch, abs(len(src.split()) - len(trg.split()))]


def scoring(split: dict[str, Any], aware: bool) -> tuple[set[tuple[int, int]], int]:
    """The pairs that count as right and how many a perfect miner finds."""
    return (split["right"], split["matchable"]) if aware else (split["gold"], len(split["gold"]))


def best_threshold(found: list[Candidate], split: dict[str, Any], aware: bool) -> float:
    """The threshold of best F1, halfway between two distinct scores (as ``choose_threshold``)."""
    ranked = sorted(found, key=lambda c: -c.score)
    right, total = scoring(split, aware)
    best, threshold, correct = 0.0, float("inf"), 0
    for i, candidate in enumerate(ranked):
        correct += (candidate.src, candidate.trg) in right
        following = ranked[i + 1].score if i + 1 < len(ranked) else candidate.score - 1
        if following != candidate.score:
            f1 = MiningScores.from_counts(correct, i + 1, total).f1
            if f1 > best:
                best, threshold = f1, (candidate.score + following) / 2
    return threshold


def prf(found: list[Candidate], split: dict[str, Any], threshold: float, aware: bool) -> list:
    """P / R / F1 in percent of the pairs scoring at least ``threshold``."""
    kept = [(c.src, c.trg) for c in found if c.score >= threshold]
    right, total = scoring(split, aware)
    scores = MiningScores.from_counts(sum(pair in right for pair in kept), len(kept), total)
    return [round(100 * v, 1) for v in (scores.precision, scores.recall, scores.f1)]


def fitted(dev: dict[str, Any], test: dict[str, Any], columns: list[np.ndarray]) -> dict:
    """Logistic fit on dev's best-partner candidates; test P/R/F1 at dev's threshold, both
    scorings."""
    best = [dev["ranks"] == 0, test["ranks"] == 0]
    x_dev, x_test = columns[0][best[0]], columns[1][best[1]]
    mean, std = x_dev.mean(axis=0), x_dev.std(axis=0) + 1e-9
    weights = fit_logistic((x_dev - mean) / std, dev["labels"][best[0]])[:-1]
    found = [
        selected(split["pairs"][mask], (x - mean) / std @ weights)
        for split, mask, x in ((dev, best[0], x_dev), (test, best[1], x_test))
    ]
    return {
        name: prf(found[1], test, best_threshold(found[0], dev, aware), aware)
        for name, aware in (("strict", False), ("duplicate_aware", True))
    }


def main() -> None:
    parser = mining_parser(__doc__.split("\n\n")[0], dev_distractors=5000)
    args = parser.parse_args()
    bible = read_bible(args.data_dir)
    splits = load_splits(bible, args.cache, args.distractors)
    encoder = SentenceEncoder.load(
        args.model or prepare_default_model(args.models_dir).path, precision=args.precision
    )
    words_path = args.cache / f"words-{encoder.config.name}.pkl"
    if words_path.exists():
        words = pickle.loads(words_path.read_bytes())
    else:
        words = candidate_words(encoder, bible, splits)
        words_path.write_bytes(pickle.dumps(words))
    dev, test = splits["dev"], splits["test"]
    for split in (dev, test):
        split["new"] = np.array(
            [
                new_features(
                    bible.texts["en"][split["src"][s]],
                    words[("en", split["src"][s])].astype(np.float32),
                    bible.texts["es"][split["trg"][t]],
                    words[("es", split["trg"][t])].astype(np.float32),
                )
                for s, t in split["pairs"]
            ]
        )
    results = {
        "margin only": fitted(dev, test, [dev["features"][:, :1], test["features"][:, :1]]),
        "app features": fitted(dev, test, [dev["features"], test["features"]]),
    }
    for i, name in enumerate(NEW_FEATURES):
        results[f"app + {name}"] = fitted(
            dev, test, [np.column_stack([s["features"], s["new"][:, i]]) for s in (dev, test)]
        )
    results["app + all new"] = fitted(
        dev, test, [np.column_stack([s["features"], s["new"]]) for s in (dev, test)]
    )
    for label, result in results.items():
        print(f"{label:32s} strict {result['strict']}  duplicate-aware {result['duplicate_aware']}")
    report = {
        "data": f"bible-en-es dev/test + {args.distractors} distractors per side",
        "model": encoder.config.name,
        "duplicate_pairs_among_candidates": {
            n: len(s["right"] - s["gold"]) for n, s in splits.items()
        },
        "matchable": {n: s["matchable"] for n, s in splits.items()},
        "results": results,
        "machine": machine(),
    }
    print(write_report(report, RESULTS_DIR, "mine_verify_features"))


if __name__ == "__main__":
    main()
