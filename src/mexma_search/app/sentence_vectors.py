"""Vectors of the sentences inside passages, to point at a passage's best sentence.

The embed task stores them with each point (``MEXMA_SENTENCE_VECTORS=ingest``); search makes
them for the hits that have none (``query`` mode).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mexma_search.encoder.encode import DEFAULT_MAX_BATCH_TOKENS, BatchTurn, EncodeResult
from mexma_search.encoder.model import ProgressCallback, SentenceEncoder
from mexma_search.store import Chunk

DEFAULT_BATCH_SIZE = 32


def sentence_vectors(
    encoder: SentenceEncoder,
    chunks: Sequence[Chunk],
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: ProgressCallback | None = None,
    *,
    max_batch_tokens: int = DEFAULT_MAX_BATCH_TOKENS,
    turn: BatchTurn | None = None,
) -> list[np.ndarray | None]:
    """Per chunk, the vectors ``[n_sentences, dim]`` of its sentences (passage prompt, all
    chunks in one encoder call, batched as :meth:`SentenceEncoder.encode` says), or ``None``
    for a chunk of one sentence (the passage vector is its sentence's)."""
    spans = [chunk.sentence_spans() for chunk in chunks]
    several = [i for i, chunk_spans in enumerate(spans) if len(chunk_spans) > 1]
    texts = [chunks[i].text[start:end] for i in several for start, end in spans[i]]
    out: list[np.ndarray | None] = [None] * len(chunks)
    if not texts:
        return out
    vectors = encode_passages(
        encoder, texts, batch_size, progress, max_batch_tokens=max_batch_tokens, turn=turn
    ).vectors
    offset = 0
    for i in several:
        out[i] = vectors[offset : offset + len(spans[i])]
        offset += len(spans[i])
    return out


def encode_passages(
    encoder: SentenceEncoder,
    texts: Sequence[str],
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: ProgressCallback | None = None,
    *,
    max_batch_tokens: int = DEFAULT_MAX_BATCH_TOKENS,
    turn: BatchTurn | None = None,
) -> EncodeResult:
    """``texts`` encoded with the passage prompt (see :meth:`SentenceEncoder.encode`)."""
    return encoder.encode(
        texts,
        prompt="passage",
        batch_size=batch_size,
        progress=progress,
        max_batch_tokens=max_batch_tokens,
        turn=turn,
    )
