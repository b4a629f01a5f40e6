"""For tests of background work at the encoder: a gate that counts the background turns taken,
and the token budget of each encoder call."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

import pytest

from mexma_search.app.encoder_gate import EncoderGate
from mexma_search.encoder.model import SentenceEncoder


class CountingGate(EncoderGate):
    """The runtime's gate, counting the background turns taken."""

    def __init__(self) -> None:
        super().__init__()
        self.background_turns = 0

    def background(self) -> AbstractContextManager[None]:
        self.background_turns += 1
        return super().background()


def recorded_batch_budgets(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ``max_batch_tokens`` of every encoder call from now on, in order."""
    encode = SentenceEncoder.encode
    budgets: list[int] = []

    def recording(encoder: SentenceEncoder, texts: Any, **kwargs: Any) -> Any:
        budgets.append(kwargs["max_batch_tokens"])
        return encode(encoder, texts, **kwargs)

    monkeypatch.setattr(SentenceEncoder, "encode", recording)
    return budgets
