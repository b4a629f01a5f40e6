"""A byte budget for unpacking: bounds what an upload (files and archive members) may become."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from mexma_search.documents.errors import IngestError

CHUNK_BYTES = 1 << 20


class Readable(Protocol):
    """A binary stream (an open file, a zip member)."""

    def read(self, size: int = -1, /) -> bytes: ...


class OverBudgetError(IngestError):
    """What was unpacked would exceed the budget; ``unpacked`` is a lower bound of its size."""

    def __init__(self, source: str, unpacked: int, limit: int) -> None:
        super().__init__(
            source, f"unpacks to at least {unpacked} bytes; at most {limit} are accepted"
        )
        self.unpacked = unpacked
        self.limit = limit


class ByteBudget:
    """The bytes that may still be unpacked; one budget is shared by all the files and archive
    members of one upload."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.spent = 0

    @property
    def remaining(self) -> int:
        """Bytes left to spend."""
        return max(self.limit - self.spent, 0)

    def reserve(self, source: str, size: int) -> None:
        """Check, before reading anything, that ``size`` more bytes fit; OverBudgetError if not."""
        if size > self.remaining:
            raise OverBudgetError(source, self.spent + size, self.limit)

    def read(self, stream: Readable, source: str) -> Iterator[bytes]:
        """The chunks of ``stream``, counted as spent; OverBudgetError as soon as the budget is
        passed, having read at most one byte more than what remained."""
        while chunk := stream.read(min(CHUNK_BYTES, self.remaining + 1)):
            self.spent += len(chunk)
            if self.spent > self.limit:
                raise OverBudgetError(source, self.spent, self.limit)
            yield chunk
