"""The sentence encoder: loading, batched inference, MEXMA training and evaluation.

This package imports nothing else of the project, so it can be used on its own. Its public
names are imported on first use, so that light modules (``config``, ``atomic``) load
without torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_PUBLIC = {
    "EncodeResult": "mexma_search.encoder.model",
    "EncoderConfig": "mexma_search.encoder.config",
    "SentenceEncoder": "mexma_search.encoder.model",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC[name]), name)
