"""The translation-side highlight of concordance results (:mod:`mexma_search.tm.word_alignment`)
on 22 hand-made sentence pairs (English with Spanish, French or German): for one word of each
source, is the word of the translation it is linked to the expected one? Printed per number of
transformer layers run (0: the embedding layer only): links right, links wrong (a wrong word
marked), and the time to align a page of ten Bible verse pairs (``shared/data/bitext``).

    python bench/word_alignment_eval.py [--layers 0 1 2 3] [--models-dir DIR]
"""

# ruff: noqa: E501
from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from pathlib import Path
from unittest.mock import patch

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench.common import DEFAULT_DATA_DIR, DEFAULT_MODELS_DIR  # noqa: E402
from mexma_search.encoder.model import SentenceEncoder  # noqa: E402
from mexma_search.tm import word_alignment  # noqa: E402
from mexma_search.tm.word_alignment import AlignRequest, aligned_spans  # noqa: E402

# (source, its word, translation, the word expected to be linked)
PAIRS = [
    ("I bought the house last year.", "house", "Compré la casa el año pasado.", "casa"),
    ("The bakery opens at six.", "bakery", "La panadería abre a las seis.", "panadería"),
    ("The children are playing in the garden.", "children", "Los niños juegan en el jardín.", "niños"),
    ("The children are playing in the garden.", "garden", "Los niños juegan en el jardín.", "jardín"),
    ("My brother lives in a small village.", "brother", "Mon frère habite un village.", "frère"),
    ("The train leaves at noon.", "train", "Der Zug fährt mittags ab.", "Zug"),
    ("Bread, cheese and wine.", "cheese", "Pan, queso y vino.", "queso"),
    ("Bread, cheese and wine.", "wine", "Pan, queso y vino.", "vino"),
    ("Bread, cheese and wine.", "Bread", "Pan, queso y vino.", "Pan"),
    ("The next train leaves at noon.", "noon", "El próximo tren sale a mediodía.", "mediodía"),
    ("The river flows through the old town.", "town", "El río atraviesa el casco antiguo.", "casco"),
    ("She said good morning to everyone.", "morning", "Ella dijo buenos días a todos.", "días"),
    ("The doctor works at the hospital.", "hospital", "El médico trabaja en el hospital.", "hospital"),
    ("The doctor works at the hospital.", "doctor", "Le médecin travaille à l'hôpital.", "médecin"),
    ("The doctor works at the hospital.", "hospital", "Le médecin travaille à l'hôpital.", "hôpital"),
    ("We sold the old car.", "car", "Wir haben das alte Auto verkauft.", "Auto"),
    ("We sold the old car.", "sold", "Wir haben das alte Auto verkauft.", "verkauft"),
    ("The weather is cold today.", "weather", "Il fait froid aujourd'hui.", "fait"),
    ("The weather is cold today.", "cold", "Hoy hace frío.", "frío"),
    ("Where is the library?", "library", "¿Dónde está la biblioteca?", "biblioteca"),
    ("The key is under the door.", "key", "La llave está debajo de la puerta.", "llave"),
    ("The key is under the door.", "door", "La llave está debajo de la puerta.", "puerta"),
]  # fmt: skip


def score(encoder: SentenceEncoder) -> tuple[int, int]:
    """(links right, links wrong) over :data:`PAIRS`."""
    requests = []
    for source, word, target, _ in PAIRS:
        start = source.index(word)
        requests.append(AlignRequest(source, [(start, start + len(word))], target))
    right = wrong = 0
    for (_, _, target, expected), spans in zip(
        PAIRS, aligned_spans(encoder, requests), strict=True
    ):
        words = [target[start:end] for start, end in spans]
        right += words == [expected]
        wrong += bool(words) and words != [expected]
    return right, wrong


def page_ms(encoder: SentenceEncoder, data_dir: Path, pages: int = 20) -> tuple[float, float]:
    """p50 and p95 milliseconds of aligning pages of ten Bible verse pairs."""
    with (data_dir / "bitext" / "bible-en-es.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
    rng = random.Random(0)
    seconds = []
    for _ in range(pages):
        page = [AlignRequest(en, [(0, 5)], es) for _, en, es in rng.sample(rows, 10)]
        started = time.perf_counter()
        aligned_spans(encoder, page)
        seconds.append(time.perf_counter() - started)
    return float(np.percentile(seconds, 50)) * 1000, float(np.percentile(seconds, 95)) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layers", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR)
    args = parser.parse_args()
    [model] = sorted(path for path in args.models_dir.iterdir() if path.is_dir())
    encoder = SentenceEncoder.load(model, device="cpu")
    print(f"{len(PAIRS)} words to link, model {model.name}")
    for layers in args.layers:
        with patch.object(word_alignment, "ALIGN_LAYERS", layers):
            right, wrong = score(encoder)
            p50, p95 = page_ms(encoder, args.data_dir)
        print(
            f"  layers {layers}: right {right:2}, wrong {wrong}, page p50 {p50:6.1f} ms p95 {p95:6.1f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
