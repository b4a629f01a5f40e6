"""Keeping the fine-tuned encoder's sentence vectors close to its base model's.

MEXMA's alignment pulls a pair's two sentence vectors together, which also moves both away
from where the base model put them, and a search index built for same-language questions
loses some of what the base model knew. The distillation term is the mean squared distance
between each side's clean sentence vector and the vector a frozen copy of the base model
gives the same tokens (the scale of the MSE alignment loss, so the two weights compare; the
contrastive loss is about 1000 times larger, hence the admin default's weight of 1000).
It is 0 until the weights move (with dropout off; in training, dropout adds a little noise).
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from transformers import PreTrainedModel

from mexma_search.encoder.config import Pooling
from mexma_search.encoder.pooling import pool
from mexma_search.encoder.training.batching import SideBatch


def clean_vectors(transformer: PreTrainedModel, side: SideBatch, pooling: Pooling) -> torch.Tensor:
    """``transformer``'s sentence vectors of ``side``'s clean rows."""
    states = transformer(
        input_ids=side.input_ids, attention_mask=side.attention_mask
    ).last_hidden_state
    return pool(states, side.attention_mask, pooling)


class FrozenBase:
    """A frozen copy of an encoder's transformer, taken before training moves it.

    Deliberately not an ``nn.Module`` attribute of the objective: its weights stay out of
    the optimiser, checkpoints and DDP's gradient sync (a resumed run copies the base model
    it is given, which is the same one).
    """

    def __init__(self, transformer: PreTrainedModel, pooling: Pooling) -> None:
        self.transformer = copy.deepcopy(transformer).eval()
        self.transformer.requires_grad_(False)
        self.pooling = pooling

    @torch.no_grad()
    def vectors(self, side: SideBatch) -> torch.Tensor:
        """The base model's sentence vectors of ``side``'s clean rows."""
        return clean_vectors(self.transformer, side, self.pooling)


def distillation_loss(vectors: torch.Tensor, base_vectors: torch.Tensor) -> torch.Tensor:
    """Mean squared distance of ``vectors`` to the base model's (fp32)."""
    return F.mse_loss(vectors.float(), base_vectors.float())
