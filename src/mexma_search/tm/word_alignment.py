"""Which words of a translation render given words of its source: the translation-side
highlight of concordance results.

Both texts go through the encoder's embedding layer (sub-word embeddings with their position,
:data:`ALIGN_LAYERS` transformer layers after it); a word's vector is the mean of its tokens'
vectors, and the pair's words are centred on their mean, which takes out what all words of the
pair share. A given word is linked to the word of the other text with the most similar vector
(cosine) when that link is mutual: no other word of the first text is closer to it (the
"intersection" rule of SimAlign, Jalili Sabet et al., 2020). Unlinked words get no highlight
rather than a guess. Later layers link a few more words but cost a forward pass per page of
results (see docs/benchmarks.md, concordance).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mexma_search.encoder.model import SentenceEncoder
from mexma_search.encoder.token_vectors import TokenVectors, token_vectors
from mexma_search.tm.memory_index import WORD, Span

ALIGN_LAYERS = 0


@dataclass(frozen=True)
class AlignRequest:
    """Words of ``source`` (their spans) whose translation in ``target`` is wanted."""

    source: str
    spans: Sequence[Span]
    target: str


def aligned_spans(encoder: SentenceEncoder, requests: Sequence[AlignRequest]) -> list[list[Span]]:
    """For each request, the spans of the target's words linked to its source words, in text
    order (one forward pass over every text)."""
    if not requests:
        return []
    texts = [text for request in requests for text in (request.source, request.target)]
    tokens = token_vectors(encoder, texts, ALIGN_LAYERS)
    return [_links(request, tokens[2 * i], tokens[2 * i + 1]) for i, request in enumerate(requests)]


def _links(request: AlignRequest, source: TokenVectors, target: TokenVectors) -> list[Span]:
    src_words, src_vectors = word_vectors(request.source, source)
    trg_words, trg_vectors = word_vectors(request.target, target)
    if not src_words or not trg_words:
        return []
    centre = np.vstack([src_vectors, trg_vectors]).mean(axis=0)
    similarity = unit_rows(src_vectors - centre) @ unit_rows(trg_vectors - centre).T
    linked = set()
    for i, word in enumerate(src_words):
        if any(start < word[1] and word[0] < end for start, end in request.spans):
            best = int(similarity[i].argmax())
            if int(similarity[:, best].argmax()) == i:
                linked.add(trg_words[best])
    return sorted(linked)


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def word_vectors(text: str, tokens: TokenVectors) -> tuple[list[Span], np.ndarray]:
    """The words of ``text`` that have tokens, and the mean vector of each one's tokens."""
    spans = [match.span() for match in WORD.finditer(text)]
    starts = [start for start, _ in spans]
    members: dict[int, list[int]] = {}
    for row, (start, end) in enumerate(tokens.spans):
        word = bisect_right(starts, end - 1) - 1
        if start < end and word >= 0 and start < spans[word][1]:
            members.setdefault(word, []).append(row)
    words = sorted(members)
    if not words:
        return [], np.zeros((0, 0), dtype=np.float32)
    vectors = np.stack([tokens.vectors[members[word]].mean(axis=0) for word in words])
    return [spans[word] for word in words], vectors
