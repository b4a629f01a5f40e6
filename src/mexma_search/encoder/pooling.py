"""Token states to sentence vectors."""

from __future__ import annotations

import torch

from mexma_search.encoder.config import Pooling


def pool(hidden: torch.Tensor, attention_mask: torch.Tensor, mode: Pooling) -> torch.Tensor:
    """Sentence vectors ``[batch, hidden]`` from token states ``[batch, seq, hidden]``.

    ``cls`` takes position 0 exactly; ``mean`` averages the positions where the mask is 1.
    """
    if mode == "cls":
        return hidden[:, 0]
    if mode == "mean":
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        summed = (hidden * mask).sum(dim=1)
        counts = mask.sum(dim=1).clamp(min=1.0)
        return summed / counts
    raise ValueError(f"unknown pooling mode {mode!r}")
