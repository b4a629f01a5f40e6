"""Sharing a process's encoder between searches and background work (ingest, re-indexing).

Two forward passes at once split the cores between two thread pools that spin waiting for each
other, and a search queued behind a large ingest batch waits for all of it. So a process runs
one encoder batch at a time: a search's batch goes before any background batch that has not
started, and background work encodes in batches small enough (``BACKGROUND_BATCH_TOKENS`` on a
CPU) that a search waits for little. So that ingest still advances while searches never stop
coming, a background batch that has waited goes next after one search batch.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import torch

from mexma_search.encoder.encode import DEFAULT_MAX_BATCH_TOKENS

# padded tokens of one background batch on a CPU: about two batches of twenty queries
BACKGROUND_BATCH_TOKENS = 512


class EncoderGate:
    """Turns at the encoder: one batch at a time, searches first (see the module's notes)."""

    def __init__(self) -> None:
        self._state = threading.Condition()
        self._busy = False
        self._searches_waiting = 0
        self._background_waiting = 0
        # a search batch ended while background work waited: the next turn is background's
        self._background_turn = False

    @contextmanager
    def search(self) -> Iterator[None]:
        """Hold the encoder for one batch of a search: it waits for the batch running only."""
        with self._state:
            self._searches_waiting += 1
            try:
                self._state.wait_for(lambda: not self._busy and not self._background_goes_next())
            finally:
                self._searches_waiting -= 1
            self._busy = True
        try:
            yield
        finally:
            with self._state:
                self._busy = False
                self._background_turn = self._background_waiting > 0
                self._state.notify_all()

    def _background_goes_next(self) -> bool:
        return self._background_turn and self._background_waiting > 0

    @contextmanager
    def background(self) -> Iterator[None]:
        """Hold the encoder for one batch of background work: it waits while searches wait,
        except for its turn after a search batch."""
        with self._state:
            self._background_waiting += 1
            try:
                self._state.wait_for(
                    lambda: not self._busy and (self._background_turn or not self._searches_waiting)
                )
            finally:
                self._background_waiting -= 1
            self._busy = True
            self._background_turn = False
        try:
            yield
        finally:
            with self._state:
                self._busy = False
                self._state.notify_all()


def background_batch_tokens(device: torch.device) -> int:
    """The padded tokens of one background batch on ``device``: small on a CPU, where a
    search waits for the batch running; the encoder's default elsewhere."""
    return BACKGROUND_BATCH_TOKENS if device.type == "cpu" else DEFAULT_MAX_BATCH_TOKENS
