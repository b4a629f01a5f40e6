"""Token vectors from the embedding layer and the first layers of a BERT-style encoder (XLM-R,
as the project's models are), with each token's character span in its text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from transformers.masking_utils import create_bidirectional_mask

from mexma_search.encoder.device import autocast, to_device

if TYPE_CHECKING:
    from mexma_search.encoder.model import SentenceEncoder


@dataclass(frozen=True)
class TokenVectors:
    """One text's tokens (special tokens left out): their ``(start, end)`` character spans and
    their vectors (one row each)."""

    spans: list[tuple[int, int]]
    vectors: np.ndarray


def token_vectors(
    encoder: SentenceEncoder, texts: Sequence[str], layers: int
) -> list[TokenVectors]:
    """The tokens of ``texts`` (no prefix, cut to the model's length) after the embeddings and
    the first ``layers`` transformer layers, run as one padded batch."""
    return token_vectors_by_layer(encoder, texts, [layers])[0]


def token_vectors_by_layer(
    encoder: SentenceEncoder, texts: Sequence[str], layers: Sequence[int]
) -> list[list[TokenVectors]]:
    """:func:`token_vectors` after each of several layer counts (0: the embeddings), from one
    forward pass: one list of ``texts``' tokens per entry of ``layers``."""
    batch = encoder.tokenizer(
        list(texts),
        return_offsets_mapping=True,
        return_special_tokens_mask=True,
        padding=True,
        truncation=True,
        max_length=encoder.config.max_length,
        return_tensors="pt",
    )
    transformer, device = encoder.transformer, encoder.device
    # a model with fewer layers gives its last layer's vectors
    layers = [min(layer, len(transformer.encoder.layer)) for layer in layers]
    states: dict[int, np.ndarray] = {}
    with torch.inference_mode(), autocast(device, encoder.autocast_dtype):
        hidden = transformer.embeddings(input_ids=to_device(batch["input_ids"], device))
        if max(layers) > 0:
            attention = create_bidirectional_mask(
                config=transformer.config,
                inputs_embeds=hidden,
                attention_mask=to_device(batch["attention_mask"], device),
            )
        for done in range(max(layers) + 1):
            if done > 0:
                out = transformer.encoder.layer[done - 1](hidden, attention_mask=attention)
                hidden = out[0] if isinstance(out, tuple) else out
            if done in layers:
                states[done] = hidden.float().cpu().numpy()
    kept = (batch["attention_mask"] == 1) & (batch["special_tokens_mask"] == 0)
    offsets = batch["offset_mapping"].tolist()
    columns = [kept[row].nonzero().flatten().tolist() for row in range(len(texts))]
    spans = [
        [(int(offsets[row][c][0]), int(offsets[row][c][1])) for c in columns[row]]
        for row in range(len(texts))
    ]
    return [
        [TokenVectors(spans[row], states[layer][row, columns[row]]) for row in range(len(texts))]
        for layer in layers
    ]
