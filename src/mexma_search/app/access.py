"""Who is asking: the caller that every read and write of the services layer is checked against."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a caller may do: read, also upload and delete their own documents, or everything."""

    READER = "reader"
    EDITOR = "editor"
    ADMIN = "admin"


@dataclass(frozen=True)
class Caller:
    """A signed-in person, an API token's owner, or the anonymous reader.

    ``readable`` and ``writable`` name the collections the caller may read or write; ``None``
    means every collection (admins, and the app's own background work).
    """

    name: str
    role: Role
    readable: frozenset[str] | None = None
    writable: frozenset[str] | None = None

    def may_read(self, collection: str) -> bool:
        return self.readable is None or collection in self.readable

    def may_write(self, collection: str) -> bool:
        if self.role is Role.READER:
            return False
        return self.writable is None or collection in self.writable
