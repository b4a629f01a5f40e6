"""Turn a list of (source, target) strings into the tensors of one MEXMA training step."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import torch
from transformers import PreTrainedTokenizerBase

from mexma_search.encoder.training.masking import Side, TokenMasker


@dataclass(frozen=True)
class SideBatch:
    """One side of a pair batch: clean ids, their attention mask, the masked view and its labels."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    masked_ids: torch.Tensor
    labels_mask: torch.Tensor

    def to(self, device: torch.device) -> SideBatch:
        """The same batch on ``device``."""
        return SideBatch(*(getattr(self, f.name).to(device) for f in fields(self)))


@dataclass(frozen=True)
class PairBatch:
    """Both sides of a pair batch: row ``i`` of ``a`` translates row ``i`` of ``b``."""

    a: SideBatch
    b: SideBatch

    def __len__(self) -> int:
        return int(self.a.input_ids.shape[0])

    def to(self, device: torch.device) -> PairBatch:
        """The same batch on ``device``."""
        return PairBatch(self.a.to(device), self.b.to(device))


class PairCollator:
    """Tokenise (with the model's prefix, truncated to ``max_length``), pad and mask both sides."""

    def __init__(
        self,
        tokenizer: PreTrainedTokenizerBase,
        masker: TokenMasker,
        *,
        max_length: int,
        prefix: str = "",
    ) -> None:
        self.tokenizer = tokenizer
        self.masker = masker
        self.max_length = max_length
        self.prefix = prefix

    def __call__(self, pairs: Sequence[tuple[str, str]]) -> PairBatch:
        if not pairs:
            raise ValueError("cannot build a batch from no pairs")
        return PairBatch(
            self._side([src for src, _ in pairs], "a"),
            self._side([trg for _, trg in pairs], "b"),
        )

    def _side(self, texts: list[str], side: Side) -> SideBatch:
        encoded = self.tokenizer(
            [self.prefix + text for text in texts],
            truncation=True,
            max_length=self.max_length,
            padding=True,
            return_tensors="pt",
        )
        input_ids, attention_mask = encoded["input_ids"], encoded["attention_mask"]
        masked = self.masker.mask(input_ids, attention_mask, side)
        return SideBatch(input_ids, attention_mask, masked.input_ids, masked.labels_mask)
