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
    with torch.inference_mode(), autocast(device, encoder.autocast_dtype):
        hidden = transformer.embeddings(input_ids=to_device(batch["input_ids"], device))
        if layers > 0:
            attention = create_bidirectional_mask(
                config=transformer.config,
                inputs_embeds=hidden,
                attention_mask=to_device(batch["attention_mask"], device),
            )
        for layer in transformer.encoder.layer[:layers]:
            out = layer(hidden, attention_mask=attention)
            hidden = out[0] if isinstance(out, tuple) else out
    states = hidden.float().cpu().numpy()
    kept = (batch["attention_mask"] == 1) & (batch["special_tokens_mask"] == 0)
    offsets = batch["offset_mapping"].tolist()
    found = []
    for row in range(len(texts)):
        columns = kept[row].nonzero().flatten().tolist()
        spans = [(int(offsets[row][c][0]), int(offsets[row][c][1])) for c in columns]
        found.append(TokenVectors(spans, states[row, columns]))
    return found
