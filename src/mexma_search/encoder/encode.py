"""Batched inference: tokenise, sort by length, pad per batch, pool, normalise."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F

from mexma_search.encoder.device import autocast, to_device

if TYPE_CHECKING:
    from mexma_search.encoder.model import SentenceEncoder


# Padded tokens per batch: long texts go in smaller batches, which bounds activation memory
# (attention is quadratic in length) without changing the batches of short texts.
DEFAULT_MAX_BATCH_TOKENS = 8192

# Called around each batch's forward pass: a context that may wait for its turn at the model.
BatchTurn = Callable[[], AbstractContextManager[object]]


@dataclass(frozen=True)
class EncodeResult:
    """Vectors in input order, plus what happened on the way."""

    vectors: np.ndarray
    truncated: tuple[int, ...]  # positions of the texts cut to the model's max length
    n_tokens: int

    @property
    def n_truncated(self) -> int:
        """How many texts were longer than the model's max length."""
        return len(self.truncated)


def prepare_text(text: str, prefix: str) -> str:
    """The string the tokenizer sees: whitespace-only inputs become the empty string."""
    if not isinstance(text, str):
        raise TypeError(f"texts must be strings, got {type(text).__name__}")
    return prefix + (text if text.strip() else "")


def tokenize(
    encoder: SentenceEncoder, texts: Sequence[str], prefix: str
) -> tuple[list[list[int]], tuple[int, ...]]:
    """Token ids for each text, truncated to the model's max length; and the positions of
    the texts that were cut."""
    tokenizer = encoder.tokenizer
    max_length = encoder.config.max_length
    prepared = [prepare_text(t, prefix) for t in texts]
    ids_per_text = tokenizer(prepared, add_special_tokens=True, verbose=False)["input_ids"]
    special_ids = set(tokenizer.all_special_ids)
    truncated: list[int] = []
    for i, ids in enumerate(ids_per_text):
        if len(ids) > max_length:
            truncated.append(i)
            tail = [ids[-1]] if ids[-1] in special_ids else []
            ids_per_text[i] = ids[: max_length - len(tail)] + tail
    return ids_per_text, tuple(truncated)


def pad_batch(ids_batch: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad a batch of id lists to its longest member: ``(input_ids, attention_mask)``."""
    width = max(len(ids) for ids in ids_batch)
    input_ids = torch.full((len(ids_batch), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(ids_batch), width), dtype=torch.long)
    for row, ids in enumerate(ids_batch):
        input_ids[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        attention_mask[row, : len(ids)] = 1
    return input_ids, attention_mask


def batch_bounds(
    lengths_longest_first: Sequence[int], batch_size: int, max_batch_tokens: int
) -> list[tuple[int, int]]:
    """``(start, stop)`` of each batch over lengths sorted longest first: at most
    ``batch_size`` rows and ``max_batch_tokens`` padded tokens (at least one row)."""
    bounds = []
    start = 0
    while start < len(lengths_longest_first):
        fits = max(1, max_batch_tokens // max(1, lengths_longest_first[start]))
        stop = min(start + min(batch_size, fits), len(lengths_longest_first))
        bounds.append((start, stop))
        start = stop
    return bounds


def encode_texts(
    encoder: SentenceEncoder,
    texts: Sequence[str],
    *,
    prompt: str | None = None,
    batch_size: int = 32,
    progress: Callable[[int, int], object] | None = None,
    max_batch_tokens: int = DEFAULT_MAX_BATCH_TOKENS,
    turn: BatchTurn | None = None,
) -> EncodeResult:
    """Embed ``texts`` in batches of similar length; see :meth:`SentenceEncoder.encode`."""
    if isinstance(texts, str):
        raise TypeError("encode takes a sequence of strings, not a single string")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    dim = encoder.dimension
    if len(texts) == 0:
        return EncodeResult(np.zeros((0, dim), dtype=np.float32), (), 0)

    ids_per_text, truncated = tokenize(encoder, texts, encoder.config.prefix_for(prompt))
    order = sorted(range(len(texts)), key=lambda i: -len(ids_per_text[i]))
    lengths = [len(ids_per_text[i]) for i in order]
    out = np.empty((len(texts), dim), dtype=np.float32)
    pad_id = encoder.tokenizer.pad_token_id
    done = 0
    with torch.inference_mode():
        for start, stop in batch_bounds(lengths, batch_size, max_batch_tokens):
            rows = order[start:stop]
            input_ids, attention_mask = pad_batch([ids_per_text[i] for i in rows], pad_id)
            with turn() if turn is not None else nullcontext():
                out[rows] = _forward(encoder, input_ids, attention_mask)
            done += len(rows)
            if progress is not None:
                progress(done, len(texts))
    n_tokens = sum(len(ids) for ids in ids_per_text)
    return EncodeResult(out, truncated, n_tokens)


def _forward(
    encoder: SentenceEncoder, input_ids: torch.Tensor, attention_mask: torch.Tensor
) -> np.ndarray:
    """One padded batch's sentence vectors (normalised if the config says so), on the host."""
    device = encoder.device
    with autocast(device, encoder.autocast_dtype):
        vectors = encoder.sentence_vectors(
            to_device(input_ids, device), to_device(attention_mask, device)
        )
    vectors = vectors.float()
    if encoder.config.normalize:
        vectors = F.normalize(vectors, p=2, dim=-1)
    return vectors.cpu().numpy()
