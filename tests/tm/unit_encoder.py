"""An encoder for the translation-memory tests whose meanings are known.

``"u3"`` means unit 3.

A text is a space-separated list of unit names; its vector is the normalised sum of its units'
random vectors, so ``"u2 u3"`` is the concatenation of ``"u2"`` and ``"u3"`` and a translation
is simply the same unit name on the other side.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

DIM = 64


class UnitEncoder:
    """Vectors for texts made of unit names; ``noise`` blurs each text's vector."""

    def __init__(self, seed: int = 0, noise: float = 0.0) -> None:
        self.rng = np.random.default_rng(seed)
        self.noise = noise
        self.units: dict[str, np.ndarray] = {}
        self.calls = 0

    def _unit(self, name: str) -> np.ndarray:
        if name not in self.units:
            self.units[name] = self.rng.normal(size=DIM)
        return self.units[name]

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        rows = np.zeros((len(texts), DIM))
        for i, text in enumerate(texts):
            for name in text.split():
                rows[i] += self._unit(name.strip(".").lower())
            rows[i] += self.noise * self.rng.normal(size=DIM)
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return (rows / np.where(norms == 0, 1, norms)).astype(np.float32)
