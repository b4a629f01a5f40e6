"""The sentence encoder: loading, batched inference, MEXMA training and evaluation.

This package imports nothing else of the project, so it can be used on its own.
"""

from encoder.config import EncoderConfig
from encoder.model import EncodeResult, SentenceEncoder

__all__ = ["EncodeResult", "EncoderConfig", "SentenceEncoder"]
