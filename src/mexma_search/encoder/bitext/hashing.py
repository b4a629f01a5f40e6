"""64-bit pair keys and a compact set of them, for duplicate detection and held-out splits."""

from __future__ import annotations

import hashlib

import numpy as np


def pair_key(src: str, trg: str, seed: int = 0) -> int:
    """A 64-bit hash of ``(seed, src, trg)``; the length prefix keeps the fields apart."""
    data = f"{seed}\x00{len(src)}\x00{src}{trg}".encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


class KeySet:
    """A set of 64-bit keys in one numpy array: 8 bytes a slot, at most 2/3 full.

    A Python ``set`` of ints costs about 60 bytes an entry; this costs 12 to 24, so ten
    million pairs need well under 300 MB. Open addressing with linear probing; 0 marks an
    empty slot, so key 0 is stored as 1 (a harmless extra collision).
    """

    def __init__(self, capacity: int = 1 << 16) -> None:
        size = 1 << max(4, (capacity - 1).bit_length())
        self._slots = np.zeros(size, dtype=np.uint64)
        self._mask = size - 1
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def _probe(self, key: int) -> tuple[int, bool]:
        """The slot holding ``key`` (True) or the empty slot where it would go (False)."""
        slots, mask = self._slots, self._mask
        i = key & mask
        while True:
            current = slots.item(i)
            if current == key:
                return i, True
            if current == 0:
                return i, False
            i = (i + 1) & mask

    def __contains__(self, key: int) -> bool:
        return self._probe(key or 1)[1]

    def add(self, key: int) -> bool:
        """Insert ``key``; return False if it was already present."""
        key = key or 1
        slot, found = self._probe(key)
        if found:
            return False
        self._slots[slot] = key
        self._count += 1
        if 3 * self._count > 2 * len(self._slots):
            self._grow()
        return True

    def _grow(self) -> None:
        """Double the table, re-inserting all keys with vectorised linear probing."""
        pending = self._slots[self._slots != 0]
        self._slots = np.zeros(2 * len(self._slots), dtype=np.uint64)
        self._mask = len(self._slots) - 1
        mask = np.uint64(self._mask)
        positions = pending & mask
        while pending.size:
            free = self._slots[positions] == 0
            # Among keys aiming at the same free slot, the first one takes it.
            slots, first = np.unique(positions[free], return_index=True)
            winners = np.flatnonzero(free)[first]
            self._slots[slots] = pending[winners]
            # Every other key now faces an occupied slot and probes the next one.
            losers = np.ones(pending.size, dtype=bool)
            losers[winners] = False
            pending = pending[losers]
            positions = (positions[losers] + np.uint64(1)) & mask
