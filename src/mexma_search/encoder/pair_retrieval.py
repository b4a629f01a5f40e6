"""Dense retrieval scores of an encoder on held-out translation pairs.

Two tasks from aligned pairs, so that any bitext can show how fine-tuning changed search:

- cross-language: each side's sentence, as a query, should find its translation among all
  the other side's sentences (both directions);
- same-language: the first half of each sentence (by words, by characters for text without
  spaces), as a query, should find the second half among the second halves of the same
  side's sentences. This is the question -> passage kind of search within one language that
  a fine-tune on translations can lose.

Queries get the model's ``query`` prefix and the searched texts its ``passage`` prefix, as in
search. Scores (``recall@1``, ``recall@10``, ``mrr@10``, in percent) are averaged over all
queries of a task, both languages together.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mexma_search.encoder.model import SentenceEncoder
from mexma_search.encoder.retrieval_metrics import RetrievalScores, score_rankings

DEPTH = 10
TASKS = ("same", "cross")
SCORES = ("recall@1", "recall@10", "mrr@10")
# metric name -> higher is better (the retrieval metrics); xsim errors are lower-is-better
RETRIEVAL_METRICS = tuple(f"retrieval_{task}_{score}" for task in TASKS for score in SCORES)
MIN_HALF_CHARS = 2


def sentence_halves(text: str) -> tuple[str, str] | None:
    """The two halves of ``text`` by words (by characters when it has fewer than two words);
    None when a half would be shorter than two characters."""
    words = text.split()
    if len(words) >= 2:
        middle = len(words) // 2
        first, second = " ".join(words[:middle]), " ".join(words[middle:])
    else:
        stripped = text.strip()
        middle = len(stripped) // 2
        first, second = stripped[:middle], stripped[middle:]
    if min(len(first), len(second)) < MIN_HALF_CHARS:
        return None
    return first, second


def _normalised(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def ranked_lists(queries: np.ndarray, documents: np.ndarray, depth: int = DEPTH) -> np.ndarray:
    """For each query row, the indices of the ``depth`` most cosine-similar document rows."""
    scores = _normalised(queries) @ _normalised(documents).T
    depth = min(depth, documents.shape[0])
    top = np.argpartition(-scores, depth - 1, axis=1)[:, :depth]
    order = np.take_along_axis(scores, top, axis=1).argsort(axis=1)[:, ::-1]
    return np.take_along_axis(top, order, axis=1)


def _rankings(queries: np.ndarray, documents: np.ndarray) -> list[tuple[list[int], set[int]]]:
    """Query ``i``'s ranking, its answer being document ``i``."""
    return [(row.tolist(), {i}) for i, row in enumerate(ranked_lists(queries, documents))]


def _as_metrics(task: str, scores: RetrievalScores) -> dict[str, float]:
    values = scores.to_dict()
    return {f"retrieval_{task}_{name}": float(values[name]) for name in SCORES}


def pair_retrieval(
    encoder: SentenceEncoder,
    src: Sequence[str],
    trg: Sequence[str],
    *,
    batch_size: int = 64,
    src_passages: np.ndarray | None = None,
    trg_passages: np.ndarray | None = None,
) -> dict[str, float]:
    """Same- and cross-language retrieval scores (:data:`RETRIEVAL_METRICS`) on aligned
    ``src``/``trg``; ``*_passages`` are their passage vectors if already encoded."""
    if len(src) != len(trg) or not src:
        raise ValueError(f"need aligned, non-empty sides, got {len(src)} and {len(trg)} texts")

    def encode(texts: Sequence[str], prompt: str) -> np.ndarray:
        return encoder.encode_array(texts, prompt=prompt, batch_size=batch_size)

    src_docs = encode(src, "passage") if src_passages is None else src_passages
    trg_docs = encode(trg, "passage") if trg_passages is None else trg_passages
    cross = _rankings(encode(src, "query"), trg_docs) + _rankings(encode(trg, "query"), src_docs)
    same: list[tuple[list[int], set[int]]] = []
    for side in (src, trg):
        halves = [h for h in map(sentence_halves, side) if h is not None]
        if halves:
            same += _rankings(
                encode([q for q, _ in halves], "query"), encode([d for _, d in halves], "passage")
            )
    metrics = _as_metrics("cross", score_rankings(cross))
    if same:
        metrics.update(_as_metrics("same", score_rankings(same)))
    return metrics
