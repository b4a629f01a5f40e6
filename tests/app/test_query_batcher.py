"""Concurrent searches share encoder calls and get the same vectors as alone."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

from mexma_search.app.encoder_gate import EncoderGate
from mexma_search.app.query_batcher import QueryBatcher
from mexma_search.encoder.model import SentenceEncoder

QUERIES = [f"where is station {n}?" for n in range(24)]


def test_concurrent_queries_are_encoded_together_and_alike(
    tiny_mean_encoder: SentenceEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = tiny_mean_encoder.encode(QUERIES, prompt="query").vectors
    calls: list[int] = []
    encode = tiny_mean_encoder.encode

    def counting(texts: Any, **kwargs: Any) -> Any:
        calls.append(len(texts))
        return encode(texts, **kwargs)

    monkeypatch.setattr(tiny_mean_encoder, "encode", counting)
    batcher = QueryBatcher(tiny_mean_encoder)
    start = threading.Barrier(len(QUERIES))
    found: dict[int, np.ndarray] = {}

    def search(n: int) -> None:
        start.wait()
        found[n] = batcher.encode(QUERIES[n])

    threads = [threading.Thread(target=search, args=(n,)) for n in range(len(QUERIES))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    batcher.close()
    assert sum(calls) == len(QUERIES) and len(calls) < len(QUERIES)
    for n in range(len(QUERIES)):
        np.testing.assert_allclose(found[n], alone[n], atol=1e-5)


def test_an_encoder_error_reaches_every_waiting_search() -> None:
    class Broken:
        def encode(self, texts: Any, **kwargs: Any) -> Any:
            raise RuntimeError("CUDA out of memory")

    batcher = QueryBatcher(Broken())  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="out of memory"):
        batcher.encode("anything")
    batcher.close()


def test_queries_are_encoded_inside_the_search_turn(tiny_mean_encoder: SentenceEncoder) -> None:
    gate = EncoderGate()
    batcher = QueryBatcher(tiny_mean_encoder, gate.search)
    found: list[np.ndarray] = []
    with gate.background():  # an ingest batch holds the encoder
        searching = threading.Thread(target=lambda: found.append(batcher.encode(QUERIES[0])))
        searching.start()
        searching.join(0.5)
        assert searching.is_alive() and not found
    searching.join(10)
    batcher.close()
    np.testing.assert_allclose(
        found[0], tiny_mean_encoder.encode([QUERIES[0]], prompt="query").vectors[0], atol=1e-5
    )
