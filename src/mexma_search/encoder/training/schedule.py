"""Learning-rate schedule: linear warm-up from a fraction of the peak, then cosine to zero.

Counted in optimiser steps (the official code stepped it per micro-batch, so with gradient
accumulation its warm-up and decay ran too fast). The schedule is a pure function of the step,
so a checkpoint needs only the step number to restore it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class WarmupCosineSchedule:
    """``lr(step)`` for ``step`` in ``0 .. total_steps - 1`` (the step about to be taken).

    Warm-up rises linearly from ``start_factor * peak_lr`` at step 0 to the peak at step
    ``warmup_steps`` (``round(warmup_ratio * total_steps)``); then a half cosine falls to 0 at
    ``total_steps``.
    """

    peak_lr: float
    total_steps: int
    warmup_ratio: float = 0.3
    start_factor: float = 0.1

    def __post_init__(self) -> None:
        if self.total_steps < 1:
            raise ValueError(f"total_steps must be at least 1, got {self.total_steps}")
        if not 0.0 <= self.warmup_ratio <= 1.0:
            raise ValueError(f"warmup_ratio must be in [0, 1], got {self.warmup_ratio}")

    @property
    def warmup_steps(self) -> int:
        """Optimiser steps of linear warm-up."""
        return round(self.warmup_ratio * self.total_steps)

    def factor(self, step: int) -> float:
        """The multiplier of the peak learning rate at optimiser step ``step``."""
        warmup = self.warmup_steps
        if step < warmup:
            return self.start_factor + (1.0 - self.start_factor) * step / warmup
        decay_steps = self.total_steps - warmup
        progress = min(1.0, (step - warmup) / decay_steps) if decay_steps else 1.0
        return 0.5 * (1.0 + math.cos(math.pi * progress))

    def lr(self, step: int) -> float:
        """The learning rate at optimiser step ``step``."""
        return self.peak_lr * self.factor(step)

    def apply(self, optimizer: torch.optim.Optimizer, step: int) -> float:
        """Set every parameter group's learning rate for ``step``; returns it."""
        lr = self.lr(step)
        for group in optimizer.param_groups:
            group["lr"] = lr
        return lr
