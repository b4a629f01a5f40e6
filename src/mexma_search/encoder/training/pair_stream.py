"""Streaming (source, target) pairs into shuffled, rank-sharded batches.

Shuffling uses a seeded buffer, so the data never has to fit in memory: the buffer fills,
then each new pair takes the place of a randomly drawn one, which is emitted. When the buffer
is at least as large as the data (the default, 100,000 pairs, holds the shared Bible bitext)
this is an exact uniform permutation; a smaller buffer only mixes pairs within about its size.
Each epoch reshuffles with a seed derived from the run seed and the epoch, so an epoch's
order can be replayed, which is how a resumed run finds its place.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import TypeVar

from mexma_search.encoder.training.seeding import derive_seed

Pair = tuple[str, str]
PairSource = Callable[[], Iterable[Pair]]
T = TypeVar("T")
DEFAULT_SHUFFLE_BUFFER = 100_000


def shuffle_stream(items: Iterable[T], buffer_size: int, rng: random.Random) -> Iterator[T]:
    """Yield ``items`` in a random order using a buffer of ``buffer_size`` items."""
    if buffer_size < 1:
        raise ValueError(f"buffer_size must be at least 1, got {buffer_size}")
    buffer: list[T] = []
    for item in items:
        if len(buffer) < buffer_size:
            buffer.append(item)
            continue
        index = rng.randrange(buffer_size)
        yield buffer[index]
        buffer[index] = item
    rng.shuffle(buffer)
    yield from buffer


class PairStream:
    """Epochs of batches for one rank: shuffle, cut into global batches, take this rank's slice.

    A global batch is ``batch_size * world_size`` pairs; rank ``r`` gets its ``r``-th slice.
    The last incomplete global batch of an epoch is dropped, so every rank runs the same number
    of steps and every batch is full (in-batch terms such as KoLeo and InfoNCE need that).
    """

    def __init__(
        self,
        source: PairSource,
        *,
        batch_size: int,
        seed: int = 0,
        shuffle_buffer: int = DEFAULT_SHUFFLE_BUFFER,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is outside world size {world_size}")
        self.source = source
        self.batch_size = batch_size
        self.seed = seed
        self.shuffle_buffer = shuffle_buffer
        self.rank = rank
        self.world_size = world_size

    def epoch(self, epoch: int, *, skip: int = 0) -> Iterator[list[Pair]]:
        """This rank's batches of epoch ``epoch`` (0-based), after the first ``skip`` of them."""
        rng = random.Random(derive_seed(self.seed, epoch))
        pairs = shuffle_stream(self.source(), self.shuffle_buffer, rng)
        global_size = self.batch_size * self.world_size
        start = self.rank * self.batch_size
        for global_batch in islice(_chunks(pairs, global_size), skip, None):
            yield global_batch[start : start + self.batch_size]

    def batches_per_epoch(self) -> int:
        """How many batches each rank gets per epoch (one pass over the source, no shuffling)."""
        n_pairs = sum(1 for _ in self.source())
        return n_pairs // (self.batch_size * self.world_size)


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive full lists of ``size`` items; an incomplete tail is dropped."""
    iterator = iter(items)
    while len(chunk := list(islice(iterator, size))) == size:
        yield chunk
