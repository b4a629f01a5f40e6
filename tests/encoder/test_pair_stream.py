"""Shuffled, rank-sharded batches of pairs, replayable per epoch."""

from __future__ import annotations

import random

from mexma_search.encoder.training.pair_stream import PairStream, shuffle_stream

PAIRS = [(f"s{i}", f"t{i}") for i in range(23)]


def test_shuffle_keeps_every_item_whatever_the_buffer() -> None:
    for buffer_size in (1, 5, 100):
        shuffled = list(shuffle_stream(range(50), buffer_size, random.Random(0)))
        assert sorted(shuffled) == list(range(50))
    assert list(shuffle_stream(range(50), 100, random.Random(0))) != list(range(50))
    assert list(shuffle_stream(range(50), 1, random.Random(0))) == list(range(50))


def test_epochs_are_replayable_and_differ() -> None:
    stream = PairStream(lambda: PAIRS, batch_size=4, seed=3)
    first = list(stream.epoch(0))
    assert first == list(stream.epoch(0))
    assert first != list(stream.epoch(1))
    assert list(stream.epoch(0, skip=2)) == first[2:]
    # 23 pairs make 5 full batches; the incomplete tail is dropped.
    assert len(first) == stream.batches_per_epoch() == 5
    assert all(len(batch) == 4 for batch in first)


def test_ranks_get_disjoint_slices_of_the_same_order() -> None:
    ranks = [
        list(PairStream(lambda: PAIRS, batch_size=3, seed=1, rank=r, world_size=2).epoch(0))
        for r in range(2)
    ]
    single = list(PairStream(lambda: PAIRS, batch_size=6, seed=1).epoch(0))
    assert len(ranks[0]) == len(ranks[1]) == 3
    for step, global_batch in enumerate(single):
        assert ranks[0][step] + ranks[1][step] == global_batch
