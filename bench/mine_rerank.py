"""A cross-encoder reranker for mined candidates, trained from the default model's weights.

The encoder reads each candidate's two sentences together (``<s> en </s></s> es </s>``) and a
linear head on the first token scores the pair. It trains on the Bible en-es train verses that
are no side's distractors, as ``finetune_for_mining.py`` does: each step takes ``--groups``
verses, one direction each, and asks the model to pick the verse's translation among it and
``--negatives`` hard negatives (the bi-encoder's nearest other verses, texts differing from the
translation), with a softmax over each group. Then the candidates ``mine_verify.py`` cached
(run it first with the same ``--cache``, ``--layers 4``) are scored, and a logistic regression on
dev combines the cross-encoder's score with the margin (and with the app's verifier features);
candidates are taken best first, one per sentence, cut at dev's best threshold. Test P/R/F1.

    python bench/mine_verify.py --layers 4 --cache DIR
    python bench/mine_rerank.py --cache DIR --out DIR2
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer
from transformers.utils import logging as transformers_logging

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS_DIR, machine, rss_mb, write_report
from evaluate_bible import Bible, read_bible
from mine_bible import VectorCache, distractor_refs, mining_parser
from mine_verify import TEXT_FEATURES, fitted, mining_sides, print_results

from mexma_search.encoder.default_model import prepare_default_model
from mexma_search.encoder.model import SentenceEncoder

Group = tuple[str, list[str], str]  # (anchor text, [translation, negatives...], anchor language)


class CrossEncoder(torch.nn.Module):
    """A transformer reading both sentences at once; a linear score on its first token."""

    def __init__(self, model_dir: Path) -> None:
        super().__init__()
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.transformer = AutoModel.from_pretrained(model_dir)
        self.head = torch.nn.Linear(self.transformer.config.hidden_size, 1)
        torch.nn.init.normal_(self.head.weight, std=0.02)
        torch.nn.init.zeros_(self.head.bias)

    def forward(self, english: list[str], spanish: list[str], max_length: int) -> torch.Tensor:
        batch = self.tokenizer(
            english, spanish, padding=True, truncation=True, max_length=max_length,
            return_tensors="pt",
        )  # fmt: skip
        with torch.autocast("cpu", dtype=torch.bfloat16):
            hidden = self.transformer(**batch).last_hidden_state[:, 0]
        return self.head(hidden.float()).squeeze(-1)


def parse_args() -> argparse.Namespace:
    parser = mining_parser(__doc__.split("\n\n")[0], dev_distractors=5000)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--groups", type=int, default=8, help="verses a step")
    parser.add_argument("--negatives", type=int, default=3, help="hard negatives a verse")
    parser.add_argument("--pool", type=int, default=10, help="neighbours to draw them from")
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--head-lr", type=float, default=1e-3)
    parser.add_argument("--max-length", type=int, default=192)
    parser.add_argument("--verify-name", default="top2-4", help="the cached candidates' suffix")
    parser.add_argument("--out", type=Path, help="save the trained reranker here")
    parser.add_argument("--load", type=Path, help="score with a reranker saved by --out")
    parser.add_argument(
        "--partners", type=int, default=1, help="each sentence's best N margin partners (1-2)"
    )
    return parser.parse_args()


def normalised(text: str) -> str:
    return " ".join("".join(c for c in text.lower() if c.isalnum() or c.isspace()).split())


def training_groups(
    bible: Bible, refs: list[str], cache: VectorCache, pool: int, negatives: int, seed: int
) -> list[Group]:
    """For every train verse and direction, its translation and ``negatives`` hard negatives
    drawn from its ``pool`` nearest other verses on the other side."""
    en = cache.vectors(refs, "en")
    es = cache.vectors(refs, "es")
    texts = {lang: [bible.texts[lang][r] for r in refs] for lang in ("en", "es")}
    keys = {lang: [normalised(t) for t in texts[lang]] for lang in texts}
    rng = random.Random(seed)
    groups: list[Group] = []
    for anchor, other, queries, keys_vectors in (("en", "es", en, es), ("es", "en", es, en)):
        for start in range(0, len(refs), 1024):
            similarity = queries[start : start + 1024] @ keys_vectors.T
            nearest = np.argsort(-similarity, axis=1)[:, : pool + 4]
            for offset, row in enumerate(nearest):
                i = start + offset
                hard = [
                    int(j) for j in row
                    if keys[other][j] != keys[other][i] and keys[anchor][j] != keys[anchor][i]
                ][:pool]  # fmt: skip
                if len(hard) < negatives:
                    continue
                chosen = rng.sample(hard, negatives)
                candidates = [texts[other][i]] + [texts[other][j] for j in chosen]
                groups.append((texts[anchor][i], candidates, anchor))
    rng.shuffle(groups)
    return groups


def group_scores(model: CrossEncoder, groups: list[Group], max_length: int) -> torch.Tensor:
    """Scores [groups, 1 + negatives]: each group's candidates against its anchor."""
    english, spanish = [], []
    for anchor, candidates, language in groups:
        for candidate in candidates:
            english.append(anchor if language == "en" else candidate)
            spanish.append(candidate if language == "en" else anchor)
    return model(english, spanish, max_length).view(len(groups), -1)


def train_reranker(model: CrossEncoder, groups: list[Group], args: argparse.Namespace) -> dict:
    """Softmax over each group (the translation is the first candidate); linear warm-up and
    decay, the new head at its own (higher) rate."""
    optimizer = torch.optim.AdamW(
        [
            {"params": model.transformer.parameters(), "lr": args.lr},
            {"params": model.head.parameters(), "lr": args.head_lr},
        ],
        weight_decay=0.01,
    )
    warmup = max(args.steps // 10, 1)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: min((step + 1) / warmup, max(args.steps - step, 0) / (args.steps - warmup)),
    )
    model.train()
    losses, started = [], time.perf_counter()
    for step in range(args.steps):
        start = (step * args.groups) % (len(groups) - args.groups)
        scores = group_scores(model, groups[start : start + args.groups], args.max_length)
        loss = torch.nn.functional.cross_entropy(scores, torch.zeros(len(scores), dtype=torch.long))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(float(loss.detach()))
        if (step + 1) % 25 == 0:
            mean = sum(losses[-25:]) / 25
            elapsed = time.perf_counter() - started
            print(f"step {step + 1}/{args.steps} loss {mean:.4f} {elapsed:.0f}s", flush=True)
    return {
        "steps": args.steps,
        "groups_seen": args.steps * args.groups,
        "seconds": time.perf_counter() - started,
        "final_loss": sum(losses[-25:]) / min(25, len(losses)),
    }


@torch.inference_mode()
def pair_scores(
    model: CrossEncoder, english: list[str], spanish: list[str], max_length: int
) -> np.ndarray:
    """The reranker's score of each (english, spanish) pair, shortest pairs batched together."""
    model.eval()
    order = sorted(range(len(english)), key=lambda i: len(english[i]) + len(spanish[i]))
    scores = np.zeros(len(english), dtype=np.float32)
    for start in range(0, len(order), 64):
        rows = order[start : start + 64]
        out = model([english[i] for i in rows], [spanish[i] for i in rows], max_length)
        scores[rows] = out.float().numpy()
    return scores


def reranker(
    args: argparse.Namespace, bible: Bible, model_dir: Path
) -> tuple[CrossEncoder, dict[str, Any]]:
    """The reranker saved in ``--load``, or one trained from ``model_dir`` (and saved in
    ``--out``); what its training was."""
    if args.load:
        model = CrossEncoder(args.load)
        model.head.load_state_dict(torch.load(args.load / "head.pt"))
        return model, {"loaded": str(args.load)}
    held = set(distractor_refs(bible, args.distractors, args.dev_distractors))
    train_refs = [ref for ref in bible.splits["train"] if ref not in held]
    encoder = SentenceEncoder.load(model_dir, precision=args.precision)
    cache = VectorCache(encoder, bible, args.cache)
    groups = training_groups(bible, train_refs, cache, args.pool, args.negatives, seed=0)
    print(len(train_refs), "train verses,", len(groups), "groups", flush=True)
    model = CrossEncoder(model_dir)
    training = {"train_verses": len(train_refs), **train_reranker(model, groups, args)}
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        model.transformer.save_pretrained(args.out)
        model.tokenizer.save_pretrained(args.out)
        torch.save(model.head.state_dict(), args.out / "head.pt")
    return model, training


def main() -> None:
    transformers_logging.disable_progress_bar()
    args = parse_args()
    torch.manual_seed(0)
    bible = read_bible(args.data_dir)
    model_dir = args.model or prepare_default_model(args.models_dir).path
    model, training = reranker(args, bible, model_dir)
    d, dd = args.distractors, args.dev_distractors
    sides = mining_sides(bible, d, dd)
    splits: dict[str, dict[str, Any]] = {}
    scoring_seconds = 0.0
    for name, (src_refs, trg_refs, gold) in sides.items():
        stored = np.load(args.cache / f"verify-{name}-{d}-{dd}-{args.verify_name}.npz")
        split = {key: value[()] for key, value in stored.items()}
        best = split["ranks"] < args.partners
        split = {key: split[key][best] for key in ("pairs", "ranks", "features")}
        english = [bible.texts["en"][src_refs[s]] for s, _ in split["pairs"]]
        spanish = [bible.texts["es"][trg_refs[t]] for _, t in split["pairs"]]
        started = time.perf_counter()
        rerank = pair_scores(model, english, spanish, args.max_length)
        scoring_seconds += time.perf_counter() - started
        split["features"] = np.column_stack([split["features"], rerank])
        split["gold"] = gold
        split["labels"] = np.array([(int(s), int(t)) in gold for s, t in split["pairs"]])
        splits[name] = split
        print(name, len(split["pairs"]), "candidates scored", flush=True)
    names = ["margin", "F@4", "mutual@4", *TEXT_FEATURES, "rerank"]
    sets = {
        "margin": ["margin"],
        "app verifier set (margin, F, mutual@4, text)": names[:-1],
        "rerank": ["rerank"],
        "margin + rerank": ["margin", "rerank"],
        "app verifier set + rerank": names,
    }
    results = {
        label: fitted(splits["dev"], splits["test"], names, cols) for label, cols in sets.items()
    }
    candidates = sum(len(s["pairs"]) for s in splits.values())
    report = {
        "data": f"bible-en-es test (1,000 pairs) + {d} distractors per side; dev (1,000 pairs) "
        f"+ {dd} distractors per side chooses weights and threshold; each sentence's "
        f"{args.partners} best margin partner(s)",
        "model": str(model_dir),
        "options": {k: str(v) for k, v in vars(args).items()},
        "training": training,
        "scoring_ms_per_candidate": 1000 * scoring_seconds / candidates,
        "results": results,
        "rss_mb": rss_mb(),
        "machine": machine(),
    }
    print_results(results)
    print(report["training"], report["scoring_ms_per_candidate"])
    print(write_report(report, RESULTS_DIR, "mine_rerank"))


if __name__ == "__main__":
    main()
