"""A mining or alignment job's pairs on disk (JSON lines), and pages of them for a table.

A result file holds one ``{"src", "trg", "score"}`` object a line, best first for mining and in
document order for alignment. Pages are filtered (minimum score, text contained in either side,
case-insensitive), sorted (by score, source or target text or place) and cut in memory;
:class:`ResultCache` keeps the last files read, so paging through one costs a filter and a sort
(``bench/tm_result_pages.py`` measures both).
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from mexma_search.tm.export import ScoredPair

SortKey = Literal["score", "source", "target", "position"]
SORT_KEYS: tuple[SortKey, ...] = ("score", "source", "target", "position")
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class ResultPair:
    """A pair of a job's result: the texts, the score and its place in the file (from 1)."""

    position: int
    src: str
    trg: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"position": self.position, "src": self.src, "trg": self.trg, "score": self.score}


def write_results(path: Path, pairs: Iterable[ScoredPair]) -> int:
    """Write ``pairs`` to ``path`` (the file appears complete); how many there were."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.part")
    count = 0
    try:
        with partial.open("w", encoding="utf-8", newline="\n") as out:
            for pair in pairs:
                record = {"src": pair.src, "trg": pair.trg, "score": round(float(pair.score), 6)}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return count


def read_results(path: Path) -> list[ResultPair]:
    """The pairs of a result file, in file order."""
    with path.open(encoding="utf-8") as lines:
        return [
            ResultPair(number, record["src"], record["trg"], float(record["score"]))
            for number, record in enumerate(map(json.loads, lines), start=1)
        ]


@dataclass(frozen=True)
class ResultQuery:
    """Which pairs of a result to show and how: ``contains`` matches either side, ignoring
    case; ``sort`` by score (best first unless ``ascending``), by a side's text or by the
    place in the file."""

    min_score: float | None = None
    contains: str = ""
    sort: SortKey = "score"
    ascending: bool = False
    page: int = 1
    page_size: int = 50

    def __post_init__(self) -> None:
        if self.sort not in SORT_KEYS:
            raise ValueError(f"sort by one of {', '.join(SORT_KEYS)}, not {self.sort!r}")
        if self.page < 1:
            raise ValueError("pages are numbered from 1")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"a page holds 1 to {MAX_PAGE_SIZE} pairs")
        if self.min_score is not None and not math.isfinite(self.min_score):
            raise ValueError("the minimum score must be a number")

    def matching(self, pairs: Sequence[ResultPair]) -> list[ResultPair]:
        """The pairs that pass the filters, in this query's order."""
        needle = self.contains.strip().casefold()
        kept = [
            pair
            for pair in pairs
            if (self.min_score is None or pair.score >= self.min_score)
            and (not needle or needle in pair.src.casefold() or needle in pair.trg.casefold())
        ]
        if self.sort == "score":
            # best first by default; equal scores keep the file's order
            kept.sort(key=lambda pair: pair.score if self.ascending else -pair.score)
            return kept
        if self.sort == "position":
            return kept if self.ascending else kept[::-1]
        text = (
            (lambda p: p.src.casefold()) if self.sort == "source" else (lambda p: p.trg.casefold())
        )
        kept.sort(key=text, reverse=not self.ascending)
        return kept


@dataclass(frozen=True)
class ResultPage:
    """One page of a result: its pairs, how many pairs match the filters and are in all."""

    pairs: list[ResultPair]
    page: int
    page_size: int
    matched: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.matched / self.page_size))

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": [pair.to_dict() for pair in self.pairs],
            "page": self.page,
            "page_size": self.page_size,
            "pages": self.pages,
            "matched": self.matched,
            "total": self.total,
        }


def result_page(pairs: Sequence[ResultPair], query: ResultQuery) -> ResultPage:
    """Page ``query.page`` of the pairs that match ``query`` (empty past the last page)."""
    matching = query.matching(pairs)
    start = (query.page - 1) * query.page_size
    return ResultPage(
        matching[start : start + query.page_size],
        query.page,
        query.page_size,
        matched=len(matching),
        total=len(pairs),
    )


class ResultCache:
    """The pairs of the last ``capacity`` result files read, reread when a file changes."""

    def __init__(self, capacity: int = 2) -> None:
        self.capacity = capacity
        self._files: OrderedDict[Path, tuple[float, list[ResultPair]]] = OrderedDict()
        self._lock = threading.Lock()

    def pairs(self, path: Path) -> list[ResultPair]:
        modified = path.stat().st_mtime
        with self._lock:
            cached = self._files.get(path)
            if cached is not None and cached[0] == modified:
                self._files.move_to_end(path)
                return cached[1]
        pairs = read_results(path)
        with self._lock:
            self._files[path] = (modified, pairs)
            self._files.move_to_end(path)
            while len(self._files) > self.capacity:
                self._files.popitem(last=False)
        return pairs
