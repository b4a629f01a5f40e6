"""The sentence encoder: loading, batched inference, MEXMA training and evaluation.

This package imports nothing else of the project, so it can be used on its own.
"""

from mexma_search.encoder.config import EncoderConfig
from mexma_search.encoder.model import EncodeResult, SentenceEncoder

__all__ = ["EncodeResult", "EncoderConfig", "SentenceEncoder"]
