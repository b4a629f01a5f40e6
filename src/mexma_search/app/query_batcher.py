"""Encoding the queries of concurrent searches together.

On a CPU, encoding one short query costs most of a search, and encoding twenty together costs
a few times one: searches arriving at the same moment wait for each other for at most
``WINDOW_S`` and share one encoder call. A lone search pays that short wait only.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future

import numpy as np

from mexma_search.encoder.encode import BatchTurn
from mexma_search.encoder.model import SentenceEncoder

WINDOW_S = 0.003
MAX_BATCH = 32


class QueryBatcher:
    """A thread that encodes the queries given to :meth:`encode` in batches, each forward pass
    inside ``turn()`` when given."""

    def __init__(self, encoder: SentenceEncoder, turn: BatchTurn | None = None) -> None:
        self.encoder = encoder
        self._turn = turn
        self._waiting: queue.Queue[tuple[str, Future[np.ndarray]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="query-encoder", daemon=True)
        self._thread.start()

    def encode(self, query: str) -> np.ndarray:
        """The vector of ``query`` (encoded with the ``query`` prompt)."""
        found: Future[np.ndarray] = Future()
        self._waiting.put((query, found))
        return found.result()

    def close(self) -> None:
        """Stop the thread once the queries already given are encoded."""
        self._waiting.put(None)

    def _run(self) -> None:
        while (first := self._waiting.get()) is not None:
            batch = [first]
            try:
                while len(batch) < MAX_BATCH:
                    following = self._waiting.get(timeout=WINDOW_S)
                    if following is None:
                        self._waiting.put(None)  # stop after this batch
                        break
                    batch.append(following)
            except queue.Empty:
                pass
            self._encode(batch)

    def _encode(self, batch: list[tuple[str, Future[np.ndarray]]]) -> None:
        try:
            texts = [text for text, _ in batch]
            vectors = self.encoder.encode(texts, prompt="query", turn=self._turn).vectors
        except BaseException as error:  # each search gets the encoder's error
            for _, found in batch:
                found.set_exception(error)
            return
        for (_, found), vector in zip(batch, vectors, strict=True):
            found.set_result(vector)
