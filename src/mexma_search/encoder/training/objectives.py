"""The MEXMA objective: cross-unmasking, sentence alignment, the KoLeo regulariser and
(optionally) distillation towards the base model's sentence vectors.

One shared encoder runs over the clean and the masked view of both sides (two forward calls,
each over one side's clean and masked rows stacked, which equals four separate passes). Side
A's masked token states, with position 0 replaced by B's clean sentence vector, go through the
unmasking head to predict A's chosen tokens, and the mirror for B::

    L = w_align * L_align + w_mlm * (CE_A + CE_B) / 2 + w_koleo * (KoLeo(A) + KoLeo(B)) / 2
        + w_distill * (D(A) + D(B)) / 2

where ``D`` is :func:`~.distillation.distillation_loss` against a frozen copy of the encoder
taken when the objective is built. With ``w_mlm = 0`` there is no unmasking head and the
masked views are not encoded (about half the forward work).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PreTrainedModel

from mexma_search.encoder.config import Pooling
from mexma_search.encoder.pooling import pool
from mexma_search.encoder.training.batching import PairBatch, SideBatch
from mexma_search.encoder.training.distillation import (
    FrozenBase,
    clean_vectors,
    distillation_loss,
)
from mexma_search.encoder.training.head import HeadConfig, UnmaskingHead

Alignment = Literal["mse", "contrastive"]
ALIGNMENTS: tuple[str, ...] = ("mse", "contrastive")
KOLEO_EPS = 1e-8


@dataclass(frozen=True)
class ObjectiveConfig:
    """Loss weights and the ablation switches.

    ``token_gradient=False`` detaches the head's inputs at positions >= 1, so the unmasking
    loss reaches the encoder only through the other side's sentence vector (the paper's
    ablation). ``koleo=False`` skips the regulariser. ``alignment='contrastive'`` replaces the
    MSE with a symmetric InfoNCE over in-batch negatives at ``temperature`` (0.05, a common
    choice for sentence encoders; EMS uses 0.1). ``distill_weight`` above 0 adds the
    distillation term (:mod:`.distillation`), which keeps each side's sentence vectors near
    the base model's and so keeps what the base model does for same-language search; it
    costs one more forward pass of the clean views (no gradient) and a frozen copy of the
    encoder in memory.
    """

    alignment: Alignment = "mse"
    temperature: float = 0.05
    token_gradient: bool = True
    koleo: bool = True
    align_weight: float = 1.0
    mlm_weight: float = 1.0
    koleo_weight: float = 0.01
    distill_weight: float = 0.0

    def __post_init__(self) -> None:
        if self.alignment not in ALIGNMENTS:
            raise ValueError(f"alignment must be one of {ALIGNMENTS}, got {self.alignment!r}")
        if self.temperature <= 0:
            raise ValueError(f"temperature must be positive, got {self.temperature}")
        if self.distill_weight < 0:
            raise ValueError(f"distill_weight must not be negative, got {self.distill_weight}")


@dataclass(frozen=True)
class LossParts:
    """The total loss (for backward) and its parts, with how many tokens were predicted."""

    total: torch.Tensor
    align: torch.Tensor
    mlm: torch.Tensor
    koleo: torch.Tensor
    distill: torch.Tensor
    masked_a: int
    masked_b: int
    pairs: int

    def as_floats(self) -> dict[str, float]:
        """The losses as Python floats, for logging."""
        return {
            "loss": float(self.total.detach()),
            "align": float(self.align.detach()),
            "mlm": float(self.mlm.detach()),
            "koleo": float(self.koleo.detach()),
            "distill": float(self.distill.detach()),
        }


def koleo_loss(vectors: torch.Tensor) -> torch.Tensor:
    """KoLeo (DINOv2) of a batch: ``-mean(log(||x_i - x_nn(i)|| + 1e-8))`` on L2-normalised rows.

    Computed in fp32; the nearest neighbour is the other row of highest dot product. A batch
    of fewer than two rows has no neighbours and gives 0.
    """
    if vectors.shape[0] < 2:
        return vectors.new_zeros((), dtype=torch.float32)
    with torch.autocast(device_type=vectors.device.type, enabled=False):
        x = F.normalize(vectors.float(), p=2, dim=-1)
        dots = x @ x.T
        dots.fill_diagonal_(-float("inf"))
        nearest = dots.argmax(dim=1)
        distances = torch.linalg.vector_norm(x - x[nearest], dim=-1)
        return -torch.log(distances + KOLEO_EPS).mean()


def info_nce_loss(a: torch.Tensor, b: torch.Tensor, temperature: float) -> torch.Tensor:
    """Symmetric InfoNCE: row ``i`` of ``a`` and of ``b`` are positives, other rows negatives."""
    a = F.normalize(a.float(), p=2, dim=-1)
    b = F.normalize(b.float(), p=2, dim=-1)
    logits = a @ b.T / temperature
    targets = torch.arange(a.shape[0], device=a.device)
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2


class MexmaObjective(nn.Module):
    """The encoder plus the unmasking head; ``forward(batch)`` returns :class:`LossParts`.

    ``transformer`` is trained in place (it is the encoder's own module); the head is fresh
    (None when the unmasking loss has weight 0). ``pooling`` makes the sentence vectors (the
    encoder's own). With a distillation weight, a frozen copy of ``transformer`` as it is now
    is the base the vectors are kept near.
    """

    def __init__(
        self,
        transformer: PreTrainedModel,
        config: ObjectiveConfig,
        head_config: HeadConfig | None = None,
        *,
        pooling: Pooling = "cls",
    ) -> None:
        super().__init__()
        self.transformer = transformer
        self.config = config
        self.pooling = pooling
        word_embeddings = transformer.get_input_embeddings()
        if not isinstance(word_embeddings, nn.Embedding):
            raise TypeError("the encoder's input embeddings must be an nn.Embedding")
        self.head = (
            UnmaskingHead(
                head_config or HeadConfig.for_encoder(transformer.config), word_embeddings
            )
            if config.mlm_weight > 0
            else None
        )
        self.base = FrozenBase(transformer, pooling) if config.distill_weight > 0 else None

    def forward(self, batch: PairBatch) -> LossParts:
        if self.head is None:
            vec_a = clean_vectors(self.transformer, batch.a, self.pooling)
            vec_b = clean_vectors(self.transformer, batch.b, self.pooling)
            mlm = torch.zeros((), device=vec_a.device)
        else:
            clean_a, masked_a = self._encode(batch.a)
            clean_b, masked_b = self._encode(batch.b)
            vec_a = pool(clean_a, batch.a.attention_mask, self.pooling)
            vec_b = pool(clean_b, batch.b.attention_mask, self.pooling)
            mlm = (
                self._unmask(self.head, masked_a, vec_b, batch.a)
                + self._unmask(self.head, masked_b, vec_a, batch.b)
            ) / 2
        align = self._align(vec_a, vec_b)
        cfg = self.config
        total = cfg.align_weight * align + cfg.mlm_weight * mlm
        if cfg.koleo:
            koleo = (koleo_loss(vec_a) + koleo_loss(vec_b)) / 2
            total = total + cfg.koleo_weight * koleo
        else:
            koleo = torch.zeros((), device=total.device)
        distill = self._distill(vec_a, vec_b, batch)
        if self.base is not None:
            total = total + cfg.distill_weight * distill
        return LossParts(
            total=total,
            align=align,
            mlm=mlm,
            koleo=koleo,
            distill=distill,
            masked_a=int(batch.a.labels_mask.sum()),
            masked_b=int(batch.b.labels_mask.sum()),
            pairs=len(batch),
        )

    def _encode(self, side: SideBatch) -> tuple[torch.Tensor, torch.Tensor]:
        """Final token states of the clean and the masked view, in one forward call."""
        ids = torch.cat([side.input_ids, side.masked_ids])
        mask = torch.cat([side.attention_mask, side.attention_mask])
        states = self.transformer(input_ids=ids, attention_mask=mask).last_hidden_state
        return states.split(side.input_ids.shape[0])

    def _unmask(
        self,
        head: UnmaskingHead,
        masked_states: torch.Tensor,
        other_vector: torch.Tensor,
        side: SideBatch,
    ) -> torch.Tensor:
        """Cross-entropy of predicting ``side``'s chosen tokens from its masked states."""
        tokens = masked_states[:, 1:]
        if not self.config.token_gradient:
            tokens = tokens.detach()
        states = torch.cat([other_vector.unsqueeze(1).to(tokens.dtype), tokens], dim=1)
        targets = side.input_ids[side.labels_mask]
        return head.loss(states, side.attention_mask, side.labels_mask, targets)

    def _distill(self, vec_a: torch.Tensor, vec_b: torch.Tensor, batch: PairBatch) -> torch.Tensor:
        """Both sides' distillation loss (0 without a base model)."""
        if self.base is None:
            return torch.zeros((), device=vec_a.device)
        a = distillation_loss(vec_a, self.base.vectors(batch.a))
        return (a + distillation_loss(vec_b, self.base.vectors(batch.b))) / 2

    def _align(self, vec_a: torch.Tensor, vec_b: torch.Tensor) -> torch.Tensor:
        if self.config.alignment == "mse":
            return F.mse_loss(vec_a.float(), vec_b.float())
        return info_nce_loss(vec_a, vec_b, self.config.temperature)
