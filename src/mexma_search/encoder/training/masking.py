"""MEXMA masking: choose tokens with probability p; then 80 % ``<mask>``, 10 % random, 10 % kept.

Each side of a pair batch has its own :class:`torch.Generator`, seeded differently (the
official code seeded both sides alike, so A and B were masked at the same positions
whenever their lengths matched). Masking runs on CPU, so the draws are the same on every
device.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import torch

Side = Literal["a", "b"]
SIDES: tuple[Side, ...] = ("a", "b")
# Of the chosen tokens: this share becomes <mask>, the same share of the rest a random id.
MASK_TOKEN_SHARE = 0.8
RANDOM_TOKEN_SHARE_OF_REST = 0.5
MAX_REDRAWS = 1000


@dataclass(frozen=True)
class MaskedBatch:
    """Masked ids and ``labels_mask``, the positions chosen for prediction (changed or not)."""

    input_ids: torch.Tensor
    labels_mask: torch.Tensor


class TokenMasker:
    """Masks padded id batches for MEXMA with one random generator per side.

    ``special_ids`` are never chosen (nor padding); random replacements are drawn from the
    non-special ids below ``vocab_size``.
    """

    def __init__(
        self,
        *,
        mask_id: int,
        special_ids: Iterable[int],
        vocab_size: int,
        ratio: float = 0.4,
        seed: int = 0,
    ) -> None:
        if not 0.0 < ratio <= 1.0:
            raise ValueError(f"mask ratio must be in (0, 1], got {ratio}")
        self.mask_id = mask_id
        self.ratio = ratio
        self.special_ids = torch.tensor(sorted(set(special_ids) | {mask_id}), dtype=torch.long)
        is_special = torch.zeros(vocab_size, dtype=torch.bool)
        is_special[self.special_ids[self.special_ids < vocab_size]] = True
        self.replacement_ids = torch.nonzero(~is_special).squeeze(1)
        if len(self.replacement_ids) == 0:
            raise ValueError("the vocabulary has no non-special ids to draw replacements from")
        self.generators = {side: torch.Generator() for side in SIDES}
        self.reseed(seed)

    @classmethod
    def for_tokenizer(cls, tokenizer: object, *, ratio: float = 0.4, seed: int = 0) -> TokenMasker:
        """A masker for a Hugging Face tokenizer with a ``<mask>`` token."""
        mask_id = getattr(tokenizer, "mask_token_id", None)
        if mask_id is None:
            raise ValueError("the tokenizer has no mask token; MEXMA training needs one")
        return cls(
            mask_id=mask_id,
            special_ids=tokenizer.all_special_ids,  # type: ignore[attr-defined]
            vocab_size=len(tokenizer),  # type: ignore[arg-type]
            ratio=ratio,
            seed=seed,
        )

    def reseed(self, seed: int) -> None:
        """Seed side A's generator with ``2 * seed`` and side B's with ``2 * seed + 1``."""
        for offset, side in enumerate(SIDES):
            self.generators[side].manual_seed(2 * seed + offset)

    def maskable(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Positions that may be chosen: real (non-padding), non-special tokens."""
        return attention_mask.bool() & ~torch.isin(input_ids, self.special_ids)

    def mask(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, side: Side
    ) -> MaskedBatch:
        """Mask one side's CPU batch, redrawing until at least one position is chosen."""
        candidates = self.maskable(input_ids, attention_mask)
        if not candidates.any():
            raise ValueError("the batch has no maskable token (every text is empty)")
        generator = self.generators[side]
        for _ in range(MAX_REDRAWS):
            chosen = candidates & (torch.rand(input_ids.shape, generator=generator) < self.ratio)
            if chosen.any():
                return MaskedBatch(self._corrupt(input_ids, chosen, generator), chosen)
        raise RuntimeError(f"no token chosen in {MAX_REDRAWS} draws (mask ratio {self.ratio})")

    def _corrupt(
        self, input_ids: torch.Tensor, chosen: torch.Tensor, generator: torch.Generator
    ) -> torch.Tensor:
        draw = torch.rand(input_ids.shape, generator=generator)
        to_mask = chosen & (draw < MASK_TOKEN_SHARE)
        rest = 1.0 - MASK_TOKEN_SHARE
        to_random = (
            chosen
            & (draw >= MASK_TOKEN_SHARE)
            & (draw < MASK_TOKEN_SHARE + RANDOM_TOKEN_SHARE_OF_REST * rest)
        )
        picks = torch.randint(
            len(self.replacement_ids), input_ids.shape, generator=generator, dtype=torch.long
        )
        masked = input_ids.clone()
        masked[to_mask] = self.mask_id
        masked[to_random] = self.replacement_ids[picks[to_random]]
        return masked
