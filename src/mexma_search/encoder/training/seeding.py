"""Deterministic seeds derived from the run seed, so every random draw is a function of the step."""

from __future__ import annotations

import numpy as np


def derive_seed(*parts: int) -> int:
    """A well-mixed 63-bit seed from integers (run seed, rank, step, ...), on any platform."""
    state = np.random.SeedSequence([int(p) for p in parts]).generate_state(2, dtype=np.uint32)
    return (int(state[0]) << 31) ^ int(state[1])
