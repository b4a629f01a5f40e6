"""Held-out splits: a deterministic streaming split, and the shared data's fixed splits files."""

from __future__ import annotations

import heapq
import json
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from mexma_search.encoder.bitext.core import BitextError, BitextPair
from mexma_search.encoder.bitext.hashing import pair_key

SPLIT_NAMES = ("train", "dev", "test")


@dataclass(frozen=True)
class HeldOutSplit:
    """The pairs held out (in input order) and the key threshold that separates them.

    A pair is held out when its seeded 64-bit key is at most ``threshold``, so the training
    side of a later pass over the same data needs no memory beyond this threshold.
    """

    held_out: list[BitextPair]
    threshold: int
    seed: int

    def is_held_out(self, pair: BitextPair) -> bool:
        """Whether a pair belongs to the held-out side."""
        return pair_key(pair.src, pair.trg, self.seed) <= self.threshold

    def train(self, pairs: Iterable[BitextPair]) -> Iterator[BitextPair]:
        """Yield the pairs not held out (streaming; call once per epoch)."""
        return (pair for pair in pairs if not self.is_held_out(pair))


def split_held_out(pairs: Iterable[BitextPair], *, held_out: int, seed: int = 0) -> HeldOutSplit:
    """Hold out the ``held_out`` distinct pairs with the smallest seeded hash (bottom-k sample).

    One streaming pass with memory for ``held_out`` pairs. The choice is deterministic and
    independent of pair order, and copies of a pair always fall on the same side, so an
    exact duplicate can never be in both train and held-out.
    """
    if held_out < 1:
        raise ValueError(f"held_out must be at least 1, got {held_out}")
    heap: list[tuple[int, int, BitextPair]] = []  # (-key, position, pair): largest key on top
    members: set[int] = set()
    left_for_training = False
    for position, pair in enumerate(pairs):
        key = pair_key(pair.src, pair.trg, seed)
        if key in members:
            continue
        if len(heap) < held_out:
            heapq.heappush(heap, (-key, position, pair))
            members.add(key)
            continue
        left_for_training = True
        if key < -heap[0][0]:
            dropped = heapq.heapreplace(heap, (-key, position, pair))
            members.discard(-dropped[0])
            members.add(key)
    if not left_for_training:
        raise ValueError(
            f"held_out={held_out} leaves no pairs for training: "
            f"the input has only {len(heap)} distinct pairs"
        )
    ordered = sorted(heap, key=lambda item: item[1])
    return HeldOutSplit([item[2] for item in ordered], threshold=-heap[0][0], seed=seed)


@dataclass(frozen=True)
class FixedSplits:
    """A fixed split of refs, as in ``bible-en-es.splits.json``: train, dev and test refs."""

    seed: int | None
    train: frozenset[str]
    dev: frozenset[str]
    test: frozenset[str]

    def refs(self, name: str) -> frozenset[str]:
        """The refs of one split by name (``train``, ``dev`` or ``test``)."""
        if name not in SPLIT_NAMES:
            raise ValueError(f"unknown split {name!r}; choose one of {', '.join(SPLIT_NAMES)}")
        refs: frozenset[str] = getattr(self, name)
        return refs

    def select(self, pairs: Iterable[BitextPair], name: str) -> Iterator[BitextPair]:
        """Yield the pairs whose ref is in split ``name``."""
        return select_by_ref(pairs, self.refs(name))


def _ref_list(path: Path, data: dict[str, object], name: str) -> frozenset[str]:
    refs = data.get(name)
    if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
        raise BitextError(f"{name!r} must be a list of ref strings", path=path)
    return frozenset(refs)


def read_splits(path: str | Path) -> FixedSplits:
    """Read a splits file ``{"seed", "train": [refs], "dev": [...], "test": [...]}``."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BitextError("file not found", path=path) from None
    except json.JSONDecodeError as exc:
        raise BitextError(f"invalid JSON: {exc.msg}", path=path, line=exc.lineno) from None
    except UnicodeDecodeError as exc:
        raise BitextError(f"invalid UTF-8 at byte {exc.start}", path=path) from None
    if not isinstance(data, dict):
        raise BitextError("expected a JSON object with train, dev and test lists", path=path)
    splits = {name: _ref_list(path, data, name) for name in SPLIT_NAMES}
    for i, first in enumerate(SPLIT_NAMES):
        for second in SPLIT_NAMES[i + 1 :]:
            shared = splits[first] & splits[second]
            if shared:
                example = sorted(shared)[0]
                raise BitextError(
                    f"{len(shared)} refs are in both {first} and {second} (e.g. {example!r})",
                    path=path,
                )
    seed = data.get("seed")
    return FixedSplits(seed=seed if isinstance(seed, int) else None, **splits)


def select_by_ref(pairs: Iterable[BitextPair], refs: Collection[str]) -> Iterator[BitextPair]:
    """Yield the pairs whose ``ref`` is in ``refs``; pairs without a ref are an error."""
    for pair in pairs:
        if pair.ref is None:
            raise BitextError(
                "pair has no ref: read the bitext with a ref column (e.g. ref_column='ref')",
                line=pair.line,
            )
        if pair.ref in refs:
            yield pair
