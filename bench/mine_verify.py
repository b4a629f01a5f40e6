"""A second-stage verifier on mined candidates: word-level agreement combined with the margin.

Set-up of ``mine_bible.py`` (same distractor pool and vector cache), but dev gets as many
distractors per side as test. Candidates: each sentence's ``--top`` best margin partners, both
ways (the app's mining keeps the best one). For each candidate pair: BERTScore-like F and the
mutual-best share of the two sides' word vectors after several layers
(``tm/verify.word_vector_agreement``), agreement of the numbers stated
(``tm/numbers``), of capitalised words, and the word-count ratio. A logistic regression fit on
dev candidates (gold pair or not) combines them with the margin; candidates are then taken best
first, one per sentence, and cut at the threshold of best F1 on dev. Test P/R/F1 at the dev
threshold and at the test's own best threshold (oracle), against the plain margin.

    python bench/mine_verify.py [--distractors 5000] [--dev-distractors 5000] [--top 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS_DIR, machine, rss_mb, write_report
from evaluate_bible import Bible, read_bible
from mine_bible import SideRefs, VectorCache, bible_distractors, mining_parser, side_refs

from mexma_search.encoder.default_model import prepare_default_model
from mexma_search.encoder.evaluate import (
    DEFAULT_K,
    BitextSearch,
    Candidate,
    choose_threshold,
    mining_scores,
)
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.encoder.token_vectors import token_vectors_by_layer
from mexma_search.tm.mining import DEFAULT_MINING_CANDIDATES, one_to_one
from mexma_search.tm.verify import (
    DEFAULT_VERIFIED_THRESHOLD,
    PairFeatures,
    text_features,
    verified_score,
    verify_candidates,
    word_vector_agreement,
    word_vector_function,
)
from mexma_search.tm.word_alignment import word_vectors
from mexma_search.tm.workflow import mine_sentences

TEXT_FEATURES = ("numbers", "has_numbers", "names", "length")
BATCH = 32


def parse_args() -> argparse.Namespace:
    parser = mining_parser(__doc__.split("\n\n")[0], dev_distractors=5000)
    parser.add_argument("--top", type=int, default=2, help="margin partners per sentence")
    parser.add_argument("--layers", default="0,4,8,12", help="layer counts for word vectors")
    parser.add_argument(
        "--time-app", type=int, default=2000, help="test candidates timed through tm/verify"
    )
    return parser.parse_args()


def app_path(
    cache: VectorCache, bible: Bible, refs: SideRefs, thresholds: dict[str, float]
) -> dict[str, Any]:
    """The test split mined by ``tm/workflow.mine_sentences`` with the verifier (cached
    sentence vectors, word vectors computed): P/R/F1 at each of ``thresholds``."""
    src = [bible.texts["en"][ref] for ref in refs[0]]
    trg = [bible.texts["es"][ref] for ref in refs[1]]
    vectors = {**dict(zip(src, cache.vectors(refs[0], "en"), strict=True))}
    vectors.update(zip(trg, cache.vectors(refs[1], "es"), strict=True))
    gold = {(src[s].strip(), trg[t].strip()) for s, t in refs[2]}
    words = word_vector_function(cache.encoder, BATCH)
    report = mine_sentences(
        src, trg, lambda texts: np.stack([vectors[t] for t in texts]), threshold=0.9, verify=words
    )
    result: dict[str, Any] = {"timing": report.timing, "one_per_sentence": report.candidates}
    for name, threshold in thresholds.items():
        found = {(p.src, p.trg) for p in report.pairs if p.score >= threshold}
        correct = len(found & gold)
        p, r = correct / max(len(found), 1), correct / len(gold)
        result[name] = [threshold, 100 * p, 100 * r, 200 * p * r / max(p + r, 1e-9)]
    return result


def app_cost(
    encoder: SentenceEncoder, bible: Bible, refs: SideRefs, split: dict[str, Any], n: int
) -> dict[str, float]:
    """Wall time of ``tm/verify.verify_candidates`` (forward pass included) on ``n`` of the
    app's candidates (best partners), per candidate."""
    pairs = split["pairs"][split["ranks"] == 0][:n]
    src = [bible.texts["en"][ref] for ref in refs[0]]
    trg = [bible.texts["es"][ref] for ref in refs[1]]
    candidates = [Candidate(int(s), int(t), 1.0) for s, t in pairs]
    words = word_vector_function(encoder, BATCH)
    started, cpu = time.perf_counter(), time.process_time()
    verify_candidates(candidates, src, trg, words, floor=0.0)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "candidates": len(candidates),
        "ms_per_candidate": 1000 * wall / len(candidates),
        "cpu_ms_per_candidate": 1000 * cpu / len(candidates),
    }


def candidate_pairs(
    src: np.ndarray, trg: np.ndarray, top: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each sentence's ``top`` best margin partners both ways: ``(pairs [n, 2], margins [n],
    ranks [n])``, rank 0 for a pair that is some sentence's best partner."""
    s2t, t2s = BitextSearch.run(
        src, trg, k=DEFAULT_K, candidates=DEFAULT_MINING_CANDIDATES
    ).margin()
    found: dict[tuple[int, int], tuple[int, float]] = {}
    for rank in range(top):
        for s in range(len(src)):
            found.setdefault((s, int(s2t.indices[s, rank])), (rank, float(s2t.scores[s, rank])))
        for t in range(len(trg)):
            found.setdefault((int(t2s.indices[t, rank]), t), (rank, float(t2s.scores[t, rank])))
    pairs = np.array(list(found), dtype=np.int64)
    return (
        pairs,
        np.array([score for _, score in found.values()]),
        np.array([rank for rank, _ in found.values()]),
    )


def sentence_words(
    encoder: SentenceEncoder, texts: list[str], layers: list[int]
) -> tuple[list[list[np.ndarray]], float]:
    """Each text's word vectors (float16) after each layer count, and the seconds it took."""
    words: list[list[np.ndarray]] = [[np.zeros(0)] * len(texts) for _ in layers]
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    started = time.perf_counter()
    for start in range(0, len(order), BATCH):
        rows = order[start : start + BATCH]
        by_layer = token_vectors_by_layer(encoder, [texts[i] for i in rows], layers)
        for layer, tokens in enumerate(by_layer):
            for row, vectors in zip(rows, tokens, strict=True):
                words[layer][row] = word_vectors(texts[row], vectors)[1].astype(np.float16)
    return words, time.perf_counter() - started


def split_features(
    encoder: SentenceEncoder, bible: Bible, refs: tuple[list[str], list[str]], vectors: Any,
    top: int, layers: list[int],
) -> dict[str, Any]:  # fmt: skip
    """Candidates of one split and their features (columns: margin, then per layer F and
    mutual share, then the text features), with timings."""
    pairs, margins, ranks = candidate_pairs(*vectors, top)
    used_src, used_trg = sorted(set(pairs[:, 0])), sorted(set(pairs[:, 1]))
    src_texts = {s: bible.texts["en"][refs[0][s]] for s in used_src}
    trg_texts = {t: bible.texts["es"][refs[1][t]] for t in used_trg}
    src_words, src_s = sentence_words(encoder, list(src_texts.values()), layers)
    trg_words, trg_s = sentence_words(encoder, list(trg_texts.values()), layers)
    src_at, trg_at = (
        {s: i for i, s in enumerate(src_texts)},
        {t: i for i, t in enumerate(trg_texts)},
    )
    columns: list[list[float]] = []
    started = time.perf_counter()
    for s, t in pairs:
        row = []
        for layer in range(len(layers)):
            row.extend(
                word_vector_agreement(
                    src_words[layer][src_at[s]].astype(np.float32),
                    trg_words[layer][trg_at[t]].astype(np.float32),
                )
            )
        columns.append(row)
    word_s = time.perf_counter() - started
    started = time.perf_counter()
    for row, (s, t) in zip(columns, pairs, strict=True):
        row.extend(text_features(src_texts[s], trg_texts[t]))
    text_s = time.perf_counter() - started
    return {
        "pairs": pairs,
        "ranks": ranks,
        "features": np.column_stack([margins, np.array(columns)]),
        "forward_ms_per_sentence": 1000 * (src_s + trg_s) / (len(src_texts) + len(trg_texts)),
        "word_ms_per_pair": 1000 * word_s / len(pairs) / len(layers),
        "text_ms_per_pair": 1000 * text_s / len(pairs),
    }


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2) -> np.ndarray:
    """Weights (bias last) of an L2-regularised logistic regression, by Newton's method."""
    design = np.column_stack([x, np.ones(len(x))])
    weights = np.zeros(design.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-design @ weights))
        gradient = design.T @ (p - y) + l2 * weights
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + l2 * np.eye(len(weights))
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if np.abs(step).max() < 1e-8:
            break
    return weights


def selected(pairs: np.ndarray, scores: np.ndarray) -> list[Candidate]:
    """Best score first, each sentence in at most one pair."""
    order = np.lexsort((pairs[:, 1], pairs[:, 0], -scores))
    return one_to_one(
        Candidate(int(pairs[i, 0]), int(pairs[i, 1]), float(scores[i])) for i in order
    )


def scored(dev: dict[str, Any], test: dict[str, Any], dev_scores: Any, test_scores: Any) -> dict:
    """Test P/R/F1 at dev's best threshold and at test's own (oracle)."""
    dev_found, test_found = selected(dev["pairs"], dev_scores), selected(test["pairs"], test_scores)
    dev_threshold, dev_f1 = choose_threshold(dev_found, dev["gold"])
    oracle, _ = choose_threshold(test_found, test["gold"])
    result: dict[str, Any] = {"dev_f1": 100 * dev_f1}
    for name, threshold in (("at_dev_threshold", dev_threshold), ("oracle", oracle)):
        s = mining_scores(test_found, test["gold"], threshold)
        result[name] = [threshold, 100 * s.precision, 100 * s.recall, 100 * s.f1]
    return result


def combinations(names: list[str]) -> dict[str, list[str]]:
    """Feature sets to compare, each with the margin."""
    layers = sorted({n.split("@")[1] for n in names if "@" in n}, key=int)
    sets = {"margin": ["margin"], "margin+text": ["margin", *TEXT_FEATURES]}
    for layer in layers:
        sets[f"margin+F@{layer}"] = ["margin", f"F@{layer}"]
        sets[f"margin+F,mutual@{layer}"] = ["margin", f"F@{layer}", f"mutual@{layer}"]
        sets[f"margin+F,mutual@{layer}+text"] = sets[f"margin+F,mutual@{layer}"] + list(
            TEXT_FEATURES
        )
    sets["margin+numbers"] = ["margin", "numbers", "has_numbers"]
    sets["margin+names"] = ["margin", "names"]
    sets["margin+length"] = ["margin", "length"]
    sets["all"] = names
    return sets


def compare(dev: dict[str, Any], test: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """The plain margin (app's candidates) and each feature set's logistic score."""
    results = {}
    for split in (dev, test):
        split["labels"] = np.array([(int(s), int(t)) in split["gold"] for s, t in split["pairs"]])
    best = [d["ranks"] == 0 for d in (dev, test)]
    results["plain margin (app: best partner only)"] = scored(
        {**dev, "pairs": dev["pairs"][best[0]]}, {**test, "pairs": test["pairs"][best[1]]},
        dev["features"][best[0], 0], test["features"][best[1], 0],
    )  # fmt: skip
    for label, chosen in combinations(names).items():
        results[f"logistic({label})"] = fitted(dev, test, names, chosen)
    top1 = [best_partners(d) for d in (dev, test)]
    chosen = ["margin", "F@4", "mutual@4", *TEXT_FEATURES]
    results["best partner only: logistic(margin+F,mutual@4+text)"] = fitted(*top1, names, chosen)
    columns = [names.index(n) for n in chosen]
    app = [
        np.array([verified_score(r[0], PairFeatures(*r[1:])) for r in d["features"][:, columns]])
        for d in top1
    ]
    results["best partner only: app verifier (tm/verify.py)"] = scored(*top1, *app)
    default = mining_scores(
        selected(top1[1]["pairs"], app[1]), test["gold"], DEFAULT_VERIFIED_THRESHOLD
    )
    results["best partner only: app verifier (tm/verify.py)"]["at_default_threshold"] = [
        DEFAULT_VERIFIED_THRESHOLD,
        100 * default.precision,
        100 * default.recall,
        100 * default.f1,
    ]
    return results


def fitted(dev: dict[str, Any], test: dict[str, Any], names: list[str], chosen: list[str]) -> dict:
    """Logistic regression on dev's candidates with the ``chosen`` features, scored."""
    columns = [names.index(n) for n in chosen]
    dev_scores, test_scores, weights = logistic_scores(dev, test, columns)
    result = scored(dev, test, dev_scores, test_scores)
    result["weights"] = dict(zip(chosen, weights, strict=True))
    return result


def logistic_scores(
    dev: dict[str, Any], test: dict[str, Any], columns: list[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dev's and test's candidates scored by a logistic regression fit on dev's with the
    feature ``columns`` (standardised on dev), and its weights on the raw features."""
    mean = dev["features"][:, columns].mean(axis=0)
    std = dev["features"][:, columns].std(axis=0) + 1e-9
    weights = fit_logistic((dev["features"][:, columns] - mean) / std, dev["labels"])
    dev_scores, test_scores = (
        (d["features"][:, columns] - mean) / std @ weights[:-1] for d in (dev, test)
    )
    return dev_scores, test_scores, weights[:-1] / std


def best_partners(split: dict[str, Any]) -> dict[str, Any]:
    """The candidates that are some sentence's best partner (the app verifies only those)."""
    best = split["ranks"] == 0
    return split | {key: split[key][best] for key in ("pairs", "features", "labels", "ranks")}


def mining_sides(bible: Bible, distractors: int, dev_distractors: int) -> dict[str, SideRefs]:
    """The dev and test sides: each split's verses shuffled with its own distractors per side
    (``dev_distractors`` for dev, ``distractors`` for test)."""
    dd = dev_distractors
    noise_src, noise_trg = bible_distractors(bible, distractors, dd)
    return {
        "dev": side_refs(bible.splits["dev"], noise_src[:dd], noise_trg[:dd], seed=1),
        "test": side_refs(bible.splits["test"], noise_src[dd:], noise_trg[dd:], seed=2),
    }


def print_results(results: dict[str, Any]) -> None:
    """One line a result: dev F1, then test P/R/F1 at dev's threshold and at the oracle's."""
    for label, result in results.items():
        print(f"{label:50s} dev {result.get('dev_f1', 0):.1f}", end="")
        for key in ("at_dev_threshold", "oracle"):
            print(f"  {key} P/R/F1 " + "/".join(f"{v:.1f}" for v in result[key][1:]), end="")
        print()


def main() -> None:
    args = parse_args()
    layers = [int(n) for n in args.layers.split(",")]
    bible = read_bible(args.data_dir)
    encoder = SentenceEncoder.load(
        args.model or prepare_default_model(args.models_dir).path, precision=args.precision
    )
    cache = VectorCache(encoder, bible, args.cache)
    d, dd = args.distractors, args.dev_distractors
    sides = mining_sides(bible, d, dd)
    splits = {}
    for name, (src_refs, trg_refs, gold) in sides.items():
        path = args.cache / f"verify-{name}-{d}-{dd}-top{args.top}-{args.layers}.npz"
        if path.exists():
            splits[name] = {key: value[()] for key, value in np.load(path).items()}
        else:
            vectors = (cache.vectors(src_refs, "en"), cache.vectors(trg_refs, "es"))
            splits[name] = split_features(
                encoder, bible, (src_refs, trg_refs), vectors, args.top, layers
            )
            np.savez(path, **splits[name])
        splits[name]["gold"] = gold
        print(name, len(splits[name]["pairs"]), "candidates", flush=True)
    names = ["margin"]
    for layer in layers:
        names += [f"F@{layer}", f"mutual@{layer}"]
    names += list(TEXT_FEATURES)
    results = compare(splits["dev"], splits["test"], names)
    cost = app_cost(encoder, bible, sides["test"], splits["test"], args.time_app)
    app = results["best partner only: app verifier (tm/verify.py)"]
    results["app path (tm/workflow.mine_sentences, verify)"] = app_path(
        cache,
        bible,
        sides["test"],
        {"at_dev_threshold": app["at_dev_threshold"][0], "oracle": app["oracle"][0],
         "at_default_threshold": DEFAULT_VERIFIED_THRESHOLD},
    )  # fmt: skip
    report = {
        "data": f"bible-en-es test (1,000 pairs) + {d} distractors per side; dev (1,000 pairs) "
        f"+ {dd} distractors per side chooses weights and threshold",
        "model": encoder.config.name,
        "top": args.top,
        "layers": layers,
        "candidates": {n: len(s["pairs"]) for n, s in splits.items()},
        "cost": {
            key: splits["test"][key]
            for key in ("forward_ms_per_sentence", "word_ms_per_pair", "text_ms_per_pair")
        }
        | {"app_verify": cost},
        "results": results,
        "rss_mb": rss_mb(),
        "machine": machine(),
    }
    print_results(results)
    print(report["cost"])
    print(write_report(report, RESULTS_DIR, "mine_verify"))


if __name__ == "__main__":
    main()
